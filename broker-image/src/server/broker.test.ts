// The broker in-process, driven through the wire by the CLI's own client:
// every handler answers, errors carry the right codes, data survives restart.
// Real third-party clients are exercised in test/clients.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { brokerConfigFrom } from '../config/broker-config.ts';
import { BrokerConnection } from '../client/connection.ts';
import { fetchOnce, listOffset, produceBatch } from '../client/topic-client.ts';
import { buildBatch } from '../records/record.ts';
import { Broker } from './broker.ts';

async function withBroker(fn: (b: Broker, conn: BrokerConnection) => Promise<void>, extra: [string, string][] = []) {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-broker-'));
  const config = brokerConfigFrom(new Map([['listeners', 'PLAINTEXT://127.0.0.1:0'], ['log.dirs', dir], ...extra]));
  const broker = await Broker.start(config, pino({ level: 'silent' }));
  const conn = await BrokerConnection.open(`127.0.0.1:${broker.boundListeners[0].port}`);
  try {
    await fn(broker, conn);
  } finally {
    conn.close();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const createTopic = (conn: BrokerConnection, name: string, numPartitions: number, configs: { name: string; value: string }[] = []) =>
  conn.request(19, 7, { topics: [{ name, numPartitions, replicationFactor: -1, assignments: [], configs }], timeoutMs: 1000, validateOnly: false });

test('ApiVersions advertises Produce from v0 and every handled API', () => withBroker(async (_broker, conn) => {
  const res = await conn.send(18, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
  assert.equal(res.errorCode, 0);
  const produce = res.apiKeys.find((k: any) => k.apiKey === 0);
  assert.equal(produce.minVersion, 0);
  for (const key of [0, 1, 2, 3, 18, 19, 20, 21, 22, 23, 32, 33, 37, 44, 60]) {
    assert.ok(res.apiKeys.some((k: any) => k.apiKey === key), `API ${key} advertised`);
  }
}));

test('create, produce, fetch, list offsets, delete', () => withBroker(async (broker, conn) => {
  const created = await createTopic(conn, 'orders', 3, [{ name: 'retention.ms', value: '60000' }]);
  assert.equal(created.topics[0].errorCode, 0);
  assert.equal(created.topics[0].numPartitions, 3);
  assert.equal(created.topics[0].configs.find((c: any) => c.name === 'retention.ms').value, '60000');

  const again = await createTopic(conn, 'orders', 3);
  assert.equal(again.topics[0].errorCode, 36);

  const base1 = await produceBatch(conn, 'orders', 1, [{ key: 'k1', value: 'v1' }, { key: 'k2', value: 'v2' }], { acks: -1, compression: 0 });
  const base2 = await produceBatch(conn, 'orders', 1, [{ key: 'k3', value: 'v3' }], { acks: 1, compression: 4 });
  assert.equal(base1, 0n);
  assert.equal(base2, 2n);

  assert.equal(await listOffset(conn, 'orders', 1, -2n), 0n);
  assert.equal(await listOffset(conn, 'orders', 1, -1n), 3n);
  assert.equal(await listOffset(conn, 'orders', 0, -1n), 0n);

  // From inside the first batch: the whole batch comes back, the client skips offset 0.
  const fetched = await fetchOnce(conn, 'orders', new Map([[1, 1n]]), { maxWaitMs: 0 });
  assert.deepEqual(fetched[0].records.map((r) => [r.offset, r.value!.toString()]), [[1n, 'v2'], [2n, 'v3']]);
  assert.equal(fetched[0].highWatermark, 3n);

  const md = await conn.request(3, 12, { topics: null, allowAutoTopicCreation: false });
  const t = md.topics.find((x: any) => x.name === 'orders');
  assert.equal(t.partitions.length, 3);
  assert.equal(md.brokers[0].port, broker.boundListeners[0].port);

  const del = await conn.request(20, 6, { topics: [{ name: 'orders', topicId: Buffer.alloc(16) }], timeoutMs: 1000 });
  assert.equal(del.responses[0].errorCode, 0);
  const after = await conn.request(3, 12, { topics: [{ name: 'orders' }], allowAutoTopicCreation: false });
  assert.equal(after.topics[0].errorCode, 3);
}));

test('a fetch at the log end waits for the next append', () => withBroker(async (broker, conn) => {
  await createTopic(conn, 'waits', 1);
  const other = await BrokerConnection.open(`127.0.0.1:${broker.boundListeners[0].port}`);
  try {
    const pending = fetchOnce(conn, 'waits', new Map([[0, 0n]]), { maxWaitMs: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    await produceBatch(other, 'waits', 0, [{ value: 'late' }], { acks: 1, compression: 0 });
    const [p] = await pending;
    assert.equal(p.records[0].value!.toString(), 'late');
  } finally {
    other.close();
  }
}));

test('metadata auto-creates topics only when allowed', () => withBroker(async (_broker, conn) => {
  const no = await conn.request(3, 12, { topics: [{ name: 'auto' }], allowAutoTopicCreation: false });
  assert.equal(no.topics[0].errorCode, 3);
  const yes = await conn.request(3, 12, { topics: [{ name: 'auto' }], allowAutoTopicCreation: true });
  assert.equal(yes.topics[0].errorCode, 0);
  assert.equal(yes.topics[0].partitions.length, 4);
  const bad = await conn.request(3, 12, { topics: [{ name: 'bad name!' }], allowAutoTopicCreation: true });
  assert.equal(bad.topics[0].errorCode, 17);
}, [['num.partitions', '4']]));

test('produce errors: unknown topic, bad CRC, bad acks, too large, two batches', () => withBroker(async (_broker, conn) => {
  await createTopic(conn, 't', 1, [{ name: 'max.message.bytes', value: '200' }]);
  const send = async (topic: string, records: Buffer, acks = 1) => {
    const res = await conn.request(0, 9, { transactionalId: null, acks, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
    return res.responses[0].partitionResponses[0].errorCode;
  };
  const good = buildBatch([{ value: 'x' }]);
  assert.equal(await send('missing', good), 3);
  const corrupt = Buffer.from(good);
  corrupt[corrupt.length - 1] ^= 0xff;
  assert.equal(await send('t', corrupt), 2);
  assert.equal(await send('t', good, 2), 21);
  assert.equal(await send('t', buildBatch([{ value: Buffer.alloc(500) }])), 10);
  assert.equal(await send('t', Buffer.concat([good, good])), 87);
  assert.equal(await send('t', good), 0);
  assert.equal(await listOffset(conn, 't', 0, -1n), 1n);
}));

test('an idempotent retry is acknowledged with the first offsets, not appended again', () => withBroker(async (_broker, conn) => {
  await createTopic(conn, 'idem', 1);
  const init = await conn.request(22, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
  assert.equal(init.errorCode, 0);
  const batch = (seq: number) => buildBatch([{ value: `v${seq}` }], { producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: seq });
  const send = async (records: Buffer) => {
    const res = await conn.request(0, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'idem', partitionData: [{ index: 0, records }] }] });
    return res.responses[0].partitionResponses[0];
  };
  assert.equal((await send(batch(0))).baseOffset, 0n);
  const retry = await send(batch(0));
  assert.equal(retry.errorCode, 0);
  assert.equal(retry.baseOffset, 0n);
  assert.equal((await send(batch(1))).baseOffset, 1n);
  assert.equal((await send(batch(5))).errorCode, 45);
  assert.equal(await listOffset(conn, 'idem', 0, -1n), 2n);
}));

test('configs: describe shows sources, incremental alter applies, bad values are refused', () => withBroker(async (_broker, conn) => {
  await createTopic(conn, 'c', 1);
  const alter = await conn.request(44, 1, {
    resources: [{ resourceType: 2, resourceName: 'c', configs: [{ name: 'retention.ms', configOperation: 0, value: '1234' }] }], validateOnly: false,
  });
  assert.equal(alter.responses[0].errorCode, 0);
  const bad = await conn.request(44, 1, {
    resources: [{ resourceType: 2, resourceName: 'c', configs: [{ name: 'retention.ms', configOperation: 0, value: 'soon' }] }], validateOnly: false,
  });
  assert.equal(bad.responses[0].errorCode, 40);
  const desc = await conn.request(32, 4, { resources: [{ resourceType: 2, resourceName: 'c', configurationKeys: null }], includeSynonyms: true, includeDocumentation: false });
  const retention = desc.results[0].configs.find((x: any) => x.name === 'retention.ms');
  assert.equal(retention.value, '1234');
  assert.equal(retention.configSource, 1);
  const segment = desc.results[0].configs.find((x: any) => x.name === 'segment.bytes');
  assert.equal(segment.configSource, 5);
}));

test('topics and records survive a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-restart-'));
  const config = brokerConfigFrom(new Map([['listeners', 'PLAINTEXT://127.0.0.1:0'], ['log.dirs', dir]]));
  try {
    let broker = await Broker.start(config, pino({ level: 'silent' }));
    let conn = await BrokerConnection.open(`127.0.0.1:${broker.boundListeners[0].port}`);
    await createTopic(conn, 'durable', 2);
    await produceBatch(conn, 'durable', 1, [{ value: 'a' }, { value: 'b' }], { acks: -1, compression: 1 });
    conn.close();
    await broker.stop();

    broker = await Broker.start(config, pino({ level: 'silent' }));
    conn = await BrokerConnection.open(`127.0.0.1:${broker.boundListeners[0].port}`);
    const [p] = await fetchOnce(conn, 'durable', new Map([[1, 0n]]), { maxWaitMs: 0 });
    assert.deepEqual(p.records.map((r) => r.value!.toString()), ['a', 'b']);
    const clusterId = broker.clusterId;
    conn.close();
    await broker.stop();
    assert.ok(clusterId.length > 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('stop completes while clients are still connected', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-stop-'));
  try {
    const broker = await Broker.start(brokerConfigFrom(new Map([['listeners', 'PLAINTEXT://127.0.0.1:0'], ['log.dirs', dir]])), pino({ level: 'silent' }));
    const conn = await BrokerConnection.open(`127.0.0.1:${broker.boundListeners[0].port}`);
    await createTopic(conn, 'open', 1);
    const pendingFetch = fetchOnce(conn, 'open', new Map([[0, 0n]]), { maxWaitMs: 10_000 }).catch((e: Error) => e);
    await broker.stop();
    assert.ok((await pendingFetch) instanceof Error, 'the open connection is closed by the shutdown');
    conn.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
