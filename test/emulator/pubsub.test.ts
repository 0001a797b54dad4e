// Our Pub/Sub front-end only (things Google's emulator has no counterpart for):
// the same log seen from Kafka clients, push delivery, restarts of the emulator and
// of the broker, exactly-once acks, detach, REST bad input.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PubSub, Message, Subscription } from '@google-cloud/pubsub';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type Broker } from '../support/broker.ts';
import { startOurs, clientFor, subscriberClientFor, rest, unique, waitFor, type Emulator } from './pubsub-support.ts';

let broker: Broker;
let emu: Emulator;
let client: PubSub;
let kafka: Kafka;

before(async () => {
  broker = await startBroker({ overrides: { 'auto.create.topics.enable': 'false', 'group.initial.rebalance.delay.ms': '0' } });
  emu = await startOurs(broker.bootstrap);
  client = clientFor(emu);
  kafka = new Kafka({ clientId: 'pubsub-cross-api', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8 } });
});

after(async () => {
  await client?.close().catch(() => {});
  await emu?.stop();
  await broker?.cleanup();
});

async function collect(sub: Subscription, until: (all: Message[]) => boolean, timeoutMs = 60_000, ack = true): Promise<Message[]> {
  const got: Message[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out with ${got.length} messages`)), timeoutMs);
      sub.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      sub.on('message', (m: Message) => {
        got.push(m);
        if (ack) m.ack();
        if (until(got)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    sub.removeAllListeners('message');
    sub.removeAllListeners('error');
    await sub.close();
  }
  return got;
}

/** Drains a subscription by synchronous Pull until it answers empty twice. */
async function drain(subName: string, ack = true): Promise<string[]> {
  const sc = subscriberClientFor(emu);
  const seen: string[] = [];
  let empty = 0;
  try {
    while (empty < 2) {
      const [res] = await sc.pull({ subscription: subName, maxMessages: 1000, returnImmediately: true });
      const msgs = res.receivedMessages ?? [];
      if (msgs.length === 0) {
        empty++;
        await new Promise((r) => setTimeout(r, 700));
        continue;
      }
      empty = 0;
      for (const m of msgs) seen.push(Buffer.from(m.message!.data as Uint8Array).toString());
      if (ack) await sc.acknowledge({ subscription: subName, ackIds: msgs.map((m) => m.ackId!) });
    }
  } finally {
    await sc.close();
  }
  return seen;
}

test('a Pub/Sub topic is the Kafka topic of the same name: data → value, attributes → headers, ordering key → key, publish time → timestamp', async () => {
  const id = unique('cross');
  await client.createTopic(id);
  const topic = client.topic(id, { messageOrdering: true });
  const before = Date.now();
  const msgId = await topic.publishMessage({ data: Buffer.from('hello kafka'), attributes: { source: 'pubsub', n: '1' }, orderingKey: 'k1' });
  assert.match(msgId, /^\d+$/);
  const consumer = kafka.consumer({ groupId: unique('g') });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: id, fromBeginning: true });
    const rec = await new Promise<{ value: string; key: string; headers: Record<string, string>; ts: number }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
          resolve({ value: message.value!.toString(), key: message.key!.toString(), headers, ts: Number(message.timestamp) });
        },
      });
    });
    assert.equal(rec.value, 'hello kafka');
    assert.equal(rec.key, 'k1');
    assert.deepEqual(rec.headers, { source: 'pubsub', n: '1' });
    assert.ok(rec.ts >= before - 1000 && rec.ts <= Date.now() + 1000, `timestamp ${rec.ts}`);
  } finally {
    await consumer.disconnect();
  }
});

test('records produced with Kafka reach a Pub/Sub pull and a push subscriber, headers as attributes', async () => {
  const id = unique('fromkafka');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: id, numPartitions: 3 }] });
  await admin.disconnect();
  // The Kafka topic is listed as a Pub/Sub topic.
  const [topics] = await client.getTopics();
  assert.ok(topics.some((t) => t.name === `projects/test/topics/${id}`));

  const pushed: { body: any; auth?: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      pushed.push({ body: JSON.parse(body), auth: req.headers.authorization });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    const [pullSub] = await client.topic(id).createSubscription(unique('pull'));
    const [pushSub] = await client.topic(id).createSubscription(unique('push'), {
      pushConfig: { pushEndpoint: `http://127.0.0.1:${port}/push`, oidcToken: { serviceAccountEmail: 'pusher@test.iam.gserviceaccount.com', audience: 'tributary' } },
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: id,
      messages: Array.from({ length: 9 }, (_, i) => ({ key: `key${i}`, value: `rec${i}`, headers: { origin: 'kafka', i: String(i) } })),
    });
    await producer.disconnect();

    const pulled = await collect(pullSub, (all) => all.length >= 9);
    assert.deepEqual(pulled.map((m) => m.data.toString()).sort(), Array.from({ length: 9 }, (_, i) => `rec${i}`).sort());
    for (const m of pulled) {
      assert.equal(m.attributes.origin, 'kafka');
      assert.equal(m.data.toString(), `rec${m.attributes.i}`);
      assert.equal(m.orderingKey, `key${m.attributes.i}`);
    }
    assert.equal(new Set(pulled.map((m) => m.id)).size, 9, 'message IDs unique across partitions');

    await waitFor('9 pushes', () => pushed.length >= 9);
    const env = pushed[0].body;
    assert.equal(env.subscription, pushSub.name);
    assert.equal(env.message.attributes.origin, 'kafka');
    assert.equal(Buffer.from(env.message.data, 'base64').toString(), `rec${env.message.attributes.i}`);
    assert.ok(env.message.messageId && env.message.publishTime);
    const [, claims] = pushed[0].auth!.slice('Bearer '.length).split('.');
    assert.equal(JSON.parse(Buffer.from(claims, 'base64url').toString()).aud, 'tributary');
    // 204 acked them: nothing is pushed again.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(pushed.length, 9);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('push: failures are retried with backoff until a 2xx; a hanging endpoint does not hold up other subscriptions', async () => {
  const [topic] = await client.createTopic(unique('push'));
  let calls = 0;
  const flaky = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls++;
      res.writeHead(calls < 3 ? 503 : 200).end();
    });
  });
  const hanging = http.createServer((req) => req.resume()); // never answers
  await Promise.all([flaky, hanging].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  try {
    const at = (s: http.Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
    await topic.createSubscription(unique('hang'), { pushConfig: { pushEndpoint: at(hanging) } });
    const [flakySub] = await topic.createSubscription(unique('flaky'), { pushConfig: { pushEndpoint: at(flaky) } });
    const [pullSub] = await topic.createSubscription(unique('pull'));
    await topic.publishMessage({ data: Buffer.from('x') });
    const got = await collect(pullSub, (all) => all.length >= 1);
    assert.equal(got[0].data.toString(), 'x');
    await waitFor('the third push attempt (acked)', () => calls >= 3);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(calls, 3, 'the 200 acked the message');
    // Switching the flaky subscription to pull with ModifyPushConfig.
    await flakySub.modifyPushConfig({});
    const [meta] = await flakySub.getMetadata();
    assert.equal(meta.pushConfig?.pushEndpoint ?? '', '');
  } finally {
    for (const s of [flaky, hanging]) {
      s.closeAllConnections();
      s.close();
    }
  }
});

