import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBatch } from '../records/record.ts';
import { PartitionLog } from './partition-log.ts';
import { batchOf, cfg, withDir } from './test-helpers.ts';

const checkpoint = (dir: string) => readFile(join(dir, 'leader-epoch-checkpoint'), 'utf8');

test('leader appends record their epoch where it starts; a client\'s own epoch field is not taken', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, cfg());
  assert.equal(await checkpoint(dir), '0\n0\n', 'a new log has an empty history on disk');
  await log.append(buildBatch([{ key: 'a', value: 'b' }], { partitionLeaderEpoch: 40 }));
  assert.equal(log.epochs.latestEpoch, -1, 'no leader epoch given: nothing known');
  await log.append(batchOf(3), { leaderEpoch: 2 });
  await log.append(batchOf(3), { leaderEpoch: 2 });
  await log.append(batchOf(3), { leaderEpoch: 5 });
  assert.deepEqual(log.epochs.all, [{ epoch: 2, startOffset: 1n }, { epoch: 5, startOffset: 7n }]);
  assert.equal(await checkpoint(dir), '0\n2\n2 1\n5 7\n', 'on disk before the append returned');
  // Becoming leader at the log end, then appending in that epoch.
  log.epochs.assign(6, log.logEndOffset);
  await log.append(batchOf(1), { leaderEpoch: 6 });
  assert.deepEqual(log.epochs.endOffsetFor(5), { epoch: 5, endOffset: 10n });
  assert.deepEqual(log.epochs.endOffsetFor(6), { epoch: 6, endOffset: 11n });
  assert.equal(await checkpoint(dir), '0\n3\n2 1\n5 7\n6 10\n');
  await log.close();
}));

test('a log without a checkpoint (written before it existed) gets one rebuilt from its batch headers', () => withDir(async (dir) => {
  const conf = cfg({ segmentBytes: 700 });
  const log = await PartitionLog.open(dir, conf);
  for (let i = 0; i < 30; i++) await log.append(batchOf(2, `e${i}-`), { leaderEpoch: Math.floor(i / 7) });
  await log.deleteRecordsBefore(9n);
  const expected = log.epochs.all;
  // Epoch 0 held offsets 0..13; the log now starts inside it.
  assert.deepEqual(expected, [[0, 9n], [1, 14n], [2, 28n], [3, 42n], [4, 56n]].map(([epoch, startOffset]) => ({ epoch, startOffset })));
  assert.ok(log.segmentCount > 3);
  await log.close();
  for (const damage of ['missing', 'garbage']) {
    if (damage === 'missing') await unlink(join(dir, 'leader-epoch-checkpoint'));
    else await writeFile(join(dir, 'leader-epoch-checkpoint'), 'not a checkpoint');
    const again = await PartitionLog.open(dir, conf);
    // Batches below the log start are still in the first segment: the history is trimmed to the start.
    assert.deepEqual(again.epochs.all, expected, damage);
    assert.equal(await checkpoint(dir), '0\n5\n0 9\n1 14\n2 28\n3 42\n4 56\n');
    await again.close();
  }
}));

test('retention moves the first epoch\'s start with the log start', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, cfg({ segmentBytes: 500, retentionBytes: 600 }));
  for (let i = 0; i < 20; i++) await log.append(batchOf(2), { leaderEpoch: i < 10 ? 1 : 2 });
  await log.enforceRetention();
  const start = log.logStartOffset;
  assert.ok(start > 0n);
  assert.deepEqual(log.epochs.all[0], { epoch: start >= 20n ? 2 : 1, startOffset: start });
  assert.equal(log.epochs.all.at(-1)!.epoch, 2);
  await log.close();
}));
