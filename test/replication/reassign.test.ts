// Must show (issue 7): a partition's replica moves from broker 3 to broker 1 under an
// idempotent acks=all producer, through AlterPartitionReassignments sent by a real
// admin client (kafkajs): no acknowledged record is lost or reordered, and the new
// replica set holds identical copies. The longest gap between two acknowledgements is
// reported (a figure, not asserted: tests do not time things).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, withCluster } from '../support/cluster.ts';
import { kafkajs } from '../support/clients.ts';
import { longestAckGap, startAckedProducer, verifyAcknowledged } from './clients/acked-producer.ts';

test('reassign a partition from broker 3 to broker 1 under load: no loss, order kept, new replicas identical', { timeout: 180_000 }, async (t) => {
  await withCluster(t, {}, async (cluster) => {
    const topic = 'reassign';
    await cluster.createTopic(topic, { assignments: [[3, 2]], configs: { 'min.insync.replicas': 2 } });

    const producer = startAckedProducer(cluster.bootstrap(), topic, 1, { rate: 300 });
    t.after(() => producer.kill());
    // Enough history that broker 1 has a real catch-up to do while the writes go on.
    await producer.moreAcks(1500);

    const k = await kafkajs();
    const admin = new k.Kafka({ clientId: 'reassign', brokers: cluster.bootstrap().split(','), logLevel: k.logLevel.NOTHING }).admin();
    await admin.connect();
    t.after(() => admin.disconnect());
    const started = Date.now();
    await admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [1, 2] }] }] });
    t.diagnostic('AlterPartitionReassignments [3,2] → [1,2] accepted');

    await eventually('the reassignment to finish (ListPartitionReassignments empty)', async () => {
      const { topics } = await admin.listPartitionReassignments({ topics: [{ topic, partitions: [0] }] });
      const pending = topics.flatMap((x) => x.partitions);
      if (pending.length > 0) throw new Error(`pending: ${JSON.stringify(pending)}`);
      return true;
    }, 90_000, 250);
    const [moved] = await cluster.waitForPartitions(topic, 'replicas [1,2], both in sync', (p) =>
      [...p.replicas].sort().join(',') === '1,2' && [...p.isr].sort().join(',') === '1,2' && (p.leader === 1 || p.leader === 2));
    t.diagnostic(`reassigned in ${Date.now() - started} ms: replicas [${moved!.replicas}], isr [${moved!.isr}], leader ${moved!.leader}`);
    await producer.moreAcks(300);

    const summary = await producer.stop();
    assert.equal(producer.fatal(), undefined, `the producer hit a fatal error: ${producer.fatal()}`);
    const v = await verifyAcknowledged(cluster, topic, 1, producer);
    const gap = longestAckGap(producer.acks());
    t.diagnostic(`${summary}; ${v.acked} acknowledged, high watermark ${v.highWatermarks.get(0)}; ` +
      `longest gap between acks ${gap.ms} ms (${gap.after - started} ms after the reassignment was sent)`);
    const left = join(cluster.broker(3).dataDir, `${topic}-0`);
    t.diagnostic(`broker 3 ${existsSync(left) ? 'still has' : 'deleted'} its copy (${left})`);
  });
});