test('emulator killed (SIGKILL) mid-stream: acked messages stay acked, unacked ones are redelivered', async () => {
  const [topic] = await client.createTopic(unique('restart'));
  const [sub] = await topic.createSubscription(unique('sub'));
  const all = Array.from({ length: 100 }, (_, i) => `m${i}`);
  await Promise.all(all.map((d) => topic.publishMessage({ data: Buffer.from(d) })));
  const sc = subscriberClientFor(emu);
  const acked = new Set<string>();
  let leasedUnacked: string[] = [];
  try {
    const got: { ackId: string; data: string }[] = [];
    await waitFor('30 pulled', async () => {
      const [res] = await sc.pull({ subscription: sub.name, maxMessages: 30 - got.length, returnImmediately: true });
      for (const m of res.receivedMessages ?? []) got.push({ ackId: m.ackId!, data: Buffer.from(m.message!.data as Uint8Array).toString() });
      return got.length >= 30;
    });
    const toAck = got.slice(0, 20);
    await sc.acknowledge({ subscription: sub.name, ackIds: toAck.map((g) => g.ackId) });
    for (const g of toAck) acked.add(g.data);
    leasedUnacked = got.slice(20).map((g) => g.data);
  } finally {
    await sc.close();
  }
  await client.close();
  await emu.stop('SIGKILL');
  await emu.restart();
  client = clientFor(emu);
  const rest = await drain(sub.name);
  const restSet = new Set(rest);
  for (const d of acked) assert.ok(!restSet.has(d), `acked ${d} was delivered again`);
  for (const d of leasedUnacked) assert.ok(restSet.has(d), `unacked ${d} was not redelivered`);
  assert.deepEqual([...restSet].sort(), all.filter((d) => !acked.has(d)).sort());
});

