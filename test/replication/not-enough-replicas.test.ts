// Must show (issue 7): with only 1 of 3 replicas alive and min.insync.replicas=2,
// acks=all produces fail with NOT_ENOUGH_REPLICAS (kafkajs and librdkafka/kcat, no
// retries) and nothing is acknowledged that is not replicated: the survivor's log
// holds nothing beyond what was committed before the outage, and once the others are
// back every replica holds exactly the records acknowledged before it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withCluster } from '../support/cluster.ts';
import { kafkajs, run, KCAT } from '../support/clients.ts';
import { readPartition } from './clients/acked-producer.ts';

/** The Kafka error name a kafkajs error carries, looking through its wrappers. */
function kafkaErrorType(e: unknown): string | undefined {
  for (let x = e as { type?: string; originalError?: unknown; cause?: unknown } | undefined; x; x = (x.originalError ?? x.cause) as typeof x) {
    if (x.type && x.type !== 'UNKNOWN') return x.type;
  }
  return undefined;
}

test('1 of 3 alive, min.insync.replicas=2: acks=all fails with NOT_ENOUGH_REPLICAS and nothing unreplicated is acknowledged', { timeout: 180_000 }, async (t) => {
  await withCluster(t, {}, async (cluster) => {
    const topic = 'not-enough-replicas';
    const [p0] = await cluster.createTopic(topic, { partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': 2 } });
    const survivor = p0!.leader;

    const k = await kafkajs();
    const kafka = new k.Kafka({ clientId: 'ner', brokers: [cluster.broker(survivor).bootstrap], logLevel: k.logLevel.NOTHING, retry: { retries: 0 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    t.after(() => producer.disconnect());
    const before = Array.from({ length: 100 }, (_, i) => `before-${i}`);
    for (let i = 0; i < before.length; i += 10) {
      await producer.send({ topic, acks: -1, messages: before.slice(i, i + 10).map((value) => ({ value, partition: 0 })) });
    }
    const committed = await cluster.highWatermark(topic, 0);
    assert.equal(committed, 100n);

    for (const id of p0!.replicas.filter((r) => r !== survivor)) {
      t.diagnostic(`kill -9 broker ${id}`);
      await cluster.kill9(id);
    }
    await cluster.waitForPartitions(topic, `broker ${survivor} leading alone`, (p) => p.leader === survivor && p.isr.length === 1);

    const refused: string[] = [];
    for (let i = 0; i < 5; i++) {
      const err = await producer.send({ topic, acks: -1, messages: [{ value: `during-kafkajs-${i}`, partition: 0 }] }).then(() => null, (e: unknown) => e);
      assert.ok(err, `kafkajs: acks=all produce #${i} with 1 in-sync replica was acknowledged`);
      assert.equal(kafkaErrorType(err), 'NOT_ENOUGH_REPLICAS', `kafkajs: ${String(err)}`);
      refused.push(`during-kafkajs-${i}`);
    }
    const kcat = await run(KCAT, ['-b', cluster.broker(survivor).bootstrap, '-P', '-t', topic, '-p', '0', '-X', 'broker.address.family=v4',
      '-X', 'acks=all', '-X', 'message.send.max.retries=0', '-X', 'enable.idempotence=false'], { input: 'during-kcat-0\nduring-kcat-1\n', timeoutMs: 60_000 });
    assert.match(kcat.stderr, /Not enough in-sync replicas/, `kcat: exit ${kcat.code}\n${kcat.stderr}`);
    assert.doesNotMatch(kcat.stderr, /Delivered/);
    refused.push('during-kcat-0', 'during-kcat-1');

    // Nothing was appended past the committed range: the survivor's own log ends where it did.
    const onDisk = cluster.storedBatches(survivor, topic, 0);
    assert.equal(onDisk.at(-1)?.nextOffset, committed, `broker ${survivor} appended records it could not replicate: log ends at ${onDisk.at(-1)?.nextOffset}`);
    assert.equal(await cluster.highWatermark(topic, 0), committed);

    for (const id of p0!.replicas.filter((r) => r !== survivor)) await cluster.restart(id);
    await cluster.assertReplicasIdentical(topic);
    const stored = (await readPartition(cluster, topic, 0, await cluster.highWatermark(topic, 0))).map((r) => r.value);
    assert.deepEqual(stored, before, `stored after the outage: ${stored.length} records, refused ones present: ${stored.filter((v) => refused.includes(v))}`);
  });
});
