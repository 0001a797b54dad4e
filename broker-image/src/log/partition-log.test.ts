import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, readdir, readFile, open, unlink, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { ErrorCode, KafkaError } from '../protocol/errors.ts';
import { RecordBatch, scanBatches } from '../records/batch.ts';
import { buildBatch, decodeRecords } from '../records/record.ts';
import type { RecordInput } from '../records/record.ts';
import { defaultLogConfig, PartitionLog } from './partition-log.ts';
import type { LogConfig } from './partition-log.ts';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'tributary-log-'));
  try {
    await fn(join(root, 'topic-0'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const cfg = (over: Partial<LogConfig> = {}): LogConfig => ({ ...defaultLogConfig, fileDeleteDelayMs: 0, ...over });

const batchOf = (n: number, prefix = 'v', opts: { ts?: number; size?: number; compression?: number } = {}) =>
  buildBatch(Array.from({ length: n }, (_, i): RecordInput => ({
    key: `k${i}`, value: `${prefix}${i}`.padEnd(opts.size ?? 10, '.'), timestamp: opts.ts ?? 1_000,
  })), { compression: opts.compression });

/** Every record (offset, value) in a read result. */
function decodeAll(buf: Buffer): { offset: bigint; key: string | null; value: string | null }[] {
  const scan = scanBatches(buf);
  assert.equal(scan.truncated, false);
  return scan.batches.flatMap((b) => decodeRecords(b).map((r) => ({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null })));
}

async function readAll(log: PartitionLog, from = log.logStartOffset) {
  const out: { offset: bigint; key: string | null; value: string | null }[] = [];
  let next = from;
  while (next < log.logEndOffset) {
    const buf = await log.read(next, 1 << 20);
    assert.ok(buf.length > 0, `read at ${next} returned nothing`);
    const recs = decodeAll(buf);
    for (const r of recs) if (r.offset >= next) out.push(r);
    const bs = scanBatches(buf).batches;
    next = bs[bs.length - 1].nextOffset;
  }
  return out;
}

const code = (c: number) => (e: unknown) => e instanceof KafkaError && e.code === c;

test('append assigns offsets, patches leader epoch, and reads round-trip across segment rolls', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, cfg({ segmentBytes: 2000, indexIntervalBytes: 100 }));
  let expected = 0n;
  for (let i = 0; i < 40; i++) {
    const res = await log.append(batchOf(5, `b${i}-`), { leaderEpoch: 3 });
    assert.equal(res.baseOffset, expected);
    assert.equal(res.lastOffset, expected + 4n);
    assert.equal(res.recordCount, 5);
    assert.equal(res.logAppendTime, -1n);
    expected += 5n;
  }
  assert.equal(log.logEndOffset, 200n);
  assert.ok(log.segmentCount > 3, `rolled into ${log.segmentCount} segments`);
  const all = await readAll(log);
  assert.equal(all.length, 200);
  all.forEach((r, i) => assert.equal(r.offset, BigInt(i)));
  assert.equal(all[37].value!.startsWith('b7-2'), true);
  const first = new RecordBatch(await log.read(0n, 100));
  assert.equal(first.partitionLeaderEpoch, 3);
  assert.ok(first.isValidCrc());
  const names = await readdir(dir);
  assert.ok(names.includes('00000000000000000000.log'));
  assert.ok(names.some((n) => n.endsWith('.index')) && names.some((n) => n.endsWith('.timeindex')));
  await log.close();
}));

