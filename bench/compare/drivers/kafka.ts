// The Kafka path: @platformatic/kafka (the maintained client the emulator itself
// uses) against the broker. Idempotent producers with acks=all; a consumer group
// of `consumers` members reading from the earliest offset. Kafka promises order per
// partition, so per key with the default (murmur2) partitioner.
import { Admin, Consumer, Producer, type MessagesStream } from '@platformatic/kafka';
import { DeliveryCheck } from '../check.ts';
import { resultFrom, type PathResult } from '../result.ts';
import { decodeRecord, encodeRecord, pace, type Workload } from '../workload.ts';
import { chunked, progress, uniqueName, type DriverOptions } from './options.ts';

export async function runKafka(bootstrap: string, w: Workload, o: DriverOptions): Promise<PathResult> {
  const { spec } = w;
  const topic = uniqueName('compare-kafka');
  const admin = new Admin({ clientId: 'compare-admin', bootstrapBrokers: [bootstrap] });
  await admin.createTopics({ topics: [topic], partitions: spec.partitions, replicas: 1 });
  await admin.close();

  const check = new DeliveryCheck(w.keyOf, spec.keys);
  const groupId = uniqueName('compare-group');
  const consumers = Array.from({ length: spec.consumers }, (_, i) => new Consumer({
    groupId, clientId: `compare-consumer-${i}`, bootstrapBrokers: [bootstrap], maxWaitTime: 100,
    sessionTimeout: 20_000, heartbeatInterval: 1_000,
  }));
  const producers = Array.from({ length: spec.producers }, (_, i) => new Producer({
    clientId: `compare-producer-${i}`, bootstrapBrokers: [bootstrap], acks: -1, idempotent: true, autocreateTopics: false,
  }));
  const streams: MessagesStream<Buffer, Buffer, Buffer, Buffer>[] = [];
  let streamError: unknown = null;
  let stopProgress = () => {};
  try {
    for (const c of consumers) {
      const s = await c.consume({ topics: [topic], mode: 'earliest', autocommit: 1000 });
      s.on('data', (m) => {
        const now = performance.now();
        const r = decodeRecord(m.value);
        check.deliver(r.id, r.key, r.sentAt, now);
      });
      s.on('error', (e: unknown) => (streamError ??= e));
      streams.push(s);
    }
    // Produce only once the group is settled: a rebalance mid-run re-reads uncommitted
    // records, which Kafka allows (at-least-once consumers) but would blur the figures.
    const deadline = Date.now() + 60_000;
    const assigned = () => consumers.reduce((n, c) => n + (c.assignments?.find((a) => a.topic === topic)?.partitions.length ?? 0), 0);
    while (assigned() !== spec.partitions || new Set(consumers.map((c) => c.generationId)).size !== 1) {
      if (Date.now() > deadline) throw new Error(`consumer group did not settle (${assigned()} of ${spec.partitions} partitions assigned)`);
      await new Promise((r) => setTimeout(r, 100));
    }
    o.log(`kafka: group settled (generation ${consumers[0].generationId}), producing ${spec.records} records`);

    const perProducerRate = spec.rate / spec.producers;
    let acked = 0;
    const startedAt = performance.now();
    stopProgress = progress(o.log, () => `kafka: ${acked} acknowledged, ${check.firstDeliveries} delivered, ${check.duplicates} duplicates`);
    let midwayCalled = false;
    const produced = Promise.all(producers.map((producer, p) => chunked(w.idsOf[p], Math.min(o.batch, 10_000), o.inflight, async (chunk, before) => {
      await pace(startedAt, before + chunk.length, perProducerRate);
      const now = performance.now();
      const messages = Array.from(chunk, (id) => ({
        topic, key: Buffer.from(w.keyName(w.keyOf[id])), value: encodeRecord(id, w.keyOf[id], spec.recordSize, now),
      }));
      await producer.send({ messages });
      acked += chunk.length;
      if (!midwayCalled && o.midway && acked >= spec.records / 3) {
        midwayCalled = true;
        await o.midway();
      }
    }))).then(() => performance.now());
    const endedAt = await produced;
    o.log(`kafka: produced ${acked} in ${((endedAt - startedAt) / 1000).toFixed(1)} s`);
    await check.wait(produced, o.idleMs, o.deadlineMs);
    if (streamError) o.log(`kafka: consumer stream error: ${String(streamError)}`);
    return resultFrom({
      api: 'kafka', server: 'Tributary', client: '@platformatic/kafka', orderPromised: true,
      notes: [`idempotent producers, acks=all, ${o.inflight} sends in flight each; consumer group of ${spec.consumers}, ${spec.partitions} partitions`],
    }, check, { startedAt, endedAt, acked, failures: 0, resent: 0 });
  } finally {
    stopProgress();
    await Promise.allSettled(streams.map((s) => s.close()));
    await Promise.allSettled(consumers.map((c) => c.close(true)));
    await Promise.allSettled(producers.map((p) => p.close()));
  }
}
