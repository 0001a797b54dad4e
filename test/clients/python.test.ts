// python confluent-kafka (Debian's python3-confluent-kafka 1.7 on librdkafka 2.0.2):
// AdminClient creates, lists, describes and deletes topics; the Producer writes
// 10,000 keyed records per codec (it supports all five: none, gzip, snappy, lz4, zstd);
// a Consumer with assign() (no group) reads every partition back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type Broker } from '../support/broker.ts';
import {
  CODECS, pythonOk, jsonLines, makeRecords, verifyRoundTrip, assertCodecStored, uniqueTopic, waitFor,
  type ConsumedRecord,
} from '../support/clients.ts';

const N = 10_000;
const PARTITIONS = 6;
let broker: Broker;

before(async () => {
  broker = await startBroker({ overrides: { 'auto.create.topics.enable': 'false' } });
});
after(async () => {
  await broker?.cleanup();
});

const topics: Record<string, string> = {};

interface Described {
  topic: string;
  error: string | null;
  partitions: { id: number; leader: number; replicas: number[]; isrs: number[]; error: string | null }[];
  configs: Record<string, string>;
}

test('AdminClient creates a 6-partition topic per codec', async () => {
  for (const codec of CODECS) {
    const t = (topics[codec] = uniqueTopic(`py-${codec}`));
    const r = await pythonOk('admin.py', [broker.bootstrap, 'create', t, String(PARTITIONS)]);
    assert.deepEqual(jsonLines(r.stdout), [{ created: t }]);
  }
});

for (const codec of CODECS) {
  test(`Producer writes ${N} keyed records with compression.codec=${codec}; assign() reads them back`, async () => {
    const topic = topics[codec];
    assert.ok(topic, 'topic was not created');
    const tag = `py-${codec}`;
    const recs = makeRecords(N, tag);
    const prod = await pythonOk('produce.py', [broker.bootstrap, topic, codec, String(N), tag, 'all']);
    const acks = jsonLines<{ p?: number; o?: number; seq: number; err?: string }>(prod.stdout);
    assert.equal(acks.filter((a) => a.err).length, 0, `delivery errors: ${JSON.stringify(acks.find((a) => a.err))}`);
    assert.equal(acks.length, N);

    const cons = await pythonOk('consume.py', [broker.bootstrap, topic]);
    const got = jsonLines<ConsumedRecord>(cons.stdout);
    verifyRoundTrip(recs, got, PARTITIONS);
    // the offsets the producer was told are the offsets the consumer sees
    const at = new Map(got.map((g) => [`${g.partition}/${g.offset}`, g.value]));
    for (const a of acks) {
      const v = at.get(`${a.p}/${a.o}`);
      assert.ok(v?.startsWith(`${tag}|${a.seq}|`), `ack ${JSON.stringify(a)} does not match the record there (${v})`);
    }
    await assertCodecStored(broker.host, broker.port, topic, PARTITIONS, codec, true);
  });
}

test('AdminClient lists and describes topics (metadata and configs)', async () => {
  const list = jsonLines<{ topics: string[]; brokers: number[] }>((await pythonOk('admin.py', [broker.bootstrap, 'list'])).stdout)[0];
  assert.deepEqual(list.brokers, [1]);
  for (const codec of CODECS) assert.ok(list.topics.includes(topics[codec]), `list lacks ${topics[codec]}`);
  const d = jsonLines<Described>((await pythonOk('admin.py', [broker.bootstrap, 'describe', topics.lz4])).stdout)[0];
  assert.equal(d.error, null);
  assert.deepEqual(d.partitions.map((p) => p.id), [0, 1, 2, 3, 4, 5]);
  for (const p of d.partitions) {
    assert.equal(p.leader, 1);
    assert.deepEqual(p.replicas, [1]);
    assert.deepEqual(p.isrs, [1]);
  }
  assert.equal(d.configs['cleanup.policy'], 'delete', JSON.stringify(d.configs));
  assert.ok('retention.ms' in d.configs, 'DescribeConfigs lacks retention.ms');
});

test('AdminClient deletes a topic and it is gone', async () => {
  await pythonOk('admin.py', [broker.bootstrap, 'delete', topics.snappy]);
  await waitFor('deleted topic gone from metadata', async () => {
    const list = jsonLines<{ topics: string[] }>((await pythonOk('admin.py', [broker.bootstrap, 'list'])).stdout)[0];
    return !list.topics.includes(topics.snappy);
  }, 15_000);
  const list = jsonLines<{ topics: string[] }>((await pythonOk('admin.py', [broker.bootstrap, 'list'])).stdout)[0];
  assert.ok(list.topics.includes(topics.zstd), 'another topic vanished with the deleted one');
});
