// Consumer groups with python confluent-kafka (librdkafka): three members (separate processes) on a 6-partition
// topic; every record delivered once across the group in per-partition order; a
// member that leaves and one killed without LeaveGroup hand their partitions over;
// committed offsets survive a consumer restart and a broker restart; a second group
// on the same topic reads every record too. See test/support/groups.ts. Then the
// same with librdkafka's cooperative-sticky assignor (incremental rebalances, sticky),
// and static membership: a killed member restarted with its group.instance.id takes
// its partitions back while the others see no rebalance.
import { test, before, after } from 'node:test';
import { startBroker, type Broker } from '../support/broker.ts';
import assert from 'node:assert/strict';
import { BrokerConnection } from '../../broker-image/src/client/connection.ts';
import { GROUP_BROKER_OVERRIDES, GroupProbe, groupScenario, startMember, TopicLedger, verifyExactlyOnce, waitCaughtUp, type Member } from '../support/groups.ts';
import { uniqueTopic } from '../support/clients.ts';

let broker: Broker | undefined;
before(async () => {
  broker = await startBroker({ overrides: GROUP_BROKER_OVERRIDES });
});
after(async () => {
  await broker?.cleanup();
});
const log = (t: { diagnostic(s: string): void }) => (s: string) => t.diagnostic(s);

test('python: a group of three shares a 6-partition topic, survives leave, kill -9, consumer and broker restarts; a second group reads everything', async (t) => {
  await groupScenario('python', broker!, log(t));
});

// KIP-429 incremental rebalancing is client-side: the broker carries the
// cooperative-sticky protocol like any other, and members keep their partitions across it.
test('python with partition.assignment.strategy=cooperative-sticky: the same scenario under incremental rebalances', async (t) => {
  await groupScenario('python', broker!, log(t), 'cooperative-sticky');
});

test('python static membership (group.instance.id): a member killed and restarted within the session timeout takes its partitions back without a rebalance', async () => {
  const conn = await BrokerConnection.open(broker!.bootstrap, 'static-test');
  const probe = await GroupProbe.open(broker!.bootstrap);
  const ledger = new TopicLedger(uniqueTopic('static'), 6);
  const group = uniqueTopic('static-g');
  const members: Member[] = [];
  const start = (id: string, instance: string) => {
    const m = startMember('python', broker!.bootstrap, group, ledger.topic, `python-${id}`, { sessionTimeoutMs: 30_000, instanceId: instance });
    members.push(m);
    return m;
  };
  try {
    await ledger.createTopic(conn);
    const [s1, s2, s3] = [start('s1', 'i1'), start('s2', 'i2'), start('s3', 'i3')];
    const before = await probe.waitStable(group, ledger.topic, [s1.clientId, s2.clientId, s3.clientId], 6);
    const idsBefore = (await probe.describe(group, ledger.topic)).memberIds;
    await ledger.produce(conn, 'a', 40);
    await waitCaughtUp(probe, ledger, members, group);
    const assignsBefore = [s1, s2].map((m) => m.assignments().length);
    assert.ok(assignsBefore.every((n) => n >= 1), `on_assign seen: ${assignsBefore}`);

    await s3.kill();
    const s3b = start('s3b', 'i3');
    const after = await probe.waitStable(group, ledger.topic, [s1.clientId, s2.clientId, s3b.clientId], 6);
    assert.deepEqual(after.get(s3b.clientId), before.get(s3.clientId), 'the restarted instance owns what it owned');
    for (const m of [s1, s2]) assert.deepEqual(after.get(m.clientId), before.get(m.clientId));
    const idsAfter = (await probe.describe(group, ledger.topic)).memberIds;
    assert.equal(idsAfter.get(s1.clientId), idsBefore.get(s1.clientId));
    assert.notEqual(idsAfter.get(s3b.clientId), idsBefore.get(s3.clientId), 'a new member id for the same instance');
    assert.ok(idsAfter.get(s3b.clientId)!.startsWith('i3-'), idsAfter.get(s3b.clientId));

    await ledger.produce(conn, 'b', 20);
    await waitCaughtUp(probe, ledger, members, group);
    verifyExactlyOnce(ledger, members, 'static member restarted');
    for (const r of s3b.records()) assert.ok(ledger.values[r.p]![r.o]!.startsWith('b|'), `the restarted member re-read ${r.p}/${r.o}`);
    assert.deepEqual([s1, s2].map((m) => m.assignments().length), assignsBefore, 'the other members saw no rebalance');
  } finally {
    for (const m of members) m.proc.kill();
    await Promise.all(members.map((m) => m.proc.wait(10_000)));
    probe.close();
    conn.close();
  }
});