test('a StreamingPull subscriber keeps receiving across an emulator restart (streams reopen after UNAVAILABLE)', async () => {
  const [topic] = await client.createTopic(unique('stream-restart'));
  const [subMeta] = await topic.createSubscription(unique('sub'));
  const sub = client.subscription(subMeta.name);
  const seen = new Set<string>();
  let failed: Error | null = null;
  sub.on('error', (e) => (failed = e));
  sub.on('message', (m: Message) => {
    seen.add(m.data.toString());
    m.ack();
  });
  try {
    for (let i = 0; i < 50; i++) await topic.publishMessage({ data: Buffer.from(`a${i}`) });
    await waitFor('first 50', () => seen.size >= 50);
    await emu.restart(); // SIGTERM: streams end with UNAVAILABLE, same port
    const pub = clientFor(emu);
    try {
      for (let i = 0; i < 50; i++) await pub.topic(topic.name).publishMessage({ data: Buffer.from(`b${i}`) });
      await waitFor('all 100 after the restart', () => seen.size >= 100, 90_000);
    } finally {
      await pub.close();
    }
    assert.equal(failed, null);
  } finally {
    sub.removeAllListeners();
    await sub.close();
  }
});

test('broker restarted mid-stream: the emulator reconnects; nothing acked is lost, everything published arrives', async () => {
  const [topic] = await client.createTopic(unique('broker-restart'));
  const [sub] = await topic.createSubscription(unique('sub'));
  for (let i = 0; i < 20; i++) await topic.publishMessage({ data: Buffer.from(`p${i}`) });
  const first = await drain(sub.name);
  assert.equal(first.length, 20);
  await broker.restart();
  const ids = await waitFor('publish after the broker restart', async () => {
    const out: string[] = [];
    for (let i = 0; i < 20; i++) out.push(await topic.publishMessage({ data: Buffer.from(`q${i}`) }));
    return out;
  }, 60_000, 500);
  assert.ok(ids.length >= 20);
  const second = new Set(await drain(sub.name));
  for (let i = 0; i < 20; i++) {
    assert.ok(second.has(`q${i}`), `q${i} missing`);
    assert.ok(!second.has(`p${i}`), `p${i} redelivered after its ack`);
  }
});

test('exactly-once: acks are confirmed; an ack ID whose lease expired fails with PERMANENT_FAILURE_INVALID_ACK_ID', async () => {
  const [topic] = await client.createTopic(unique('eod'));
  const [sub] = await topic.createSubscription(unique('sub'), { enableExactlyOnceDelivery: true });
  const [meta] = await sub.getMetadata();
  assert.equal(meta.enableExactlyOnceDelivery, true);
  await topic.publishMessage({ data: Buffer.from('once') });
  const sc = subscriberClientFor(emu);
  try {
    const first = await waitFor('a message', async () => (await sc.pull({ subscription: sub.name, maxMessages: 1, returnImmediately: true }))[0].receivedMessages?.[0]);
    await sc.modifyAckDeadline({ subscription: sub.name, ackIds: [first.ackId!], ackDeadlineSeconds: 1 });
    const second = await waitFor('redelivery', async () => (await sc.pull({ subscription: sub.name, maxMessages: 1, returnImmediately: true }))[0].receivedMessages?.[0], 30_000, 200);
    const err = await sc.acknowledge({ subscription: sub.name, ackIds: [first.ackId!] }).then(() => null, (e) => e);
    assert.ok(err, 'the stale ack ID must fail');
    assert.equal(err.code, 3);
    const details = err.metadata.get('grpc-status-details-bin')[0] as Buffer;
    assert.ok(details.toString('latin1').includes('PERMANENT_FAILURE_INVALID_ACK_ID'));
    await sc.acknowledge({ subscription: sub.name, ackIds: [second.ackId!] });
  } finally {
    await sc.close();
  }
  // With the high-level client: ackWithResponse resolves once the ack is durable.
  await topic.publishMessage({ data: Buffer.from('twice') });
  const results: string[] = [];
  await collect(client.subscription(sub.name), (all) => {
    const m = all[all.length - 1];
    void m.ackWithResponse().then((r) => results.push(String(r)));
    return true;
  }, 30_000, false);
  await waitFor('ack response', () => results.length === 1);
  assert.equal(results[0], 'SUCCESS');
});

