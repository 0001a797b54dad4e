import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import { encodeMessage, decodeMessage } from '../../protocol/schema/codec.ts';
import { joinGroup as joinGroupApi } from '../../protocol/messages/join-group.ts';
import { offsetFetch as offsetFetchApi } from '../../protocol/messages/offset-fetch.ts';
import type { JoinGroupResponse } from './api-types.ts';
import type { GroupCoordinatorConfig } from './config.ts';
import { GroupCoordinator } from './group-coordinator.ts';
import { MemoryGroupStore, type GroupStore } from './group-store.ts';
import { decodeGroupMetadataValue, decodeOffsetsTopicKey } from './offsets-topic-records.ts';

const NON_EMPTY_GROUP = 68;
const coordinators: GroupCoordinator[] = [];
afterEach(() => {
  for (const c of coordinators.splice(0)) c.close();
});

function coordinator(store: GroupStore = new MemoryGroupStore(), config: Partial<GroupCoordinatorConfig> = {}): GroupCoordinator {
  const c = new GroupCoordinator(store, { initialRebalanceDelayMs: 30, minSessionTimeoutMs: 10, ...config });
  coordinators.push(c);
  return c;
}

/** A consumer-protocol subscription (version 0): the topics, null user data. */
function subscription(...topics: string[]): Buffer {
  const parts = [Buffer.from([0, 0]), int32(topics.length)];
  for (const t of topics) parts.push(Buffer.from([0, Buffer.byteLength(t)]), Buffer.from(t));
  parts.push(int32(-1));
  return Buffer.concat(parts);
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

interface JoinOptions {
  memberId?: string;
  groupInstanceId?: string | null;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  protocolType?: string;
  protocols?: { name: string; metadata: Buffer }[];
  version?: number;
  clientId?: string;
}

function join(c: GroupCoordinator, groupId: string, o: JoinOptions = {}): Promise<JoinGroupResponse> {
  return c.joinGroup({
    groupId,
    sessionTimeoutMs: o.sessionTimeoutMs ?? 10_000,
    rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 2_000,
    memberId: o.memberId ?? '',
    groupInstanceId: o.groupInstanceId ?? null,
    protocolType: o.protocolType ?? 'consumer',
    protocols: o.protocols ?? [{ name: 'range', metadata: subscription('t') }],
  }, o.clientId ?? 'client', '/127.0.0.1', o.version ?? 5);
}

/** v4+ dynamic join: the MEMBER_ID_REQUIRED round, then the real join (left pending). */
async function joinWithId(c: GroupCoordinator, groupId: string, o: JoinOptions = {}): Promise<{ memberId: string; joined: Promise<JoinGroupResponse> }> {
  const first = await join(c, groupId, o);
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  assert.ok(first.memberId.startsWith(`${o.clientId ?? 'client'}-`));
  return { memberId: first.memberId, joined: join(c, groupId, { ...o, memberId: first.memberId }) };
}

function sync(c: GroupCoordinator, groupId: string, memberId: string, generationId: number, assignments: { memberId: string; assignment: Buffer }[] = [], groupInstanceId: string | null = null) {
  return c.syncGroup({ groupId, generationId, memberId, groupInstanceId, assignments }, 5);
}

function heartbeat(c: GroupCoordinator, groupId: string, memberId: string, generationId: number, groupInstanceId: string | null = null) {
  return c.heartbeat({ groupId, memberId, generationId, groupInstanceId }, 4).then((r) => r.errorCode);
}

/** Three members join and sync; returns their ids (leader first) and the generation. */
async function stableGroupOfThree(c: GroupCoordinator, groupId: string) {
  const members = await Promise.all(['a', 'b', 'c'].map((clientId) => joinWithId(c, groupId, { clientId, protocols: [{ name: 'range', metadata: subscription(`topic-${clientId}`) }] })));
  const joins = await Promise.all(members.map((m) => m.joined));
  const leader = joins.find((j) => j.leader === j.memberId)!;
  const followers = joins.filter((j) => j !== leader);
  const assignments = joins.map((j) => ({ memberId: j.memberId, assignment: Buffer.from(`assignment-${j.memberId}`) }));
  const syncs = await Promise.all([
    sync(c, groupId, leader.memberId, leader.generationId, assignments),
    ...followers.map((f) => sync(c, groupId, f.memberId, f.generationId)),
  ]);
  return { leader, followers, joins, syncs, generationId: leader.generationId };
}

test('three members join, the leader alone gets the member list, and sync hands out its assignment', async () => {
  const c = coordinator();
  const { leader, followers, joins, syncs, generationId } = await stableGroupOfThree(c, 'g');
  assert.equal(generationId, 1);
  for (const j of joins) {
    assert.equal(j.errorCode, ErrorCode.NONE);
    assert.equal(j.generationId, 1);
    assert.equal(j.protocolName, 'range');
    assert.equal(j.leader, leader.memberId);
  }
  assert.deepEqual(leader.members.map((m) => m.memberId).sort(), joins.map((j) => j.memberId).sort());
  assert.deepEqual(leader.members.find((m) => m.memberId.startsWith('b-'))!.metadata, subscription('topic-b'));
  for (const f of followers) assert.deepEqual(f.members, []);
  for (const [i, s] of syncs.entries()) {
    assert.equal(s.errorCode, ErrorCode.NONE);
    const memberId = [leader, ...followers][i]!.memberId;
    assert.equal(s.assignment.toString(), `assignment-${memberId}`);
    assert.equal(s.protocolName, 'range');
  }
  for (const j of joins) assert.equal(await heartbeat(c, 'g', j.memberId, generationId), ErrorCode.NONE);
  const described = await c.describeGroups({ groups: ['g'] }, 5);
  assert.equal(described.groups[0]!.groupState, 'Stable');
  assert.equal(described.groups[0]!.protocolData, 'range');
  assert.equal(described.groups[0]!.members.length, 3);
});

test('a JoinGroup response encodes in every version with the codec', async () => {
  const c = coordinator();
  const { leader } = await stableGroupOfThree(c, 'g');
  for (let v = 0; v <= 9; v++) {
    const body = { ...leader, protocolName: v >= 7 ? leader.protocolName : leader.protocolName ?? '' };
    const decoded = decodeMessage(joinGroupApi.response, v, encodeMessage(joinGroupApi.response, v, body));
    assert.equal(decoded.memberId, leader.memberId);
    assert.equal(decoded.members.length, 3);
  }
});

test('a leaving member triggers a rebalance the others complete without it', async () => {
  const c = coordinator();
  const { leader, followers, generationId } = await stableGroupOfThree(c, 'g');
  const leaving = followers[0]!;
  const left = await c.leaveGroup({ groupId: 'g', members: [{ memberId: leaving.memberId, groupInstanceId: null }] }, 3);
  assert.equal(left.errorCode, ErrorCode.NONE);
  assert.deepEqual(left.members.map((m) => m.errorCode), [ErrorCode.NONE]);
  assert.equal(await heartbeat(c, 'g', leader.memberId, generationId), ErrorCode.REBALANCE_IN_PROGRESS);
  const stayed = [leader, followers[1]!];
  const rejoined = await Promise.all(stayed.map((m) => join(c, 'g', { memberId: m.memberId })));
  for (const r of rejoined) {
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.generationId, generationId + 1);
  }
  const newLeader = rejoined.find((r) => r.leader === r.memberId)!;
  assert.deepEqual(newLeader.members.map((m) => m.memberId).sort(), stayed.map((m) => m.memberId).sort());
  assert.equal(await heartbeat(c, 'g', leaving.memberId, generationId + 1), ErrorCode.UNKNOWN_MEMBER_ID);
  // v0–2 leave by member id, with the error at the top level.
  const old = await c.leaveGroup({ groupId: 'g', memberId: 'nobody' }, 1);
  assert.equal(old.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('a member that stops heartbeating is evicted after its session timeout', async () => {
  const c = coordinator(undefined, { initialRebalanceDelayMs: 10 });
  const a = await joinWithId(c, 'g', { clientId: 'a', sessionTimeoutMs: 150 });
  const b = await joinWithId(c, 'g', { clientId: 'b', sessionTimeoutMs: 150 });
  const [ja, jb] = await Promise.all([a.joined, b.joined]);
  const leader = ja!.leader === ja!.memberId ? ja! : jb!;
  await Promise.all([
    sync(c, 'g', ja!.memberId, 1, [{ memberId: ja!.memberId, assignment: Buffer.from('x') }]),
    sync(c, 'g', jb!.memberId, 1, [{ memberId: jb!.memberId, assignment: Buffer.from('y') }]),
  ]);
  assert.ok(leader);
  // Only a heartbeats.
  let aHeartbeat = ErrorCode.NONE as number;
  for (let i = 0; i < 8 && aHeartbeat === ErrorCode.NONE; i++) {
    await sleep(40);
    aHeartbeat = await heartbeat(c, 'g', ja!.memberId, 1);
  }
  assert.equal(aHeartbeat, ErrorCode.REBALANCE_IN_PROGRESS);
  const rejoin = await join(c, 'g', { memberId: ja!.memberId, sessionTimeoutMs: 150 });
  assert.equal(rejoin.generationId, 2);
  assert.deepEqual(rejoin.members.map((m) => m.memberId), [ja!.memberId]);
  assert.equal(await heartbeat(c, 'g', jb!.memberId, 2), ErrorCode.UNKNOWN_MEMBER_ID);
});

test('a static member that restarts takes its place back without a rebalance, and its old id is fenced', async () => {
  const store = new MemoryGroupStore();
  const c = coordinator(store);
  const first = await join(c, 'g', { groupInstanceId: 'instance-1' });
  assert.equal(first.errorCode, ErrorCode.NONE, 'static members skip MEMBER_ID_REQUIRED');
  const other = await joinWithId(c, 'g', { clientId: 'dynamic' });
  // (first resolved after the initial delay; the dynamic member starts generation 2)
  const [j1, j2] = await Promise.all([join(c, 'g', { memberId: first.memberId, groupInstanceId: 'instance-1' }), other.joined]);
  assert.equal(j1!.generationId, 2);
  const leader = j1!.leader === j1!.memberId ? j1! : j2!;
  await Promise.all([
    sync(c, 'g', j1!.memberId, 2, leader === j1 ? [{ memberId: j1!.memberId, assignment: Buffer.from('mine') }] : [], 'instance-1'),
    sync(c, 'g', j2!.memberId, 2, leader === j2 ? [{ memberId: j1!.memberId, assignment: Buffer.from('mine') }] : []),
  ]);
  const restarted = await join(c, 'g', { groupInstanceId: 'instance-1' });
  assert.equal(restarted.errorCode, ErrorCode.NONE);
  assert.notEqual(restarted.memberId, j1!.memberId);
  assert.equal(restarted.generationId, 2, 'no new generation');
  assert.equal(restarted.leader, leader.memberId, 'the old leader id, so nobody reassigns');
  assert.equal((await c.describeGroups({ groups: ['g'] }, 5)).groups[0]!.groupState, 'Stable');
  const resynced = await sync(c, 'g', restarted.memberId, 2, [], 'instance-1');
  assert.equal(resynced.assignment.toString(), 'mine');
  assert.equal(await heartbeat(c, 'g', j1!.memberId, 2, 'instance-1'), ErrorCode.FENCED_INSTANCE_ID);
  assert.equal(await heartbeat(c, 'g', restarted.memberId, 2, 'instance-1'), ErrorCode.NONE);
  assert.equal(await heartbeat(c, 'g', j2!.memberId, 2), ErrorCode.NONE);
  const last = store.records.at(-1)!;
  const persisted = decodeGroupMetadataValue(last.value!);
  assert.ok(persisted.members.some((m) => m.memberId === restarted.memberId && m.groupInstanceId === 'instance-1'));
  // A static member leaving by instance id with a stale member id is fenced too.
  const leave = await c.leaveGroup({ groupId: 'g', members: [{ memberId: j1!.memberId, groupInstanceId: 'instance-1' }] }, 3);
  assert.equal(leave.members[0]!.errorCode, ErrorCode.FENCED_INSTANCE_ID);
});

test('a static member rejoining with a different protocol triggers a rebalance', async () => {
  const c = coordinator(undefined, { initialRebalanceDelayMs: 5 });
  const first = await join(c, 'g', { groupInstanceId: 'i', protocols: [{ name: 'range', metadata: Buffer.from('m') }, { name: 'rr', metadata: Buffer.from('m') }] });
  await sync(c, 'g', first.memberId, first.generationId, [{ memberId: first.memberId, assignment: Buffer.from('a') }], 'i');
  const again = await join(c, 'g', { groupInstanceId: 'i', protocols: [{ name: 'rr', metadata: Buffer.from('m') }] });
  assert.equal(again.errorCode, ErrorCode.NONE);
  assert.equal(again.generationId, first.generationId + 1);
  assert.equal(again.protocolName, 'rr');
});

test('before v4 a new member joins in one round, and v0 uses the session timeout as rebalance timeout', async () => {
  const c = coordinator(undefined, { initialRebalanceDelayMs: 5 });
  const joined = await join(c, 'g', { version: 0, sessionTimeoutMs: 10_000 });
  assert.equal(joined.errorCode, ErrorCode.NONE);
  assert.equal(joined.generationId, 1);
  assert.equal(joined.leader, joined.memberId);
});

test('a rebalance waits for known members up to the rebalance timeout, then drops those that did not rejoin', async () => {
  const c = coordinator(undefined, { initialRebalanceDelayMs: 5 });
  const a = await joinWithId(c, 'g', { clientId: 'a', rebalanceTimeoutMs: 150 });
  const b = await joinWithId(c, 'g', { clientId: 'b', rebalanceTimeoutMs: 150 });
  const [ja, jb] = await Promise.all([a.joined, b.joined]);
  const leader = ja!.leader === ja!.memberId ? ja! : jb!;
  const follower = leader === ja ? jb! : ja!;
  await Promise.all([
    sync(c, 'g', leader.memberId, 1, [{ memberId: follower.memberId, assignment: Buffer.from('f') }]),
    sync(c, 'g', follower.memberId, 1),
  ]);
  const started = Date.now();
  // The leader rejoins (it wants a new assignment); the follower never does.
  const rejoin = join(c, 'g', { memberId: leader.memberId, rebalanceTimeoutMs: 150 });
  assert.equal((await sync(c, 'g', follower.memberId, 1)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  const done = await rejoin;
  assert.ok(Date.now() - started >= 140, 'held until the rebalance timeout');
  assert.equal(done.generationId, 2);
  assert.deepEqual(done.members.map((m) => m.memberId), [leader.memberId]);
  assert.equal(await heartbeat(c, 'g', follower.memberId, 2), ErrorCode.UNKNOWN_MEMBER_ID);
});

test('generation and member fencing errors', async () => {
  const c = coordinator();
  const { leader, generationId } = await stableGroupOfThree(c, 'g');
  assert.equal(await heartbeat(c, 'g', leader.memberId, generationId + 5), ErrorCode.ILLEGAL_GENERATION);
  assert.equal(await heartbeat(c, 'g', 'stranger', generationId), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await sync(c, 'g', leader.memberId, generationId - 1)).errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.equal((await sync(c, 'g', 'stranger', generationId)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const badProtocol = await c.syncGroup({ groupId: 'g', generationId, memberId: leader.memberId, protocolType: 'connect', protocolName: 'range', assignments: [] }, 5);
  assert.equal(badProtocol.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await join(c, 'g', { memberId: 'stranger' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const commit = await c.offsetCommit({ groupId: 'g', generationIdOrMemberEpoch: generationId + 1, memberId: leader.memberId, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }] }, 7);
  assert.equal(commit.topics[0]!.partitions[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION);
  // A simple consumer (generation -1) may not commit to a group with members.
  const simple = await c.offsetCommit({ groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }] }, 7);
  assert.equal(simple.topics[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('committed offsets come back unchanged, for single and multi-group fetches', async () => {
  const c = coordinator();
  const { leader, generationId } = await stableGroupOfThree(c, 'g');
  const committed = await c.offsetCommit({
    groupId: 'g', generationIdOrMemberEpoch: generationId, memberId: leader.memberId,
    topics: [{ name: 't', partitions: [
      { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 3, committedMetadata: 'meta-0' },
      { partitionIndex: 1, committedOffset: 7n, committedLeaderEpoch: -1, committedMetadata: null },
      { partitionIndex: 2, committedOffset: 9n, committedMetadata: 'x'.repeat(5000) },
    ] }],
  }, 8);
  assert.deepEqual(committed.topics[0]!.partitions.map((p) => p.errorCode), [ErrorCode.NONE, ErrorCode.NONE, ErrorCode.OFFSET_METADATA_TOO_LARGE]);
  // A simple consumer commits to a group nobody joined.
  const simple = await c.offsetCommit({ groupId: 'simple', topics: [{ name: 'u', partitions: [{ partitionIndex: 5, committedOffset: 100n, committedMetadata: 'm' }] }] }, 0);
  assert.equal(simple.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);

  const fetched = await c.offsetFetch({ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1, 2] }] }, 5);
  assert.equal(fetched.errorCode, ErrorCode.NONE);
  assert.deepEqual(fetched.topics[0]!.partitions, [
    { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 3, metadata: 'meta-0', errorCode: 0 },
    { partitionIndex: 1, committedOffset: 7n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
    { partitionIndex: 2, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
  ]);
  const all = await c.offsetFetch({ groupId: 'g', topics: null }, 7);
  assert.deepEqual(all.topics[0]!.partitions.map((p) => p.partitionIndex).sort(), [0, 1]);

  const multi = await c.offsetFetch({ groups: [
    { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }] },
    { groupId: 'simple', topics: null },
    { groupId: 'nobody', topics: [{ name: 't', partitionIndexes: [0] }] },
  ] }, 8);
  assert.equal(multi.groups[0]!.topics[0]!.partitions[0]!.committedOffset, 42n);
  assert.deepEqual(multi.groups[1]!.topics, [{ name: 'u', partitions: [{ partitionIndex: 5, committedOffset: 100n, committedLeaderEpoch: -1, metadata: 'm', errorCode: 0 }] }]);
  assert.equal(multi.groups[2]!.topics[0]!.partitions[0]!.committedOffset, -1n);
  // The response encodes as v8 and as v3.
  assert.equal(decodeMessage(offsetFetchApi.response, 8, encodeMessage(offsetFetchApi.response, 8, multi)).groups.length, 3);
  assert.equal(decodeMessage(offsetFetchApi.response, 3, encodeMessage(offsetFetchApi.response, 3, fetched)).topics[0].partitions[0].committedOffset, 42n);
});

test('replaying the stored records restores offsets and the group', async () => {
  const store = new MemoryGroupStore();
  const c = coordinator(store);
  const { leader, generationId } = await stableGroupOfThree(c, 'g');
  await c.offsetCommit({ groupId: 'g', generationIdOrMemberEpoch: generationId, memberId: leader.memberId, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 10n, committedLeaderEpoch: 2, committedMetadata: 'first' }] }] }, 8);
  await c.offsetCommit({ groupId: 'g', generationIdOrMemberEpoch: generationId, memberId: leader.memberId, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 20n, committedLeaderEpoch: 2, committedMetadata: 'second' }] }] }, 8);
  await c.offsetCommit({ groupId: 'gone', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }] }, 2);
  assert.equal((await c.deleteGroups({ groupsNames: ['gone'] }, 2)).results[0]!.errorCode, ErrorCode.NONE);
  c.close();

  const restarted = coordinator(new MemoryGroupStore());
  for (const r of store.records) restarted.loadRecord(r.key, r.value);
  const fetched = await restarted.offsetFetch({ groupId: 'g', topics: null }, 5);
  assert.deepEqual(fetched.topics, [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 20n, committedLeaderEpoch: 2, metadata: 'second', errorCode: 0 }] }]);
  assert.deepEqual((await restarted.offsetFetch({ groupId: 'gone', topics: null }, 5)).topics, []);
  const described = (await restarted.describeGroups({ groups: ['g'] }, 4)).groups[0]!;
  assert.equal(described.groupState, 'Stable');
  assert.equal(described.members.length, 3);
  assert.equal(await heartbeat(restarted, 'g', leader.memberId, generationId), ErrorCode.NONE);
  assert.equal((await restarted.listGroups({}, 3)).groups.length, 1);
});

