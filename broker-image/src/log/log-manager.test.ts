import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBatch } from '../records/record.ts';
import { LogManager, parsePartitionDir } from './log-manager.ts';
import { defaultLogConfig } from './partition-log.ts';

test('partition dir names split on the last hyphen', () => {
  assert.deepEqual(parsePartitionDir('my.topic_name-with-hyphens-12'), { topic: 'my.topic_name-with-hyphens', partition: 12 });
  assert.deepEqual(parsePartitionDir('__consumer_offsets-0'), { topic: '__consumer_offsets', partition: 0 });
  assert.equal(parsePartitionDir('no-partition-x'), null);
  assert.equal(parsePartitionDir('-3'), null);
});

test('LogManager creates, spreads over log dirs, reloads and deletes partitions', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tributary-lm-'));
  try {
    const dirs = [join(root, 'a'), join(root, 'b')];
    let lm = new LogManager({ logDirs: dirs });
    assert.deepEqual(await lm.startup(), []);
    const cfg = { ...defaultLogConfig, fileDeleteDelayMs: 0 };
    const l0 = await lm.getOrCreate('orders.v1', 0, cfg);
    const l1 = await lm.getOrCreate('orders.v1', 1, cfg);
    assert.equal(await lm.getOrCreate('orders.v1', 0, cfg), l0);
    await l0.append(buildBatch([{ key: 'k', value: 'v' }]));
    await l1.append(buildBatch([{ key: 'k', value: 'v' }, { key: 'k', value: 'w' }]));
    assert.equal((await readdir(dirs[0])).length + (await readdir(dirs[1])).length, 2);
    assert.equal((await readdir(dirs[0])).length, 1, 'one partition per dir');
    await lm.closeAll();

    lm = new LogManager({ logDirs: dirs, configFor: () => cfg });
    const found = (await lm.startup()).sort((x, y) => x.partition - y.partition);
    assert.deepEqual(found, [{ topic: 'orders.v1', partition: 0 }, { topic: 'orders.v1', partition: 1 }]);
    assert.equal(lm.get('orders.v1', 1)!.logEndOffset, 2n);
    assert.equal(lm.get('orders.v1', 0)!.logEndOffset, 1n);
    assert.equal(await lm.runRetention(), 0);
    assert.equal(await lm.deletePartition('orders.v1', 1), true);
    assert.equal(lm.get('orders.v1', 1), undefined);
    const left = [...(await readdir(dirs[0])), ...(await readdir(dirs[1]))];
    assert.deepEqual(left, ['orders.v1-0']);
    lm.startScheduler();
    await lm.closeAll();
    for (const d of dirs) await assert.rejects(stat(join(d, 'orders.v1-1')));
    assert.ok((await stat(join(dirs[0], 'orders.v1-0')).catch(() => stat(join(dirs[1], 'orders.v1-0')))).isDirectory());
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('the scheduler runs retention and compaction on its intervals', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tributary-lm-'));
  try {
    const lm = new LogManager({ logDirs: [root], retentionCheckIntervalMs: 20, cleanerBackoffMs: 20 });
    await lm.startup();
    const old = Date.now() - 10 * 24 * 3_600_000;
    const del = await lm.getOrCreate('t', 0, { ...defaultLogConfig, segmentBytes: 500, retentionMs: 3_600_000, fileDeleteDelayMs: 0 });
    const cmp = await lm.getOrCreate('c', 0, { ...defaultLogConfig, segmentBytes: 500, cleanupPolicy: ['compact'], fileDeleteDelayMs: 0 });
    for (let i = 0; i < 20; i++) {
      await del.append(buildBatch([{ key: 'k', value: 'x'.repeat(50), timestamp: old }]), { now: old });
      await cmp.append(buildBatch([{ key: 'k', value: `v${i}`.padEnd(50, '.') }]));
    }
    const delSegs = del.segmentCount;
    const cmpSize = cmp.sizeInBytes;
    lm.startScheduler();
    const deadline = Date.now() + 5000;
    while ((del.segmentCount === delSegs || cmp.sizeInBytes === cmpSize) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(del.segmentCount, 1, 'expired segments deleted');
    assert.ok(cmp.sizeInBytes < cmpSize, 'compacted');
    await lm.closeAll();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
