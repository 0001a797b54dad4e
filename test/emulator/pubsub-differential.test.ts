// The same scenarios, with the official Node client (@google-cloud/pubsub) and REST,
// against Google's installed emulator and against ours. Where Google's emulator
// lacks a feature, ours must pass and the test records (t.diagnostic) what Google's
// did instead; nothing is skipped.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { v1, type PubSub, type Message, type Subscription } from '@google-cloud/pubsub';
import * as grpc from '@grpc/grpc-js';
import { startBroker, type Broker } from '../support/broker.ts';
import { startOurs, startGoogle, clientFor, subscriberClientFor, rest, unique, waitFor, type Emulator } from './pubsub-support.ts';

let broker: Broker;
const emus: Emulator[] = [];
const clients = new Map<Emulator, PubSub>();
/** What Google's emulator did differently, printed at the end. */
const differences: string[] = [];

before(async () => {
  broker = await startBroker({ overrides: { 'auto.create.topics.enable': 'false' } });
  const [ours, google] = await Promise.all([startOurs(broker.bootstrap), startGoogle()]);
  emus.push(ours, google);
  for (const e of emus) clients.set(e, clientFor(e));
});

after(async () => {
  for (const c of clients.values()) await c.close().catch(() => {});
  await Promise.allSettled(emus.map((e) => e.stop()));
  await broker?.cleanup();
  if (differences.length) process.stdout.write(`# Differences from Google's emulator:\n${differences.map((d) => `#  - ${d}`).join('\n')}\n`);
});

const codeOf = async (p: Promise<unknown>): Promise<number | 'ok'> => {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
};

/** Runs on both; returns the observation per emulator. */
async function both<T>(fn: (e: Emulator, c: PubSub) => Promise<T>): Promise<{ ours: T; google: T }> {
  const [ours, google] = emus;
  const run = async (e: Emulator) => {
    try {
      return await fn(e, clients.get(e)!);
    } catch (err) {
      (err as Error).message = `[${e.kind}] ${(err as Error).message}`;
      throw err;
    }
  };
  return { ours: await run(ours), google: await run(google) };
}

/**
 * Ours must give `expected`; Google's emulator too, except in the fields listed as
 * known gaps, where what it did is recorded instead.
 */
function expectBoth<T extends Record<string, unknown>>(t: { diagnostic(s: string): void; name: string }, r: { ours: T; google: T }, expected: T, googleGaps: (keyof T)[] = []): void {
  assert.deepEqual(r.ours, expected, 'ours');
  const g: Record<string, unknown> = { ...r.google };
  const e: Record<string, unknown> = { ...expected };
  for (const k of googleGaps) {
    if (JSON.stringify(r.google[k]) !== JSON.stringify(expected[k])) {
      const note = `${t.name}: ${String(k)} — Google's emulator: ${JSON.stringify(r.google[k])}, ours: ${JSON.stringify(expected[k])}`;
      differences.push(note);
      t.diagnostic(note);
    }
    delete g[k as string];
    delete e[k as string];
  }
  assert.deepEqual(g, e, "Google's emulator");
}

/** Receives n messages with StreamingPull; acks unless told otherwise. */
async function receive(sub: Subscription, n: number, onMessage?: (m: Message, all: Message[]) => boolean | void, timeoutMs = 30_000): Promise<Message[]> {
  const got: Message[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`received ${got.length} of ${n}`)), timeoutMs);
      sub.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      sub.on('message', (m: Message) => {
        got.push(m);
        const keep = onMessage ? onMessage(m, got) : undefined;
        if (keep !== false) m.ack();
        if (got.length >= n) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } finally {
    sub.removeAllListeners('message');
    await sub.close();
  }
  return got;
}