test('bad requests get their error codes and other groups keep working', async () => {
  const c = coordinator(undefined, { maxSessionTimeoutMs: 60_000 });
  const healthy = stableGroupOfThree(c, 'healthy');
  assert.equal(await heartbeat(c, 'unknown-group', 'm', 1), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await sync(c, 'unknown-group', 'm', 1)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await join(c, 'g', { sessionTimeoutMs: 5 })).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal((await join(c, 'g', { sessionTimeoutMs: 60_001 })).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal((await join(c, '', {})).errorCode, ErrorCode.INVALID_GROUP_ID);
  assert.equal((await join(c, 'g', { protocolType: '' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  // An existing group: the newcomer shares no protocol with it.
  const { leader } = await healthy;
  assert.equal((await join(c, 'healthy', { protocols: [{ name: 'sticky', metadata: Buffer.alloc(0) }] })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await join(c, 'healthy', { protocolType: 'connect' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await c.describeGroups({ groups: ['nope'] }, 5)).groups[0]!.groupState, 'Dead');
  assert.equal(await heartbeat(c, 'healthy', leader.memberId, 1), ErrorCode.NONE);
  assert.deepEqual((await c.listGroups({}, 4)).groups.map((g) => g.groupId), ['healthy']);
});

test('deleting groups and offsets respects membership and subscriptions', async () => {
  const store = new MemoryGroupStore();
  const c = coordinator(store);
  const { leader, generationId } = await stableGroupOfThree(c, 'g');
  await c.offsetCommit({ groupId: 'g', generationIdOrMemberEpoch: generationId, memberId: leader.memberId, topics: [
    { name: 'topic-a', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: '' }] },
    { name: 'old-topic', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: '' }] },
  ] }, 8);
  const deleted = await c.deleteGroups({ groupsNames: ['g', 'missing', ''] }, 2);
  assert.deepEqual(deleted.results.map((r) => r.errorCode), [NON_EMPTY_GROUP, ErrorCode.GROUP_ID_NOT_FOUND, ErrorCode.INVALID_GROUP_ID]);
  const offsetDelete = await c.offsetDelete({ groupId: 'g', topics: [
    { name: 'topic-a', partitions: [{ partitionIndex: 0 }] },
    { name: 'old-topic', partitions: [{ partitionIndex: 0 }] },
  ] }, 0);
  assert.deepEqual(offsetDelete.topics.map((t) => t.partitions[0]!.errorCode), [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE]);
  assert.equal(store.records.at(-1)!.value, null);
  assert.deepEqual(decodeOffsetsTopicKey(store.records.at(-1)!.key), { kind: 'offset', group: 'g', topic: 'old-topic', partition: 0 });
  assert.equal((await c.offsetDelete({ groupId: 'missing', topics: [] }, 0)).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
});

test('offsets of an empty group expire after the retention time', async () => {
  let now = 1_000_000;
  const store = new MemoryGroupStore();
  const c = coordinator(store, { now: () => now, offsetsRetentionMs: 60_000 });
  await c.offsetCommit({ groupId: 'simple', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedMetadata: null }] }] }, 2);
  now += 30_000;
  await c.offsetCommit({ groupId: 'simple', topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 6n, committedMetadata: null }] }] }, 2);
  now += 31_000;
  assert.equal(await c.expireOffsets(), 1);
  const left = await c.offsetFetch({ groupId: 'simple', topics: null }, 5);
  assert.deepEqual(left.topics[0]!.partitions.map((p) => p.partitionIndex), [1]);
  now += 60_000;
  assert.equal(await c.expireOffsets(), 1);
  assert.deepEqual((await c.listGroups({}, 3)).groups, []);
  assert.ok(store.records.slice(-2).every((r) => r.value === null));
});

