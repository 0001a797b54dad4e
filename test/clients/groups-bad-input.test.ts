// Bad group requests, sent raw through the broker's own BrokerConnection while a
// healthy group (the CLI's GroupMember, range assignor) stays joined: each gets
// Kafka's error code, and the healthy group is neither rebalanced nor refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type Broker } from '../support/broker.ts';
import { cliOk, uniqueTopic } from '../support/clients.ts';
import { GROUP_BROKER_OVERRIDES, GroupProbe, TopicLedger } from '../support/groups.ts';
import { BrokerConnection } from '../../broker-image/src/client/connection.ts';
import { encodeSubscription, GroupMember } from '../../broker-image/src/client/group-member.ts';

const E = {
  NONE: 0, UNKNOWN_TOPIC_OR_PARTITION: 3, ILLEGAL_GENERATION: 22, INCONSISTENT_GROUP_PROTOCOL: 23, INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25, INVALID_SESSION_TIMEOUT: 26, REBALANCE_IN_PROGRESS: 27, GROUP_ID_NOT_FOUND: 69, MEMBER_ID_REQUIRED: 79,
};

let broker: Broker;
let conn: BrokerConnection;
let probe: GroupProbe;
let healthy: GroupMember;
let ledger: TopicLedger;
let healthyGeneration: number;
const healthyGroup = uniqueTopic('healthy');

before(async () => {
  broker = await startBroker({ overrides: GROUP_BROKER_OVERRIDES });
  conn = await BrokerConnection.open(broker.bootstrap, 'bad-input');
  probe = await GroupProbe.open(broker.bootstrap);
  ledger = new TopicLedger(uniqueTopic('bad-input'), 3);
  await ledger.createTopic(conn);
  await ledger.produce(conn, 'a', 10);
  healthy = await GroupMember.connect(broker.bootstrap, { groupId: healthyGroup, topics: [ledger.topic], sessionTimeoutMs: 10_000, heartbeatIntervalMs: 200 });
  assert.deepEqual(await healthy.join(), [{ topic: ledger.topic, partitions: [0, 1, 2] }]);
  healthyGeneration = healthy.generationId;
});
after(async () => {
  await healthy?.leave().catch(() => {});
  conn?.close();
  probe?.close();
  await broker?.cleanup();
});

