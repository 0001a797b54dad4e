import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, rename, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode } from '../protocol/errors.ts';
import { scanBatches } from '../records/batch.ts';
import { buildBatch } from '../records/record.ts';
import { PartitionLog } from './partition-log.ts';
import type { LogConfig } from './partition-log.ts';
import { batchesIn, batchOf, cfg, code, readAll, readRaw, withDir } from './test-helpers.ts';

/** 40 batches of 5 records (offsets 0..199), epochs 1 (batches 0-19), 2 (20-29), 3 (30-39). */
async function fill(log: PartitionLog): Promise<void> {
  for (let i = 0; i < 40; i++) await log.append(batchOf(5, `r${i}-`, { ts: 10_000 + i }), { leaderEpoch: i < 20 ? 1 : i < 30 ? 2 : 3 });
}

const conf = (over: Partial<LogConfig> = {}) => cfg({ segmentBytes: 2000, indexIntervalBytes: 150, ...over });
const offsets = async (log: PartitionLog) => (await readAll(log)).map((r) => Number(r.offset));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const logFiles = async (dir: string) => (await readdir(dir)).filter((n) => n.endsWith('.log')).sort();

test('truncateTo a batch boundary inside the active segment', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, conf());
  await fill(log);
  const segs = log.segmentBaseOffsets;
  const activeBase = Number(segs.at(-1)!);
  const target = BigInt(activeBase + 10 - (activeBase % 5)); // a batch boundary past the active segment's first batch
  assert.ok(target > BigInt(activeBase) && target < 200n);
  await log.truncateTo(target);
  assert.equal(log.logEndOffset, target);
  assert.deepEqual(log.segmentBaseOffsets, segs, 'no segment removed');
  assert.deepEqual(await offsets(log), range(0, Number(target)));
  assert.deepEqual(log.epochs.all, [{ epoch: 1, startOffset: 0n }, { epoch: 2, startOffset: 100n }, { epoch: 3, startOffset: 150n }].filter((e) => e.startOffset < target));
  const res = await log.append(batchOf(2), { leaderEpoch: 7 });
  assert.equal(res.baseOffset, target, 'appends continue at the new end');
  assert.equal(log.epochs.latestEpoch, 7);
  await log.close();
}));

test('truncateTo inside an older segment: later segments deleted, the cut one becomes active, indexes trimmed', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, conf());
  await fill(log);
  const segs = log.segmentBaseOffsets;
  assert.ok(segs.length >= 4, `${segs.length} segments`);
  // Mid-batch, two segments back: the batch holding it goes too.
  const base = segs[segs.length - 3];
  const target = base + 7n;
  await log.truncateTo(target);
  const end = base + 5n; // base is a batch boundary; the batch [base+5, base+9] held the target
  assert.equal(log.logEndOffset, end);
  assert.deepEqual(log.segmentBaseOffsets, segs.slice(0, -2));
  assert.deepEqual(await offsets(log), range(0, Number(end)));
  assert.equal((await log.read(end, 1000)).length, 0);
  await assert.rejects(log.read(end + 1n, 1000), code(ErrorCode.OFFSET_OUT_OF_RANGE));
  // The time index forgot the removed batches: their timestamps are not found any more.
  const lastTs = 10_000 + Number(end) / 5 - 1;
  assert.deepEqual(await log.offsetForTimestamp(BigInt(lastTs)), { offset: end - 5n, timestamp: BigInt(lastTs) });
  assert.equal(await log.offsetForTimestamp(BigInt(lastTs + 1)), null);
  await new Promise((r) => setTimeout(r, 20)); // file.delete.delay.ms is 0 here
  assert.deepEqual(await logFiles(dir), segs.slice(0, -2).map((b) => `${String(b).padStart(20, '0')}.log`));
  // The cut segment takes appends and rolls again.
  for (let i = 0; i < 30; i++) await log.append(batchOf(5, `n${i}-`), { leaderEpoch: 4 });
  assert.equal(log.logEndOffset, end + 150n);
  assert.ok(log.segmentCount > segs.length - 2);
  const recs = await readAll(log);
  assert.deepEqual(recs.map((r) => Number(r.offset)), range(0, Number(end) + 150));
  assert.equal(recs[Number(end)].value, 'n0-0'.padEnd(10, '.'));
  const before = await readRaw(log);
  await log.close();
  for (const clean of [true, false]) {
    if (!clean) await unlink(join(dir, '.clean-shutdown'));
    const again = await PartitionLog.open(dir, conf());
    assert.equal(again.logEndOffset, end + 150n, clean ? 'clean' : 'unclean');
    assert.deepEqual(await readRaw(again), before);
    assert.deepEqual(again.epochs.all, [...[[1, 0n], [2, 100n], [3, 150n]].filter(([, start]) => (start as bigint) < end), [4, end]].map(([epoch, startOffset]) => ({ epoch, startOffset })));
    await again.close();
  }
}));

