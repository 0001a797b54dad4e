// KafkaTopic → what to do through the Kafka admin API: pure planning from the
// desired spec and the topic as the broker describes it.
import { CLUSTER_LABEL } from '../api/v1alpha1.ts';
import type { KafkaTopic } from '../api/v1alpha1.ts';
import { validateTopicConfig } from '../../../broker-image/src/config/topic-config.ts';

export function topicName(kt: KafkaTopic): string {
  return kt.spec.topicName ?? kt.metadata.name;
}

/** The KafkaCluster this topic belongs to: spec.clusterRef.name, else the label. */
export function clusterOf(kt: KafkaTopic): string | undefined {
  return kt.spec.clusterRef?.name ?? kt.metadata.labels?.[CLUSTER_LABEL];
}

export function topicConfig(kt: KafkaTopic): Record<string, string> {
  return Object.fromEntries(Object.entries(kt.spec.config ?? {}).map(([k, v]) => [k, String(v)]));
}

/** Problems with the spec itself (reported as Ready=False InvalidSpec). */
export function validateTopic(kt: KafkaTopic, clusterReplicas: number | undefined): string[] {
  const problems: string[] = [];
  if (!clusterOf(kt)) problems.push(`no cluster: set spec.clusterRef.name or the label ${CLUSTER_LABEL}`);
  const name = topicName(kt);
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(name) || name === '.' || name === '..') problems.push(`topic name '${name}' is not a valid Kafka topic name (use spec.topicName)`);
  for (const [k, v] of Object.entries(kt.spec.config ?? {})) {
    if (v === null || !['string', 'number', 'boolean'].includes(typeof v)) problems.push(`spec.config.${k}: value must be a string, number or boolean`);
  }
  try {
    validateTopicConfig(topicConfig(kt));
  } catch (e) {
    problems.push(`spec.config: ${(e as Error).message}`);
  }
  const rf = kt.spec.replicationFactor;
  if (rf !== undefined && clusterReplicas !== undefined && rf > clusterReplicas) {
    problems.push(`spec.replicationFactor ${rf} is more than the cluster's ${clusterReplicas} brokers`);
  }
  return problems;
}

/** The topic as the broker has it (Metadata + DescribeConfigs). */
export interface ActualTopic {
  topicId: string;
  partitions: number;
  replicationFactor: number;
  /** Dynamic (per-topic) config overrides only. */
  config: Record<string, string>;
}

export interface TopicPlan {
  create?: { name: string; partitions: number; replicationFactor: number; config: Record<string, string> };
  /** New total partition count. */
  createPartitions?: number;
  setConfig: Record<string, string>;
  deleteConfig: string[];
  /** Changes refused (reason, message): reported, never applied. */
  refused: { reason: string; message: string }[];
}

export function planTopic(kt: KafkaTopic, actual: ActualTopic | undefined): TopicPlan {
  const want = topicConfig(kt);
  const plan: TopicPlan = { setConfig: {}, deleteConfig: [], refused: [] };
  if (!actual) {
    plan.create = { name: topicName(kt), partitions: kt.spec.partitions, replicationFactor: kt.spec.replicationFactor ?? -1, config: want };
    return plan;
  }
  if (kt.spec.partitions > actual.partitions) plan.createPartitions = kt.spec.partitions;
  else if (kt.spec.partitions < actual.partitions) {
    plan.refused.push({ reason: 'PartitionDecreaseNotSupported', message: `spec.partitions is ${kt.spec.partitions} but the topic has ${actual.partitions}: Kafka cannot remove partitions (set it back to ${actual.partitions} or more)` });
  }
  const rf = kt.spec.replicationFactor;
  if (rf !== undefined && rf !== actual.replicationFactor) {
    plan.refused.push({ reason: 'ReplicationFactorChangeNotSupported', message: `spec.replicationFactor is ${rf} but the topic has ${actual.replicationFactor}: changing it needs a partition reassignment, which the operator does not do` });
  }
  for (const [k, v] of Object.entries(want)) if (actual.config[k] !== v) plan.setConfig[k] = v;
  for (const k of Object.keys(actual.config)) if (!(k in want)) plan.deleteConfig.push(k);
  plan.deleteConfig.sort();
  return plan;
}

export function planIsEmpty(p: TopicPlan): boolean {
  return !p.create && p.createPartitions === undefined && Object.keys(p.setConfig).length === 0 && p.deleteConfig.length === 0;
}
