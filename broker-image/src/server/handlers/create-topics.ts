// CreateTopics (19): each topic succeeds or fails on its own; v5+ answers with
// the created topic's partitions, replication factor and effective configs.

import { ErrorCode, errorCodeOf, KafkaError } from '../../protocol/errors.ts';
import type { ApiHandler, Body, RequestContext } from '../handler.ts';
import { describeTopicConfigs } from './config-entries.ts';

export const createTopics: ApiHandler = {
  apiKey: 19,
  minVersion: 0,
  maxVersion: 7,
  async handle(ctx, req) {
    const counts = new Map<string, number>();
    for (const t of req.topics as Body[]) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const topics: Body[] = [];
    for (const t of req.topics as Body[]) {
      if (counts.get(t.name)! > 1) {
        topics.push(failed(t.name, ErrorCode.INVALID_REQUEST, `topic '${t.name}' appears more than once in the request`));
        continue;
      }
      topics.push(await createOne(ctx, t, req.validateOnly === true));
    }
    return { throttleTimeMs: 0, topics };
  },
};

async function createOne(ctx: RequestContext, t: Body, validateOnly: boolean): Promise<Body> {
  const { broker } = ctx;
  try {
    let partitions: number = t.numPartitions;
    let replicationFactor: number = t.replicationFactor;
    const assignments = (t.assignments ?? []) as Body[];
    if (assignments.length > 0) {
      if (partitions !== -1 || replicationFactor !== -1) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, 'both numPartitions or replicationFactor and replicasAssignments were set; both cannot be used at the same time');
      }
      const indexes = assignments.map((a) => a.partitionIndex).sort((a, b) => a - b);
      if (indexes.some((idx, i) => idx !== i)) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions must be numbered 0..n-1');
      for (const a of assignments) {
        const ids = a.brokerIds as number[];
        if (ids.length === 0 || ids.some((id) => id !== broker.nodeId) || new Set(ids).size !== ids.length) {
          throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `replica assignment ${JSON.stringify(ids)} names brokers other than ${broker.nodeId}`);
        }
      }
      partitions = assignments.length;
      replicationFactor = (assignments[0].brokerIds as number[]).length;
    }
    if (partitions === -1) partitions = broker.config.numPartitions;
    if (replicationFactor === -1) replicationFactor = broker.config.defaultReplicationFactor;
    const configs: Record<string, string> = {};
    for (const c of (t.configs ?? []) as Body[]) {
      if (c.value === null) throw new KafkaError(ErrorCode.INVALID_CONFIG, `${c.name}: null value`);
      configs[c.name] = c.value;
    }
    const info = await broker.createTopic({ name: t.name, partitions, replicationFactor, configs }, { validateOnly });
    return {
      name: t.name, topicId: info.id, errorCode: ErrorCode.NONE, errorMessage: null,
      numPartitions: info.partitions, replicationFactor: info.replicationFactor,
      configs: describeTopicConfigs(broker, info.configs, false, false).map((c) => ({
        name: c.name, value: c.value, readOnly: c.readOnly, configSource: c.configSource, isSensitive: c.isSensitive,
      })),
    };
  } catch (err) {
    if (!(err instanceof KafkaError)) broker.logger.error({ err, topic: t.name }, 'create topic failed');
    return failed(t.name, errorCodeOf(err), (err as Error).message);
  }
}

function failed(name: string, errorCode: number, errorMessage: string): Body {
  return { name, topicId: Buffer.alloc(16), errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: null };
}
