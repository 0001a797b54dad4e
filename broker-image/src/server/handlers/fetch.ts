// Fetch (1): whole batches from each requested partition, within the
// partition and response byte limits; waits up to maxWaitMs for minBytes.
// Fetch sessions (KIP-227) are declined (sessionId 0), so clients send full
// requests, which Kafka's protocol allows.

import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/errors.ts';
import { waitForAppend, type Partition } from '../../cluster/partition.ts';
import type { ApiHandler, Body, RequestContext } from '../handler.ts';

const MAX_WAIT_CAP_MS = 30_000;

interface Wanted {
  topicResponse: Body;
  request: Body;
  partition: Partition | null;
  errorCode: number;
}

export const fetch: ApiHandler = {
  apiKey: 1,
  minVersion: 4,
  maxVersion: 16,
  async handle(ctx, req) {
    const wanted: Wanted[] = [];
    const responses: Body[] = [];
    for (const t of req.topics as Body[]) {
      const topic = ctx.apiVersion >= 13 ? ctx.broker.topics.getById(t.topicId) : ctx.broker.topics.get(t.topic);
      const topicResponse = { topic: topic?.name ?? t.topic, topicId: topic?.id ?? t.topicId, partitions: [] as Body[] };
      responses.push(topicResponse);
      for (const p of t.partitions as Body[]) {
        const missing = ctx.apiVersion >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        const partition = topic ? ctx.broker.partitions.partition(topic.name, p.partition) ?? null : null;
        wanted.push({ topicResponse, request: p, partition, errorCode: partition ? ErrorCode.NONE : missing });
      }
    }

    const maxWait = Math.min(Math.max(req.maxWaitMs, 0), MAX_WAIT_CAP_MS);
    const deadline = Date.now() + maxWait;
    let results = await readAll(ctx, wanted, req.maxBytes);
    while (results.bytes < Math.max(req.minBytes, 1) && !results.anyError && Date.now() < deadline) {
      await waitForAppend(wanted.flatMap((w) => (w.partition ? [w.partition] : [])), deadline - Date.now());
      results = await readAll(ctx, wanted, req.maxBytes);
    }
    for (const [i, w] of wanted.entries()) w.topicResponse.partitions.push(results.partitions[i]);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses };
  },
};

async function readAll(ctx: RequestContext, wanted: Wanted[], maxBytes: number) {
  let remaining = maxBytes > 0 ? maxBytes : 0x7fffffff;
  let bytes = 0;
  let anyError = false;
  const partitions: Body[] = [];
  for (const w of wanted) {
    const r = await readPartition(ctx, w, remaining, bytes === 0);
    if (r.errorCode !== ErrorCode.NONE) anyError = true;
    const size = r.records?.length ?? 0;
    bytes += size;
    remaining = Math.max(0, remaining - size);
    partitions.push(r);
  }
  return { partitions, bytes, anyError };
}

async function readPartition(ctx: RequestContext, w: Wanted, responseBytesLeft: number, first: boolean): Promise<Body> {
  const p = w.request;
  const base = {
    partitionIndex: p.partition, errorCode: w.errorCode, highWatermark: -1n, lastStableOffset: -1n,
    logStartOffset: -1n, abortedTransactions: null, preferredReadReplica: -1, records: null as Buffer | null,
  };
  const partition = w.partition;
  if (!partition) return base;
  const hw = partition.highWatermark;
  const offsets = { highWatermark: hw, lastStableOffset: hw, logStartOffset: partition.log.logStartOffset };
  try {
    checkLeaderEpoch(partition, p.currentLeaderEpoch);
    const fetchOffset: bigint = p.fetchOffset;
    if (fetchOffset < partition.log.logStartOffset || fetchOffset > hw) {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${fetchOffset} outside [${partition.log.logStartOffset}, ${hw}]`);
    }
    const limit = Math.min(p.partitionMaxBytes, responseBytesLeft);
    if (fetchOffset === hw || (limit <= 0 && !first)) return { ...base, ...offsets, abortedTransactions: [], records: Buffer.alloc(0) };
    const records = await partition.log.read(fetchOffset, Math.max(limit, 0), { maxOffset: hw, minOneMessage: first });
    if (records.length > 0) ctx.broker.metrics.fetchedBytes.inc({ topic: partition.topic }, records.length);
    return { ...base, ...offsets, abortedTransactions: [], records };
  } catch (err) {
    if (!(err instanceof KafkaError)) ctx.broker.logger.error({ err, topic: partition.topic, partition: p.partition }, 'fetch failed');
    return { ...base, ...offsets, errorCode: errorCodeOf(err) };
  }
}

/** KIP-320: a client with a newer epoch than ours is ahead of us, an older one is fenced. */
export function checkLeaderEpoch(partition: Partition, currentLeaderEpoch: number | undefined): void {
  if (currentLeaderEpoch === undefined || currentLeaderEpoch < 0) return;
  if (currentLeaderEpoch > partition.leaderEpoch) throw new KafkaError(ErrorCode.UNKNOWN_LEADER_EPOCH);
  if (currentLeaderEpoch < partition.leaderEpoch) throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH);
}
