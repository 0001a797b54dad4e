// The CLI's group member: the range assignor, the consumer-protocol encodings, and
// two members sharing a topic on an in-process broker (join, sync, heartbeat,
// rebalance on a second join and on leave, commits fenced by generation).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { brokerConfigFrom } from '../config/broker-config.ts';
import { Broker } from '../server/broker.ts';
import { assignedPartitions, subscribedTopics } from '../coordinator/groups/consumer-protocol.ts';
import { BrokerConnection } from './connection.ts';
import { encodeAssignment, encodeSubscription, GroupMember, rangeAssign } from './group-member.ts';

test('rangeAssign: contiguous ranges in member-id order, the first members get the remainder', () => {
  const subs = new Map([['b', ['t', 'u']], ['a', ['t']], ['c', ['t', 'u']]]);
  const got = rangeAssign(subs, new Map([['t', 7], ['u', 2]]));
  assert.deepEqual(got.get('a'), [{ topic: 't', partitions: [0, 1, 2] }]);
  assert.deepEqual(got.get('b'), [{ topic: 't', partitions: [3, 4] }, { topic: 'u', partitions: [0] }]);
  assert.deepEqual(got.get('c'), [{ topic: 't', partitions: [5, 6] }, { topic: 'u', partitions: [1] }]);
  assert.deepEqual(rangeAssign(new Map([['x', ['t']], ['y', ['t']]]), new Map([['t', 1]])).get('y'), []);
});

test('subscription and assignment encodings read back with the coordinator decoders', () => {
  assert.deepEqual(subscribedTopics(encodeSubscription(['a', 'bé'])), ['a', 'bé']);
  assert.deepEqual(assignedPartitions(encodeAssignment([{ topic: 't', partitions: [2, 5] }])), [{ topic: 't', partitions: [2, 5] }]);
});

test('two members share a topic; a leave hands the partitions back; stale generations cannot commit', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-group-member-'));
  const config = brokerConfigFrom(new Map([
    ['listeners', 'PLAINTEXT://127.0.0.1:0'], ['log.dirs', dir], ['group.initial.rebalance.delay.ms', '0'],
    ['group.min.session.timeout.ms', '1000'], ['offsets.topic.num.partitions', '1'],
  ]));
  const broker = await Broker.start(config, pino({ level: 'silent' }));
  const bootstrap = `127.0.0.1:${broker.boundListeners[0].port}`;
  const admin = await BrokerConnection.open(bootstrap);
  const opts = { groupId: 'g', topics: ['t'], sessionTimeoutMs: 5000, rebalanceTimeoutMs: 5000, heartbeatIntervalMs: 100 };
  const members: GroupMember[] = [];
  try {
    await admin.request(19, 5, { topics: [{ name: 't', numPartitions: 4, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
    const a = await GroupMember.connect(bootstrap, opts);
    members.push(a);
    assert.deepEqual(await a.join(), [{ topic: 't', partitions: [0, 1, 2, 3] }]);
    const firstGeneration = a.generationId;
    assert.equal(await a.commit([{ topic: 't', partition: 0, offset: 7n }]), true);

    const b = await GroupMember.connect(bootstrap, opts);
    members.push(b);
    const bJoined = b.join();
    // a learns of the rebalance from its heartbeat and rejoins
    while (!a.needsRejoin) await new Promise((r) => setTimeout(r, 20));
    const [aParts, bParts] = await Promise.all([a.join(), bJoined]);
    const all = [...aParts, ...bParts].flatMap((x) => x.partitions).sort();
    assert.deepEqual(all, [0, 1, 2, 3]);
    assert.equal(aParts[0]!.partitions.length, 2);
    assert.ok(a.generationId > firstGeneration);

    // A commit under the old generation is refused with ILLEGAL_GENERATION.
    const stale = await admin.request(8, 7, {
      groupId: 'g', generationIdOrMemberEpoch: firstGeneration, memberId: a.memberId, groupInstanceId: null, retentionTimeMs: -1n,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 9n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] }],
    });
    assert.equal(stale.topics[0].partitions[0].errorCode, 22);
    assert.equal((await a.committed([{ topic: 't', partitions: [0, 1] }])).get('t:0'), 7n);

    await b.leave();
    while (!a.needsRejoin) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await a.join(), [{ topic: 't', partitions: [0, 1, 2, 3] }]);
    await a.leave();
    const described = (await admin.request(15, 5, { groups: ['g'], includeAuthorizedOperations: false })).groups[0];
    assert.equal(described.groupState, 'Empty');
  } finally {
    for (const m of members) m.close();
    admin.close();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
