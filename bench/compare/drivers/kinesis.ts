// The Kinesis path: @aws-sdk/client-kinesis. PutRecords of up to 500 records, one
// request in flight per producer (AWS orders records per shard by arrival, and a
// producer owns its keys, so each key's records arrive in order); records a
// PutRecords answer marks failed are sent again (which AWS says can reorder and
// duplicate). Shards are read from TRIM_HORIZON by GetRecords loops or SubscribeToShard
// streams (kinesis-readers.ts).
import {
  CreateStreamCommand, DeleteStreamCommand, DescribeStreamSummaryCommand, KinesisClient, ListShardsCommand, PutRecordsCommand, type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { DeliveryCheck } from '../check.ts';
import { resultFrom, type PathResult } from '../result.ts';
import { decodeRecord, encodeRecord, pace, type Workload } from '../workload.ts';
import { chunked, progress, uniqueName, type DriverOptions } from './options.ts';
import { pollShards, subscribeShards, type KinesisRead, type ShardReaders } from './kinesis-readers.ts';

export function kinesisClient(port: number, http1: boolean): KinesisClient {
  return new KinesisClient({
    endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1',
    credentials: { accessKeyId: 'compare', secretAccessKey: 'compare' },
    maxAttempts: 5,
    ...(http1 ? { requestHandler: new NodeHttpHandler() } : {}),
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runKinesis(port: number, server: string, w: Workload, o: DriverOptions & { http1: boolean; pollMs: number; read: KinesisRead }): Promise<PathResult> {
  const { spec } = w;
  const k = kinesisClient(port, o.http1);
  const name = uniqueName('compare-kinesis');
  const check = new DeliveryCheck(w.keyOf, spec.keys);
  let readers: ShardReaders | null = null;
  let stopProgress = () => {};
  try {
    await k.send(new CreateStreamCommand({ StreamName: name, ShardCount: spec.partitions }));
    let streamArn = '';
    for (let i = 0; ; i++) {
      const s = await k.send(new DescribeStreamSummaryCommand({ StreamName: name })).catch(() => null);
      streamArn = s?.StreamDescriptionSummary?.StreamARN ?? '';
      if (s?.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') break;
      if (i > 600) throw new Error(`stream ${name} not ACTIVE after 30 s`);
      await sleep(50);
    }
    const shards = (await k.send(new ListShardsCommand({ StreamName: name }))).Shards ?? [];
    const deliver = (data: Uint8Array, now: number) => {
      const d = decodeRecord(data);
      check.deliver(d.id, d.key, d.sentAt, now);
    };
    readers = o.read === 'subscribe'
      ? await subscribeShards(k, streamArn, shards, deliver)
      : pollShards(k, name, shards, o.pollMs, deliver);
    readers.done.catch(() => {});

    const perProducerRate = spec.rate / spec.producers;
    let acked = 0;
    let resent = 0;
    let midwayCalled = false;
    const startedAt = performance.now();
    stopProgress = progress(o.log, () => `kinesis (${server}): ${acked} acknowledged, ${check.firstDeliveries} delivered, ${check.duplicates} duplicates`);
    o.log(`kinesis (${server}): putting ${spec.records} records into ${shards.length} shards`);
    const produced = Promise.all(w.idsOf.map((ids) => chunked(ids, Math.min(o.batch, 500), 1, async (chunk, before) => {
      await pace(startedAt, before + chunk.length, perProducerRate);
      const now = performance.now();
      let entries: PutRecordsRequestEntry[] = Array.from(chunk, (id) => ({
        PartitionKey: w.keyName(w.keyOf[id]), Data: encodeRecord(id, w.keyOf[id], spec.recordSize, now),
      }));
      for (let attempt = 0; entries.length > 0; attempt++) {
        if (attempt > 50) throw new Error(`PutRecords: ${entries.length} records still failing after 50 attempts`);
        if (attempt > 0) {
          resent += entries.length;
          await sleep(Math.min(1000, 50 * 2 ** attempt));
        }
        const r = await k.send(new PutRecordsCommand({ StreamName: name, Records: entries }));
        const failed = (r.Records ?? []).map((x, i) => (x.ErrorCode ? entries[i] : null)).filter((x): x is PutRecordsRequestEntry => x !== null);
        acked += entries.length - failed.length;
        entries = failed;
      }
      if (!midwayCalled && o.midway && acked >= spec.records / 3) {
        midwayCalled = true;
        await o.midway();
      }
    }))).then(() => performance.now());
    const endedAt = await produced;
    o.log(`kinesis (${server}): put ${acked} in ${((endedAt - startedAt) / 1000).toFixed(1)} s`);
    await check.wait(Promise.race([produced, readers.done]), o.idleMs, o.deadlineMs);
    return resultFrom({
      api: 'kinesis', server, client: '@aws-sdk/client-kinesis', orderPromised: true,
      notes: [`${spec.producers} producers, PutRecords of ≤ ${Math.min(o.batch, 500)}, one in flight each; ${o.read === 'subscribe'
        ? `SubscribeToShard (enhanced fan-out) per shard (${shards.length} shards)`
        : `GetRecords per shard (${shards.length} shards), ${o.pollMs} ms pause when empty`}`],
    }, check, { startedAt, endedAt, acked, failures: 0, resent });
  } finally {
    stopProgress();
    readers?.stop();
    await readers?.done.catch(() => {});
    await k.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true })).catch(() => {});
    k.destroy();
  }
}
