import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaError } from '../protocol/errors.ts';
import { CasConflictError } from './store/coordination-store.ts';
import { LocalStore } from './store/local-store.ts';
import { TopicRegistry, topicNameProblem } from './topic-registry.ts';

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-registry-'));
  try { await fn(dir); } finally { await rm(dir, { recursive: true, force: true }); }
}

test('topics survive reopening the local store', () => withDir(async (dir) => {
  const file = join(dir, 'meta.json');
  const store = await LocalStore.open(file);
  const reg = new TopicRegistry(store);
  const created = await reg.create({ name: 'orders', partitions: 6, replicationFactor: 1, configs: { 'retention.ms': '1000' } });
  await reg.update('orders', { partitions: 8 });
  await store.close();

  const again = new TopicRegistry(await LocalStore.open(file));
  await again.load();
  const t = again.get('orders')!;
  assert.equal(t.partitions, 8);
  assert.deepEqual(t.configs, { 'retention.ms': '1000' });
  assert.ok(t.id.equals(created.id));
  assert.equal(again.getById(created.id)?.name, 'orders');
}));

test('duplicate, colliding and illegal names are refused', () => withDir(async (dir) => {
  const reg = new TopicRegistry(await LocalStore.open(join(dir, 'm.json')));
  await reg.create({ name: 'a.b', partitions: 1, replicationFactor: 1, configs: {} });
  await assert.rejects(reg.create({ name: 'a.b', partitions: 1, replicationFactor: 1, configs: {} }), (e: KafkaError) => e.code === 36);
  await assert.rejects(reg.create({ name: 'a_b', partitions: 1, replicationFactor: 1, configs: {} }), (e: KafkaError) => e.code === 17);
  await assert.rejects(reg.create({ name: 'bad/name', partitions: 1, replicationFactor: 1, configs: {} }), (e: KafkaError) => e.code === 17);
  assert.match(topicNameProblem('x'.repeat(250))!, /longer than 249/);
  assert.equal(topicNameProblem('ok-name_1.2'), null);
  assert.notEqual(topicNameProblem('..'), null);
}));

test('compare-and-swap refuses a stale version', () => withDir(async (dir) => {
  const store = await LocalStore.open(join(dir, 's.json'));
  const v1 = await store.put('k', 'a', 0);
  await assert.rejects(store.put('k', 'b', 0), CasConflictError);
  const v2 = await store.put('k', 'b', v1);
  assert.equal(v2, v1 + 1);
  await assert.rejects(store.delete('k', v1), CasConflictError);
  await store.delete('k', v2);
  assert.equal(await store.get('k'), null);
}));
