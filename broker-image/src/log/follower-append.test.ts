import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode } from '../protocol/errors.ts';
import { RecordBatch } from '../records/batch.ts';
import { buildBatch } from '../records/record.ts';
import { PartitionLog } from './partition-log.ts';
import { batchesIn, batchOf, cfg, code, readAll, readRaw, withDir } from './test-helpers.ts';

/** Copies `leader` into `follower` as a replica fetcher would: reads of `fetchBytes` from the follower's log end. */
async function replicate(leader: PartitionLog, follower: PartitionLog, fetchBytes: number): Promise<number> {
  let fetches = 0;
  while (follower.logEndOffset < leader.logEndOffset) {
    assert.ok(fetches < 10_000, 'replication makes progress');
    const records = await leader.read(follower.logEndOffset, fetchBytes);
    const res = await follower.appendAsFollower(records);
    assert.equal(res.bytesUsed, records.length, 'reads return whole batches');
    fetches++;
  }
  return fetches;
}

test('a follower stores the leader\'s batches byte for byte: same segments, same files, same epochs', () => withDir(async (dir, root) => {
  const conf = cfg({ segmentBytes: 1200, indexIntervalBytes: 300, messageTimestampType: 'LogAppendTime' });
  const leader = await PartitionLog.open(dir, conf);
  for (let i = 0; i < 40; i++) {
    const batch = batchOf(1 + (i % 4), `b${i}-`, { producerId: 7000n + BigInt(i % 3), producerEpoch: 2, baseSequence: i * 4, compression: i % 2 });
    await leader.append(batch, { leaderEpoch: i < 25 ? 3 : 5, now: 1_700_000_000_000 + i });
  }
  const follower = await PartitionLog.open(join(root, 'replica-0'), conf);
  // A follower's own clock and LogAppendTime config must not touch the leader's timestamps.
  const fetches = await replicate(leader, follower, 1500);
  assert.ok(fetches > 3, `${fetches} fetches`);
  assert.equal(follower.logEndOffset, leader.logEndOffset);
  assert.deepEqual(follower.segmentBaseOffsets, leader.segmentBaseOffsets);
  assert.ok(leader.segmentCount > 2, `${leader.segmentCount} segments`);
  assert.deepEqual(await readRaw(follower), await readRaw(leader));
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.log'))) {
    assert.deepEqual(await readFile(join(root, 'replica-0', name)), await readFile(join(dir, name)), name);
  }
  const first = batchesIn(await follower.read(0n, 1))[0];
  assert.equal(first.partitionLeaderEpoch, 3);
  assert.equal(first.producerId, 7000n);
  assert.ok(first.isLogAppendTime);
  assert.equal(first.maxTimestamp, 1_700_000_000_000n);
  assert.deepEqual(follower.epochs.all, leader.epochs.all);
  assert.deepEqual(follower.epochs.all.map((e) => e.epoch), [3, 5]);
  assert.deepEqual(await follower.offsetForTimestamp(1_700_000_000_030n), await leader.offsetForTimestamp(1_700_000_000_030n));
  await leader.close();
  await follower.close();
  const reopened = await PartitionLog.open(join(root, 'replica-0'), conf);
  assert.equal(reopened.logEndOffset, leader.logEndOffset);
  assert.deepEqual(reopened.epochs.all, leader.epochs.all);
  await reopened.close();
}));

test('a partial trailing batch is left for the next fetch; bytesUsed says how much was taken', () => withDir(async (dir, root) => {
  const leader = await PartitionLog.open(dir, cfg());
  for (let i = 0; i < 5; i++) await leader.append(batchOf(3, `p${i}-`), { leaderEpoch: 1 });
  const all = await leader.read(0n, 1 << 20);
  const sizes = batchesIn(all).map((b) => b.sizeInBytes);
  const follower = await PartitionLog.open(join(root, 'f'), cfg());
  const cutAt = sizes[0] + sizes[1] + sizes[2] + 20; // Kafka cuts the last batch to fit maxBytes
  const res = await follower.appendAsFollower(all.subarray(0, cutAt));
  assert.deepEqual(res, { firstOffset: 0n, lastOffset: 8n, recordCount: 9, bytesUsed: sizes[0] + sizes[1] + sizes[2] });
  assert.equal(follower.logEndOffset, 9n);
  // Only a fragment (even shorter than a header): nothing appended, nothing refused.
  for (const n of [5, 30, sizes[3] - 1]) {
    const frag = await follower.appendAsFollower(all.subarray(res.bytesUsed, res.bytesUsed + n));
    assert.deepEqual(frag, { firstOffset: -1n, lastOffset: -1n, recordCount: 0, bytesUsed: 0 });
  }
  assert.equal((await follower.appendAsFollower(Buffer.alloc(0))).bytesUsed, 0);
  const rest = await follower.appendAsFollower(await leader.read(follower.logEndOffset, 1 << 20));
  assert.equal(rest.lastOffset, 14n);
  assert.deepEqual(await readRaw(follower), all);
  await leader.close();
  await follower.close();
}));

