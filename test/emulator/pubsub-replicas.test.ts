// Several Pub/Sub emulator processes against one broker, sharing the work through a
// Kafka consumer group: state written through one replica is visible through the
// others, each serves the partitions the group gave it and forwards the rest, and
// when one is killed (SIGKILL) the others take its partitions over — unacked
// messages come again, confirmed acks stay. Delivery attempts survive a failover.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '@google-cloud/pubsub';
import { Kafka, logLevel, AssignerProtocol } from 'kafkajs';
import { startBroker, type Broker } from '../support/broker.ts';
import { startOurs, clientFor, subscriberClientFor, publisherClientFor, unique, waitFor, type Emulator } from './pubsub-support.ts';

const SESSION_MS = 3000;
let broker: Broker;
let kafka: Kafka;
let replicas: Emulator[] = [];

async function startReplica(): Promise<Emulator> {
  return startOurs(broker.bootstrap, ['--pubsub-session-timeout-ms', String(SESSION_MS)]);
}

before(async () => {
  broker = await startBroker({
    overrides: { 'auto.create.topics.enable': 'false', 'group.initial.rebalance.delay.ms': '0', 'group.min.session.timeout.ms': '1000' },
  });
  kafka = new Kafka({ clientId: 'pubsub-replicas', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8 } });
  for (let i = 0; i < 3; i++) replicas.push(await startReplica());
});

after(async () => {
  await Promise.allSettled(replicas.map((r) => r.stop()));
  await broker?.cleanup();
});

/** A Pub/Sub topic with several partitions (made with Kafka: Pub/Sub-created topics have one). */
async function topicWithPartitions(n: number): Promise<string> {
  const id = unique('rt');
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: id, numPartitions: n }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  return `projects/test/topics/${id}`;
}

