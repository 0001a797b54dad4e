import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../protocol/errors.ts';
import { buildBatch } from '../records/record.ts';
import { PartitionLog } from './partition-log.ts';
import { batchOf, cfg, code, readAll, withDir } from './test-helpers.ts';

test('retention never deletes a segment that reaches the high watermark', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, cfg({ segmentBytes: 400, retentionMs: 1000 }));
  for (let i = 0; i < 20; i++) await log.append(batchOf(3, `r${i}-`, { ts: 1000 }));
  const segs = log.segmentBaseOffsets;
  assert.ok(segs.length >= 5, `${segs.length} segments`);
  let hw = segs[2] + 1n; // inside the third segment
  log.setHighWatermarkGuard(() => hw);
  const now = 1_000_000; // every segment is past retention
  assert.deepEqual(await log.enforceRetention(now), { deletedSegments: 2 });
  assert.equal(log.logStartOffset, segs[2]);
  hw = segs[3]; // exactly the end of the third segment: it may go now
  assert.deepEqual(await log.enforceRetention(now), { deletedSegments: 1 });
  assert.equal(log.logStartOffset, segs[3]);
  // By size too.
  log.updateConfig(cfg({ segmentBytes: 400, retentionMs: -1, retentionBytes: 0 }));
  assert.deepEqual(await log.enforceRetention(now), { deletedSegments: 0 });
  log.setHighWatermarkGuard(null); // no guard: today's behaviour, every closed segment may go
  assert.ok((await log.enforceRetention(now)).deletedSegments > 0);
  assert.equal(log.segmentCount, 1);
  await log.close();
}));

test('DeleteRecords stops at the high watermark; -1 means the high watermark', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, cfg());
  for (let i = 0; i < 10; i++) await log.append(batchOf(2), { leaderEpoch: 1 });
  log.setHighWatermarkGuard(() => 12n);
  await assert.rejects(log.deleteRecordsBefore(13n), code(ErrorCode.OFFSET_OUT_OF_RANGE));
  assert.equal(await log.deleteRecordsBefore(5n), 5n);
  assert.equal(await log.deleteRecordsBefore(-1n), 12n);
  assert.deepEqual(log.epochs.all, [{ epoch: 1, startOffset: 12n }], 'the epoch cache follows the log start');
  log.setHighWatermarkGuard(null);
  assert.equal(await log.deleteRecordsBefore(-1n), 20n);
  await log.close();
}));

test('compaction cleans only segments below the high watermark, and only records below it supersede', () => withDir(async (dir) => {
  const conf = cfg({ segmentBytes: 400, cleanupPolicy: ['compact'] });
  const log = await PartitionLog.open(dir, conf);
  const put = (key: string, value: string) => log.append(buildBatch([{ key, value, timestamp: 1000 }]));
  // Offsets 0..11: a, b, c rewritten four times.
  for (let round = 0; round < 4; round++) for (const k of ['a', 'b', 'c']) await put(k, `${k}${round}`.padEnd(60, '.'));
  const segs = log.segmentBaseOffsets;
  assert.ok(segs.length >= 4, `${segs.length} segments`);
  // The high watermark sits before the last round: its values may still be truncated away,
  // so round 2 must survive as the latest committed value of each key.
  log.setHighWatermarkGuard(() => 9n);
  await log.compact(1_000_000);
  const after = await readAll(log);
  const committed = after.filter((r) => r.offset < 9n).map((r) => r.value!.replace(/\.+$/, ''));
  assert.ok(['a2', 'b2', 'c2'].every((v) => committed.includes(v)), `committed survivors: ${committed}`);
  assert.ok(!committed.includes('a0') && !committed.includes('a1'), 'older committed values were cleaned');
  assert.deepEqual(after.filter((r) => r.offset >= 9n).map((r) => Number(r.offset)), [9, 10, 11], 'nothing above the watermark touched');
  // Once the watermark moves past the last round, round 2 goes as well.
  log.setHighWatermarkGuard(() => 12n);
  await log.compact(1_000_000);
  const values = (await readAll(log)).map((r) => r.value!.replace(/\.+$/, ''));
  assert.ok(!values.includes('a2'), `values: ${values}`);
  assert.ok(['a3', 'b3', 'c3'].every((v) => values.includes(v)));
  await log.close();
}));
