// The two ways a Kinesis consumer reads every shard from TRIM_HORIZON:
// - `get`: a GetRecords loop per shard, pausing `pollMs` after an empty answer (what
//   a KCL worker does between reads with shared throughput);
// - `subscribe`: enhanced fan-out, a registered stream consumer and a
//   SubscribeToShard event stream per shard, renewed from its continuation sequence
//   number when the server ends it (AWS ends each after 5 minutes).
// Each calls `deliver` with every record's data and its receive time, until `stop`.
import {
  GetRecordsCommand, GetShardIteratorCommand, RegisterStreamConsumerCommand, DescribeStreamConsumerCommand,
  SubscribeToShardCommand, type KinesisClient, type Shard, type StartingPosition,
} from '@aws-sdk/client-kinesis';

export type KinesisRead = 'get' | 'subscribe';

export interface ShardReaders {
  done: Promise<void>;
  stop(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function pollShards(k: KinesisClient, stream: string, shards: Shard[], pollMs: number, deliver: (data: Uint8Array, now: number) => void): ShardReaders {
  let stopped = false;
  let errors = 0;
  const done = Promise.all(shards.map(async (sh) => {
    let it = (await k.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: sh.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    while (it && !stopped) {
      let r;
      try {
        r = await k.send(new GetRecordsCommand({ ShardIterator: it, Limit: 10_000 }));
      } catch (err) {
        if (++errors > 100) throw err;
        await sleep(200);
        continue;
      }
      const now = performance.now();
      for (const rec of r.Records ?? []) deliver(rec.Data!, now);
      it = r.NextShardIterator;
      if ((r.Records ?? []).length === 0) await sleep(pollMs);
    }
  })).then(() => undefined);
  return { done, stop: () => (stopped = true) };
}

export async function subscribeShards(k: KinesisClient, streamArn: string, shards: Shard[], deliver: (data: Uint8Array, now: number) => void): Promise<ShardReaders> {
  const consumer = (await k.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'compare' }))).Consumer!;
  for (let i = 0; ; i++) {
    const d = await k.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumer.ConsumerARN }));
    if (d.ConsumerDescription?.ConsumerStatus === 'ACTIVE') break;
    if (i > 300) throw new Error('stream consumer not ACTIVE after 15 s');
    await sleep(50);
  }
  const abort = new AbortController();
  let errors = 0;
  const done = Promise.all(shards.map(async (sh) => {
    let position: StartingPosition = { Type: 'TRIM_HORIZON' };
    while (!abort.signal.aborted) {
      try {
        const sub = await k.send(new SubscribeToShardCommand({ ConsumerARN: consumer.ConsumerARN, ShardId: sh.ShardId, StartingPosition: position }), { abortSignal: abort.signal });
        for await (const ev of sub.EventStream!) {
          const e = ev.SubscribeToShardEvent;
          if (!e) continue;
          const now = performance.now();
          for (const rec of e.Records ?? []) deliver(rec.Data!, now);
          if (e.ContinuationSequenceNumber) position = { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: e.ContinuationSequenceNumber };
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        if (++errors > 100) throw err;
        await sleep(200);
      }
    }
  })).then(() => undefined);
  return { done, stop: () => abort.abort() };
}