/** Which group member (by client ID) serves which partitions of a Kafka topic. */
async function assignment(topic: string): Promise<Map<string, number[]>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups(['tributary-pubsub']);
    const out = new Map<string, number[]>();
    for (const m of groups[0]?.members ?? []) {
      const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      out.set(m.clientId, a?.assignment[topic] ?? []);
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

const clientIdOf = (e: Emulator) => `tributary-pubsub-${e.hostPort.replace(/[^a-zA-Z0-9._-]/g, '_')}`;

async function publish(via: Emulator, topic: string, data: string[]): Promise<void> {
  const pub = publisherClientFor(via);
  try {
    for (let i = 0; i < data.length; i += 100) {
      await pub.publish({ topic, messages: data.slice(i, i + 100).map((d) => ({ data: Buffer.from(d) })) });
    }
  } finally {
    await pub.close();
  }
}

/** Pulls through one replica, acks (confirmed) through another, until `until` or nothing more comes. */
async function pullAndAck(pullVia: Emulator, ackVia: Emulator, sub: string, until: (seen: Set<string>) => boolean, timeoutMs = 60_000): Promise<string[]> {
  const pc = subscriberClientFor(pullVia);
  const ac = subscriberClientFor(ackVia);
  const seen: string[] = [];
  const set = new Set<string>();
  try {
    const end = Date.now() + timeoutMs;
    while (!until(set) && Date.now() < end) {
      const [res] = await pc.pull({ subscription: sub, maxMessages: 500, returnImmediately: true });
      const msgs = res.receivedMessages ?? [];
      if (msgs.length === 0) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      for (const m of msgs) {
        const d = Buffer.from(m.message!.data as Uint8Array).toString();
        seen.push(d);
        set.add(d);
      }
      await ac.acknowledge({ subscription: sub, ackIds: msgs.map((m) => m.ackId!) });
    }
  } finally {
    await pc.close();
    await ac.close();
  }
  return seen;
}

test('three replicas share a topic\'s partitions; a subscription made through one is used through the others', async () => {
  const [a, b, c] = replicas;
  const topic = await topicWithPartitions(6);
  const subName = `projects/test/subscriptions/${unique('s')}`;
  const ca = clientFor(a);
  const cb = clientFor(b);
  try {
    await ca.topic(topic).createSubscription(subName);
    // Visible at once through another replica (it tails the state topic).
    const meta = await waitFor('the subscription through replica B', async () => (await cb.subscription(subName).getMetadata())[0]);
    assert.equal(meta.topic, topic);
    const owners = await waitFor('all six partitions assigned', async () => {
      const m = await assignment(topic.split('/').pop()!);
      const all = [...m.values()].flat();
      return all.length === 6 ? m : null;
    });
    for (const r of replicas) assert.ok((owners.get(clientIdOf(r)) ?? []).length > 0, `replica ${r.hostPort} serves none of the partitions: ${JSON.stringify([...owners])}`);

    const data = Array.from({ length: 600 }, (_, i) => `m${i}`);
    await publish(c, topic, data);
    // Pulled through B (which forwards to the owners of the other partitions), acked through C.
    const seen = await pullAndAck(b, c, subName, (s) => s.size >= 600);
    assert.deepEqual([...new Set(seen)].sort(), [...data].sort());
    // Acked through a replica that owns only some of them: none comes back through any replica.
    for (const r of replicas) assert.deepEqual(await pullAndAck(r, r, subName, () => false, 1500), [], `redelivered through ${r.hostPort}`);
  } finally {
    await ca.close();
    await cb.close();
  }
});

test('a replica killed with SIGKILL: its partitions move to the others, unacked messages come again, confirmed acks stay', async () => {
  const [a, b, c] = replicas;
  const topic = await topicWithPartitions(6);
  const subName = `projects/test/subscriptions/${unique('s')}`;
  const ca = clientFor(a);
  const streamed = new Set<string>();
  try {
    await ca.topic(topic).createSubscription(subName, { ackDeadlineSeconds: 10 });
    const first = Array.from({ length: 300 }, (_, i) => `a${i}`);
    await publish(a, topic, first);
    // Part of it pulled and acked (confirmed), part pulled and left unacked.
    const pc = subscriberClientFor(a);
    const acked = new Set<string>();
    const unacked = new Set<string>();
    try {
      await waitFor('300 pulled', async () => {
        const [res] = await pc.pull({ subscription: subName, maxMessages: 500, returnImmediately: true });
        const msgs = res.receivedMessages ?? [];
        const toAck = msgs.filter((_, i) => i % 2 === 0);
        if (toAck.length) await pc.acknowledge({ subscription: subName, ackIds: toAck.map((m) => m.ackId!) });
        msgs.forEach((m, i) => (i % 2 === 0 ? acked : unacked).add(Buffer.from(m.message!.data as Uint8Array).toString()));
        return acked.size + unacked.size >= 300;
      });
    } finally {
      await pc.close();
    }
    // A StreamingPull subscriber (the official client) on replica A across the kill.
    const sub = ca.subscription(subName, { flowControl: { maxMessages: 200 } });
    sub.on('message', (m: Message) => {
      streamed.add(m.data.toString());
      m.ack();
    });
    sub.on('error', () => {});
    const owners = await assignment(topic.split('/').pop()!);
    const victim = (owners.get(clientIdOf(c)) ?? []).length > 0 ? c : b;
    await victim.stop('SIGKILL');
    replicas = replicas.filter((r) => r !== victim);
    const second = Array.from({ length: 300 }, (_, i) => `b${i}`);
    await publish(a, topic, second);
    // Everything not acked before the kill arrives (the killed replica's leases included).
    await waitFor('every unacked and every new message streamed', () => [...unacked, ...second].every((d) => streamed.has(d)), 90_000, 200);
    for (const d of acked) assert.ok(!streamed.has(d), `${d} was acked (confirmed) before the kill and was delivered again`);
    const after = await assignment(topic.split('/').pop()!);
    assert.equal([...after.values()].flat().length, 6, 'all six partitions have an owner after the failover');
    assert.equal(after.has(clientIdOf(victim)), false);
    sub.removeAllListeners();
    await sub.close();
  } finally {
    await ca.close();
  }
  // The killed replica comes back (a new process) and takes its share again.
  replicas.push(await startReplica());
});

test('delivery attempts survive a failover: delivery_attempt keeps counting and dead-lettering happens on time', async () => {
  const [a] = replicas;
  const ca = clientFor(a);
  const [topic] = await ca.createTopic(unique('dla'));
  const [dead] = await ca.createTopic(unique('dlq'));
  const [deadSub] = await dead.createSubscription(unique('dlq-sub'));
  const [sub] = await topic.createSubscription(unique('s'), { deadLetterPolicy: { deadLetterTopic: dead.name, maxDeliveryAttempts: 5 } });
  await topic.publishMessage({ data: Buffer.from('x') });
  const attempts: number[] = [];
  const nackOnce = async (via: Emulator) => {
    const sc = subscriberClientFor(via);
    try {
      const m = await waitFor('the message', async () => {
        const [res] = await sc.pull({ subscription: sub.name, maxMessages: 1, returnImmediately: true });
        return res.receivedMessages?.[0];
      });
      attempts.push(m.deliveryAttempt!);
      await sc.modifyAckDeadline({ subscription: sub.name, ackIds: [m.ackId!], ackDeadlineSeconds: 0 });
    } finally {
      await sc.close();
    }
  };
  await nackOnce(a);
  await nackOnce(replicas[1]);
  // Kill the replica serving the topic's one partition; the next one to serve it goes on counting.
  const kafkaTopic = topic.name.split('/').pop()!;
  const owners = await assignment(kafkaTopic);
  const owner = replicas.find((r) => (owners.get(clientIdOf(r)) ?? []).includes(0))!;
  assert.ok(owner, `no replica serves ${kafkaTopic}: ${JSON.stringify([...owners])}`);
  await owner.stop('SIGKILL');
  replicas = replicas.filter((r) => r !== owner);
  const survivor = replicas[0];
  await nackOnce(survivor);
  await nackOnce(survivor);
  await nackOnce(survivor);
  assert.deepEqual(attempts, [1, 2, 3, 4, 5]);
  // Out of attempts: forwarded to the dead-letter topic, not delivered again.
  const cs = clientFor(survivor);
  try {
    const got = await waitFor('the dead-lettered message', async () => {
      const sc = subscriberClientFor(survivor);
      try {
        const [res] = await sc.pull({ subscription: deadSub.name, maxMessages: 1, returnImmediately: true });
        return res.receivedMessages?.[0];
      } finally {
        await sc.close();
      }
    }, 60_000, 300);
    assert.equal(Buffer.from(got.message!.data as Uint8Array).toString(), 'x');
    const sc = subscriberClientFor(survivor);
    try {
      const [res] = await sc.pull({ subscription: sub.name, maxMessages: 1, returnImmediately: true });
      assert.equal(res.receivedMessages?.length ?? 0, 0);
    } finally {
      await sc.close();
    }
  } finally {
    await cs.close();
    await ca.close().catch(() => {});
  }
  replicas.push(await startReplica());
});

test('seek and subscription updates made through a replica that does not serve the subscription take effect at its owner', async () => {
  const ca = clientFor(replicas[0]);
  try {
    const [topic] = await ca.createTopic(unique('seek'));
    const [sub] = await topic.createSubscription(unique('s'));
    const owners = await assignment(topic.name.split('/').pop()!);
    const owner = replicas.find((r) => (owners.get(clientIdOf(r)) ?? []).includes(0))!;
    const other = replicas.find((r) => r !== owner)!;
    const before = new Date(Date.now() - 1000);
    const data = Array.from({ length: 10 }, (_, i) => `k${i}`);
    await publish(other, topic.name, data);
    assert.deepEqual((await pullAndAck(owner, other, sub.name, (s) => s.size >= 10)).sort(), [...data].sort());
    // Seek back through the replica that does not serve it: everything comes again, through either.
    const sc = subscriberClientFor(other);
    try {
      await sc.seek({ subscription: sub.name, time: { seconds: Math.floor(before.getTime() / 1000) } });
      await sc.updateSubscription({ subscription: { name: sub.name, ackDeadlineSeconds: 42 }, updateMask: { paths: ['ack_deadline_seconds'] } });
    } finally {
      await sc.close();
    }
    const again = await pullAndAck(other, owner, sub.name, (s) => s.size >= 10);
    assert.deepEqual([...new Set(again)].sort(), [...data].sort());
    const co = clientFor(owner);
    try {
      const [meta] = await co.subscription(sub.name).getMetadata();
      assert.equal(meta.ackDeadlineSeconds, 42);
    } finally {
      await co.close();
    }
  } finally {
    await ca.close();
  }
});
