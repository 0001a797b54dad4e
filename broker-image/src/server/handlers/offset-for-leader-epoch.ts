// OffsetForLeaderEpoch (23): the end offset of a leader epoch, which clients
// use to detect log truncation (KIP-101/KIP-320). A single broker has led every
// partition since epoch 0, so every epoch up to the current one ends at the
// log end offset.

import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/errors.ts';
import type { ApiHandler, Body } from '../handler.ts';
import { checkLeaderEpoch } from './fetch.ts';

export const offsetForLeaderEpoch: ApiHandler = {
  apiKey: 23,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, req) {
    const topics = (req.topics as Body[]).map((t) => ({
      topic: t.topic,
      partitions: (t.partitions as Body[]).map((p) => {
        try {
          const partition = ctx.broker.partitions.require(t.topic, p.partition);
          checkLeaderEpoch(partition, p.currentLeaderEpoch);
          if (p.leaderEpoch > partition.leaderEpoch) {
            throw new KafkaError(ErrorCode.UNKNOWN_LEADER_EPOCH);
          }
          return { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: partition.leaderEpoch, endOffset: partition.log.logEndOffset };
        } catch (err) {
          return { errorCode: errorCodeOf(err), partition: p.partition, leaderEpoch: -1, endOffset: -1n };
        }
      }),
    }));
    return { throttleTimeMs: 0, topics };
  },
};
