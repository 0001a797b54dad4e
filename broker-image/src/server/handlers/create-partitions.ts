// CreatePartitions (37): partitions only ever increase.

import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/errors.ts';
import type { ApiHandler, Body } from '../handler.ts';

export const createPartitions: ApiHandler = {
  apiKey: 37,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req) {
    const results: Body[] = [];
    for (const t of req.topics as Body[]) {
      try {
        for (const a of (t.assignments ?? []) as Body[]) {
          const ids = a.brokerIds as number[];
          if (ids.length === 0 || ids.some((id) => id !== ctx.broker.nodeId)) {
            throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `replica assignment ${JSON.stringify(ids)} names brokers other than ${ctx.broker.nodeId}`);
          }
        }
        await ctx.broker.addPartitions(t.name, t.count, { validateOnly: req.validateOnly === true });
        results.push({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (err) {
        results.push({ name: t.name, errorCode: errorCodeOf(err), errorMessage: (err as Error).message });
      }
    }
    return { throttleTimeMs: 0, results };
  },
};