test('a stable consumer group keeps offsets of subscribed topics and loses stale ones of others', async () => {
  let now = 5_000_000;
  const c = coordinator(undefined, { now: () => now, offsetsRetentionMs: 60_000 });
  const { leader, generationId } = await stableGroupOfThree(c, 'g');
  await c.offsetCommit({ groupId: 'g', generationIdOrMemberEpoch: generationId, memberId: leader.memberId, topics: [
    { name: 'topic-a', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: '' }] },
    { name: 'unsubscribed', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: '' }] },
  ] }, 8);
  now += 61_000;
  assert.equal(await c.expireOffsets(), 1);
  const left = await c.offsetFetch({ groupId: 'g', topics: null }, 5);
  assert.deepEqual(left.topics.map((t) => t.name), ['topic-a']);
});

test('a failed store write fails the commit and keeps the old offset', async () => {
  let failing = false;
  const store: GroupStore = {
    async append() {
      if (failing) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    },
    async appendAll() {
      if (failing) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    },
  };
  const c = coordinator(store);
  const commit = (offset: bigint) => c.offsetCommit({ groupId: 's', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedMetadata: null }] }] }, 2);
  await commit(1n);
  failing = true;
  assert.equal((await commit(2n)).topics[0]!.partitions[0]!.errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal((await c.offsetFetch({ groupId: 's', topics: [{ name: 't', partitionIndexes: [0] }] }, 5)).topics[0]!.partitions[0]!.committedOffset, 1n);
});