test('read from the middle of a batch returns that whole batch; maxBytes and maxOffset limit', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, cfg({ indexIntervalBytes: 50 }));
  const sizes: number[] = [];
  for (let i = 0; i < 10; i++) { const b = batchOf(10, `x${i}-`); sizes.push(b.length); await log.append(b); }
  const mid = await log.read(37n, 1);
  const batches = scanBatches(mid).batches;
  assert.equal(batches.length, 1, 'minOneMessage returns the first batch whole');
  assert.equal(batches[0].baseOffset, 30n);
  assert.equal(batches[0].lastOffset, 39n);
  assert.equal((await log.read(37n, 1, { minOneMessage: false })).length, 0);
  const two = await log.read(30n, sizes[3] + sizes[4] + 5);
  assert.equal(scanBatches(two).batches.length, 2);
  assert.equal(two.length, sizes[3] + sizes[4]);
  const capped = await log.read(0n, 1 << 20, { maxOffset: 50n });
  assert.equal(scanBatches(capped).batches.at(-1)!.lastOffset, 49n);
  assert.equal((await log.read(100n, 1000)).length, 0, 'reading at the log end offset is empty');
  await assert.rejects(log.read(101n, 1000), code(ErrorCode.OFFSET_OUT_OF_RANGE));
  await assert.rejects(log.read(-1n, 1000), code(ErrorCode.OFFSET_OUT_OF_RANGE));
  await log.close();
}));

test('offsetForTimestamp finds the first record at or after the timestamp', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, cfg({ segmentBytes: 1500, indexIntervalBytes: 64 }));
  for (let i = 0; i < 30; i++) {
    await log.append(buildBatch([{ key: 'a', value: 'x', timestamp: 10_000 + i * 10 }, { key: 'b', value: 'y', timestamp: 10_000 + i * 10 + 5 }]));
  }
  assert.ok(log.segmentCount > 1);
  assert.deepEqual(await log.offsetForTimestamp(10_000n), { offset: 0n, timestamp: 10_000n });
  assert.deepEqual(await log.offsetForTimestamp(10_103n), { offset: 21n, timestamp: 10_105n });
  assert.deepEqual(await log.offsetForTimestamp(10_110n), { offset: 22n, timestamp: 10_110n });
  assert.equal(await log.offsetForTimestamp(99_999n), null);
  await log.close();
}));

test('LogAppendTime sets the timestamp type and maxTimestamp with a valid CRC', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, cfg({ messageTimestampType: 'LogAppendTime' }));
  const res = await log.append(batchOf(3), { now: 555_000 });
  assert.equal(res.logAppendTime, 555_000n);
  const b = new RecordBatch(await log.read(0n, 1000));
  assert.ok(b.isLogAppendTime);
  assert.equal(b.maxTimestamp, 555_000n);
  assert.ok(b.isValidCrc());
  await log.close();
}));

test('close and reopen keeps data, offsets, indexes and the log start offset', () => withDir(async (dir) => {
  let log = await PartitionLog.open(dir, cfg({ segmentBytes: 3000, indexIntervalBytes: 100 }));
  for (let i = 0; i < 50; i++) await log.append(batchOf(4, `r${i}-`));
  await log.deleteRecordsBefore(10n);
  const before = await readAll(log);
  const segs = log.segmentCount;
  await log.close();
  assert.ok((await readdir(dir)).includes('.clean-shutdown'));
  log = await PartitionLog.open(dir, cfg({ segmentBytes: 3000, indexIntervalBytes: 100 }));
  assert.ok(!(await readdir(dir)).includes('.clean-shutdown'), 'marker removed on open');
  assert.equal(log.logEndOffset, 200n);
  assert.equal(log.logStartOffset, 10n);
  assert.equal(log.segmentCount, segs);
  assert.deepEqual(await readAll(log), before);
  const res = await log.append(batchOf(2));
  assert.equal(res.baseOffset, 200n);
  assert.deepEqual(await log.offsetForTimestamp(1000n), { offset: 10n, timestamp: 1000n });
  await log.close();
}));

