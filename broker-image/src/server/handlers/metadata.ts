// Metadata (3): brokers, controller and topics with their partitions; creates
// missing topics when auto.create.topics.enable allows it.

import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/errors.ts';
import { topicNameProblem, type TopicInfo } from '../../cluster/topic-registry.ts';
import type { ApiHandler, Body, RequestContext } from '../handler.ts';

const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export const metadata: ApiHandler = {
  apiKey: 3,
  minVersion: 0,
  maxVersion: 12,
  async handle(ctx, req) {
    const { broker, apiVersion } = ctx;
    const self = broker.advertisedFor(ctx.listener.name);
    // v0: an empty list means every topic; v1+: null means every topic.
    const all = req.topics === null || (apiVersion === 0 && req.topics.length === 0);
    const allowAutoCreate = apiVersion < 4 ? true : req.allowAutoTopicCreation !== false;

    const topics: Body[] = [];
    if (all) {
      for (const t of broker.topics.all()) topics.push(describeTopic(ctx, t));
    } else {
      for (const requested of req.topics) {
        topics.push(await lookupTopic(ctx, requested, allowAutoCreate));
      }
    }
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: broker.nodeId, host: self.host, port: self.port, rack: null }],
      clusterId: broker.clusterId,
      controllerId: broker.nodeId,
      topics,
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
};

async function lookupTopic(ctx: RequestContext, requested: Body, allowAutoCreate: boolean): Promise<Body> {
  const { broker } = ctx;
  const byId = requested.topicId && !isZeroUuid(requested.topicId);
  if (byId) {
    const t = broker.topics.getById(requested.topicId);
    if (!t) return errorTopic(null, requested.topicId, ErrorCode.UNKNOWN_TOPIC_ID);
    return describeTopic(ctx, t);
  }
  const name: string = requested.name;
  const problem = topicNameProblem(name);
  if (problem) return errorTopic(name, null, ErrorCode.INVALID_TOPIC_EXCEPTION);
  try {
    const t = await broker.topicForMetadata(name, allowAutoCreate);
    if (!t) return errorTopic(name, null, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    return describeTopic(ctx, t);
  } catch (err) {
    if (!(err instanceof KafkaError)) broker.logger.error({ err, topic: name }, 'auto-create failed');
    return errorTopic(name, null, errorCodeOf(err));
  }
}

function describeTopic(ctx: RequestContext, t: TopicInfo): Body {
  const nodeId = ctx.broker.nodeId;
  const partitions = ctx.broker.partitions.partitionsOf(t.name).map((p) => ({
    errorCode: ErrorCode.NONE,
    partitionIndex: p.index,
    leaderId: nodeId,
    leaderEpoch: p.leaderEpoch,
    replicaNodes: [nodeId],
    isrNodes: [nodeId],
    offlineReplicas: [],
  }));
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.id,
    isInternal: t.internal,
    partitions,
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

function errorTopic(name: string | null, topicId: Buffer | null, errorCode: number): Body {
  return {
    errorCode, name, topicId: topicId ?? Buffer.alloc(16), isInternal: false, partitions: [],
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

export function isZeroUuid(id: Buffer | null | undefined): boolean {
  return !id || id.every((b) => b === 0);
}
