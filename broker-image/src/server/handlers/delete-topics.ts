// DeleteTopics (20): by name (all versions) or by topic id (v6+).

import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/errors.ts';
import type { ApiHandler, Body } from '../handler.ts';
import { isZeroUuid } from './metadata.ts';

export const deleteTopics: ApiHandler = {
  apiKey: 20,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, req) {
    const { broker } = ctx;
    const requested: { name: string | null; topicId: Buffer | null }[] = ctx.apiVersion >= 6
      ? (req.topics as Body[]).map((t) => ({ name: t.name, topicId: isZeroUuid(t.topicId) ? null : t.topicId }))
      : (req.topicNames as string[]).map((name) => ({ name, topicId: null }));
    const responses: Body[] = [];
    for (const r of requested) {
      try {
        const name = r.topicId ? broker.topics.getById(r.topicId)?.name : r.name;
        if (!name) {
          throw new KafkaError(r.topicId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'no such topic');
        }
        const info = await broker.deleteTopic(name);
        responses.push({ name, topicId: info.id, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (err) {
        responses.push({ name: r.name, topicId: r.topicId ?? Buffer.alloc(16), errorCode: errorCodeOf(err), errorMessage: (err as Error).message });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
};