test('topics: create, get, list, duplicates, missing, delete — same on both', async (t) => {
  const r = await both(async (_e, c) => {
    const name = unique('topic');
    const [t] = await c.createTopic(name);
    const [meta] = await t.getMetadata();
    const [list] = await c.getTopics();
    return {
      name: meta.name?.endsWith(`/topics/${name}`),
      listed: list.some((x) => x.name.endsWith(`/topics/${name}`)),
      dup: await codeOf(c.createTopic(name)),
      missing: await codeOf(c.topic(unique('nope')).getMetadata()),
      badName: await codeOf(c.createTopic('ab')),
      goog: await codeOf(c.createTopic('goog-topic')),
      del: await codeOf(t.delete()),
      afterDelete: await codeOf(t.getMetadata()),
    };
  });
  expectBoth(t, r, { name: true, listed: true, dup: 6, missing: 5, badName: 3, goog: 3, del: 'ok', afterDelete: 5 });
});

test('subscriptions: create, get, update, list, errors, delete — same on both', async (t) => {
  const r = await both(async (_e, c) => {
    const [t] = await c.createTopic(unique('subs'));
    const name = unique('sub');
    const [s] = await t.createSubscription(name);
    const [meta] = await s.getMetadata();
    await s.setMetadata({ ackDeadlineSeconds: 30 });
    const [meta2] = await s.getMetadata();
    const [subs] = await t.getSubscriptions();
    const out = {
      defaultDeadline: meta.ackDeadlineSeconds,
      topic: meta.topic === t.name,
      updated: meta2.ackDeadlineSeconds,
      listed: subs.some((x) => x.name === s.name),
      dup: await codeOf(t.createSubscription(name)),
      noTopic: await codeOf(c.topic(unique('nope')).createSubscription(unique('sub'))),
      badDeadline: await codeOf(t.createSubscription(unique('sub'), { ackDeadlineSeconds: 700 })),
      del: await codeOf(s.delete()),
      afterDelete: await codeOf(s.getMetadata()),
    };
    await t.delete();
    return out;
  });
  expectBoth(t, r, { defaultDeadline: 10, topic: true, updated: 30, listed: true, dup: 6, noTopic: 5, badDeadline: 3, del: 'ok', afterDelete: 5 });
});

test('publish 200 with attributes, StreamingPull receives each once with ids and publish times — same on both', async (t) => {
  const r = await both(async (_e, c) => {
    const [t] = await c.createTopic(unique('pub'));
    const [s] = await t.createSubscription(unique('sub'));
    const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => t.publishMessage({ data: Buffer.from(`m${i}`), attributes: { i: String(i), kind: 'test' } })));
    const got = await receive(s, 200);
    const byData = new Map(got.map((m) => [m.data.toString(), m]));
    let attrsOk = true;
    let idsOk = true;
    for (let i = 0; i < 200; i++) {
      const m = byData.get(`m${i}`);
      if (!m || m.attributes.i !== String(i) || m.attributes.kind !== 'test') attrsOk = false;
      if (!m || m.id !== ids[i]) idsOk = false;
    }
    const timesOk = got.every((m) => Math.abs(m.publishTime.getTime() - Date.now()) < 120_000);
    await s.delete();
    await t.delete();
    return { distinct: byData.size, attrsOk, idsOk, timesOk, uniqueIds: new Set(ids).size };
  });
  expectBoth(t, r, { distinct: 200, attrsOk: true, idsOk: true, timesOk: true, uniqueIds: 200 });
});

