// The Pub/Sub path: the official high-level client (@google-cloud/pubsub) bound to an
// emulator (ours over the broker, or Google's), as PUBSUB_EMULATOR_HOST would bind it.
// Publishers batch up to `batch` messages; subscribers are StreamingPull streams that
// ack each message. Pub/Sub is at-least-once: duplicates are within its contract.
// It promises order only per ordering key on a subscription with message ordering
// enabled; with ordering off the check still counts violations, for information.
import { PubSub, type Message } from '@google-cloud/pubsub';
import { DeliveryCheck } from '../check.ts';
import { resultFrom, type PathResult } from '../result.ts';
import { decodeRecord, encodeRecord, pace, type Workload } from '../workload.ts';
import { chunked, progress, uniqueName, type DriverOptions } from './options.ts';

export function pubsubClient(hostPort: string, projectId = 'compare'): PubSub {
  const saved = process.env.PUBSUB_EMULATOR_HOST;
  process.env.PUBSUB_EMULATOR_HOST = hostPort;
  try {
    return new PubSub({ projectId });
  } finally {
    if (saved === undefined) delete process.env.PUBSUB_EMULATOR_HOST;
    else process.env.PUBSUB_EMULATOR_HOST = saved;
  }
}

export async function runPubsub(hostPort: string, server: string, w: Workload, o: DriverOptions & { ordering: boolean }): Promise<PathResult> {
  const { spec } = w;
  const client = pubsubClient(hostPort);
  const check = new DeliveryCheck(w.keyOf, spec.keys);
  const subscribers: ReturnType<PubSub['subscription']>[] = [];
  let subscriberError: unknown = null;
  let stopProgress = () => {};
  try {
    const [topic] = await client.createTopic(uniqueName('compare-pubsub'));
    const [sub] = await topic.createSubscription(uniqueName('compare-sub'), { ackDeadlineSeconds: 60, enableMessageOrdering: o.ordering });
    for (let i = 0; i < spec.consumers; i++) {
      // Acks batched for at most 10 ms (the client's default is 100 ms): with ordering keys
      // the next message of a key comes only after the previous one's ack.
      const s = client.subscription(sub.name, {
        flowControl: { maxMessages: 2000, allowExcessMessages: false }, streamingOptions: { maxStreams: 1 },
        batching: { maxMessages: 1000, maxMilliseconds: 10 },
      });
      s.on('message', (m: Message) => {
        const now = performance.now();
        const r = decodeRecord(m.data);
        m.ack();
        check.deliver(r.id, r.key, r.sentAt, now);
      });
      s.on('error', (e: unknown) => (subscriberError ??= e));
      subscribers.push(s);
    }
    const batch = Math.min(o.batch, 1000);
    const publishers = Array.from({ length: spec.producers }, () => client.topic(topic.name, {
      batching: { maxMessages: batch, maxMilliseconds: 10 }, messageOrdering: o.ordering,
    }));
    const perProducerRate = spec.rate / spec.producers;
    let acked = 0;
    let midwayCalled = false;
    const startedAt = performance.now();
    stopProgress = progress(o.log, () => `pubsub (${server}): ${acked} acknowledged, ${check.firstDeliveries} delivered, ${check.duplicates} duplicates`);
    o.log(`pubsub (${server}): publishing ${spec.records} records`);
    const produced = Promise.all(publishers.map((publisher, p) => chunked(w.idsOf[p], batch, o.inflight, async (chunk, before) => {
      await pace(startedAt, before + chunk.length, perProducerRate);
      const now = performance.now();
      await Promise.all(Array.from(chunk, (id) => {
        const key = w.keyOf[id];
        return publisher.publishMessage({ data: encodeRecord(id, key, spec.recordSize, now), ...(o.ordering ? { orderingKey: w.keyName(key) } : {}) });
      }));
      acked += chunk.length;
      if (!midwayCalled && o.midway && acked >= spec.records / 3) {
        midwayCalled = true;
        await o.midway();
      }
    }))).then(() => performance.now());
    const endedAt = await produced;
    o.log(`pubsub (${server}): published ${acked} in ${((endedAt - startedAt) / 1000).toFixed(1)} s`);
    await check.wait(produced, o.idleMs, o.deadlineMs);
    if (subscriberError) o.log(`pubsub (${server}): subscriber error: ${String(subscriberError)}`);
    return resultFrom({
      api: 'pubsub', server, client: '@google-cloud/pubsub', orderPromised: o.ordering,
      notes: [`${spec.producers} publishers (batches of ${batch}), ${spec.consumers} StreamingPull subscribers acking each message; ordering keys ${o.ordering ? 'on' : 'off'}`],
    }, check, { startedAt, endedAt, acked, failures: 0, resent: 0 });
  } finally {
    stopProgress();
    await Promise.allSettled(subscribers.map((s) => s.close()));
    await client.close().catch(() => {});
  }
}
