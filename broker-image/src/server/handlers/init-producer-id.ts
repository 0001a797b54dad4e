// InitProducerId (22): a fresh producer id (epoch 0) for idempotent producers.
// Transactions are not served yet, so a transactional id is refused.

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';

export const initProducerId: ApiHandler = {
  apiKey: 22,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req) {
    const refuse = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 });
    if (req.transactionalId !== null && req.transactionalId !== undefined) {
      ctx.broker.logger.warn({ transactionalId: req.transactionalId }, 'transactions are not supported');
      return refuse(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: await ctx.broker.producerIds.nextId(), producerEpoch: 0 };
  },
};
