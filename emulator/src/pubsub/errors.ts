// API errors carry a gRPC status code; REST maps it to Google's HTTP code and the
// `{"error":{"code","message","status"}}` body.

import { status } from '@grpc/grpc-js';

export class ApiError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

export const notFound = (what: string) => new ApiError(status.NOT_FOUND, `Resource not found (resource=${what}).`);
export const alreadyExists = (what: string) => new ApiError(status.ALREADY_EXISTS, `Resource already exists in the project (resource=${what}).`);
export const invalid = (message: string) => new ApiError(status.INVALID_ARGUMENT, message);
export const precondition = (message: string) => new ApiError(status.FAILED_PRECONDITION, message);
export const unimplemented = (message: string) => new ApiError(status.UNIMPLEMENTED, message);

const HTTP: Record<number, number> = {
  [status.CANCELLED]: 499,
  [status.UNKNOWN]: 500,
  [status.INVALID_ARGUMENT]: 400,
  [status.DEADLINE_EXCEEDED]: 504,
  [status.NOT_FOUND]: 404,
  [status.ALREADY_EXISTS]: 409,
  [status.PERMISSION_DENIED]: 403,
  [status.RESOURCE_EXHAUSTED]: 429,
  [status.FAILED_PRECONDITION]: 400,
  [status.ABORTED]: 409,
  [status.OUT_OF_RANGE]: 400,
  [status.UNIMPLEMENTED]: 501,
  [status.INTERNAL]: 500,
  [status.UNAVAILABLE]: 503,
  [status.DATA_LOSS]: 500,
  [status.UNAUTHENTICATED]: 401,
};

export function httpStatus(code: number): number {
  return HTTP[code] ?? 500;
}

export function statusName(code: number): string {
  return Object.entries(status).find(([, v]) => v === code)?.[0] ?? 'UNKNOWN';
}

/** Any thrown value as an ApiError (unexpected ones become INTERNAL/UNAVAILABLE). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  // Kafka unreachable or timing out: the client should retry.
  if (/ECONNREFUSED|ETIMEDOUT|Network|Timeout|closed/i.test(msg)) return new ApiError(status.UNAVAILABLE, `Kafka: ${msg}`);
  return new ApiError(status.INTERNAL, msg);
}
