// Must show (issue 7): a follower partitioned away (SIGSTOP: it keeps its sockets and
// answers nothing) leaves the ISR, writes with acks=all go on with the two in-sync
// replicas (min.insync.replicas=2); resumed (SIGCONT), it catches up and rejoins the
// ISR, and its copy of the committed range is byte-identical to the others'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withCluster } from '../support/cluster.ts';
import { startAckedProducer, verifyAcknowledged } from './clients/acked-producer.ts';

test('a paused follower leaves the ISR, writes continue with 2 in sync, and it rejoins after SIGCONT with identical data', { timeout: 180_000 }, async (t) => {
  await withCluster(t, {}, async (cluster) => {
    const topic = 'follower-pause';
    const [p0] = await cluster.createTopic(topic, { partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': 2 } });
    const follower = p0!.replicas.find((id) => id !== p0!.leader)!;

    const producer = startAckedProducer(cluster.bootstrap(), topic, 1, { rate: 300 });
    t.after(() => producer.kill());
    await producer.moreAcks(200);

    t.diagnostic(`SIGSTOP broker ${follower}, a follower (leader ${p0!.leader})`);
    cluster.pause(follower);
    const [shrunk] = await cluster.waitForPartitions(topic, `ISR without broker ${follower}`, (p) =>
      p.isr.length === 2 && !p.isr.includes(follower) && cluster.isRunning(p.leader));
    t.diagnostic(`ISR now [${shrunk!.isr}], leader ${shrunk!.leader}`);
    // acks=all completes with two in-sync replicas while the third is away.
    await producer.moreAcks(300);
    const [stillShrunk] = await cluster.partitions(topic);
    assert.ok(!stillShrunk!.isr.includes(follower), `broker ${follower} is back in the ISR while paused: [${stillShrunk!.isr}]`);

    cluster.resume(follower);
    await cluster.waitForFullIsr(topic);
    t.diagnostic(`broker ${follower} rejoined the ISR`);
    await producer.moreAcks(200);

    const summary = await producer.stop();
    assert.equal(producer.fatal(), undefined, `the producer hit a fatal error: ${producer.fatal()}`);
    const v = await verifyAcknowledged(cluster, topic, 1, producer);
    t.diagnostic(`${summary}; ${v.acked} acknowledged, high watermark ${v.highWatermarks.get(0)}`);
  });
});