test('list groups filters by state (v4)', async () => {
  const c = coordinator();
  await stableGroupOfThree(c, 'stable');
  await c.offsetCommit({ groupId: 'empty', topics: [] }, 2);
  await c.offsetCommit({ groupId: 'empty', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }] }, 2);
  const stable = await c.listGroups({ statesFilter: ['stable'] }, 4);
  assert.deepEqual(stable.groups, [{ groupId: 'stable', protocolType: 'consumer', groupState: 'Stable' }]);
  const all = await c.listGroups({ statesFilter: [] }, 4);
  assert.deepEqual(all.groups.map((g) => g.groupId).sort(), ['empty', 'stable']);
});

test('OffsetCommit with a generation to a group that does not exist: ILLEGAL_GENERATION before v9, GROUP_ID_NOT_FOUND from v9; nothing stored', async () => {
  const c = coordinator();
  const body = {
    groupId: 'nobody', generationIdOrMemberEpoch: 3, memberId: 'ghost', groupInstanceId: null, retentionTimeMs: -1n,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: '' }] }],
  };
  assert.equal((await c.offsetCommit(body, 8)).topics[0]!.partitions[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.equal((await c.offsetCommit(body, 9)).topics[0]!.partitions[0]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  const fetched = await c.offsetFetch({ groupId: 'nobody', topics: null }, 7);
  assert.deepEqual(fetched.topics, []);
});

test('one OffsetCommit is one store write (all its partitions together); oversized metadata is left out of it', async () => {
  const store = new MemoryGroupStore();
  let writes = 0;
  const appendAll = store.appendAll.bind(store);
  store.appendAll = async (records) => {
    writes++;
    await appendAll(records);
  };
  const c = coordinator(store, { offsetMetadataMaxBytes: 4 });
  const res = await c.offsetCommit({ groupId: 's', topics: [
    { name: 't', partitions: [0, 1, 2].map((i) => ({ partitionIndex: i, committedOffset: BigInt(10 + i), committedMetadata: '' })) },
    { name: 'u', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedMetadata: 'far too long' }, { partitionIndex: 1, committedOffset: 6n, committedMetadata: 'ok' }] },
  ] }, 2);
  assert.deepEqual(res.topics.map((t) => t.partitions.map((p) => p.errorCode)), [[0, 0, 0], [ErrorCode.OFFSET_METADATA_TOO_LARGE, 0]]);
  assert.equal(writes, 1);
  assert.equal(store.records.length, 4);
  const fetched = await c.offsetFetch({ groupId: 's', topics: null }, 5);
  assert.deepEqual(fetched.topics.map((t) => [t.name, t.partitions.map((p) => Number(p.committedOffset))]), [['t', [10, 11, 12]], ['u', [6]]]);
});