test('detach: the subscription stays but Pull fails with FAILED_PRECONDITION', async () => {
  const [topic] = await client.createTopic(unique('detach'));
  const [sub] = await topic.createSubscription(unique('sub'));
  await sub.detached().then(([d]) => assert.equal(d, false));
  await client.detachSubscription(sub.name);
  const [meta] = await sub.getMetadata();
  assert.equal(meta.detached, true);
  const sc = subscriberClientFor(emu);
  try {
    const err = await sc.pull({ subscription: sub.name, maxMessages: 1 }).then(() => null, (e) => e);
    assert.equal(err?.code, 9);
  } finally {
    await sc.close();
  }
});

test('REST bad input: wrong JSON types, unknown resources, bad deadlines, unknown methods — clear errors, others unaffected', async () => {
  const topic = `projects/test/topics/${unique('rest-bad')}`;
  const sub = `projects/test/subscriptions/${unique('rest-bad')}`;
  assert.equal((await rest(emu, 'PUT', topic, {})).status, 200);
  assert.equal((await rest(emu, 'PUT', sub, { topic })).status, 200);
  const cases: [string, string, unknown, number, string][] = [
    ['POST', `${topic}:publish`, { messages: 'nope' }, 400, 'INVALID_ARGUMENT'],
    ['POST', `${topic}:publish`, { messages: [{ data: '***not base64***' }] }, 400, 'INVALID_ARGUMENT'],
    ['POST', `${topic}:publish`, '[1,2]', 400, 'INVALID_ARGUMENT'],
    ['PUT', 'projects/test/topics/x', {}, 400, 'INVALID_ARGUMENT'],
    ['PUT', `projects/test/subscriptions/${unique('s')}`, { topic, ackDeadlineSeconds: 5 }, 400, 'INVALID_ARGUMENT'],
    ['PUT', `projects/test/subscriptions/${unique('s')}`, { topic: 'projects/test/topics/missing-topic' }, 404, 'NOT_FOUND'],
    ['PUT', sub, { topic }, 409, 'ALREADY_EXISTS'],
    ['POST', `projects/test/subscriptions/${unique('s')}:pull`, { maxMessages: 1 }, 404, 'NOT_FOUND'],
    ['POST', `${sub}:pull`, { maxMessages: 0 }, 400, 'INVALID_ARGUMENT'],
    ['POST', `${sub}:modifyAckDeadline`, { ackIds: ['0-0-1-0'], ackDeadlineSeconds: 601 }, 400, 'INVALID_ARGUMENT'],
    ['POST', `${sub}:acknowledge`, { ackIds: ['garbage'] }, 400, 'INVALID_ARGUMENT'],
    ['PATCH', sub, { subscription: { ackDeadlineSeconds: 30 } }, 400, 'INVALID_ARGUMENT'],
    ['GET', 'projects/test/bogus', undefined, 404, 'NOT_FOUND'],
  ];
  for (const [method, path, body, code, status] of cases) {
    const r = await rest(emu, method, path, body);
    assert.equal(r.status, code, `${method} ${path} ${JSON.stringify(body)} → ${JSON.stringify(r.json)}`);
    assert.equal(r.json?.error?.status, status, `${method} ${path}`);
    assert.ok(r.json.error.message.length > 0);
  }
  // Still serving: publish and pull work.
  assert.equal((await rest(emu, 'POST', `${topic}:publish`, { messages: [{ data: Buffer.from('ok').toString('base64') }] })).status, 200);
  const pulled = await waitFor('pull', async () => (await rest(emu, 'POST', `${sub}:pull`, { maxMessages: 1, returnImmediately: true })).json.receivedMessages?.[0]);
  assert.equal(Buffer.from(pulled.message.data, 'base64').toString(), 'ok');
  const upd = await rest(emu, 'PATCH', sub, { subscription: { ackDeadlineSeconds: 30 }, updateMask: 'ackDeadlineSeconds' });
  assert.equal(upd.status, 200, JSON.stringify(upd.json));
  assert.equal(upd.json.ackDeadlineSeconds, 30);
});