test('nack redelivers at once; an expired ack deadline redelivers — same on both', async (t) => {
  const r = await both(async (e, c) => {
    const [t] = await c.createTopic(unique('nack'));
    const [s] = await t.createSubscription(unique('sub'));
    await t.publishMessage({ data: Buffer.from('again') });
    let nacked = false;
    const got = await receive(s, 2, (m) => {
      if (!nacked) {
        nacked = true;
        m.nack();
        return false;
      }
    });
    // Synchronous Pull, shorten the lease to 1 s, do not ack: it comes back.
    const sc = subscriberClientFor(e);
    await t.publishMessage({ data: Buffer.from('expire') });
    const [first] = await sc.pull({ subscription: s.name, maxMessages: 10 });
    const m1 = first.receivedMessages?.[0];
    await sc.modifyAckDeadline({ subscription: s.name, ackIds: [m1!.ackId!], ackDeadlineSeconds: 1 });
    const again = await waitFor('redelivery after the deadline', async () => {
      const [p] = await sc.pull({ subscription: s.name, maxMessages: 10 });
      return p.receivedMessages?.[0];
    }, 30_000, 200);
    await sc.acknowledge({ subscription: s.name, ackIds: [again.ackId!] });
    const badModAck = await codeOf(sc.modifyAckDeadline({ subscription: s.name, ackIds: [again.ackId!], ackDeadlineSeconds: 601 }));
    await sc.close();
    await s.delete();
    await t.delete();
    return {
      sameMessageTwice: got[0].id === got[1].id && got[1].data.toString() === 'again',
      expiredRedelivered: again.message?.messageId === m1!.message?.messageId && again.ackId !== m1!.ackId,
      badModAck,
    };
  });
  expectBoth(t, r, { sameMessageTwice: true, expiredRedelivered: true, badModAck: 3 }, ['badModAck']);
});

test('ordering keys: messages of a key arrive in publish order — same on both', async (t) => {
  const r = await both(async (_e, c) => {
    const name = unique('ord');
    await c.createTopic(name);
    const t = c.topic(name, { messageOrdering: true });
    const [s] = await t.createSubscription(unique('sub'), { enableMessageOrdering: true });
    const keys = ['a', 'b', 'c'];
    const sends: Promise<string>[] = [];
    for (let i = 0; i < 30; i++) for (const k of keys) sends.push(t.publishMessage({ data: Buffer.from(`${k}${i}`), orderingKey: k }));
    await Promise.all(sends);
    const got = await receive(s, 90);
    const inOrder = keys.every((k) => {
      const seq = got.filter((m) => m.orderingKey === k).map((m) => Number(m.data.toString().slice(1)));
      return seq.length === 30 && seq.every((v, i) => v === i);
    });
    await s.delete();
    await t.delete();
    return { inOrder };
  });
  expectBoth(t, r, { inOrder: true });
});

test('bad input: empty message, too many attributes, oversize, unknown subscription — same on both', async (t) => {
  const r = await both(async (e, c) => {
    const [t] = await c.createTopic(unique('bad'));
    const sc = subscriberClientFor(e);
    const attrs: Record<string, string> = {};
    for (let i = 0; i < 101; i++) attrs[`k${i}`] = 'v';
    const out = {
      empty: (await rest(e, 'POST', `${t.name}:publish`, { messages: [{}] })).status,
      tooManyAttrs: (await rest(e, 'POST', `${t.name}:publish`, { messages: [{ attributes: attrs }] })).status,
      oversize: (await rest(e, 'POST', `${t.name}:publish`, { messages: [{ data: Buffer.alloc(10 * 1024 * 1024 + 10).toString('base64') }] })).status,
      unknownSub: await codeOf(sc.pull({ subscription: 'projects/test/subscriptions/' + unique('nope'), maxMessages: 1 })),
      badSubName: await codeOf(sc.pull({ subscription: 'projects/test/subscriptions/a', maxMessages: 1 })),
    };
    await sc.close();
    await t.delete();
    return out;
  });
  expectBoth(t, r, { empty: 400, tooManyAttrs: 400, oversize: 400, unknownSub: 5, badSubName: 3 }, ['tooManyAttrs', 'oversize']);
});

