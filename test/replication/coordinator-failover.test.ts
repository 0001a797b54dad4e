// Must show (issue 7): a consumer group keeps consuming across a failover of its
// group coordinator. A librdkafka member (group_consumer.py) reads and commits
// synchronously while an acks=all producer writes; the broker FindCoordinator names is
// killed with kill -9. Another broker becomes the coordinator, every commit the old
// one acknowledged is still there (OffsetFetch through kafkajs), the member goes on
// reading and committing, and in the end it has read every acknowledged record at
// least once and its last commits are the group's committed offsets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { eventually, withCluster } from '../support/cluster.ts';
import { kafkajs, PYTHON, spawnLines } from '../support/clients.ts';
import { startAckedProducer } from './clients/acked-producer.ts';

const CONSUMER = fileURLToPath(new URL('./clients/group_consumer.py', import.meta.url));
const PARTITIONS = 3;

interface Commit { c: [number, number][]; t: number }

test('a consumer group keeps consuming and keeps its commits across a kill -9 of its coordinator', { timeout: 240_000 }, async (t) => {
  await withCluster(t, {}, async (cluster) => {
    const topic = 'group-failover';
    const group = `failover-${process.pid}`;
    await cluster.createTopic(topic, { partitions: PARTITIONS, replicationFactor: 3 });
    const producer = startAckedProducer(cluster.bootstrap(), topic, PARTITIONS, { rate: 200 });
    t.after(() => producer.kill());
    const consumer = spawnLines(PYTHON, [CONSUMER, cluster.bootstrap(), topic, group], { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' });
    t.after(() => consumer.kill());

    const read = new Set<string>();
    const commits: Commit[] = [];
    const commitErrors: string[] = [];
    let parsed = 0;
    let reads = 0;
    const drain = () => {
      for (; parsed < consumer.lines.length; parsed++) {
        const m = JSON.parse(consumer.lines[parsed]!) as { r?: [number, number, string]; c?: [number, number][]; t?: number; ce?: string; fatal?: string };
        if (m.fatal) throw new Error(`consumer fatal error: ${m.fatal}`);
        if (m.r) {
          const [, p, s] = m.r[2].split('|');
          read.add(`${p}|${s}`);
          reads++;
        } else if (m.c) commits.push(m as Commit);
        else if (m.ce) commitErrors.push(m.ce);
      }
    };
    const readAtLeast = async (n: number) => eventually(`the consumer to read ${n} records`, async () => {
      drain();
      if (reads < n) throw new Error(`${reads} read; consumer stderr: ${consumer.stderr().slice(-500)}`);
      return true;
    }, 90_000, 100);
    /** The latest acknowledged commit per partition among `list`. */
    const latest = (list: Commit[]) => {
      const out = new Map<number, number>();
      for (const c of list) for (const [p, o] of c.c) out.set(p, o);
      return out;
    };

    await readAtLeast(300);
    await eventually('a first commit', async () => { drain(); return commits.length > 0; });
    const coordinator = await cluster.groupCoordinator(group);
    const killedAt = Date.now();
    drain();
    const before = latest(commits.filter((c) => c.t <= killedAt));
    t.diagnostic(`kill -9 broker ${coordinator}, coordinator of ${group}; commits acknowledged so far: ${JSON.stringify([...before])}`);
    await cluster.kill9(coordinator);

    const successor = await eventually('FindCoordinator to name a running broker', async () => {
      const id = await cluster.groupCoordinator(group);
      if (!cluster.isRunning(id)) throw new Error(`still names broker ${id}`);
      return id;
    }, 60_000);
    t.diagnostic(`broker ${successor} is the coordinator now`);

    const k = await kafkajs();
    const admin = new k.Kafka({ clientId: 'failover-admin', brokers: [cluster.broker(successor).bootstrap], logLevel: k.logLevel.NOTHING }).admin();
    await admin.connect();
    t.after(() => admin.disconnect());
    const committedNow = async () => {
      const [res] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      return new Map(res!.partitions.map((x) => [x.partition, Number(x.offset)]));
    };
    const afterFailover = await committedNow();
    for (const [p, o] of before) {
      assert.ok((afterFailover.get(p) ?? -1) >= o, `partition ${p}: commit of ${o} acknowledged before the failover, the new coordinator has ${afterFailover.get(p)}`);
    }

    await readAtLeast(reads + 300);
    await eventually('a commit acknowledged by the new coordinator', async () => { drain(); return commits.some((c) => c.t > killedAt); }, 60_000);
    await cluster.restart(coordinator);
    await cluster.waitForFullIsr(topic);

    await producer.stop();
    const acks = producer.acks();
    await eventually(`the consumer to read all ${acks.length} acknowledged records`, async () => {
      drain();
      const missing = acks.filter((a) => !read.has(`${a.p}|${a.s}`));
      if (missing.length > 0) throw new Error(`${missing.length} not read yet, e.g. ${JSON.stringify(missing.slice(0, 3))}`);
      return true;
    }, 90_000, 250);
    consumer.write('stop\n');
    assert.equal(await consumer.wait(60_000), 0, `group_consumer.py: ${consumer.stderr().slice(-2000)}`);
    drain();

    // Commits never went backwards: none acknowledged was lost and then re-read from an older offset.
    const seen = new Map<number, number>();
    for (const c of commits) {
      for (const [p, o] of c.c) {
        assert.ok(o >= (seen.get(p) ?? 0), `partition ${p}: committed ${o} after ${seen.get(p)}`);
        seen.set(p, o);
      }
    }
    const final = await committedNow();
    const last = latest(commits);
    for (let p = 0; p < PARTITIONS; p++) {
      assert.equal(final.get(p), last.get(p), `partition ${p}: the group's committed offset is ${final.get(p)}, the member's last acknowledged commit ${last.get(p)}`);
      assert.equal(BigInt(final.get(p)!), await cluster.highWatermark(topic, p), `partition ${p}: the member committed ${final.get(p)}, not the end of the partition`);
    }
    t.diagnostic(`${acks.length} acknowledged, ${reads} read (${reads - read.size} again after the failover), ${commits.length} commits, ${commitErrors.length} failed commits` +
      (commitErrors.length ? ` (e.g. ${commitErrors[0]})` : ''));
  });
});
