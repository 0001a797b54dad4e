// Record batches for the record-batch fuzzer: random records under every codec,
// and the ways of breaking a batch that get past its CRC (a mutated batch with
// a stale CRC is rejected before anything is decoded, so most mutations fix the
// CRC, and the batch length, afterwards).

import { crc32c } from '@node-rs/crc32';
import fc from 'fast-check';
import { ATTRIBUTES, BATCH_HEADER_SIZE, BATCH_LENGTH, COMPRESSION_MASK, CRC, LOG_OVERHEAD } from '../../records/batch.ts';
import { compress, decompress } from '../../records/compression/index.ts';
import { buildBatch, type BatchOptions, type RecordInput } from '../../records/record.ts';
import { applyMutations, mutationsArb, type Mutation } from './mutate.ts';

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));

export const recordArb: fc.Arbitrary<RecordInput> = fc.record({
  key: fc.option(bytes(24), { nil: null, freq: 4 }),
  // Repetitive values too, so that the codecs have something to compress.
  value: fc.option(fc.oneof(bytes(64), fc.tuple(fc.string({ maxLength: 8 }), fc.integer({ min: 1, max: 200 })).map(([s, n]) => Buffer.from(s.repeat(n)))), { nil: null, freq: 6 }),
  headers: fc.array(fc.record({ key: fc.string({ unit: 'binary', maxLength: 8 }), value: fc.option(bytes(12), { nil: null }) }), { maxLength: 3 }),
  timestamp: fc.bigInt({ min: 1_600_000_000_000n - (1n << 40n), max: 1_600_000_000_000n + (1n << 40n) }),
});

export const batchOptionsArb: fc.Arbitrary<BatchOptions> = fc.record({
  compression: fc.integer({ min: 0, max: 4 }),
  baseOffset: fc.bigInt({ min: 0n, max: 1n << 40n }),
  producerId: fc.bigInt({ min: -1n, max: 1n << 40n }),
  producerEpoch: fc.integer({ min: -1, max: 0x7fff }),
  baseSequence: fc.integer({ min: -1, max: 0x7fffffff }),
  transactional: fc.boolean(),
  logAppendTime: fc.boolean(),
  now: fc.constant(1_600_000_000_000),
});

export interface BatchCase {
  records: RecordInput[];
  opts: BatchOptions;
}

export const batchCaseArb: fc.Arbitrary<BatchCase> = fc.record({
  records: fc.array(recordArb, { minLength: 1, maxLength: 8 }),
  opts: batchOptionsArb,
});

/** Rewrites batchLength to the buffer's size and the CRC to match the bytes. */
export function reseal(batch: Buffer): Buffer {
  if (batch.length >= BATCH_HEADER_SIZE) {
    batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH);
    batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES)) >>> 0, CRC);
  }
  return batch;
}

/** A batch's header with `payload` as its records section (codec bits kept), resealed. */
export function withPayload(batch: Buffer, payload: Buffer): Buffer {
  return reseal(Buffer.concat([batch.subarray(0, BATCH_HEADER_SIZE), payload]));
}

export type BatchAttack =
  /** Byte mutations anywhere, CRC left stale or fixed. */
  | { kind: 'bytes'; muts: Mutation[]; reseal: boolean }
  /** Mutations of the uncompressed records, recompressed with the batch's codec. */
  | { kind: 'records'; muts: Mutation[] }
  /** Mutations of the compressed bytes themselves (what the decompressors get). */
  | { kind: 'compressed'; muts: Mutation[] }
  /** Random bytes as the records section under a codec. */
  | { kind: 'random'; codec: number; payload: Buffer }
  /** Another codec claimed for the same bytes. */
  | { kind: 'codec'; codec: number };

export const batchAttackArb: fc.Arbitrary<BatchAttack> = fc.oneof(
  fc.record({ kind: fc.constant('bytes' as const), muts: mutationsArb(), reseal: fc.boolean() }),
  fc.record({ kind: fc.constant('records' as const), muts: mutationsArb() }),
  fc.record({ kind: fc.constant('compressed' as const), muts: mutationsArb() }),
  fc.record({ kind: fc.constant('random' as const), codec: fc.integer({ min: 0, max: 7 }), payload: bytes(96) }),
  fc.record({ kind: fc.constant('codec' as const), codec: fc.integer({ min: 0, max: 7 }) }),
);

/** The attacked batch bytes. */
export function attack(batch: Buffer, a: BatchAttack): Buffer {
  const codec = batch.readInt16BE(ATTRIBUTES) & COMPRESSION_MASK;
  const payload = batch.subarray(BATCH_HEADER_SIZE);
  switch (a.kind) {
    case 'bytes': {
      const out = applyMutations(batch, a.muts);
      return a.reseal ? reseal(out) : out;
    }
    case 'records': {
      const raw = decompress(codec, payload);
      return withPayload(batch, compress(codec, applyMutations(raw, a.muts)));
    }
    case 'compressed':
      return withPayload(batch, applyMutations(payload, a.muts));
    case 'random':
    case 'codec': {
      const out = Buffer.from(batch);
      out.writeInt16BE((out.readInt16BE(ATTRIBUTES) & ~COMPRESSION_MASK) | a.codec, ATTRIBUTES);
      return a.kind === 'random' ? withPayload(out, a.payload) : reseal(out);
    }
  }
}

export function build(c: BatchCase): Buffer {
  return buildBatch(c.records, c.opts);
}