test('crash recovery: torn tail truncated, garbage removed, indexes rebuilt, every complete batch kept', () => withDir(async (dir) => {
  const live = join(dir, '..', 'live');
  let log = await PartitionLog.open(live, cfg({ segmentBytes: 4000, indexIntervalBytes: 128 }));
  for (let i = 0; i < 60; i++) await log.append(batchOf(3, `c${i}-`));
  await log.flush();
  const lastBase = log.segmentBaseOffsets.at(-1)!;
  assert.ok(log.segmentCount >= 2);
  const expected = await readAll(log);
  // A crash: the files as they are while the log is open (no clean-shutdown marker).
  await cp(live, dir, { recursive: true });
  await log.close();
  // Simulate a crash: no close (no marker); append a torn batch and garbage to the active segment.
  const path = join(dir, `${lastBase.toString().padStart(20, '0')}.log`);
  const sizeBefore = (await stat(path)).size;
  const torn = batchOf(3, 'torn');
  const fh = await open(path, 'a');
  await fh.write(torn.subarray(0, torn.length - 7));
  await fh.close();
  for (const n of await readdir(dir)) if (n.endsWith('.index') || n.endsWith('.timeindex')) await unlink(join(dir, n));
  log = await PartitionLog.open(dir, cfg({ segmentBytes: 4000, indexIntervalBytes: 128 }));
  assert.equal((await stat(path)).size, sizeBefore, 'torn tail truncated');
  assert.equal(log.logEndOffset, 180n);
  assert.deepEqual(await readAll(log), expected);
  const names = await readdir(dir);
  assert.equal(names.filter((n) => n.endsWith('.index')).length, log.segmentCount, 'indexes rebuilt');
  assert.ok((await readFile(join(dir, `${lastBase.toString().padStart(20, '0')}.index`))).length > 0);
  // Garbage (not a batch) and a corrupt CRC at the tail are cut too.
  await log.append(batchOf(3, 'ok'));
  await log.flush();
  const good = (await stat(path)).size;
  await cp(dir, live, { recursive: true, force: true });
  await log.close();
  await rm(dir, { recursive: true });
  await cp(live, dir, { recursive: true });
  await rm(join(dir, '.clean-shutdown'), { force: true });
  const bad = batchOf(3, 'bad');
  bad[bad.length - 2] ^= 0x55;
  const fh2 = await open(path, 'a');
  await fh2.write(Buffer.concat([bad, Buffer.from('garbage garbage garbage garbage garbage garbage garbage garbage')]));
  await fh2.close();
  log = await PartitionLog.open(dir, cfg({ segmentBytes: 4000, indexIntervalBytes: 128 }));
  assert.equal((await stat(path)).size, good);
  assert.equal(log.logEndOffset, 183n);
  assert.equal((await readAll(log)).length, 183);
  await log.close();
}));

test('retention by time and by size deletes old segments only, never the active one', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, cfg({ segmentBytes: 1000, retentionMs: 60_000 }));
  for (let i = 0; i < 20; i++) await log.append(batchOf(3, 'old', { ts: 1_000 }), { now: 1_000 });
  for (let i = 0; i < 20; i++) await log.append(batchOf(3, 'new', { ts: 100_000 }), { now: 100_000 });
  const segsBefore = log.segmentCount;
  const res = await log.enforceRetention(110_000);
  assert.ok(res.deletedSegments > 0);
  assert.equal(log.segmentCount, segsBefore - res.deletedSegments);
  const remaining = await readAll(log);
  assert.ok(remaining.every((r) => r.value!.startsWith('new') || r.offset >= log.logStartOffset));
  assert.ok(log.logStartOffset >= 30n, 'old segments gone');
  assert.ok(remaining.filter((r) => r.value!.startsWith('old')).length < 30, 'at most one segment mixes old and new');
  assert.equal(log.logEndOffset, 120n);
  // Everything is expired but the active segment stays.
  await log.enforceRetention(10_000_000);
  assert.equal(log.segmentCount, 1);
  assert.equal(log.logEndOffset, 120n);
  await log.close();
  await rm(dir, { recursive: true });

  const log2 = await PartitionLog.open(dir, cfg({ segmentBytes: 1000, retentionMs: -1, retentionBytes: 2500 }));
  for (let i = 0; i < 40; i++) await log2.append(batchOf(3));
  const size = log2.sizeInBytes;
  const r2 = await log2.enforceRetention();
  assert.ok(r2.deletedSegments > 0);
  assert.ok(log2.sizeInBytes <= 2500 + 1000, `size ${log2.sizeInBytes} of ${size}`);
  assert.ok(log2.sizeInBytes >= 2500 - 1000);
  assert.equal(log2.logStartOffset, log2.segmentBaseOffsets[0]);
  await assert.rejects(log2.read(0n, 100), code(ErrorCode.OFFSET_OUT_OF_RANGE));
  await log2.close();
}));