test('gaps (a compacted leader) are accepted; a gap at a roll starts the segment at the batch', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, cfg({ segmentBytes: 300 }));
  const at = (base: bigint, n: number, epoch = 2) => buildBatch(Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: 'x'.repeat(10) })),
    { baseOffset: base, partitionLeaderEpoch: epoch, now: 5000 });
  await log.appendAsFollower(Buffer.concat([at(0n, 2), at(10n, 2)]));
  assert.equal(log.logEndOffset, 12n);
  const res = await log.appendAsFollower(at(25n, 3, 4));
  assert.equal(res.firstOffset, 25n);
  assert.equal(log.logEndOffset, 28n);
  assert.deepEqual(log.segmentBaseOffsets, [0n, 25n], 'rolled at the batch after the gap, not at the old log end');
  assert.deepEqual(log.epochs.all, [{ epoch: 2, startOffset: 0n }, { epoch: 4, startOffset: 25n }]);
  // Reading inside a gap returns the next batch.
  assert.equal(batchesIn(await log.read(5n, 1000))[0].baseOffset, 10n);
  assert.equal(batchesIn(await log.read(13n, 1000))[0].baseOffset, 25n);
  assert.deepEqual((await readAll(log)).map((r) => r.offset), [0n, 1n, 10n, 11n, 25n, 26n, 27n]);
  await log.close();
  const again = await PartitionLog.open(dir, cfg({ segmentBytes: 300 }));
  assert.equal(again.logEndOffset, 28n);
  assert.deepEqual((await readAll(again)).map((r) => r.offset), [0n, 1n, 10n, 11n, 25n, 26n, 27n]);
  await again.close();
}));

test('batches that overlap the log or go backwards are refused and leave the log unchanged', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, cfg());
  const at = (base: bigint, n = 5) => buildBatch(Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: 'v' })), { baseOffset: base, partitionLeaderEpoch: 1 });
  await log.appendAsFollower(at(0n));
  const before = await readRaw(log);
  await assert.rejects(log.appendAsFollower(at(3n)), code(ErrorCode.OFFSET_OUT_OF_RANGE));
  await assert.rejects(log.appendAsFollower(at(0n)), code(ErrorCode.OFFSET_OUT_OF_RANGE));
  await assert.rejects(log.appendAsFollower(Buffer.concat([at(10n), at(12n)])), code(ErrorCode.OFFSET_OUT_OF_RANGE), 'overlap inside the request');
  const bad = Buffer.from(at(5n));
  bad[bad.length - 1] ^= 0xff;
  await assert.rejects(log.appendAsFollower(bad), code(ErrorCode.CORRUPT_MESSAGE), 'CRC');
  const magic1 = Buffer.from(at(5n));
  magic1[16] = 1;
  await assert.rejects(log.appendAsFollower(magic1), code(ErrorCode.CORRUPT_MESSAGE), 'magic');
  const short = Buffer.from(at(5n));
  short.writeInt32BE(10, 8);
  await assert.rejects(log.appendAsFollower(short), code(ErrorCode.CORRUPT_MESSAGE), 'batch length below the header');
  assert.equal(log.logEndOffset, 5n);
  assert.deepEqual(await readRaw(log), before);
  const ok = await log.appendAsFollower(at(5n));
  assert.equal(ok.lastOffset, 9n);
  await log.close();
}));

test('follower appends share the append queue with leader appends, and roll by size between runs of batches', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, cfg({ segmentBytes: 1000, flushMessages: 4 }));
  const leaderBatch = (base: bigint) => buildBatch([{ key: 'a', value: 'x'.repeat(100) }, { key: 'b', value: 'y'.repeat(100) }], { baseOffset: base, partitionLeaderEpoch: 9 });
  // Ten batches in one request: more than a segment's worth, split across segments.
  const big = Buffer.concat(Array.from({ length: 10 }, (_, i) => leaderBatch(BigInt(i * 2))));
  const [res, own] = await Promise.all([log.appendAsFollower(big), log.append(batchOf(1), { leaderEpoch: 9 })]);
  assert.equal(res.lastOffset, 19n);
  assert.equal(own.baseOffset, 20n, 'the queued leader append follows the follower append');
  assert.ok(log.segmentCount >= 3, `${log.segmentCount} segments`);
  for (const b of log.segmentBaseOffsets.slice(1)) assert.equal(b % 2n, 0n, 'segments start at batch boundaries');
  assert.equal((await readAll(log)).length, 21);
  const raw = await readRaw(log);
  assert.ok(batchesIn(raw).every((b: RecordBatch) => b.isValidCrc()));
  await log.close();
}));

test('a compacted leader\'s cleaned batches (fewer records than their offset range) replicate as they are', () => withDir(async (dir, root) => {
  const conf = cfg({ segmentBytes: 500, cleanupPolicy: ['compact'] });
  const leader = await PartitionLog.open(dir, conf);
  for (let round = 0; round < 6; round++) {
    await leader.append(buildBatch(['a', 'b', 'c', 'd'].map((k) => ({ key: k, value: `${k}${round}`, timestamp: 1000 })).concat(round % 2 ? [] : [{ key: `only${round}`, value: 'x', timestamp: 1000 }])), { leaderEpoch: round < 3 ? 1 : 2 });
  }
  const removed = (await leader.compact(1_000_000)).removedRecords;
  assert.ok(removed > 0, 'the leader compacted');
  const raw = await readRaw(leader);
  assert.ok(batchesIn(raw).some((b) => b.recordCount < b.lastOffsetDelta + 1), 'a cleaned batch keeps its offset range');
  const follower = await PartitionLog.open(join(root, 'f-0'), conf);
  for (let fetches = 0; follower.logEndOffset < leader.logEndOffset; fetches++) {
    assert.ok(fetches < 100, 'replication makes progress');
    await follower.appendAsFollower(await leader.read(follower.logEndOffset, 300));
  }
  assert.deepEqual(await readRaw(follower), raw);
  assert.deepEqual(await readAll(follower), await readAll(leader));
  await leader.close();
  await follower.close();
}));
