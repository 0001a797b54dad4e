// Property-based fuzzing of the record-batch parser and the record decoder
// (issue 9), over every codec: random batches round-trip; attacked batches
// (byte mutations with the CRC stale or fixed, mutated records recompressed,
// mutated compressed bytes, random bytes under each codec, a codec swapped)
// are either accepted or rejected with the KafkaError the produce path answers
// with (CORRUPT_MESSAGE, INVALID_RECORD, ...), never a RangeError/TypeError and
// never an allocation above the decompression cap. Decompression bombs of every
// codec are refused before the memory is spent.
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { compressFrameSync } from 'lz4-napi';
import { compressSync as snappyCompress } from 'snappy';
import { ErrorCode, KafkaError } from '../errors.ts';
import { validateRecords } from '../../records/batch.ts';
import { decodeRecords } from '../../records/record.ts';
import { decompress, xerialCompress } from '../../records/compression/index.ts';
import { lz4FrameBound } from '../../records/compression/lz4-frame.ts';
import { attack, batchAttackArb, batchCaseArb, build } from './batches.ts';
import { describeReport, fuzz } from './budget.ts';
import { CAP, MAX_MESSAGE_BYTES, parsesSafely } from './properties.ts';

/** RSS growth (bytes) while fn runs, and what it threw. */
function rssGrowth(fn: () => void): { grew: number; err: unknown } {
  const before = process.memoryUsage.rss();
  let err: unknown = null;
  try { fn(); } catch (e) { err = e; }
  return { grew: process.memoryUsage.rss() - before, err };
}

function lz4Bomb(blocks: number): Buffer {
  // One 64 KiB block of zeros (~270 bytes compressed), repeated: 64 KiB per block out.
  const z = compressFrameSync(Buffer.alloc(65536));
  const header = 7; // magic, FLG, BD, HC (no content size, no dictionary)
  const block = z.subarray(header, header + 4 + (z.readUInt32LE(header) & 0x7fffffff));
  return Buffer.concat([z.subarray(0, header), ...Array<Buffer>(blocks).fill(block), Buffer.alloc(4)]);
}

describe('record batches under fuzzing', () => {
  test('random batches of every codec round-trip', (t) => {
    const report = fuzz('record batch round-trip', batchCaseArb, (c) => {
      const batches = validateRecords(build(c), { maxMessageBytes: MAX_MESSAGE_BYTES });
      assert.equal(batches.length, 1);
      const out = decodeRecords(batches[0]!);
      assert.equal(out.length, c.records.length);
      out.forEach((r, i) => {
        const want = c.records[i]!;
        assert.deepEqual(r.key, want.key);
        assert.deepEqual(r.value, want.value);
        assert.deepEqual(r.headers, (want.headers ?? []).map((h) => ({ key: h.key, value: h.value })));
        assert.equal(r.offset, (c.opts.baseOffset ?? 0n) + BigInt(i));
        assert.equal(r.timestamp, c.opts.logAppendTime ? BigInt(c.opts.now!) : want.timestamp);
      });
    }, { share: 0.04, fixedRuns: 500 });
    t.diagnostic(describeReport(report));
  });

  test('attacked batches: accepted, or rejected with the error the produce path maps', (t) => {
    const cases = fc.tuple(batchCaseArb, batchAttackArb, fc.option(batchCaseArb, { nil: null, freq: 4 }));
    const report = fuzz('attacked record batches', cases, ([c, a, second]) => {
      const attacked = attack(build(c), a);
      parsesSafely(second ? Buffer.concat([attacked, build(second)]) : attacked);
    }, { share: 0.27, fixedRuns: 3000 });
    t.diagnostic(describeReport(report));
  });

  test('the LZ4 frame bound is never below what a frame holds, and a frame within the cap is accepted', (t) => {
    const data = fc.oneof(
      fc.uint8Array({ maxLength: 300_000 }).map((a) => Buffer.from(a)),
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 1, max: 20_000 })).map(([a, n]) => Buffer.alloc(a.length * n, Buffer.from(a))),
    );
    const report = fuzz('lz4 frame bound', data, (d) => {
      const frame = compressFrameSync(d);
      assert.ok(lz4FrameBound(frame) >= d.length, `bound ${lz4FrameBound(frame)} < ${d.length}`);
      assert.deepEqual(decompress(3, frame, d.length), d);
    }, { share: 0.02, fixedRuns: 200 });
    t.diagnostic(describeReport(report));
  });

  test('the snappy preamble bound is never below what real snappy data holds', (t) => {
    const data = fc.oneof(
      fc.uint8Array({ maxLength: 100_000 }).map((a) => Buffer.from(a)),
      fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 16 }), fc.integer({ min: 1, max: 60_000 })).map(([a, n]) => Buffer.alloc(a.length * n, Buffer.from(a))),
    );
    const report = fuzz('snappy bound', data, (d) => {
      assert.deepEqual(decompress(2, snappyCompress(d), d.length), d);
      assert.deepEqual(decompress(2, xerialCompress(d), d.length), d);
    }, { share: 0.02, fixedRuns: 200 });
    t.diagnostic(describeReport(report));
  });

  test('decompression bombs of every codec are refused before their memory is spent', () => {
    const MiB = 1 << 20;
    const zeros = Buffer.alloc(MiB);
    const bombs: [string, number, Buffer][] = [
      ['gzip', 1, Buffer.concat(Array<Buffer>(256).fill(zlib.gzipSync(zeros)))], // 256 gzip members
      ['zstd', 4, Buffer.concat(Array<Buffer>(256).fill(zlib.zstdCompressSync(zeros)))], // 256 zstd frames
      ['lz4', 3, lz4Bomb(4096)],
    ];
    for (const [name, codec, bomb] of bombs) {
      const { grew, err } = rssGrowth(() => decompress(codec, bomb, CAP));
      assert.ok(err instanceof KafkaError && err.code === ErrorCode.CORRUPT_MESSAGE, `${name} bomb of ${bomb.length} bytes: ${String(err)}`);
      assert.ok(grew < 64 * MiB, `${name}: a ${bomb.length}-byte bomb (256 MiB decompressed) grew RSS by ${grew >> 20} MiB with a 1 MiB cap`);
    }
    // xerial-framed snappy: 1024 blocks of 32 KiB zeros (32 MiB)
    const one = xerialCompress(Buffer.alloc(32 * 1024));
    const xerial = Buffer.concat([one.subarray(0, 16), ...Array<Buffer>(1024).fill(one.subarray(16))]);
    assert.throws(() => decompress(2, xerial, CAP), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.CORRUPT_MESSAGE);
  });
});
