// DeleteRecords (21): raise a partition's log start offset; -1 means the high
// watermark.

import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/errors.ts';
import type { ApiHandler, Body } from '../handler.ts';

export const deleteRecords: ApiHandler = {
  apiKey: 21,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const topics = await Promise.all((req.topics as Body[]).map(async (t) => ({
      name: t.name,
      partitions: await Promise.all((t.partitions as Body[]).map(async (p) => {
        try {
          const partition = ctx.broker.partitions.require(t.name, p.partitionIndex);
          const hw = partition.highWatermark;
          const offset: bigint = p.offset === -1n ? hw : p.offset;
          if (offset < 0n || offset > hw) {
            throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset} is beyond the high watermark ${hw}`);
          }
          const lowWatermark = await partition.log.deleteRecordsBefore(offset);
          return { partitionIndex: p.partitionIndex, lowWatermark, errorCode: ErrorCode.NONE };
        } catch (err) {
          return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: errorCodeOf(err) };
        }
      })),
    })));
    return { throttleTimeMs: 0, topics };
  },
};