test('truncateTo at or beyond the log end changes nothing', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, conf());
  await fill(log);
  const raw = await readRaw(log);
  const epochs = log.epochs.all;
  await log.truncateTo(200n);
  await log.truncateTo(5000n);
  assert.equal(log.logEndOffset, 200n);
  assert.deepEqual(await readRaw(log), raw);
  assert.deepEqual(log.epochs.all, epochs);
  await assert.rejects(log.truncateTo(-1n), code(ErrorCode.OFFSET_OUT_OF_RANGE));
  await log.close();
}));

test('truncateTo the log start inside a batch empties the log; the leader\'s whole batch then restarts it there', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, conf());
  await fill(log);
  await log.deleteRecordsBefore(42n);
  await log.truncateTo(42n);
  assert.equal(log.logStartOffset, 42n);
  assert.equal(log.logEndOffset, 42n, 'the batch holding 42 (40..44) went: nothing from the start on is left');
  assert.equal((await log.read(42n, 1000)).length, 0);
  assert.deepEqual(log.epochs.all, []);
  // The leader's log starts at 42 too, inside its batch 40..44: the follower takes it whole (as Kafka).
  const leaderBatch = buildBatch(Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: 'x' })), { baseOffset: 40n, partitionLeaderEpoch: 6 });
  await log.appendAsFollower(leaderBatch);
  assert.equal(log.logStartOffset, 40n);
  assert.equal(log.logEndOffset, 45n);
  assert.deepEqual(log.segmentBaseOffsets, [40n]);
  assert.deepEqual(log.epochs.all, [{ epoch: 6, startOffset: 40n }]);
  // Not when the log holds something: that is an overlap.
  await assert.rejects(log.appendAsFollower(buildBatch([{ key: 'a', value: 'b' }, { key: 'a', value: 'c' }], { baseOffset: 44n })), code(ErrorCode.OFFSET_OUT_OF_RANGE));
  await log.close();
}));

test('truncateTo below the log start empties the log and starts it there (truncateFullyAndStartAt)', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, conf());
  await fill(log);
  await log.deleteRecordsBefore(120n);
  await log.truncateTo(60n);
  assert.equal(log.logStartOffset, 60n);
  assert.equal(log.logEndOffset, 60n);
  assert.equal(log.segmentCount, 1);
  assert.deepEqual(log.epochs.all, []);
  const res = await log.append(batchOf(3), { leaderEpoch: 5 });
  assert.equal(res.baseOffset, 60n);
  assert.deepEqual(log.epochs.all, [{ epoch: 5, startOffset: 60n }]);
  await log.close();
  const again = await PartitionLog.open(dir, conf());
  assert.equal(again.logStartOffset, 60n);
  assert.equal(again.logEndOffset, 63n);
  assert.deepEqual(again.epochs.all, [{ epoch: 5, startOffset: 60n }]);
  await again.close();
}));

test('truncateFullyAndStartAt moves the log anywhere, ahead of its end too', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, conf());
  await fill(log);
  await log.truncateFullyAndStartAt(1000n);
  assert.equal(log.logStartOffset, 1000n);
  assert.equal(log.logEndOffset, 1000n);
  assert.deepEqual(log.segmentBaseOffsets, [1000n]);
  await assert.rejects(log.read(999n, 100), code(ErrorCode.OFFSET_OUT_OF_RANGE));
  const leaderBatch = buildBatch([{ key: 'a', value: 'b' }], { baseOffset: 1000n, partitionLeaderEpoch: 8 });
  await log.appendAsFollower(leaderBatch);
  assert.equal(log.logEndOffset, 1001n);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(await logFiles(dir), ['00000000000000001000.log']);
  assert.equal(await readFile(join(dir, 'leader-epoch-checkpoint'), 'utf8'), '0\n1\n8 1000\n');
  await log.close();
  const again = await PartitionLog.open(dir, conf());
  assert.equal(again.logStartOffset, 1000n);
  assert.equal(again.logEndOffset, 1001n);
  await again.close();
}));

test('reads racing truncations and new appends never throw and return only whole, valid batches', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, conf({ segmentBytes: 1500 }));
  await fill(log);
  let reads = 0;
  let stop = false;
  const reader = async () => {
    while (!stop) {
      const end = log.logEndOffset;
      const from = BigInt(Math.floor(Math.random() * Number(end)));
      let buf: Buffer;
      try {
        buf = await log.read(from, 1 + Math.floor(Math.random() * 3000));
      } catch (err) {
        // Asked past an end that has just moved down.
        assert.ok(code(ErrorCode.OFFSET_OUT_OF_RANGE)(err), String(err));
        continue;
      }
      const scan = scanBatches(buf);
      assert.equal(scan.error, undefined);
      for (const b of scan.batches) assert.ok(b.isValidCrc(), `batch at ${b.baseOffset}`);
      const found = await log.offsetForTimestamp(10_000n + BigInt(Math.floor(Math.random() * 40)));
      if (found) assert.ok(found.offset >= 0n);
      reads++;
    }
  };
  const readers = [reader(), reader(), reader()];
  for (let round = 0; round < 15; round++) {
    const to = 20n + BigInt(Math.floor(Math.random() * Number(log.logEndOffset - 20n)));
    await log.truncateTo(to);
    for (let i = 0; i < 8; i++) await log.append(batchOf(5, `t${round}-${i}-`), { leaderEpoch: 10 + round });
  }
  stop = true;
  await Promise.all(readers);
  assert.ok(reads > 0);
  const recs = await readAll(log);
  assert.deepEqual(recs.map((r) => Number(r.offset)), range(0, Number(log.logEndOffset)));
  await log.close();
}));