test('REST: topic, publish (base64), subscription, pull, acknowledge, error body — same on both', async (t) => {
  const r = await both(async (e) => {
    const topic = `projects/test/topics/${unique('rest')}`;
    const sub = `projects/test/subscriptions/${unique('rest')}`;
    const ct = await rest(e, 'PUT', topic, {});
    const cs = await rest(e, 'PUT', sub, { topic, ackDeadlineSeconds: 20 });
    const pub = await rest(e, 'POST', `${topic}:publish`, { messages: [{ data: Buffer.from('hello').toString('base64'), attributes: { a: '1' } }] });
    const pulled = await waitFor('a REST pull', async () => {
      const p = await rest(e, 'POST', `${sub}:pull`, { maxMessages: 5, returnImmediately: true });
      return p.json?.receivedMessages?.length ? p.json : null;
    });
    const m = pulled.receivedMessages[0];
    const ack = await rest(e, 'POST', `${sub}:acknowledge`, { ackIds: [m.ackId] });
    const missing = await rest(e, 'GET', `projects/test/topics/${unique('nope')}`);
    const badJson = await rest(e, 'POST', `${topic}:publish`, '{"messages": [');
    await rest(e, 'DELETE', sub);
    await rest(e, 'DELETE', topic);
    return {
      created: [ct.status, cs.status, cs.json.ackDeadlineSeconds],
      published: pub.status === 200 && pub.json.messageIds.length === 1,
      data: Buffer.from(m.message.data, 'base64').toString(),
      attrs: m.message.attributes,
      idMatches: m.message.messageId === pub.json.messageIds[0],
      time: typeof m.message.publishTime === 'string' && !Number.isNaN(Date.parse(m.message.publishTime)),
      ack: ack.status,
      missing: [missing.status, missing.json?.error?.status],
      badJson: badJson.status,
    };
  });
  expectBoth(t, r, {
    created: [200, 200, 20], published: true, data: 'hello', attrs: { a: '1' }, idMatches: true, time: true, ack: 200, missing: [404, 'NOT_FOUND'], badJson: 400,
  });
});

test('snapshots and seek: seek to a snapshot redelivers what was acked after it; seek to a time — ours; Google recorded', async (t) => {
  const r = await both(async (e, c) => {
    const [topic] = await c.createTopic(unique('seek'));
    const [s] = await topic.createSubscription(unique('sub'));
    await topic.publishMessage({ data: Buffer.from('one') });
    await topic.publishMessage({ data: Buffer.from('two') });
    const [snap] = await s.createSnapshot(unique('snap'));
    const first = await receive(s, 2);
    await s.seek(snap.name);
    const replay = await receive(s, 2, undefined, 10_000).catch(() => [] as Message[]);
    const before = new Date(Date.now() - 60_000);
    await s.seek(before);
    const replay2 = await receive(s, 2, undefined, 10_000).catch(() => [] as Message[]);
    await snap.delete();
    await s.delete();
    await topic.delete();
    void e;
    const sorted = (ms: Message[]) => ms.map((m) => m.data.toString()).sort();
    return { first: sorted(first), afterSnapshot: sorted(replay), afterTime: sorted(replay2) };
  });
  const expected = { first: ['one', 'two'], afterSnapshot: ['one', 'two'], afterTime: ['one', 'two'] };
  expectBoth(t, r, expected, ['afterSnapshot', 'afterTime']);
});

test('filters: only matching messages are delivered — ours; Google recorded', async (t) => {
  const r = await both(async (_e, c) => {
    const [topic] = await c.createTopic(unique('filter'));
    const [s] = await topic.createSubscription(unique('sub'), { filter: 'attributes.color = "red"' });
    for (const color of ['blue', 'red', 'green', 'red']) await topic.publishMessage({ data: Buffer.from(color), attributes: { color } });
    await topic.publishMessage({ data: Buffer.from('end'), attributes: { color: 'red', last: '1' } });
    const got = await receive(s, 3, undefined, 20_000).catch(() => [] as Message[]);
    // Drain anything else that arrives shortly after.
    const sc = subscriberClientFor(_e);
    const [more] = await sc.pull({ subscription: s.name, maxMessages: 10, returnImmediately: true });
    await sc.close();
    const invalidFilter = await codeOf(topic.createSubscription(unique('sub'), { filter: 'attributes.color = red' }));
    await s.delete();
    await topic.delete();
    return { got: [...got.map((m) => m.data.toString()), ...(more.receivedMessages ?? []).map((m) => Buffer.from(m.message!.data as Uint8Array).toString())].sort(), invalidFilter };
  });
  expectBoth(t, r, { got: ['end', 'red', 'red'], invalidFilter: 3 }, ['got', 'invalidFilter']);
});