test('deleteRecordsBefore raises the log start offset, persists it and drops whole segments below', () => withDir(async (dir) => {
  let log = await PartitionLog.open(dir, cfg({ segmentBytes: 1000 }));
  for (let i = 0; i < 30; i++) await log.append(batchOf(3));
  const segs = log.segmentCount;
  assert.equal(await log.deleteRecordsBefore(45n), 45n);
  assert.equal(log.logStartOffset, 45n);
  assert.ok(log.segmentCount < segs);
  assert.ok(log.segmentBaseOffsets[0] <= 45n);
  await assert.rejects(log.read(44n, 100), code(ErrorCode.OFFSET_OUT_OF_RANGE));
  const b = scanBatches(await log.read(45n, 100)).batches[0];
  assert.ok(b.baseOffset <= 45n && b.lastOffset >= 45n);
  assert.equal(await log.deleteRecordsBefore(10n), 45n, 'never goes backwards');
  await assert.rejects(log.deleteRecordsBefore(1000n), code(ErrorCode.OFFSET_OUT_OF_RANGE));
  assert.equal((await readFile(join(dir, 'log-start-offset'), 'utf8')).trim(), '45');
  await log.close();
  log = await PartitionLog.open(dir, cfg({ segmentBytes: 1000 }));
  assert.equal(log.logStartOffset, 45n);
  await log.close();
}));

test('compaction keeps the latest value per key, drops old tombstones, preserves offsets', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, cfg({ segmentBytes: 600, cleanupPolicy: ['compact'], deleteRetentionMs: 1000 }));
  const put = (key: string, value: string | null, ts: number, compression = 0) =>
    log.append(buildBatch([{ key, value, timestamp: ts }], { compression }), { now: ts });
  await assert.rejects(log.append(buildBatch([{ key: null, value: 'x' }])), code(ErrorCode.INVALID_RECORD));
  for (let round = 0; round < 5; round++) {
    for (const k of ['a', 'b', 'c']) await put(k, `${k}${round}`, 1000 + round, round % 2 ? 1 : 0);
  }
  await put('c', null, 2000); // tombstone
  // A batch with several records where only some survive (re-encoded with its codec).
  await log.append(buildBatch([{ key: 'd', value: 'd0', timestamp: 2001 }, { key: 'e', value: 'e0', timestamp: 2001 }], { compression: 4 }));
  await log.append(buildBatch([{ key: 'd', value: 'd1', timestamp: 2002 }], {}));
  for (let i = 0; i < 10; i++) await put('z', `filler${i}`, 2003);
  const leo = log.logEndOffset;
  const res = await log.compact(2500);
  assert.ok(res.cleanedSegments > 0);
  assert.ok(res.removedRecords > 0);
  assert.equal(log.logEndOffset, leo);
  const recs = await readAll(log);
  const byKey = new Map<string, { offset: bigint; value: string | null }[]>();
  for (const r of recs) byKey.set(r.key!, [...(byKey.get(r.key!) ?? []), { offset: r.offset, value: r.value }]);
  assert.deepEqual(byKey.get('a'), [{ offset: 12n, value: 'a4' }]);
  assert.deepEqual(byKey.get('b'), [{ offset: 13n, value: 'b4' }]);
  assert.deepEqual(byKey.get('c'), [{ offset: 15n, value: null }], 'tombstone kept within delete.retention.ms');
  assert.deepEqual(byKey.get('e'), [{ offset: 17n, value: 'e0' }]);
  assert.deepEqual(byKey.get('d'), [{ offset: 18n, value: 'd1' }]);
  // Offsets strictly increase with gaps.
  for (let i = 1; i < recs.length; i++) assert.ok(recs[i].offset > recs[i - 1].offset);
  // The first cleaning stamped the tombstone's batch with a delete horizon (KIP-534); its record keeps its timestamp.
  const tomb = scanBatches(await log.read(15n, 1)).batches[0];
  assert.ok(tomb.hasDeleteHorizon);
  assert.equal(tomb.baseTimestamp, 3500n);
  assert.equal(decodeRecords(tomb).find((r) => r.offset === 15n)!.timestamp, 2000n);
  await log.compact(3000);
  assert.ok((await readAll(log)).some((r) => r.key === 'c'), 'kept until the horizon');
  // Later, the tombstone is past its delete horizon and goes.
  await log.compact(10_000);
  const after = await readAll(log);
  assert.equal(after.find((r) => r.key === 'c'), undefined);
  assert.equal(after.find((r) => r.key === 'a')!.value, 'a4');
  // The compacted data survives a restart.
  await log.close();
  const re = await PartitionLog.open(dir, cfg({ segmentBytes: 600, cleanupPolicy: ['compact'] }));
  assert.deepEqual(await readAll(re), after);
  assert.equal((await readdir(dir)).filter((n) => /\.(cleaned|swap|deleted)$/.test(n)).length, 0);
  await re.close();
}));

