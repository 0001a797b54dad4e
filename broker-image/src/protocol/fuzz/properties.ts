// The properties every hostile input must satisfy, shared by the fuzz targets
// and the regression replays.
import assert from 'node:assert/strict';
import { decodeRequest, decodeResponse, ProtocolError, UnsupportedRequestError } from '../codec.ts';
import { ErrorCode, KafkaError } from '../errors.ts';
import { validateRecords } from '../../records/batch.ts';
import { decodeRecords } from '../../records/record.ts';
import { AllocationTooLarge, withAllocationLimit } from './alloc-guard.ts';

/** Array elements and byte/string lengths in a decoded value, summed. */
function footprint(v: unknown): { elements: number; bytes: number } {
  const acc = { elements: 0, bytes: 0 };
  const walk = (x: unknown): void => {
    if (x === null || typeof x !== 'object') {
      if (typeof x === 'string') acc.bytes += Buffer.byteLength(x);
      return;
    }
    if (Buffer.isBuffer(x)) { acc.bytes += x.length; return; }
    if (Array.isArray(x)) { acc.elements += x.length; for (const e of x) walk(e); return; }
    for (const e of Object.values(x)) walk(e);
  };
  walk(v);
  return acc;
}

/** The property every hostile frame must satisfy. */
export function decodesSafely(frame: Buffer): void {
  let decoded: unknown;
  try {
    // A field a version lacks decodes as its default, a fresh 16-byte Buffer for a uuid:
    // fixed-size, allowed; one allocation above the frame's size is a trusted length.
    decoded = withAllocationLimit(Math.max(frame.length, 16), () => decodeRequest(frame)).value;
  } catch (err) {
    if (err instanceof ProtocolError || err instanceof UnsupportedRequestError) return;
    const why = err instanceof AllocationTooLarge ? err.message : `${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`;
    assert.fail(`decodeRequest(${frame.toString('hex')}) threw ${why}`);
  }
  const { elements, bytes } = footprint((decoded as { body: unknown }).body);
  // uuids are 16-byte copies: allow for them, nothing else may exceed the frame.
  assert.ok(elements <= frame.length, `${elements} array elements decoded from a ${frame.length}-byte frame (${frame.toString('hex')})`);
  assert.ok(bytes <= frame.length * 16, `${bytes} bytes decoded from a ${frame.length}-byte frame (${frame.toString('hex')})`);
}

/**
 * The same for a response frame read by the broker's own client (replication, the CLI):
 * a peer is not trusted either.
 */
export function responseDecodesSafely(apiKey: number, apiVersion: number, frame: Buffer): void {
  let decoded: unknown;
  try {
    decoded = withAllocationLimit(Math.max(frame.length, 16), () => decodeResponse(apiKey, apiVersion, frame)).value;
  } catch (err) {
    if (err instanceof ProtocolError) return;
    const why = err instanceof AllocationTooLarge ? err.message : `${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`;
    assert.fail(`decodeResponse(${apiKey}, ${apiVersion}, ${frame.toString('hex')}) threw ${why}`);
  }
  const { elements } = footprint((decoded as { body: unknown }).body);
  assert.ok(elements <= frame.length, `${elements} array elements decoded from a ${frame.length}-byte response`);
}

/** Decompression cap for the fuzz runs (the broker's default is 64 MiB). */
export const CAP = 1 << 20;
export const MAX_MESSAGE_BYTES = 1 << 20;

const ACCEPTED_REJECTIONS = new Set<number>([
  ErrorCode.CORRUPT_MESSAGE, ErrorCode.INVALID_RECORD, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
  ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, ErrorCode.MESSAGE_TOO_LARGE,
]);

/** What the produce path does with a records field: validate, then decode (as for a compacted topic). */
export function parsesSafely(buf: Buffer): void {
  try {
    withAllocationLimit(CAP, () => {
      for (const b of validateRecords(buf, { maxMessageBytes: MAX_MESSAGE_BYTES })) {
        const records = decodeRecords(b, CAP);
        assert.equal(records.length, b.recordCount);
      }
    });
  } catch (err) {
    if (err instanceof KafkaError && ACCEPTED_REJECTIONS.has(err.code)) return;
    const why = err instanceof AllocationTooLarge ? err.message : `${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`;
    assert.fail(`records ${buf.toString('hex')} threw ${why}`);
  }
}