test("ordering keys: a key's next message is held until the previous one is acked; other keys flow", async () => {
  const id = unique('held');
  await client.createTopic(id);
  const topic = client.topic(id, { messageOrdering: true });
  const [sub] = await topic.createSubscription(unique('sub'), { enableMessageOrdering: true });
  for (const [k, d] of [['k1', 'a1'], ['k1', 'a2'], ['k2', 'b1'], ['k1', 'a3']]) await topic.publishMessage({ data: Buffer.from(d), orderingKey: k });
  const sc = subscriberClientFor(emu);
  const pullAll = async () => {
    const [res] = await sc.pull({ subscription: sub.name, maxMessages: 10, returnImmediately: true });
    return (res.receivedMessages ?? []).map((m) => ({ ackId: m.ackId!, data: Buffer.from(m.message!.data as Uint8Array).toString() }));
  };
  try {
    const first = await waitFor('the heads of both keys', async () => {
      const got = await pullAll();
      return got.length ? got : null;
    });
    assert.deepEqual(first.map((m) => m.data).sort(), ['a1', 'b1']);
    assert.deepEqual(await pullAll(), [], 'a2 waits for the ack of a1');
    await sc.acknowledge({ subscription: sub.name, ackIds: first.filter((m) => m.data === 'a1').map((m) => m.ackId) });
    const second = await waitFor('a2', async () => {
      const got = await pullAll();
      return got.length ? got : null;
    });
    assert.deepEqual(second.map((m) => m.data), ['a2']);
    // A nack puts a2 back in front of a3.
    await sc.modifyAckDeadline({ subscription: sub.name, ackIds: [second[0].ackId], ackDeadlineSeconds: 0 });
    const third = await waitFor('a2 again', async () => {
      const got = await pullAll();
      return got.length ? got : null;
    });
    assert.deepEqual(third.map((m) => m.data), ['a2']);
  } finally {
    await sc.close();
  }
});

test('retry policy: a nacked message comes back (after its backoff); the policy round-trips', async () => {
  const [topic] = await client.createTopic(unique('retry'));
  const [sub] = await topic.createSubscription(unique('sub'), { retryPolicy: { minimumBackoff: { seconds: 1 }, maximumBackoff: { seconds: 5 } } });
  const [meta] = await sub.getMetadata();
  assert.equal(Number(meta.retryPolicy?.minimumBackoff?.seconds), 1);
  assert.equal(Number(meta.retryPolicy?.maximumBackoff?.seconds), 5);
  await topic.publishMessage({ data: Buffer.from('r') });
  const got = await collect(sub, (all) => {
    const m = all[all.length - 1];
    if (all.length === 1) m.nack();
    else m.ack();
    return all.length >= 2;
  }, 30_000, false);
  assert.equal(got[0].id, got[1].id);
  const bad = await topic.createSubscription(unique('sub'), { retryPolicy: { minimumBackoff: { seconds: 700 } } }).then(() => null, (e) => e);
  assert.equal(bad?.code, 3);
});

test('UpdateTopic: labels and message retention (also set as retention.ms on the Kafka topic)', async () => {
  const id = unique('retention');
  const [topic] = await client.createTopic(id);
  await topic.setMetadata({ labels: { env: 'test' }, messageRetentionDuration: { seconds: 3600 } });
  const [meta] = await topic.getMetadata();
  assert.deepEqual(meta.labels, { env: 'test' });
  assert.equal(Number(meta.messageRetentionDuration?.seconds), 3600);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const cfg = await admin.describeConfigs({ resources: [{ type: 2, name: id }], includeSynonyms: false });
    const retention = cfg.resources[0].configEntries.find((e) => e.configName === 'retention.ms')?.configValue;
    assert.equal(retention, '3600000');
  } finally {
    await admin.disconnect();
  }
});

test('deleting a subscription ends its StreamingPull streams with NOT_FOUND', async () => {
  const [topic] = await client.createTopic(unique('del-stream'));
  const [sub] = await topic.createSubscription(unique('sub'));
  const sc = subscriberClientFor(emu);
  try {
    const stream = sc.streamingPull();
    const ended = new Promise<number>((resolve) => {
      stream.on('error', (e: { code?: number }) => resolve(e.code ?? -1));
      stream.on('data', () => {});
    });
    stream.write({ subscription: sub.name, streamAckDeadlineSeconds: 10 });
    await topic.publishMessage({ data: Buffer.from('x') });
    await new Promise((r) => setTimeout(r, 500));
    await sub.delete();
    assert.equal(await ended, 5);
  } finally {
    await sc.close();
  }
});

