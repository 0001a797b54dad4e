// Produce (0): validate and append each partition's batches; acks=0 gets no
// response. v0–2 carry message formats 0/1, which the log refuses with
// UNSUPPORTED_FOR_MESSAGE_FORMAT; they stay advertised because librdkafka
// turns compression off when Produce's minimum version is above 0.

import { effectiveTopicConfig } from '../../config/topic-config.ts';
import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/errors.ts';
import type { ApiHandler, Body, RequestContext } from '../handler.ts';

export const produce: ApiHandler = {
  apiKey: 0,
  minVersion: 0,
  maxVersion: 11,
  async handle(ctx, req) {
    const acks: number = req.acks;
    const validAcks = acks === 0 || acks === 1 || acks === -1;
    const responses = await Promise.all(
      (req.topicData as Body[]).map(async (topic) => ({
        name: topic.name,
        partitionResponses: await Promise.all(
          (topic.partitionData as Body[]).map((p) =>
            validAcks ? appendPartition(ctx, topic.name, p, acks) : failed(p.index, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1 (got ${acks})`)),
        ),
      })),
    );
    if (acks === 0) return null;
    return { responses, throttleTimeMs: 0 };
  },
};

async function appendPartition(ctx: RequestContext, topicName: string, p: Body, acks: number): Promise<Body> {
  const { broker } = ctx;
  try {
    const topic = broker.topics.get(topicName);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${topicName}' does not exist`);
    if (topic.internal) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `cannot append to internal topic ${topicName}`);
    const partition = broker.partitions.require(topicName, p.index);
    if (!p.records || p.records.length === 0) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'no records in the request');
    if (acks === -1) {
      const minIsr = Number(effectiveTopicConfig(topic.configs, broker.config.raw)['min.insync.replicas']);
      if (minIsr > 1) {
        throw new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS, `the in-sync replicas of ${topicName}-${p.index} (1) are fewer than min.insync.replicas (${minIsr})`);
      }
    }
    const result = await partition.append(p.records);
    if (!result.duplicate) {
      broker.metrics.producedRecords.inc({ topic: topicName }, result.recordCount);
      broker.metrics.producedBytes.inc({ topic: topicName }, result.byteSize);
    }
    return {
      index: p.index, errorCode: ErrorCode.NONE, baseOffset: result.baseOffset,
      logAppendTimeMs: result.logAppendTime, logStartOffset: partition.log.logStartOffset,
      recordErrors: [], errorMessage: null,
    };
  } catch (err) {
    if (!(err instanceof KafkaError)) broker.logger.error({ err, topic: topicName, partition: p.index }, 'append failed');
    return failed(p.index, errorCodeOf(err), (err as Error).message);
  }
}

function failed(index: number, errorCode: number, message: string | null): Body {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: message };
}