test('dead-letter topic: after max_delivery_attempts nacks the message moves, delivery_attempt counts — ours; Google recorded', async (t) => {
  const r = await both(async (_e, c) => {
    const [topic] = await c.createTopic(unique('dlq-src'));
    const [dlq] = await c.createTopic(unique('dlq'));
    const [dlqSub] = await dlq.createSubscription(unique('dlq-sub'));
    const [s] = await topic.createSubscription(unique('sub'), { deadLetterPolicy: { deadLetterTopic: dlq.name, maxDeliveryAttempts: 5 } });
    await topic.publishMessage({ data: Buffer.from('poison'), attributes: { p: '1' } });
    const attempts: number[] = [];
    await receive(s, 5, (m) => {
      attempts.push(m.deliveryAttempt);
      m.nack();
      return false;
    }, 30_000).catch(() => {});
    const dead = await receive(dlqSub, 1, undefined, 20_000).catch(() => [] as Message[]);
    for (const x of [s, dlqSub]) await x.delete();
    for (const x of [topic, dlq]) await x.delete();
    return { attempts, dead: dead.map((m) => [m.data.toString(), m.attributes.p]) };
  });
  expectBoth(t, r, { attempts: [1, 2, 3, 4, 5], dead: [['poison', '1']] }, ['attempts', 'dead']);
});

test('UpdateTopic (labels) — ours; Google recorded', async (t) => {
  const r = await both(async (_e, c) => {
    const [topic] = await c.createTopic(unique('upd'));
    const res = await codeOf(topic.setMetadata({ labels: { team: 'streams' } }));
    const [meta] = await topic.getMetadata();
    await topic.delete();
    return { update: res, labels: meta.labels };
  });
  expectBoth(t, r, { update: 'ok', labels: { team: 'streams' } }, ['update', 'labels']);
});

test('StreamingPull flow control: no more than maxOutstandingMessages unacked on a stream; acks let more through — ours; Google recorded', async (t) => {
  const r = await both(async (e, c) => {
    const [topic] = await c.createTopic(unique('flow'));
    const [s] = await topic.createSubscription(unique('sub'), { ackDeadlineSeconds: 60 });
    for (let i = 0; i < 20; i++) await topic.publishMessage({ data: Buffer.from(`f${i}`) });
    const sc = subscriberClientFor(e);
    const stream = sc.streamingPull();
    const ackIds: string[] = [];
    stream.on('data', (res: { receivedMessages?: { ackId?: string | null }[] | null }) => {
      for (const m of res.receivedMessages ?? []) ackIds.push(m.ackId!);
    });
    stream.on('error', () => {});
    stream.write({ subscription: s.name, streamAckDeadlineSeconds: 60, maxOutstandingMessages: 5 });
    try {
      await waitFor('a first batch', () => ackIds.length >= 5, 20_000).catch(() => false);
      await new Promise((res) => setTimeout(res, 1500)); // anything beyond the limit would have come by now
      const firstBatch = ackIds.length;
      await sc.acknowledge({ subscription: s.name, ackIds: ackIds.slice(0, 5) });
      await waitFor('more after the acks', () => ackIds.length >= 10, 20_000).catch(() => false);
      return { firstBatch, afterAck: ackIds.length >= 10 };
    } finally {
      stream.end();
      stream.cancel();
      await sc.close();
      await s.delete();
      await topic.delete();
    }
  });
  expectBoth(t, r, { firstBatch: 5, afterAck: true }, ['firstBatch', 'afterAck']);
});

