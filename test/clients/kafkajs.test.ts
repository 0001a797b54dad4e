// kafkajs 2.2.4 against the broker. Codecs: gzip is built in; snappy comes from the
// kafkajs-snappy plugin; lz4 (frame format) and zstd are registered in
// test/support/clients.ts (the kafkajs-lz4 and @kafkajs/zstd plugins are native addons
// that do not build on Node 24). kafkajs has no partition assign(), so reading back
// goes through a consumer group (JoinGroup/SyncGroup/Heartbeat/OffsetCommit).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type Broker } from '../support/broker.ts';
import {
  CODECS, kafkajs, kafkajsCompression, makeRecords, verifyRoundTrip, assertCodecStored, uniqueTopic, waitFor, Fatal,
  type ConsumedRecord,
} from '../support/clients.ts';
import type { Kafka, Admin } from 'kafkajs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const N = 10_000;
const PARTITIONS = 6;
let broker: Broker;
let kafka: Kafka;
let admin: Admin;

before(async () => {
  broker = await startBroker({ overrides: { 'auto.create.topics.enable': 'false', 'group.initial.rebalance.delay.ms': '0' } });
  const k = await kafkajs();
  kafka = new k.Kafka({ clientId: 'tributary-kafkajs-test', brokers: [broker.bootstrap], logLevel: k.logLevel.ERROR, retry: { retries: 5 } });
  admin = kafka.admin();
  await admin.connect();
});
after(async () => {
  await admin?.disconnect().catch(() => {});
  await broker?.cleanup();
});

const topics: Record<string, string> = {};

test('admin.createTopics: a 6-partition topic per codec', async () => {
  for (const codec of CODECS) topics[codec] = uniqueTopic(`kjs-${codec}`);
  const created = await admin.createTopics({
    topics: CODECS.map((c) => ({ topic: topics[c], numPartitions: PARTITIONS, replicationFactor: 1 })),
    waitForLeaders: true,
  });
  assert.equal(created, true);
  const md = await admin.fetchTopicMetadata({ topics: CODECS.map((c) => topics[c]) });
  for (const t of md.topics) assert.equal(t.partitions.length, PARTITIONS, t.name);
});

/** Reads `count` records of `topic` through a fresh consumer group from the beginning. */
async function consumeAll(topic: string, count: number): Promise<ConsumedRecord[]> {
  const consumer = kafka.consumer({ groupId: uniqueTopic('kjs-group'), maxWaitTimeInMs: 200, sessionTimeout: 30_000, heartbeatInterval: 1000 });
  const got: ConsumedRecord[] = [];
  let crashed: unknown;
  consumer.on(consumer.events.CRASH, (e) => {
    crashed = e.payload.error;
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          got.push({ partition: batch.partition, offset: Number(m.offset), key: m.key?.toString() ?? null, value: m.value?.toString() ?? null });
        }
      },
    });
    await waitFor(`${count} records from ${topic} (have ${got.length})`, async () => {
      if (crashed) throw new Fatal(`consumer crashed: ${String((crashed as Error).stack ?? crashed)}`);
      return got.length >= count;
    }, 120_000, 100);
    // a little longer: nothing beyond `count` may arrive
    await new Promise((r) => setTimeout(r, 500));
    return got;
  } finally {
    await consumer.disconnect().catch(() => {});
  }
}

for (const codec of CODECS) {
  test(`producer.send: ${N} keyed records with ${codec}; a group consumer reads them back`, async () => {
    const topic = topics[codec];
    assert.ok(topic, 'topic was not created');
    const k = await kafkajs();
    const producer = kafka.producer({ createPartitioner: k.Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    const recs = makeRecords(N, `kjs-${codec}`);
    const compression = await kafkajsCompression(codec);
    try {
      for (let i = 0; i < N; i += 500) {
        const res = await producer.send({ topic, acks: -1, compression, messages: recs.slice(i, i + 500).map((r) => ({ key: r.key, value: r.value })) });
        for (const m of res) assert.equal(m.errorCode, 0, JSON.stringify(m));
      }
    } finally {
      await producer.disconnect();
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    assert.equal(offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0), N, JSON.stringify(offsets));

    await assertCodecStored(broker.host, broker.port, topic, PARTITIONS, codec);
    const got = await consumeAll(topic, N);
    verifyRoundTrip(recs, got, PARTITIONS);
  });
}

test('admin lists and describes topics (metadata and configs)', async () => {
  const k = await kafkajs();
  const list = await admin.listTopics();
  for (const codec of CODECS) assert.ok(list.includes(topics[codec]), `listTopics lacks ${topics[codec]}`);
  const md = await admin.fetchTopicMetadata({ topics: [topics.none] });
  assert.equal(md.topics.length, 1);
  const parts = md.topics[0].partitions.sort((a, b) => a.partitionId - b.partitionId);
  assert.deepEqual(parts.map((p) => p.partitionId), [0, 1, 2, 3, 4, 5]);
  for (const p of parts) {
    assert.equal(p.leader, 1);
    assert.deepEqual(p.replicas, [1]);
    assert.deepEqual(p.isr, [1]);
  }
  const cfg = await admin.describeConfigs({ resources: [{ type: k.ConfigResourceTypes.TOPIC, name: topics.none }], includeSynonyms: false });
  const entries = cfg.resources[0].configEntries;
  assert.equal(entries.find((e) => e.configName === 'cleanup.policy')?.configValue, 'delete');
  const cluster = await admin.describeCluster();
  assert.deepEqual(cluster.brokers.map((b) => b.nodeId), [1]);
  assert.equal(cluster.brokers[0].port, broker.port);
});

test('admin.deleteTopics: the topic is gone', async () => {
  await admin.deleteTopics({ topics: [topics.lz4] });
  await waitFor('deleted topic gone', async () => !(await admin.listTopics()).includes(topics.lz4), 15_000);
  assert.ok((await admin.listTopics()).includes(topics.zstd));
});
