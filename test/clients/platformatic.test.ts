// @platformatic/kafka against the broker. It supports every codec here: none, gzip,
// snappy, lz4 (wasm) and zstd (node:zlib on Node 24). Reading back uses its consumer
// group stream in 'earliest' mode.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Producer, Consumer, stringSerializers, stringDeserializers, ConfigResourceTypes } from '@platformatic/kafka';
import { startBroker, type Broker } from '../support/broker.ts';
import { CODECS, makeRecords, verifyRoundTrip, assertCodecStored, uniqueTopic, waitFor, Fatal, type ConsumedRecord } from '../support/clients.ts';

const N = 10_000;
const PARTITIONS = 6;
let broker: Broker;
let admin: Admin;

before(async () => {
  broker = await startBroker({ overrides: { 'auto.create.topics.enable': 'false', 'group.initial.rebalance.delay.ms': '0' } });
  admin = new Admin({ clientId: 'tributary-platformatic-admin', bootstrapBrokers: [broker.bootstrap] });
});
after(async () => {
  await admin?.close().catch(() => {});
  await broker?.cleanup();
});

const topics: Record<string, string> = {};

test('Admin.createTopics: a 6-partition topic per codec', async () => {
  for (const codec of CODECS) topics[codec] = uniqueTopic(`plt-${codec}`);
  const created = await admin.createTopics({ topics: CODECS.map((c) => topics[c]), partitions: PARTITIONS, replicas: 1 });
  assert.deepEqual(created.map((c) => c.name).sort(), CODECS.map((c) => topics[c]).sort());
  for (const c of created) assert.equal(c.partitions, PARTITIONS, c.name);
});

async function consumeAll(topic: string, count: number): Promise<ConsumedRecord[]> {
  const consumer = new Consumer({
    groupId: uniqueTopic('plt-group'),
    clientId: 'tributary-platformatic-consumer',
    bootstrapBrokers: [broker.bootstrap],
    deserializers: stringDeserializers,
    maxWaitTime: 200,
  });
  const got: ConsumedRecord[] = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    let failed: unknown;
    stream.on('data', (m) => {
      got.push({ partition: m.partition, offset: Number(m.offset), key: m.key ?? null, value: m.value ?? null });
    });
    stream.on('error', (e) => {
      failed = e;
    });
    try {
      await waitFor(`${count} records from ${topic} (have ${got.length})`, async () => {
        if (failed) throw new Fatal(`consumer stream failed: ${String((failed as Error).stack ?? failed)}`);
        return got.length >= count;
      }, 120_000, 100);
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await stream.close();
    }
    return got;
  } finally {
    await consumer.close(true).catch(() => {});
  }
}

for (const codec of CODECS) {
  test(`Producer.send: ${N} keyed records with ${codec}; the consumer stream reads them back`, async () => {
    const topic = topics[codec];
    assert.ok(topic, 'topic was not created');
    const producer = new Producer({
      clientId: 'tributary-platformatic-producer',
      bootstrapBrokers: [broker.bootstrap],
      serializers: stringSerializers,
      compression: codec,
      acks: -1,
      autocreateTopics: false,
    });
    const recs = makeRecords(N, `plt-${codec}`);
    try {
      for (let i = 0; i < N; i += 500) {
        const res = await producer.send({ messages: recs.slice(i, i + 500).map((r) => ({ topic, key: r.key, value: r.value })) });
        assert.ok(res.offsets && res.offsets.length > 0, JSON.stringify(res, (_k, v) => (typeof v === "bigint" ? String(v) : v)));
      }
    } finally {
      await producer.close();
    }
    await assertCodecStored(broker.host, broker.port, topic, PARTITIONS, codec);
    const got = await consumeAll(topic, N);
    verifyRoundTrip(recs, got, PARTITIONS);
  });
}

test('Admin lists and describes topics (metadata and configs)', async () => {
  const list = await admin.listTopics();
  for (const codec of CODECS) assert.ok(list.includes(topics[codec]), `listTopics lacks ${topics[codec]}`);
  const md = await admin.metadata({ topics: [topics.gzip] });
  assert.deepEqual([...md.brokers.keys()], [1]);
  const t = md.topics.get(topics.gzip);
  assert.ok(t, 'metadata lacks the topic');
  assert.equal(t.partitionsCount, PARTITIONS);
  for (const p of t.partitions) {
    assert.equal(p.leader, 1);
    assert.deepEqual(p.replicas, [1]);
    assert.deepEqual(p.isr, [1]);
  }
  const cfg = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topics.gzip }] });
  assert.equal(cfg[0].configs.find((c) => c.name === 'cleanup.policy')?.value, 'delete');
});

test('Admin.deleteTopics: the topic is gone', async () => {
  await admin.deleteTopics({ topics: [topics.zstd] });
  await waitFor('deleted topic gone', async () => !(await admin.listTopics()).includes(topics.zstd), 15_000);
  assert.ok((await admin.listTopics()).includes(topics.none));
});
