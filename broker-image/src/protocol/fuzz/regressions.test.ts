// Replays every input kept under regressions/ (one per bug the fuzzers found):
// request-*.hex (a request frame without its size prefix) must decode safely,
// batch-*.hex (a produce request's records field) must parse safely, and the
// decompression bombs must be refused before their memory is spent.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, KafkaError } from '../errors.ts';
import { validateRecords } from '../../records/batch.ts';
import { decompress } from '../../records/compression/index.ts';
import { decodeRecords } from '../../records/record.ts';
import { regressionInputs } from './corpus.ts';
import { decodesSafely, parsesSafely } from './properties.ts';

const MiB = 1 << 20;

/** RSS growth (bytes) while fn runs, and what it threw. */
function rssGrowth(fn: () => void): { grew: number; err: unknown } {
  const before = process.memoryUsage.rss();
  let err: unknown = null;
  try { fn(); } catch (e) { err = e; }
  return { grew: process.memoryUsage.rss() - before, err };
}

describe('fuzz regressions', () => {
  for (const { name, bytes } of regressionInputs('request-')) test(name, () => decodesSafely(bytes));
  for (const { name, bytes } of regressionInputs('batch-')) test(name, () => parsesSafely(bytes));

  test('batch-snappy-length-lie.hex: refused from its preamble, before the decompressor allocates', () => {
    const [batch] = regressionInputs('batch-snappy-length-lie').map((r) => r.bytes);
    assert.ok(batch);
    const [b] = validateRecords(batch);
    assert.throws(() => decodeRecords(b!), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.CORRUPT_MESSAGE && /declares/.test(e.message));
  });

  test('lz4-block-bomb.hex: 4096 copies of a 64 KiB block are refused without decompressing them', () => {
    const [frame] = regressionInputs('lz4-block-bomb').map((r) => r.bytes);
    assert.ok(frame);
    const header = 7;
    const block = frame.subarray(header, header + 4 + frame.readUInt32LE(header));
    assert.equal(header + block.length + 4, frame.length, 'fixture: one block then the end mark');
    const bomb = Buffer.concat([frame.subarray(0, header), ...Array<Buffer>(4096).fill(block), Buffer.alloc(4)]);
    assert.equal(decompress(3, frame, MiB).length, 65536, 'the single-block frame itself decompresses');
    const { grew, err } = rssGrowth(() => decompress(3, bomb, MiB));
    assert.ok(err instanceof KafkaError && err.code === ErrorCode.CORRUPT_MESSAGE, String(err));
    assert.ok(grew < 64 * MiB, `RSS grew by ${grew >> 20} MiB refusing a 256 MiB bomb with a 1 MiB cap`);
  });
});
