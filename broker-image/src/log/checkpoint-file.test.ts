import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError, offsetCheckpointKey, readCheckpoint, readOffsetCheckpoint, writeCheckpoint, writeOffsetCheckpoint } from './checkpoint-file.ts';
import type { CheckpointFormat } from './checkpoint-file.ts';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-checkpoint-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('offset checkpoint: Kafka\'s replication-offset-checkpoint text, round-trip', () => withDir(async (dir) => {
  const path = join(dir, 'replication-offset-checkpoint');
  assert.deepEqual(await readOffsetCheckpoint(path), new Map(), 'no file: no offsets');
  const offsets = new Map([
    [offsetCheckpointKey('orders', 0), 42n],
    [offsetCheckpointKey('my.topic_name-x', 12), 9_007_199_254_740_993n],
    [offsetCheckpointKey('__consumer_offsets', 3), 0n],
  ]);
  await writeOffsetCheckpoint(path, offsets);
  assert.equal(await readFile(path, 'utf8'), '0\n3\norders 0 42\nmy.topic_name-x 12 9007199254740993\n__consumer_offsets 3 0\n');
  assert.deepEqual(await readOffsetCheckpoint(path), offsets);
  await writeOffsetCheckpoint(path, new Map());
  assert.equal(await readFile(path, 'utf8'), '0\n0\n');
  assert.deepEqual(await readdir(dir), ['replication-offset-checkpoint'], 'no temp file left');
}));

test('offset checkpoint: keys must be "topic partition"', () => withDir(async (dir) => {
  await assert.rejects(writeOffsetCheckpoint(join(dir, 'x'), new Map([['orders-0', 1n]])), /not "topic partition"/);
}));

test('malformed files are reported, not guessed at', () => withDir(async (dir) => {
  const path = join(dir, 'cp');
  const cases = ['', '0\n', '1\n1\nt 0 5\n', '0\n2\nt 0 5\n', '0\n1\nt 0\n', '0\nx\n', '0\n1\nt 0 5 6\n'];
  for (const text of cases) {
    await writeFile(path, text);
    await assert.rejects(readOffsetCheckpoint(path), CheckpointError, JSON.stringify(text));
  }
}));

test('generic format: a version of its own, any entry shape; a rewrite replaces the file whole', () => withDir(async (dir) => {
  const fmt: CheckpointFormat<{ name: string; n: number }> = {
    version: 3,
    format: (e) => `${e.name}=${e.n}`,
    parse: (line) => { const m = /^(\w+)=(\d+)$/.exec(line); return m ? { name: m[1], n: Number(m[2]) } : null; },
  };
  const path = join(dir, 'generic');
  assert.equal(await readCheckpoint(path, fmt), null);
  await writeCheckpoint(path, fmt, [{ name: 'a', n: 1 }, { name: 'b', n: 2 }]);
  await writeCheckpoint(path, fmt, [{ name: 'c', n: 3 }]);
  assert.equal(await readFile(path, 'utf8'), '3\n1\nc=3\n');
  assert.deepEqual(await readCheckpoint(path, fmt), [{ name: 'c', n: 3 }]);
  await writeFile(path, '0\n1\nc=3\n');
  await assert.rejects(readCheckpoint(path, fmt), /version/);
}));
