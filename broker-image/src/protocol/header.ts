// Request and response headers.
// Request header v1: apiKey int16, apiVersion int16, correlationId int32,
// clientId nullable string (int16 length). v2 (flexible request versions)
// adds a tagged-field section; clientId stays a classic string.
// Response header v0: correlationId int32; v1 (flexible) adds tagged fields,
// except for ApiVersions, whose response header is always v0 (KIP-511), so a
// client can read the error from any version's reply.

import type { Reader } from './primitives/reader.ts';
import type { Writer } from './primitives/writer.ts';

export const API_VERSIONS_KEY = 18;

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** 1 or 2: the request header version for a request of this flexibility. */
export function requestHeaderVersion(flexibleRequest: boolean): 1 | 2 {
  return flexibleRequest ? 2 : 1;
}

/** 0 or 1: the response header version. */
export function responseHeaderVersion(apiKey: number, flexibleResponse: boolean): 0 | 1 {
  return flexibleResponse && apiKey !== API_VERSIONS_KEY ? 1 : 0;
}

/** Reads clientId (and tagged fields for header v2) after the fixed 8 bytes. */
export function readClientId(r: Reader, headerVersion: 1 | 2): string | null {
  const clientId = r.nullableString();
  if (headerVersion === 2) r.taggedFields();
  return clientId;
}

export function writeRequestHeader(w: Writer, h: RequestHeader, headerVersion: 1 | 2): void {
  w.int16(h.apiKey);
  w.int16(h.apiVersion);
  w.int32(h.correlationId);
  w.nullableString(h.clientId);
  if (headerVersion === 2) w.uvarint(0);
}

export function writeResponseHeader(w: Writer, correlationId: number, headerVersion: 0 | 1): void {
  w.int32(correlationId);
  if (headerVersion === 1) w.uvarint(0);
}

export function readResponseHeader(r: Reader, headerVersion: 0 | 1): number {
  const correlationId = r.int32();
  if (headerVersion === 1) r.taggedFields();
  return correlationId;
}
