// ListOffsets (2): earliest (-2), latest (-1) or the first offset at or after a
// timestamp, per partition. v7's max-timestamp query (-3) is not served, so
// the handler stops at v6.

import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/errors.ts';
import type { ApiHandler, Body, RequestContext } from '../handler.ts';
import { checkLeaderEpoch } from './fetch.ts';

const LATEST = -1n;
const EARLIEST = -2n;

export const listOffsets: ApiHandler = {
  apiKey: 2,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, req) {
    const topics = await Promise.all((req.topics as Body[]).map(async (t) => ({
      name: t.name,
      partitions: await Promise.all((t.partitions as Body[]).map((p) => lookup(ctx, t.name, p))),
    })));
    return { throttleTimeMs: 0, topics };
  },
};

async function lookup(ctx: RequestContext, topic: string, p: Body): Promise<Body> {
  const answer = (offset: bigint, timestamp: bigint, leaderEpoch: number) => ({
    partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE,
    oldStyleOffsets: offset >= 0n ? [offset] : [], timestamp, offset, leaderEpoch,
  });
  try {
    const partition = ctx.broker.partitions.require(topic, p.partitionIndex);
    checkLeaderEpoch(partition, p.currentLeaderEpoch);
    const ts: bigint = p.timestamp;
    if (ts === LATEST) return answer(partition.highWatermark, -1n, partition.leaderEpoch);
    if (ts === EARLIEST) return answer(partition.log.logStartOffset, -1n, partition.leaderEpoch);
    if (ts < 0n) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `timestamp query ${ts} is not supported`);
    const found = await partition.log.offsetForTimestamp(ts);
    if (!found) return answer(-1n, -1n, -1);
    return answer(found.offset, found.timestamp, partition.leaderEpoch);
  } catch (err) {
    return { partitionIndex: p.partitionIndex, errorCode: errorCodeOf(err), oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 };
  }
}