test('schemas over REST: create, validate a message, an Avro BINARY topic that rejects what does not decode, revisions', async () => {
  const id = unique('rest-schema');
  const definition = JSON.stringify({ type: 'record', name: 'Point', fields: [{ name: 'x', type: 'int' }, { name: 'label', type: 'string' }] });
  const created = await rest(emu, 'POST', `projects/test/schemas?schemaId=${id}`, { type: 'AVRO', definition });
  assert.equal(created.status, 200, JSON.stringify(created.json));
  assert.equal(created.json.name, `projects/test/schemas/${id}`);
  // Avro binary of {x: 3, label: "ab"}: zigzag varint 6, then length 4 (zigzag of 2) and the bytes.
  const point = Buffer.from([0x06, 0x04, 0x61, 0x62]);
  const ok = await rest(emu, 'POST', 'projects/test/schemas:validateMessage', { name: `projects/test/schemas/${id}`, message: point.toString('base64'), encoding: 'BINARY' });
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  const bad = await rest(emu, 'POST', 'projects/test/schemas:validateMessage', { name: `projects/test/schemas/${id}`, message: point.subarray(0, 2).toString('base64'), encoding: 'BINARY' });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.status, 'INVALID_ARGUMENT');
  const topic = unique('bin-topic');
  const t = await rest(emu, 'PUT', `projects/test/topics/${topic}`, { schemaSettings: { schema: `projects/test/schemas/${id}`, encoding: 'BINARY' } });
  assert.equal(t.status, 200, JSON.stringify(t.json));
  assert.equal(t.json.schemaSettings.encoding, 'BINARY');
  const pubOk = await rest(emu, 'POST', `projects/test/topics/${topic}:publish`, { messages: [{ data: point.toString('base64') }] });
  assert.equal(pubOk.status, 200, JSON.stringify(pubOk.json));
  const pubBad = await rest(emu, 'POST', `projects/test/topics/${topic}:publish`, { messages: [{ data: Buffer.from('{"x":3}').toString('base64') }] });
  assert.equal(pubBad.status, 400);
  const committed = await rest(emu, 'POST', `projects/test/schemas/${id}:commit`, { schema: { type: 'AVRO', definition: JSON.stringify({ type: 'record', name: 'Point', fields: [{ name: 'x', type: 'int' }] }) } });
  assert.equal(committed.status, 200, JSON.stringify(committed.json));
  const revs = await rest(emu, 'GET', `projects/test/schemas/${id}:listRevisions`);
  assert.deepEqual(revs.json.schemas.map((s: { revisionId: string }) => s.revisionId), [created.json.revisionId, committed.json.revisionId]);
  const first = await rest(emu, 'GET', `projects/test/schemas/${id}@${created.json.revisionId}`);
  assert.equal(first.json.definition, definition);
  const rolled = await rest(emu, 'POST', `projects/test/schemas/${id}:rollback`, { revisionId: created.json.revisionId });
  assert.equal(rolled.json.definition, definition);
  assert.notEqual(rolled.json.revisionId, created.json.revisionId);
  assert.equal((await rest(emu, 'DELETE', `projects/test/schemas/${id}`)).status, 200);
  assert.equal((await rest(emu, 'GET', `projects/test/schemas/${id}`)).status, 404);
});

test('partitions added to a subscribed topic (with Kafka) are picked up: records produced to them reach the subscription', async () => {
  const [topic] = await client.createTopic(unique('grow'));
  const [sub] = await topic.createSubscription(unique('sub'));
  const id = topic.name.split('/').pop()!;
  const admin = kafka.admin();
  const producer = kafka.producer();
  await admin.connect();
  await producer.connect();
  try {
    await admin.createPartitions({ topicPartitions: [{ topic: id, count: 3 }] });
    await producer.send({ topic: id, messages: [0, 1, 2].map((p) => ({ partition: p, value: `on-${p}` })) });
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
  const sc = subscriberClientFor(emu);
  const seen = new Set<string>();
  try {
    await waitFor('a record from each partition', async () => {
      const [res] = await sc.pull({ subscription: sub.name, maxMessages: 10, returnImmediately: true });
      for (const m of res.receivedMessages ?? []) seen.add(Buffer.from(m.message!.data as Uint8Array).toString());
      if (res.receivedMessages?.length) await sc.acknowledge({ subscription: sub.name, ackIds: res.receivedMessages.map((m) => m.ackId!) });
      return seen.size === 3;
    }, 60_000, 300);
  } finally {
    await sc.close();
  }
  assert.deepEqual([...seen].sort(), ['on-0', 'on-1', 'on-2']);
});