// ---------------------------------------------------------------- crash part-way

/** A closed log of 200 records in several segments, then `damage` applied to its directory as a crash would leave it. */
async function crashed(dir: string, damage: (segs: bigint[]) => Promise<void>): Promise<PartitionLog> {
  const log = await PartitionLog.open(dir, conf());
  await fill(log);
  const segs = log.segmentBaseOffsets;
  await log.close();
  await unlink(join(dir, '.clean-shutdown'));
  await damage(segs);
  return PartitionLog.open(dir, conf());
}

const name = (base: bigint, ext: string) => `${String(base).padStart(20, '0')}.${ext}`;

test('crash after the newest segments were retired: a prefix of the log, epochs trimmed to it', () => withDir(async (dir) => {
  let kept = 0n;
  const log = await crashed(dir, async (segs) => {
    for (const s of segs.slice(-2)) for (const ext of ['log', 'index', 'timeindex']) await rename(join(dir, name(s, ext)), join(dir, name(s, ext) + '.deleted'));
    kept = segs.at(-2)!;
  });
  assert.equal(log.logEndOffset, kept);
  assert.deepEqual(await offsets(log), range(0, Number(kept)));
  assert.ok(log.epochs.all.every((e) => e.startOffset < kept));
  assert.ok(!(await readdir(dir)).some((n) => n.endsWith('.deleted')));
  await log.close();
}));

test('crash after the cut, before the indexes were rewritten: stale entries are caught and rebuilt', () => withDir(async (dir) => {
  let cutEnd = 0n;
  const log = await crashed(dir, async (segs) => {
    const victim = segs.at(-2)!;
    for (const s of segs.slice(-1)) for (const ext of ['log', 'index', 'timeindex']) await unlink(join(dir, name(s, ext)));
    // Cut the segment after its third batch; its index still names positions past the cut.
    const data = await readFile(join(dir, name(victim, 'log')));
    const bs = batchesIn(data);
    await truncate(join(dir, name(victim, 'log')), bs[3].position);
    cutEnd = bs[3].baseOffset;
  });
  assert.equal(log.logEndOffset, cutEnd);
  assert.deepEqual(await offsets(log), range(0, Number(cutEnd)));
  await log.append(batchOf(1));
  assert.equal(log.logEndOffset, cutEnd + 1n);
  await log.close();
}));

test('crash in truncateFullyAndStartAt (epoch checkpoint gone, segments retired): opens empty; a stale checkpoint is trimmed', () => withDir(async (dir, root) => {
  const log = await crashed(dir, async (segs) => {
    await unlink(join(dir, 'leader-epoch-checkpoint'));
    for (const s of segs) for (const ext of ['log', 'index', 'timeindex']) await rename(join(dir, name(s, ext)), join(dir, name(s, ext) + '.deleted'));
  });
  assert.equal(log.logEndOffset, 0n);
  assert.deepEqual(log.epochs.all, []);
  await log.close();
  // A checkpoint naming epochs past the log (written before a log write that was lost).
  const other = join(root, 'other-0');
  const second = await PartitionLog.open(other, conf());
  await second.append(batchOf(2), { leaderEpoch: 1 });
  await second.close();
  await writeFile(join(other, 'leader-epoch-checkpoint'), '0\n3\n1 0\n2 2\n3 9\n');
  const reopened = await PartitionLog.open(other, conf());
  assert.deepEqual(reopened.epochs.all, [{ epoch: 1, startOffset: 0n }]);
  await reopened.close();
}));

test('a compaction under way gives way to a truncation queued behind it, and runs whole next time', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, conf({ segmentBytes: 500, cleanupPolicy: ['compact'] }));
  for (let round = 0; round < 8; round++) {
    for (const k of ['a', 'b', 'c', 'd', 'e']) await log.append(buildBatch([{ key: k, value: `${k}${round}`.padEnd(50, '.'), timestamp: 1000 }]), { leaderEpoch: 1 });
  }
  assert.ok(log.segmentCount > 3);
  const compaction = log.compact(1_000_000);
  const truncation = log.truncateTo(35n);
  assert.deepEqual(await compaction, { cleanedSegments: 0, removedRecords: 0 });
  await truncation;
  assert.equal(log.logEndOffset, 35n);
  assert.ok(!(await readdir(dir)).some((n) => n.endsWith('.cleaned')));
  const cleaned = await log.compact(1_000_000);
  assert.ok(cleaned.cleanedSegments > 0 && cleaned.removedRecords > 0, JSON.stringify(cleaned));
  const values = (await readAll(log)).map((r) => r.value!.replace(/\.+$/, ''));
  assert.ok(['a6', 'b6', 'c6', 'd6', 'e6'].every((v) => values.includes(v)) && !values.includes('a0'), `values: ${values}`);
  await log.close();
}));
