// The cases of Kafka's LeaderEpochFileCacheTest, against our cache and its file.
// Two differ on purpose: assign() ignores an epoch that is not newer than the latest (the
// brief for issue 7), where Kafka rewrites the history behind it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeaderEpochCache } from './leader-epoch-cache.ts';

const entry = (epoch: number, startOffset: number) => ({ epoch, startOffset: BigInt(startOffset) });
const at = (epoch: number, endOffset: number) => ({ epoch, endOffset: BigInt(endOffset) });
const UNDEFINED = at(-1, -1);

async function withCache(fn: (cache: LeaderEpochCache, setEnd: (n: number) => void, dir: string) => Promise<void> | void): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-epochs-'));
  let end = 0n;
  try {
    const cache = new LeaderEpochCache(dir, () => end);
    await fn(cache, (n) => { end = BigInt(n); }, dir);
    await cache.flushed();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('previous epoch', () => withCache((c) => {
  assert.equal(c.previousEpoch, -1);
  c.assign(2, 10n);
  assert.equal(c.previousEpoch, -1);
  c.assign(4, 15n);
  assert.equal(c.previousEpoch, 2);
  c.assign(10, 20n);
  assert.equal(c.previousEpoch, 4);
  c.truncateFromEnd(18n);
  assert.equal(c.previousEpoch, 2);
}));

test('adds an epoch and its start offset; the latest epoch ends at the log end', () => withCache((c, setEnd) => {
  c.assign(2, 10n);
  setEnd(11);
  assert.equal(c.latestEpoch, 2);
  assert.deepEqual(c.all, [entry(2, 10)]);
  assert.deepEqual(c.endOffsetFor(2), at(2, 11));
}));

test('log end offset when the latest epoch is requested', () => withCache((c, setEnd) => {
  c.assign(2, 11n);
  c.assign(2, 12n);
  setEnd(14);
  assert.deepEqual(c.endOffsetFor(2), at(2, 14));
}));

test('undefined epoch requested: undefined answer', () => withCache((c) => {
  c.assign(2, 11n);
  c.assign(3, 12n);
  assert.deepEqual(c.endOffsetFor(-1), UNDEFINED);
}));

test('the start offset of an epoch is not overwritten once assigned', () => withCache((c) => {
  c.assign(2, 9n);
  c.assign(2, 10n);
  assert.deepEqual(c.all, [entry(2, 9)]);
  c.assign(2, 6n); // an earlier start for the same epoch is not taken either
  assert.deepEqual(c.all, [entry(2, 9)]);
}));

test('start offsets increase monotonically: a newer epoch at the same or an earlier offset replaces', () => withCache((c) => {
  c.assign(2, 9n);
  c.assign(3, 9n);
  assert.deepEqual(c.all, [entry(3, 9)]);
  c.assign(4, 5n);
  assert.deepEqual(c.all, [entry(4, 5)]);
}));

test('empty cache: undefined answers', () => withCache((c) => {
  assert.deepEqual(c.endOffsetFor(0), UNDEFINED);
  assert.deepEqual(c.endOffsetFor(-1), UNDEFINED);
  assert.deepEqual(c.endOffsetFor(7), UNDEFINED);
  assert.equal(c.latestEpoch, -1);
}));

test('a requested epoch before the first entry answers itself with the first start offset', () => withCache((c) => {
  c.assign(5, 11n);
  c.assign(6, 12n);
  c.assign(7, 13n);
  assert.deepEqual(c.endOffsetFor(4), at(4, 11));
}));

test('same epoch with an earlier start offset is ignored (Kafka would truncate to it)', () => withCache((c) => {
  c.assign(5, 11n);
  c.assign(6, 12n);
  c.assign(7, 13n);
  c.assign(7, 12n);
  assert.deepEqual(c.all, [entry(5, 11), entry(6, 12), entry(7, 13)]);
  assert.deepEqual(c.endOffsetFor(5), at(5, 12));
  assert.deepEqual(c.endOffsetFor(6), at(6, 13));
}));

test('a previous epoch ends where the next one starts', () => withCache((c, setEnd) => {
  c.assign(1, 11n);
  c.assign(1, 12n);
  c.assign(2, 13n);
  c.assign(2, 14n);
  c.assign(3, 15n);
  c.assign(3, 16n);
  setEnd(17);
  assert.deepEqual(c.endOffsetFor(2), at(2, 15));
}));

test('an epoch not in the cache answers the largest epoch below it', () => withCache((c) => {
  c.assign(0, 10n);
  c.assign(2, 13n);
  c.assign(4, 17n);
  assert.deepEqual(c.endOffsetFor(1), at(0, 13));
  assert.deepEqual(c.endOffsetFor(2), at(2, 17));
  assert.deepEqual(c.endOffsetFor(3), at(2, 17));
}));

test('one entry per epoch', () => withCache((c) => {
  c.assign(2, 6n);
  c.assign(2, 7n);
  assert.deepEqual(c.all, [entry(2, 6)]);
}));

test('an epoch newer than the latest is not tracked: undefined answer', () => withCache((c) => {
  c.assign(2, 100n);
  assert.deepEqual(c.endOffsetFor(3, 100n), UNDEFINED);
}));

test('epochs need not start from zero', () => withCache((c, setEnd) => {
  c.assign(2, 6n);
  setEnd(7);
  assert.deepEqual(c.endOffsetFor(2), at(2, 7));
  assert.deepEqual(c.all, [entry(2, 6)]);
}));

test('persists between instances in Kafka\'s file format', () => withCache(async (c, _setEnd, dir) => {
  c.assign(2, 6n);
  c.assign(5, 60n);
  await c.flushed();
  assert.equal(await readFile(c.path, 'utf8'), '0\n2\n2 6\n5 60\n');
  const again = new LeaderEpochCache(dir, () => 70n);
  assert.equal(await again.load(), true);
  assert.deepEqual(again.all, [entry(2, 6), entry(5, 60)]);
}));

test('an older epoch after a newer one is ignored (Kafka would drop the newer)', () => withCache((c, setEnd) => {
  c.assign(1, 5n);
  c.assign(2, 6n);
  assert.equal(c.assign(1, 7n), false);
  setEnd(8);
  assert.equal(c.latestEpoch, 2);
  assert.deepEqual(c.endOffsetFor(1), at(1, 6));
  assert.deepEqual(c.endOffsetFor(2), at(2, 8));
  assert.deepEqual(c.all, [entry(1, 5), entry(2, 6)]);
}));

test('negative epochs and offsets are ignored', () => withCache((c) => {
  assert.equal(c.assign(-1, 5n), false);
  assert.equal(c.assign(3, -1n), false);
  assert.deepEqual(c.all, []);
}));

test('tracks epochs as leaders change many times', () => withCache((c, setEnd) => {
  setEnd(0);
  c.assign(0, 0n);
  c.assign(1, 0n);
  assert.equal(c.latestEpoch, 1);
  assert.deepEqual(c.endOffsetFor(1), at(1, 0));
  // Epoch 0 was replaced: 1 starts at the same offset.
  assert.deepEqual(c.endOffsetFor(0), at(0, 0));
  setEnd(5);
  assert.deepEqual(c.endOffsetFor(1), at(1, 5));
  assert.deepEqual(c.endOffsetFor(0), at(0, 0));
  c.assign(2, 5n);
  setEnd(10);
  assert.deepEqual(c.endOffsetFor(2), at(2, 10));
  assert.deepEqual(c.endOffsetFor(1), at(1, 5));
  assert.deepEqual(c.endOffsetFor(0), at(0, 0));
}));

test('tracks epochs as a follower receives many messages', () => withCache((c, setEnd) => {
  for (let o = 0; o < 3; o++) { c.assign(0, BigInt(o)); setEnd(o + 1); }
  assert.equal(c.latestEpoch, 0);
  assert.deepEqual(c.endOffsetFor(0), at(0, 3));
  for (let o = 3; o < 6; o++) { c.assign(1, BigInt(o)); setEnd(o + 1); }
  assert.equal(c.latestEpoch, 1);
  assert.deepEqual(c.endOffsetFor(1), at(1, 6));
  for (let o = 6; o < 9; o++) { c.assign(2, BigInt(o)); setEnd(o + 1); }
  assert.equal(c.latestEpoch, 2);
  assert.deepEqual(c.endOffsetFor(2), at(2, 9));
  assert.deepEqual(c.endOffsetFor(0), at(0, 3));
  assert.deepEqual(c.endOffsetFor(1), at(1, 6));
}));

const threeEpochs = (c: LeaderEpochCache) => { c.assign(2, 6n); c.assign(3, 8n); c.assign(4, 11n); };

test('truncateFromEnd on an epoch boundary drops the entries from there', () => withCache((c) => {
  threeEpochs(c);
  c.truncateFromEnd(8n);
  assert.deepEqual(c.all, [entry(2, 6)]);
}));

test('truncateFromEnd between boundaries keeps the epoch holding the offset', () => withCache((c) => {
  threeEpochs(c);
  c.truncateFromEnd(9n);
  assert.equal(c.latestEpoch, 3);
  assert.deepEqual(c.all, [entry(2, 6), entry(3, 8)]);
}));

test('truncateFromStart on a boundary keeps that entry', () => withCache((c) => {
  threeEpochs(c);
  c.truncateFromStart(8n);
  assert.deepEqual(c.all, [entry(3, 8), entry(4, 11)]);
}));

test('truncateFromStart before or at the first offset changes nothing', () => withCache((c) => {
  threeEpochs(c);
  assert.equal(c.truncateFromStart(1n), false);
  assert.equal(c.truncateFromStart(6n), false);
  assert.deepEqual(c.all, [entry(2, 6), entry(3, 8), entry(4, 11)]);
}));

test('truncateFromStart at the latest boundary keeps the latest epoch', () => withCache((c) => {
  threeEpochs(c);
  c.truncateFromStart(11n);
  assert.deepEqual(c.all, [entry(4, 11)]);
}));

test('truncateFromStart between boundaries moves the epoch holding the offset', () => withCache((c) => {
  threeEpochs(c);
  c.truncateFromStart(9n);
  assert.deepEqual(c.all, [entry(3, 9), entry(4, 11)]);
}));

test('truncateFromStart between the first two boundaries', () => withCache((c) => {
  c.assign(0, 0n);
  c.assign(1, 7n);
  c.assign(2, 10n);
  c.truncateFromStart(5n);
  assert.deepEqual(c.all, [entry(0, 5), entry(1, 7), entry(2, 10)]);
}));

test('truncateFromStart past every entry keeps the latest, moved', () => withCache((c) => {
  threeEpochs(c);
  c.truncateFromStart(15n);
  assert.deepEqual(c.all, [entry(4, 15)]);
}));

test('clear removes every entry', () => withCache((c) => {
  threeEpochs(c);
  c.clear();
  assert.deepEqual(c.all, []);
}));

test('undefined offsets (-1) truncate nothing', () => withCache((c) => {
  threeEpochs(c);
  c.truncateFromStart(-1n);
  c.truncateFromEnd(-1n);
  assert.equal(c.all.length, 3);
}));

test('truncations of an empty cache do nothing', () => withCache((c) => {
  assert.equal(c.truncateFromStart(7n), false);
  assert.equal(c.truncateFromEnd(7n), false);
}));

test('epochFor names the epoch holding an offset', () => withCache((c) => {
  threeEpochs(c);
  assert.deepEqual([5n, 6n, 7n, 8n, 10n, 11n, 99n].map((o) => c.epochFor(o)), [-1, 2, 2, 3, 3, 4, 4]);
}));

test('load: a missing, malformed or non-monotonic checkpoint asks for a rebuild', () => withCache(async (c, _s, dir) => {
  assert.equal(await c.load(), false, 'missing');
  for (const text of ['', '0\n', '1\n0\n', '0\n2\n1 5\n', '0\n1\nx 5\n', '0\n2\n3 5\n2 9\n', '0\n2\n3 9\n4 5\n']) {
    await writeFile(c.path, text);
    const fresh = new LeaderEpochCache(dir, () => 0n);
    assert.equal(await fresh.load(), false, JSON.stringify(text));
  }
  await writeFile(c.path, '0\n0\n');
  assert.equal(await new LeaderEpochCache(dir, () => 0n).load(), true, 'an empty history is valid');
}));

test('every change is written: the file always matches after flushed()', () => withCache(async (c, _s, dir) => {
  threeEpochs(c);
  c.truncateFromEnd(9n);
  c.assign(7, 20n);
  c.truncateFromStart(7n);
  await c.flushed();
  const again = new LeaderEpochCache(dir, () => 0n);
  await again.load();
  assert.deepEqual(again.all, [entry(2, 7), entry(3, 8), entry(7, 20)]);
  assert.equal(c.writePending, false);
}));
