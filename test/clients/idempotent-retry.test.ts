// The idempotent producer under a real retry: test/support/drop-proxy.ts lets the
// broker append a Produce, swallows the response and cuts the connection, so the
// client sends the same batch again. With idempotence (librdkafka through python
// confluent-kafka `enable.idempotence=true`, kafkajs `idempotent: true`) every record
// is stored once; the same run without idempotence stores duplicates, which shows the
// retries really reached the broker. Last, the broker itself restarts (SIGTERM, then
// SIGKILL) between appending a batch and the client learning of it: the retry lands
// on a broker that must know the producer's sequences from its snapshot / log replay.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type Broker } from '../support/broker.ts';
import { startDropProxy, type DropProxy } from '../support/drop-proxy.ts';
import { jsonLines, kafkajs, kcatConsume, makeRecords, pythonOk, seqOf, uniqueTopic, verifyRoundTrip, type ConsumedRecord, type ProducedRecord } from '../support/clients.ts';

const PARTITIONS = 3;
let broker: Broker;
let proxy: DropProxy;

before(async () => {
  proxy = await startDropProxy();
  broker = await startBroker({ overrides: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}`, 'auto.create.topics.enable': 'false' } });
  proxy.setTarget(broker.host, broker.port);
});
after(async () => {
  await proxy?.close();
  await broker?.cleanup();
});

async function createTopic(name: string): Promise<void> {
  const k = await kafkajs();
  const admin = new k.Kafka({ clientId: 'idem-admin', brokers: [`127.0.0.1:${proxy.port}`], logLevel: k.logLevel.ERROR }).admin();
  await admin.connect();
  try {
    assert.equal(await admin.createTopics({ topics: [{ topic: name, numPartitions: PARTITIONS }], waitForLeaders: true }), true);
  } finally {
    await admin.disconnect();
  }
}

/** Records read back, and how many values were stored more than once. */
async function readBack(topic: string): Promise<{ consumed: ConsumedRecord[]; duplicates: number }> {
  const consumed = await kcatConsume(`127.0.0.1:${proxy.port}`, topic);
  const values = new Set(consumed.map((c) => c.value));
  return { consumed, duplicates: consumed.length - values.size };
}

async function kafkajsProduce(topic: string, recs: ProducedRecord[], idempotent: boolean, drops: number[], onDrop?: () => void): Promise<void> {
  const k = await kafkajs();
  const kafka = new k.Kafka({ clientId: `idem-kafkajs-${idempotent}`, brokers: [`127.0.0.1:${proxy.port}`], logLevel: k.logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
  const producer = kafka.producer({ idempotent, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0, n = 0; i < recs.length; i += 100, n++) {
      if (drops.includes(n)) proxy.dropProduceResponses(1, onDrop);
      await producer.send({ topic, acks: -1, messages: recs.slice(i, i + 100).map((r) => ({ key: r.key, value: r.value })) });
    }
  } finally {
    await producer.disconnect();
  }
}

test('kafkajs idempotent: true — three lost Produce responses, every record stored once', async () => {
  const topic = uniqueTopic('idem-kjs');
  await createTopic(topic);
  const recs = makeRecords(1000, 'idem-kjs', 37);
  const before = proxy.stats().dropped;
  await kafkajsProduce(topic, recs, true, [0, 4, 8]);
  assert.equal(proxy.stats().dropped - before, 3, 'three responses were dropped');
  const { consumed, duplicates } = await readBack(topic);
  assert.equal(duplicates, 0);
  verifyRoundTrip(recs, consumed, PARTITIONS);
});

test('kafkajs without idempotence — the same lost responses store duplicates (the retries are real)', async () => {
  const topic = uniqueTopic('idem-kjs-ctl');
  await createTopic(topic);
  const recs = makeRecords(1000, 'idem-kjs-ctl', 37);
  await kafkajsProduce(topic, recs, false, [0, 4, 8]);
  const { consumed, duplicates } = await readBack(topic);
  assert.ok(duplicates > 0, `expected duplicates without idempotence, read ${consumed.length} records`);
  assert.equal(new Set(consumed.map((c) => c.value)).size, recs.length, 'every record is there at least once');
});

async function pythonProduce(topic: string, n: number, idempotent: boolean): Promise<{ acked: { p: number; o: number; seq: number }[] }> {
  proxy.dropProduceResponses(3);
  const r = await pythonOk('produce.py', [`127.0.0.1:${proxy.port}`, topic, 'none', String(n), topic, 'all', `enable.idempotence=${idempotent}`, 'linger.ms=20', 'batch.num.messages=200', 'socket.timeout.ms=10000']);
  const lines = jsonLines<{ p: number; o: number; seq: number; err?: string }>(r.stdout);
  assert.deepEqual(lines.filter((l) => l.err), [], 'delivery errors');
  return { acked: lines };
}

test('librdkafka enable.idempotence=true — three lost Produce responses, every record stored once at its acked offset', async () => {
  const topic = uniqueTopic('idem-py');
  await createTopic(topic);
  const before = proxy.stats().dropped;
  const { acked } = await pythonProduce(topic, 3000, true);
  assert.equal(acked.length, 3000);
  assert.equal(proxy.stats().dropped - before, 3, 'three responses were dropped');
  const { consumed, duplicates } = await readBack(topic);
  assert.equal(duplicates, 0);
  verifyRoundTrip(makeRecords(3000, topic), consumed, PARTITIONS);
  const at = new Map(consumed.map((c) => [`${c.partition}/${c.offset}`, seqOf(c.value!)]));
  for (const a of acked) assert.equal(at.get(`${a.p}/${a.o}`), a.seq, `record ${a.seq} acked at ${a.p}/${a.o}`);
});

test('librdkafka enable.idempotence=false — the same lost responses store duplicates (the retries are real)', async () => {
  const topic = uniqueTopic('idem-py-ctl');
  await createTopic(topic);
  await pythonProduce(topic, 3000, false);
  const { consumed, duplicates } = await readBack(topic);
  assert.ok(duplicates > 0, `expected duplicates without idempotence, read ${consumed.length} records`);
  assert.equal(new Set(consumed.map((c) => c.value)).size, 3000);
});

for (const how of ['graceful', 'kill -9'] as const) {
  test(`kafkajs idempotent: true — the broker restarts (${how}) between the append and the ack; the retry after the restart is not stored again`, async () => {
    const topic = uniqueTopic('idem-restart');
    await createTopic(topic);
    const recs = makeRecords(600, 'idem-restart', 37);
    const restarts: Promise<void>[] = [];
    const restart = () => {
      restarts.push(how === 'graceful' ? broker.restart() : broker.kill9().then(() => broker.restart()));
    };
    await kafkajsProduce(topic, recs, true, [1, 4], restart);
    await Promise.all(restarts);
    assert.equal(restarts.length, 2, 'two restarts between an append and its ack');
    const { consumed, duplicates } = await readBack(topic);
    assert.equal(duplicates, 0, 'producer state (ids, epochs, sequences) survived the restart');
    verifyRoundTrip(recs, consumed, PARTITIONS);
  });
}