function schemaClientFor(e: Emulator): v1.SchemaServiceClient {
  const [host, port] = e.hostPort.split(':');
  return new v1.SchemaServiceClient({ servicePath: host, port: Number(port), sslCreds: grpc.credentials.createInsecure(), projectId: 'test' });
}

const AVRO = JSON.stringify({ type: 'record', name: 'Order', fields: [{ name: 'id', type: 'string' }, { name: 'qty', type: 'int' }] });

test('schemas (Avro): create, get, list, validate, revisions, topics that reject non-conforming messages, delete — same on both', async (t) => {
  const r = await both(async (e, c) => {
    const sc = schemaClientFor(e);
    try {
      const id = unique('sch');
      const name = `projects/test/schemas/${id}`;
      const created = await codeOf(sc.createSchema({ parent: 'projects/test', schemaId: id, schema: { type: 'AVRO', definition: AVRO } }));
      const duplicate = await codeOf(sc.createSchema({ parent: 'projects/test', schemaId: id, schema: { type: 'AVRO', definition: AVRO } }));
      const badDefinition = await codeOf(sc.createSchema({ parent: 'projects/test', schemaId: unique('bad'), schema: { type: 'AVRO', definition: '{"type":"nope"}' } }));
      const [got] = await sc.getSchema({ name });
      const [listed] = await sc.listSchemas({ parent: 'projects/test' });
      const validDefinition = await codeOf(sc.validateSchema({ parent: 'projects/test', schema: { type: 'AVRO', definition: AVRO } }));
      const msg = (o: unknown) => Buffer.from(JSON.stringify(o));
      const goodMessage = await codeOf(sc.validateMessage({ parent: 'projects/test', name, message: msg({ id: 'a', qty: 1 }), encoding: 'JSON' }));
      const badMessage = await codeOf(sc.validateMessage({ parent: 'projects/test', name, message: msg({ id: 'a' }), encoding: 'JSON' }));
      const [topic] = await c.createTopic({ name: unique('schema-topic'), schemaSettings: { schema: name, encoding: 'JSON' } });
      const [meta] = await topic.getMetadata();
      const [sub] = await topic.createSubscription(unique('sub'));
      const conforming = await codeOf(topic.publishMessage({ data: msg({ id: 'a', qty: 2 }) }));
      const missingField = await codeOf(topic.publishMessage({ data: msg({ id: 'b' }) }));
      const notJson = await codeOf(topic.publishMessage({ data: Buffer.from('not json') }));
      const [delivered] = await receive(sub, 1);
      // A second revision without `qty`: a topic without a revision range accepts either.
      const [rev2] = await sc.commitSchema({ name, schema: { type: 'AVRO', definition: JSON.stringify({ type: 'record', name: 'Order', fields: [{ name: 'id', type: 'string' }] }) } });
      const [revisions] = await sc.listSchemaRevisions({ name });
      const afterCommit = await codeOf(topic.publishMessage({ data: msg({ id: 'c' }) }));
      const deleted = await codeOf(sc.deleteSchema({ name }));
      const getDeleted = await codeOf(sc.getSchema({ name }));
      const [metaAfter] = await topic.getMetadata();
      const publishAfterDelete = await codeOf(topic.publishMessage({ data: msg({ id: 'd', qty: 1 }) }));
      await topic.delete();
      return {
        created, duplicate, badDefinition, validDefinition, goodMessage, badMessage, conforming, missingField, notJson, afterCommit, deleted, getDeleted, publishAfterDelete,
        got: { name: got.name === name, type: got.type, definition: got.definition, revision: /^[0-9a-f]{8}$/.test(got.revisionId ?? '') },
        listed: listed.some((s) => s.name === name),
        settings: { schema: meta.schemaSettings?.schema === name, encoding: meta.schemaSettings?.encoding },
        settingsAfterDelete: metaAfter.schemaSettings?.schema,
        deliveredData: delivered.data.toString(),
        deliveredSchema: [delivered.attributes.googclient_schemaname === name, delivered.attributes.googclient_schemaencoding, delivered.attributes.googclient_schemarevisionid === got.revisionId],
        // Oldest first; the new revision gets a new ID.
        revisions: JSON.stringify(revisions.map((x) => x.revisionId)) === JSON.stringify([got.revisionId, rev2.revisionId]) && rev2.revisionId !== got.revisionId,
      };
    } finally {
      await sc.close();
    }
  });
  expectBoth(t, r, {
    created: 'ok', duplicate: 6, badDefinition: 3, validDefinition: 'ok', goodMessage: 'ok', badMessage: 3, conforming: 'ok', missingField: 3, notJson: 3, afterCommit: 'ok',
    deleted: 'ok', getDeleted: 5, publishAfterDelete: 5,
    got: { name: true, type: 'AVRO', definition: AVRO, revision: true },
    listed: true,
    settings: { schema: true, encoding: 'JSON' },
    settingsAfterDelete: '_deleted-schema_',
    deliveredData: JSON.stringify({ id: 'a', qty: 2 }),
    deliveredSchema: [true, 'JSON', true],
    revisions: true,
  });
});

