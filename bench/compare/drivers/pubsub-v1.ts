// The Pub/Sub path with the generated v1 clients of @google-cloud/pubsub instead of
// the high-level client: Publish requests of up to 1,000 messages (ordering keys
// mixed in one request, which the API allows), `--inflight` requests per producer
// (1 with ordering keys: Pub/Sub orders a key's messages as the server receives
// them, so concurrent requests carrying one key have no defined order), and one raw StreamingPull stream per consumer that acks on the stream. It takes
// the high-level client's per-message and per-ordering-key batching out, so it
// shows what the server sustains. Same contract as drivers/pubsub.ts.
import { v1 } from '@google-cloud/pubsub';
import * as grpc from '@grpc/grpc-js';
import { DeliveryCheck } from '../check.ts';
import { resultFrom, type PathResult } from '../result.ts';
import { decodeRecord, encodeRecord, pace, type Workload } from '../workload.ts';
import { chunked, progress, uniqueName, type DriverOptions } from './options.ts';

interface PullResponse {
  receivedMessages?: { ackId?: string | null; message?: { data?: Uint8Array | string | null } | null }[] | null;
}

export async function runPubsubV1(hostPort: string, server: string, w: Workload, o: DriverOptions & { ordering: boolean }): Promise<PathResult> {
  const { spec } = w;
  const [host, port] = hostPort.split(':');
  const opts = { servicePath: host, port: Number(port), sslCreds: grpc.credentials.createInsecure(), projectId: 'compare' };
  const pub = new v1.PublisherClient(opts);
  const sub = new v1.SubscriberClient(opts);
  const check = new DeliveryCheck(w.keyOf, spec.keys);
  const streams: ReturnType<v1.SubscriberClient['streamingPull']>[] = [];
  let streamError: unknown = null;
  let stopProgress = () => {};
  try {
    const topic = `projects/compare/topics/${uniqueName('compare-pubsub')}`;
    const subscription = `projects/compare/subscriptions/${uniqueName('compare-sub')}`;
    await pub.createTopic({ name: topic });
    await sub.createSubscription({ name: subscription, topic, ackDeadlineSeconds: 60, enableMessageOrdering: o.ordering });
    for (let i = 0; i < spec.consumers; i++) {
      const stream = sub.streamingPull();
      stream.on('data', (res: PullResponse) => {
        const now = performance.now();
        const acks: string[] = [];
        for (const m of res.receivedMessages ?? []) {
          acks.push(m.ackId!);
          const d = decodeRecord(m.message!.data as Uint8Array);
          check.deliver(d.id, d.key, d.sentAt, now);
        }
        if (acks.length) stream.write({ ackIds: acks });
      });
      stream.on('error', (e: Error & { code?: number }) => {
        if (e.code !== grpc.status.CANCELLED) streamError ??= e;
      });
      stream.write({ subscription, streamAckDeadlineSeconds: 60, maxOutstandingMessages: 10_000 });
      streams.push(stream);
    }
    const batch = Math.min(o.batch, 1000);
    const inflight = o.ordering ? 1 : o.inflight;
    const perProducerRate = spec.rate / spec.producers;
    let acked = 0;
    let midwayCalled = false;
    const startedAt = performance.now();
    stopProgress = progress(o.log, () => `pubsub v1 (${server}): ${acked} acknowledged, ${check.firstDeliveries} delivered, ${check.duplicates} duplicates`);
    o.log(`pubsub v1 (${server}): publishing ${spec.records} records`);
    const produced = Promise.all(w.idsOf.map((ids) => chunked(ids, batch, inflight, async (chunk, before) => {
      await pace(startedAt, before + chunk.length, perProducerRate);
      const now = performance.now();
      const messages = Array.from(chunk, (id) => {
        const key = w.keyOf[id];
        return { data: encodeRecord(id, key, spec.recordSize, now), ...(o.ordering ? { orderingKey: w.keyName(key) } : {}) };
      });
      await pub.publish({ topic, messages });
      acked += chunk.length;
      if (!midwayCalled && o.midway && acked >= spec.records / 3) {
        midwayCalled = true;
        await o.midway();
      }
    }))).then(() => performance.now());
    const endedAt = await produced;
    o.log(`pubsub v1 (${server}): published ${acked} in ${((endedAt - startedAt) / 1000).toFixed(1)} s`);
    await check.wait(produced, o.idleMs, o.deadlineMs);
    if (streamError) o.log(`pubsub v1 (${server}): stream error: ${String(streamError)}`);
    return resultFrom({
      api: 'pubsub', server, client: '@google-cloud/pubsub v1 (generated)', orderPromised: o.ordering,
      notes: [`${spec.producers} producers, Publish requests of ${batch}, ${inflight} in flight each; ${spec.consumers} raw StreamingPull streams acking on the stream; ordering keys ${o.ordering ? 'on' : 'off'}`],
    }, check, { startedAt, endedAt, acked, failures: 0, resent: 0 });
  } finally {
    stopProgress();
    for (const s of streams) {
      s.end();
      s.cancel();
    }
    await Promise.allSettled([pub.close(), sub.close()]);
  }
}