test('bad input is rejected with the right KafkaError and leaves the log unchanged', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, cfg({ maxMessageBytes: 2000 }));
  await log.append(batchOf(2));
  const size = log.sizeInBytes;
  const good = batchOf(3);
  const badCrc = Buffer.from(good); badCrc[70] ^= 1;
  const magic1 = Buffer.from(good); magic1.writeInt8(1, 16);
  const mism = Buffer.from(good); mism.writeInt32BE(7, 23); mism.writeUInt32BE(crc32c(mism.subarray(21)) >>> 0, 17);
  const cases: [Buffer, number][] = [
    [badCrc, ErrorCode.CORRUPT_MESSAGE],
    [magic1, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT],
    [good.subarray(0, good.length - 1), ErrorCode.CORRUPT_MESSAGE],
    [Buffer.concat([good, badCrc]), ErrorCode.CORRUPT_MESSAGE],
    [batchOf(100, 'big', { size: 50 }), ErrorCode.MESSAGE_TOO_LARGE],
    [mism, ErrorCode.INVALID_RECORD],
  ];
  for (const [buf, c] of cases) await assert.rejects(log.append(buf), code(c));
  assert.equal(log.logEndOffset, 2n);
  assert.equal(log.sizeInBytes, size);
  assert.equal((await readAll(log)).length, 2);
  assert.equal((await log.append(good)).baseOffset, 2n);
  await log.close();
}));

test('concurrent appends are serialized with contiguous offsets; multi-batch requests work', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, cfg({ segmentBytes: 5000 }));
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(Buffer.concat([batchOf(2, `p${i}`), batchOf(3, `q${i}`)]))));
  const sorted = results.map((r) => r.baseOffset).sort((a, b) => (a < b ? -1 : 1));
  sorted.forEach((o, i) => assert.equal(o, BigInt(i * 5)));
  assert.ok(results.every((r) => r.lastOffset === r.baseOffset + 4n && r.recordCount === 5));
  assert.equal(log.logEndOffset, 250n);
  assert.equal((await readAll(log)).length, 250);
  await log.close();
}));

test('delete removes the directory', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, cfg());
  await log.append(batchOf(1));
  await log.delete();
  await assert.rejects(stat(dir));
}));

