// Kinesis wire encodings: AWS JSON 1.1 (`application/x-amz-json-1.1`, blobs as
// base64 strings, timestamps as epoch seconds with a fraction) and AWS CBOR
// (`application/x-amz-cbor-1.1`, the Java SDK's default: blobs as CBOR byte strings,
// timestamps as tag 1 holding epoch MILLISECONDS as an integer, which is where AWS
// deviates from RFC 8949's seconds). On input a tag-1 value above 1e11 is read as
// milliseconds, anything smaller as seconds, so both forms are accepted.
//
// Operations see one neutral shape: blobs are Buffers (or base64 strings from JSON,
// see `blob()`), timestamps are `AwsTimestamp`s on output and whatever the client
// sent on input (see `timestampMs()`).

import { Encoder, Decoder, addExtension } from 'cbor-x';

export type WireFormat = 'json' | 'cbor';

export const JSON_TYPE = 'application/x-amz-json-1.1';
export const CBOR_TYPE = 'application/x-amz-cbor-1.1';

/** A point in time in a response (epoch ms). */
export class AwsTimestamp {
  readonly ms: number;
  constructor(ms: number) {
    this.ms = ms;
  }
}

/** An AWS-shaped error: HTTP status (400 unless said), `__type` and message. */
export class KinesisError extends Error {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status = 400) {
    super(message);
    this.type = type;
    this.status = status;
  }
}

addExtension({
  Class: AwsTimestamp,
  tag: 1,
  encode(ts: AwsTimestamp, encode: (v: unknown) => Uint8Array) {
    return encode(BigInt(Math.round(ts.ms)));
  },
  decode(v: unknown) {
    const n = Number(v);
    return new AwsTimestamp(n > 1e11 ? n : n * 1000);
  },
});

const cborEncoder = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false, variableMapSize: true });
const cborDecoder = new Decoder({ useRecords: false, mapsAsObjects: true });

export function formatOf(contentType: string | undefined): WireFormat {
  return (contentType ?? '').toLowerCase().includes('cbor') ? 'cbor' : 'json';
}

/** Parses a request body; a malformed one is a SerializationException. */
export function decodeRequest(body: Buffer, format: WireFormat): Record<string, unknown> {
  let v: unknown;
  if (body.length === 0) return {};
  try {
    v = format === 'cbor' ? cborDecoder.decode(body) : JSON.parse(body.toString('utf8'));
  } catch {
    throw new KinesisError('SerializationException', format === 'cbor' ? 'Malformed CBOR request body' : 'Start of structure or map found where not expected.');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v)) {
    throw new KinesisError('SerializationException', 'Request body must be a structure');
  }
  return v as Record<string, unknown>;
}

function toJsonValue(v: unknown): unknown {
  if (v === undefined || v === null) return undefined;
  if (v instanceof AwsTimestamp) return v.ms / 1000;
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.from(v as Uint8Array).toString('base64');
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const j = toJsonValue(x);
      if (j !== undefined) o[k] = j;
    }
    return o;
  }
  return v;
}

function stripUndefined(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) return v.map(stripUndefined);
  if (typeof v === 'object' && !(v instanceof AwsTimestamp) && !Buffer.isBuffer(v) && !(v instanceof Uint8Array)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const j = stripUndefined(x);
      if (j !== undefined) o[k] = j;
    }
    return o;
  }
  return v;
}

export function encodeResponse(v: unknown, format: WireFormat): Buffer {
  if (format === 'cbor') return Buffer.from(cborEncoder.encode(stripUndefined(v) ?? {}));
  return Buffer.from(JSON.stringify(toJsonValue(v) ?? {}));
}

export function encodeError(err: KinesisError, format: WireFormat): Buffer {
  return encodeResponse({ __type: err.type, message: err.message }, format);
}

// ---- input helpers shared by the operations ----

/** A blob field: bytes from CBOR, base64 text from JSON. */
export function blob(v: unknown, field: string): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (typeof v === 'string') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 === 1) throw new KinesisError('SerializationException', `${field}: not valid base64`);
    return Buffer.from(v, 'base64');
  }
  if (v === undefined || v === null) throw validation(field, 'Member must not be null', v);
  throw new KinesisError('SerializationException', `${field}: expected a blob`);
}

/** A timestamp field as epoch ms: number (seconds, JSON), AwsTimestamp (CBOR tag 1), Date or ISO string. */
export function timestampMs(v: unknown, field: string): number {
  if (v instanceof AwsTimestamp) return v.ms;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number' && Number.isFinite(v)) return v * 1000;
  if (typeof v === 'string') {
    const n = Number(v);
    if (v.trim() !== '' && Number.isFinite(n)) return n * 1000;
    const d = Date.parse(v);
    if (Number.isFinite(d)) return d;
  }
  throw new KinesisError('SerializationException', `${field}: not a timestamp`);
}

/** A ValidationException the way AWS words it. */
export function validation(field: string, constraint: string, value?: unknown): KinesisError {
  const shown = value === undefined || value === null ? 'null' : typeof value === 'string' ? `'${value.length > 64 ? value.slice(0, 64) + '…' : value}'` : `'${String(value)}'`;
  return new KinesisError('ValidationException', `1 validation error detected: Value ${shown} at '${field}' failed to satisfy constraint: ${constraint}`);
}

export function str(body: Record<string, unknown>, field: string, opts: { required?: boolean; min?: number; max?: number; pattern?: RegExp } = {}): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) {
    if (opts.required) throw validation(lower(field), 'Member must not be null');
    return undefined;
  }
  if (typeof v !== 'string') throw new KinesisError('SerializationException', `${field}: expected a string`);
  if (opts.min !== undefined && v.length < opts.min) throw validation(lower(field), `Member must have length greater than or equal to ${opts.min}`, v);
  if (opts.max !== undefined && v.length > opts.max) throw validation(lower(field), `Member must have length less than or equal to ${opts.max}`, v);
  if (opts.pattern && !opts.pattern.test(v)) throw validation(lower(field), `Member must satisfy regular expression pattern: ${opts.pattern.source}`, v);
  return v;
}

export function int(body: Record<string, unknown>, field: string, opts: { required?: boolean; min?: number; max?: number } = {}): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) {
    if (opts.required) throw validation(lower(field), 'Member must not be null');
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new KinesisError('SerializationException', `${field}: expected an integer`);
  if (opts.min !== undefined && v < opts.min) throw validation(lower(field), `Member must have value greater than or equal to ${opts.min}`, v);
  if (opts.max !== undefined && v > opts.max) throw validation(lower(field), `Member must have value less than or equal to ${opts.max}`, v);
  return v;
}

function lower(f: string): string {
  return f.charAt(0).toLowerCase() + f.slice(1);
}
