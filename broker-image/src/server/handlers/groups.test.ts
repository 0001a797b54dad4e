// OffsetCommit through the handler: partitions of topics the broker does not have
// are answered UNKNOWN_TOPIC_OR_PARTITION (as Kafka), the others are committed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { brokerConfigFrom } from '../../config/broker-config.ts';
import { BrokerConnection } from '../../client/connection.ts';
import { Broker } from '../broker.ts';

async function withBroker(fn: (conn: BrokerConnection) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-groups-handler-'));
  const config = brokerConfigFrom(new Map([['listeners', 'PLAINTEXT://127.0.0.1:0'], ['log.dirs', dir], ['auto.create.topics.enable', 'false']]));
  const broker = await Broker.start(config, pino({ level: 'silent' }));
  const conn = await BrokerConnection.open(`127.0.0.1:${broker.boundListeners[0].port}`);
  try {
    await fn(conn);
  } finally {
    conn.close();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const commit = (conn: BrokerConnection, version: number, group: string, topics: { name: string; partitions: number[] }[]) =>
  conn.send(8, version, {
    groupId: group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n,
    topics: topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: 'm' })),
    })),
  });

for (const version of [2, 8]) {
  test(`OffsetCommit v${version}: unknown topics and partitions get UNKNOWN_TOPIC_OR_PARTITION, known ones commit`, () => withBroker(async (conn) => {
    const created = await conn.request(19, 7, { topics: [{ name: 'known', numPartitions: 2, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
    assert.equal(created.topics[0].errorCode, 0);

    const res = await commit(conn, version, 'g1', [{ name: 'missing', partitions: [0] }, { name: 'known', partitions: [0, 1, 7] }]);
    const codes = res.topics.map((t: any) => [t.name, t.partitions.map((p: any) => [p.partitionIndex, p.errorCode])]);
    assert.deepEqual(codes, [['missing', [[0, 3]]], ['known', [[0, 0], [1, 0], [7, 3]]]]);

    const only = await commit(conn, version, 'g2', [{ name: 'missing', partitions: [0, 1] }]);
    assert.deepEqual(only.topics[0].partitions.map((p: any) => p.errorCode), [3, 3]);

    const fetched = await conn.send(9, 7, { groupId: 'g1', topics: null, requireStable: false });
    const stored = fetched.topics.flatMap((t: any) => t.partitions.map((p: any) => `${t.name}-${p.partitionIndex}@${p.committedOffset}`)).sort();
    assert.deepEqual(stored, ['known-0@5', 'known-1@5']);
  }));
}