const commitBody = (group: string, generation: number, memberId: string, topic = ledger.topic, partition = 0) => ({
  groupId: group, generationIdOrMemberEpoch: generation, memberId, groupInstanceId: null, retentionTimeMs: -1n,
  topics: [{ name: topic, partitions: [{ partitionIndex: partition, committedOffset: 3n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] }],
});
const commitCode = async (version: number, ...args: Parameters<typeof commitBody>) => (await conn.send(8, version, commitBody(...args))).topics[0].partitions[0].errorCode;

const join = (group: string, over: Record<string, unknown> = {}, version = 5) => conn.send(11, version, {
  groupId: group, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null,
  protocolType: 'consumer', protocols: [{ name: 'range', metadata: encodeSubscription([ledger.topic]) }], reason: null, ...over,
});

/** The healthy group is still Stable in the same generation, and its member can commit. */
async function healthyStillServed(): Promise<void> {
  assert.equal(healthy.needsRejoin, false, `healthy member: ${healthy.lastError}`);
  assert.equal(healthy.generationId, healthyGeneration);
  const { state, owners } = await probe.describe(healthyGroup, ledger.topic);
  assert.equal(state, 'Stable');
  assert.deepEqual([...owners.values()], [[0, 1, 2]]);
  assert.equal(await healthy.commit([{ topic: ledger.topic, partition: 1, offset: 5n }]), true);
}

test('commits for a group nobody joined: with a generation → ILLEGAL_GENERATION (v2–v8) / GROUP_ID_NOT_FOUND (v9), as a simple client (-1) → stored', async () => {
  const group = uniqueTopic('nobody');
  for (const v of [2, 5, 8]) assert.equal(await commitCode(v, group, 4, 'ghost'), E.ILLEGAL_GENERATION, `v${v}`);
  assert.equal(await commitCode(9, group, 4, 'ghost'), E.GROUP_ID_NOT_FOUND, 'v9 (KIP-848 era) names the missing group');
  assert.deepEqual(await probe.committed(group, ledger.topic, 3), [-1, -1, -1], 'nothing stored');
  assert.equal(await commitCode(8, group, -1, ''), E.NONE);
  assert.deepEqual(await probe.committed(group, ledger.topic, 3), [3, -1, -1]);
  await healthyStillServed();
});

test('commits to a live group with a wrong generation or member id, and unknown topics', async () => {
  assert.equal(await commitCode(7, healthyGroup, healthyGeneration + 1, healthy.memberId), E.ILLEGAL_GENERATION);
  assert.equal(await commitCode(7, healthyGroup, healthyGeneration - 1, healthy.memberId), E.ILLEGAL_GENERATION);
  assert.equal(await commitCode(7, healthyGroup, healthyGeneration, 'not-a-member'), E.UNKNOWN_MEMBER_ID);
  assert.equal(await commitCode(7, healthyGroup, -1, ''), E.UNKNOWN_MEMBER_ID, 'a simple-client commit to a group with members');
  assert.equal(await commitCode(7, healthyGroup, healthyGeneration, healthy.memberId, uniqueTopic('no-such-topic')), E.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(await commitCode(7, healthyGroup, healthyGeneration, healthy.memberId, ledger.topic, 99), E.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(await commitCode(7, '', -1, ''), E.INVALID_GROUP_ID);
  assert.deepEqual((await probe.committed(healthyGroup, ledger.topic, 3))[0], -1, 'no bad commit landed');
  const hb = await conn.send(12, 3, { groupId: healthyGroup, generationId: healthyGeneration + 5, memberId: healthy.memberId, groupInstanceId: null });
  assert.equal(hb.errorCode, E.ILLEGAL_GENERATION);
  const hb2 = await conn.send(12, 3, { groupId: healthyGroup, generationId: healthyGeneration, memberId: 'stranger', groupInstanceId: null });
  assert.equal(hb2.errorCode, E.UNKNOWN_MEMBER_ID);
  const sync = await conn.send(14, 3, { groupId: healthyGroup, generationId: healthyGeneration, memberId: 'stranger', groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
  assert.equal(sync.errorCode, E.UNKNOWN_MEMBER_ID);
  await healthyStillServed();
});

test('joins with no common protocol, no protocols, a bad session timeout or no group id are refused', async () => {
  const other = await join(healthyGroup, { protocols: [{ name: 'roundrobin', metadata: encodeSubscription([ledger.topic]) }] });
  assert.equal(other.errorCode, E.INCONSISTENT_GROUP_PROTOCOL, 'a protocol the group does not use');
  const otherType = await join(healthyGroup, { protocolType: 'connect' });
  assert.equal(otherType.errorCode, E.INCONSISTENT_GROUP_PROTOCOL, 'another protocol type');
  const none = await join(uniqueTopic('empty-protocols'), { protocols: [] });
  assert.equal(none.errorCode, E.INCONSISTENT_GROUP_PROTOCOL, 'no protocols at all');
  const noType = await join(uniqueTopic('empty-type'), { protocolType: '' });
  assert.equal(noType.errorCode, E.INCONSISTENT_GROUP_PROTOCOL, 'empty protocol type');
  assert.equal((await join(uniqueTopic('short'), { sessionTimeoutMs: 10 })).errorCode, E.INVALID_SESSION_TIMEOUT);
  assert.equal((await join(uniqueTopic('long'), { sessionTimeoutMs: 1_900_000 })).errorCode, E.INVALID_SESSION_TIMEOUT);
  assert.equal((await join('')).errorCode, E.INVALID_GROUP_ID);
  assert.equal((await join(uniqueTopic('ghost-member'), { memberId: 'made-up' })).errorCode, E.UNKNOWN_MEMBER_ID);
  await healthyStillServed();
});

test('malformed member metadata and assignments are carried, not parsed into trouble: describe, list and the CLI still work', async () => {
  const group = uniqueTopic('garbage');
  const garbage = Buffer.from([0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3]);
  const first = await join(group, { protocols: [{ name: 'range', metadata: garbage }] });
  assert.equal(first.errorCode, E.MEMBER_ID_REQUIRED);
  const joined = await join(group, { memberId: first.memberId, protocols: [{ name: 'range', metadata: garbage }] });
  assert.equal(joined.errorCode, E.NONE);
  assert.equal(joined.leader, joined.memberId);
  assert.deepEqual(Buffer.from(joined.members[0].metadata), garbage, 'the leader gets the metadata byte for byte');
  const sync = await conn.send(14, 3, {
    groupId: group, generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null,
    protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: joined.memberId, assignment: garbage }],
  });
  assert.equal(sync.errorCode, E.NONE);
  assert.deepEqual(Buffer.from(sync.assignment), garbage);
  const wrongName = await conn.send(14, 5, {
    groupId: group, generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null,
    protocolType: 'consumer', protocolName: 'roundrobin', assignments: [],
  });
  assert.equal(wrongName.errorCode, E.INCONSISTENT_GROUP_PROTOCOL);

  const d = (await conn.send(15, 5, { groups: [group], includeAuthorizedOperations: false })).groups[0];
  assert.equal(d.errorCode, E.NONE);
  assert.equal(d.groupState, 'Stable');
  const described = await cliOk(['consumer-groups', '--bootstrap-server', broker.bootstrap, '--describe', '--group', group]);
  assert.match(described.stdout, /GROUP\s+TOPIC/);
  const listed = await cliOk(['consumer-groups', '--bootstrap-server', broker.bootstrap, '--list']);
  assert.ok(listed.stdout.split('\n').includes(group), listed.stdout);
  // OffsetDelete cannot tell what a garbage subscription covers: it refuses (NON_EMPTY_GROUP) rather than guessing.
  const del = await conn.send(47, 0, { groupId: group, topics: [{ name: ledger.topic, partitions: [{ partitionIndex: 0 }] }] });
  assert.equal(del.errorCode, 68, `OffsetDelete answered ${del.errorCode}`);

  const left = await conn.send(13, 3, { groupId: group, members: [{ memberId: joined.memberId, groupInstanceId: null }] });
  assert.equal(left.errorCode, E.NONE);
  assert.equal(left.members[0].errorCode, E.NONE);
  const again = await conn.send(13, 3, { groupId: group, members: [{ memberId: joined.memberId, groupInstanceId: null }] });
  assert.equal(again.members[0].errorCode, E.UNKNOWN_MEMBER_ID, 'leaving twice');
  await healthyStillServed();
});