test('schemas (Protocol Buffers, JSON and BINARY encodings) — ours; Google recorded', async (t) => {
  const definition = 'syntax = "proto3";\nmessage Reading {\n  string sensor = 1;\n  double value = 2;\n  repeated string tags = 3;\n}';
  const r = await both(async (e, c) => {
    const sc = schemaClientFor(e);
    try {
      const id = unique('proto');
      const name = `projects/test/schemas/${id}`;
      const created = await codeOf(sc.createSchema({ parent: 'projects/test', schemaId: id, schema: { type: 'PROTOCOL_BUFFER', definition } }));
      const badDefinition = await codeOf(sc.validateSchema({ parent: 'projects/test', schema: { type: 'PROTOCOL_BUFFER', definition: 'message {' } }));
      if (created !== 'ok') return { created, badDefinition, jsonOk: null, jsonUnknownField: null, binaryOk: null, binaryGarbage: null };
      const out: Record<string, unknown> = { created, badDefinition };
      const [jt] = await c.createTopic({ name: unique('proto-json'), schemaSettings: { schema: name, encoding: 'JSON' } });
      out.jsonOk = await codeOf(jt.publishMessage({ data: Buffer.from(JSON.stringify({ sensor: 's1', value: 2.5, tags: ['a'] })) }));
      out.jsonUnknownField = await codeOf(jt.publishMessage({ data: Buffer.from(JSON.stringify({ sensor: 's1', colour: 'red' })) }));
      const [bt] = await c.createTopic({ name: unique('proto-bin'), schemaSettings: { schema: name, encoding: 'BINARY' } });
      // sensor = "s1" (field 1, length-delimited), value = 2.5 (field 2, 64-bit)
      const value = Buffer.alloc(8);
      value.writeDoubleLE(2.5);
      out.binaryOk = await codeOf(bt.publishMessage({ data: Buffer.concat([Buffer.from([0x0a, 0x02]), Buffer.from('s1'), Buffer.from([0x11]), value]) }));
      out.binaryGarbage = await codeOf(bt.publishMessage({ data: Buffer.from([0x0a, 0xff, 0xff]) }));
      await jt.delete();
      await bt.delete();
      return out;
    } finally {
      await sc.close();
    }
  });
  expectBoth(t, r, { created: 'ok', badDefinition: 3, jsonOk: 'ok', jsonUnknownField: 3, binaryOk: 'ok', binaryGarbage: 3 }, ['created', 'badDefinition', 'jsonOk', 'jsonUnknownField', 'binaryOk', 'binaryGarbage']);
});
