// The wire API the server and the broker's own client use: whole requests and
// responses (header + body) to and from frames, over the registry of schemas
// in messages/index.ts.

import { ProtocolError } from './primitives/protocol-error.ts';
import { Reader } from './primitives/reader.ts';
import { Writer } from './primitives/writer.ts';
import {
  API_VERSIONS_KEY, readClientId, readResponseHeader, requestHeaderVersion, responseHeaderVersion,
  writeRequestHeader, writeResponseHeader, type RequestHeader,
} from './header.ts';
import { apis } from './messages/index.ts';
import { compileMessage } from './schema/codec.ts';
import type { ApiSpec } from './schema/types.ts';
import { inVersions, versionBounds } from './schema/versions.ts';
import { ErrorCode } from './errors.ts';

export { ProtocolError } from './primitives/protocol-error.ts';
export type { RequestHeader } from './header.ts';

/** A request for an API key or version we do not serve; carries what an answer needs. */
export class UnsupportedRequestError extends Error {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  constructor(message: string, apiKey: number, apiVersion: number, correlationId: number) {
    super(message);
    this.name = 'UnsupportedRequestError';
    this.apiKey = apiKey;
    this.apiVersion = apiVersion;
    this.correlationId = correlationId;
  }
}

export class UnsupportedApiError extends UnsupportedRequestError {
  constructor(apiKey: number, apiVersion: number, correlationId: number) {
    super(`unsupported API key ${apiKey}`, apiKey, apiVersion, correlationId);
    this.name = 'UnsupportedApiError';
  }
}

export class UnsupportedVersionError extends UnsupportedRequestError {
  constructor(apiKey: number, apiVersion: number, correlationId: number, name: string) {
    super(`unsupported version ${apiVersion} of ${name} (${apiKey})`, apiKey, apiVersion, correlationId);
    this.name = 'UnsupportedVersionError';
  }
}

export interface DecodedRequest {
  header: RequestHeader;
  body: any;
}

function specOf(apiKey: number): ApiSpec {
  const spec = apis.get(apiKey);
  if (!spec) throw new Error(`no schema for API key ${apiKey}`);
  return spec;
}

/**
 * Decodes one request frame (the bytes after the int32 size). Throws
 * UnsupportedApiError / UnsupportedVersionError (with apiKey, apiVersion and
 * correlationId) for keys and versions without a schema, and ProtocolError for
 * anything malformed. Bytes fields of the body are views of `frame`.
 */
export function decodeRequest(frame: Buffer): DecodedRequest {
  const r = new Reader(frame);
  if (r.remaining() < 8) throw new ProtocolError(`request of ${frame.length} bytes is shorter than a header`);
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const spec = apis.get(apiKey);
  if (!spec) throw new UnsupportedApiError(apiKey, apiVersion, correlationId);
  if (!inVersions(spec.request.validVersions, apiVersion)) {
    throw new UnsupportedVersionError(apiKey, apiVersion, correlationId, spec.name);
  }
  const compiled = compileMessage(spec.request, apiVersion);
  const clientId = readClientId(r, requestHeaderVersion(compiled.flexible));
  const body = compiled.read(r);
  return { header: { apiKey, apiVersion, correlationId, clientId }, body };
}

function responseWriter(apiKey: number, apiVersion: number, correlationId: number, body: any): Writer {
  const compiled = compileMessage(specOf(apiKey).response, apiVersion);
  const w = new Writer(1024);
  w.pos = 4; // size, patched in at the end
  writeResponseHeader(w, correlationId, responseHeaderVersion(apiKey, compiled.flexible));
  compiled.write(w, body);
  return w;
}

/** Encodes a response, size prefix included. */
export function encodeResponse(apiKey: number, apiVersion: number, correlationId: number, body: any): Buffer {
  const out = responseWriter(apiKey, apiVersion, correlationId, body).finish();
  out.writeInt32BE(out.length - 4, 0);
  return out;
}

/**
 * encodeResponse as a list of buffers, size prefix included, without copying
 * large record sets into the output: for socket.cork()/write() per chunk or
 * writev. The record buffers of `body` are part of the result.
 */
export function encodeResponseChunks(apiKey: number, apiVersion: number, correlationId: number, body: any): Buffer[] {
  const w = responseWriter(apiKey, apiVersion, correlationId, body);
  const chunks = w.finishChunks();
  chunks[0]!.writeInt32BE(w.length - 4, 0);
  return chunks;
}

/** Encodes a request, size prefix included (the broker's own client). */
export function encodeRequest(header: RequestHeader, body: any): Buffer {
  const compiled = compileMessage(specOf(header.apiKey).request, header.apiVersion);
  const w = new Writer(256);
  w.pos = 4;
  writeRequestHeader(w, header, requestHeaderVersion(compiled.flexible));
  compiled.write(w, body);
  const out = w.finish();
  out.writeInt32BE(out.length - 4, 0);
  return out;
}

/**
 * Decodes a response frame (the bytes after the int32 size). An ApiVersions
 * response carrying UNSUPPORTED_VERSION is read as v0, whatever version was
 * asked: that is how a KIP-511 broker answers a version it does not know.
 */
export function decodeResponse(apiKey: number, apiVersion: number, frame: Buffer): { correlationId: number; body: any } {
  let compiled = compileMessage(specOf(apiKey).response, apiVersion);
  const r = new Reader(frame);
  const correlationId = readResponseHeader(r, responseHeaderVersion(apiKey, compiled.flexible));
  if (apiKey === API_VERSIONS_KEY && apiVersion > 0 && r.remaining() >= 2 && frame.readInt16BE(r.offset) === ErrorCode.UNSUPPORTED_VERSION) {
    compiled = compileMessage(specOf(apiKey).response, 0);
  }
  return { correlationId, body: compiled.read(r) };
}

export interface SupportedApi {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

/** Every API key with a schema and the request versions it covers, by key. */
export function supportedApis(): SupportedApi[] {
  return [...apis.values()]
    .map((a) => {
      const [minVersion, maxVersion] = versionBounds(a.request.validVersions);
      return { apiKey: a.apiKey, minVersion, maxVersion };
    })
    .sort((a, b) => a.apiKey - b.apiKey);
}

/**
 * The KIP-511 answer to an ApiVersions request of a version we do not know:
 * a v0 response (header v0) with UNSUPPORTED_VERSION and the supported ranges,
 * from which the client picks a version it shares with us. Size prefix included.
 */
export function apiVersionsUnsupportedResponse(correlationId: number, ranges: readonly SupportedApi[] = supportedApis()): Buffer {
  const w = new Writer(16 + ranges.length * 6);
  w.pos = 4;
  w.int32(correlationId);
  w.int16(ErrorCode.UNSUPPORTED_VERSION);
  w.int32(ranges.length);
  for (const a of ranges) {
    w.int16(a.apiKey);
    w.int16(a.minVersion);
    w.int16(a.maxVersion);
  }
  const out = w.finish();
  out.writeInt32BE(out.length - 4, 0);
  return out;
}

export { API_VERSIONS_KEY };