test('flush.messages fsyncs after that many records', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, cfg({ flushMessages: 5 }));
  const seg = (log as unknown as { segments: { sync(): Promise<void> }[] }).segments[0];
  let syncs = 0;
  const orig = seg.sync.bind(seg);
  seg.sync = async () => { syncs++; await orig(); };
  await log.append(batchOf(3));
  assert.equal(syncs, 0);
  await log.append(batchOf(3));
  assert.equal(syncs, 1);
  await log.close();
}));

test('unclean start re-scans segments past the recovery point; corruption mid-log drops what follows', () => withDir(async (dir) => {
  const live = join(dir, '..', 'live2');
  const log = await PartitionLog.open(live, cfg({ segmentBytes: 1000 }));
  for (let i = 0; i < 30; i++) await log.append(batchOf(3));
  await log.flush();
  const bases = log.segmentBaseOffsets;
  assert.ok(bases.length >= 3);
  assert.equal((await readFile(join(live, 'recovery-point'), 'utf8')).trim(), String(bases.at(-1)));
  await cp(live, dir, { recursive: true });
  await log.close();
  // Without a recovery point every segment is re-scanned: a corrupt batch in the second segment
  // truncates it there and the later segments go (their offsets would no longer follow on).
  await unlink(join(dir, 'recovery-point'));
  const second = join(dir, `${bases[1].toString().padStart(20, '0')}.log`);
  const fh = await open(second, 'r+');
  const { size } = await fh.stat();
  const pos = size - 40;
  await fh.write(Buffer.from('xxxx'), 0, 4, pos);
  await fh.close();
  const re = await PartitionLog.open(dir, cfg({ segmentBytes: 1000 }));
  assert.equal(re.segmentCount, 2);
  assert.ok((await stat(second)).size < size);
  const recs = await readAll(re);
  assert.equal(BigInt(recs.length), re.logEndOffset);
  assert.ok(re.logEndOffset < bases[2]);
  assert.equal((await re.append(batchOf(1))).baseOffset, re.logEndOffset - 1n);
  await re.close();
}));

test('reads racing appends, rolls and retention always see whole, valid batches', () => withDir(async (dir) => {
  const log = await PartitionLog.open(dir, cfg({ segmentBytes: 3000, indexIntervalBytes: 200, retentionBytes: 9000, retentionMs: -1, fileDeleteDelayMs: 50 }));
  let done = false;
  const writer = (async () => {
    for (let i = 0; i < 300; i++) {
      await log.append(batchOf(1 + (i % 5), `w${i}-`));
      if (i % 40 === 0) await log.enforceRetention();
    }
    done = true;
  })();
  let reads = 0;
  const reader = async () => {
    while (!done) {
      const start = log.logStartOffset;
      const end = log.logEndOffset;
      const at = start + (end > start ? BigInt(Math.floor(Math.random() * Number(end - start))) : 0n);
      let buf: Buffer;
      try {
        buf = await log.read(at, 700);
      } catch (e) {
        // Retention may move the start past `at` between the snapshot and the read.
        assert.ok(e instanceof KafkaError && e.code === ErrorCode.OFFSET_OUT_OF_RANGE);
        continue;
      }
      const scan = scanBatches(buf);
      assert.equal(scan.truncated, false);
      assert.equal(scan.validBytes, buf.length);
      if (at < end) {
        assert.ok(scan.batches.length > 0);
        assert.ok(scan.batches[0].lastOffset >= at && scan.batches[0].baseOffset <= at || scan.batches[0].baseOffset >= at);
      }
      for (const b of scan.batches) assert.ok(b.isValidCrc());
      reads++;
      await new Promise((r) => setImmediate(r));
    }
  };
  await Promise.all([writer, reader(), reader()]);
  assert.ok(reads > 10);
  assert.ok(log.logStartOffset > 0n, 'retention ran');
  await log.close();
}));
