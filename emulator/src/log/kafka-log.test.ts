// KafkaLog against a real broker: topics, per-partition produce with offsets, fetch
// from an offset with limits, offsets by time, configs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type Broker } from '../../../test/support/broker.ts';
import { KafkaLog, LogError } from './kafka-log.ts';

let broker: Broker;
let log: KafkaLog;

before(async () => {
  broker = await startBroker({ overrides: { 'auto.create.topics.enable': 'false' } });
  log = new KafkaLog({ bootstrapServers: [broker.bootstrap] });
});
after(async () => {
  await log?.close();
  await broker?.cleanup();
});

test('create, describe, list, configs, add partitions, delete', async () => {
  await log.createTopic('log-t1', { partitions: 2, configs: { 'retention.ms': '86400000' } });
  await assert.rejects(log.createTopic('log-t1', { partitions: 2 }), (e: unknown) => e instanceof LogError && e.code === 'TOPIC_ALREADY_EXISTS');
  const info = await log.describeTopic('log-t1');
  assert.equal(info?.partitions, 2);
  assert.equal(await log.describeTopic('log-nope'), null);
  assert.ok((await log.listTopics()).includes('log-t1'));
  assert.equal((await log.topicConfig('log-t1'))['retention.ms'], '86400000');
  await log.setTopicConfig('log-t1', { 'retention.ms': '172800000' });
  assert.equal((await log.topicConfig('log-t1'))['retention.ms'], '172800000');
  await log.addPartitions('log-t1', 3);
  assert.equal((await log.describeTopic('log-t1'))?.partitions, 3);
  await log.deleteTopic('log-t1');
});

test('produce returns per-message offsets; fetch honours offset and record limit', async () => {
  await log.createTopic('log-t2', { partitions: 2 });
  const t0 = Date.now();
  const a = await log.produce('log-t2', 1, [
    { key: Buffer.from('k1'), value: Buffer.from('v1'), headers: [['h', Buffer.from('x')]] },
    { key: Buffer.from('k2'), value: Buffer.from('v2') },
  ]);
  const b = await log.produce('log-t2', 1, [{ key: null, value: Buffer.from('v3'), timestamp: t0 + 60_000 }]);
  assert.deepEqual([...a, ...b], [0n, 1n, 2n]);
  const all = await log.fetch('log-t2', 1, 0n);
  assert.deepEqual(all.records.map((r) => r.value?.toString()), ['v1', 'v2', 'v3']);
  assert.equal(all.highWatermark, 3n);
  assert.deepEqual(all.records[0].headers, [['h', Buffer.from('x')]]);
  assert.equal(all.records[2].key, null);
  assert.equal(all.records[2].timestamp, t0 + 60_000);
  const mid = await log.fetch('log-t2', 1, 1n, { maxRecords: 1 });
  assert.deepEqual(mid.records.map((r) => r.offset), [1n]);
  const empty = await log.fetch('log-t2', 0, 0n);
  assert.equal(empty.records.length, 0);
  assert.equal(empty.highWatermark, 0n);
  const latest = await log.offsets('log-t2', 'latest');
  assert.deepEqual([...latest], [[0, 0n], [1, 3n]]);
  const byTime = await log.offsets('log-t2', t0 + 30_000, [1]);
  assert.equal(byTime.get(1), 2n);
  await assert.rejects(log.fetch('log-t2', 1, 99n), (e: unknown) => e instanceof LogError && e.code === 'OFFSET_OUT_OF_RANGE');
});
