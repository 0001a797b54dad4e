// KafkaTopic reconcile: the topic through the Kafka admin API (create, add
// partitions, alter config), a finalizer that deletes it, released at once when
// the cluster is gone; pause and unmanage annotations; refused changes reported.
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { ANNOTATIONS, TOPIC_FINALIZER, kafkaTopicSpec } from '../api/v1alpha1.ts';
import type { KafkaCluster, KafkaTopic, KafkaTopicStatus } from '../api/v1alpha1.ts';
import { applyDefaults } from '../api/schema.ts';
import { clusterOf, planIsEmpty, planTopic, topicName, validateTopic } from '../desired/topic.ts';
import { KafkaAdmin } from './admin.ts';
import type { ClusterReconciler, Result } from './cluster-reconciler.ts';
import { setConditions } from './conditions.ts';
import type { ConditionInput } from './conditions.ts';
import type { Events } from './events.ts';
import type { Informer } from './informer.ts';
import { mergeDiff, objectPath } from './kube.ts';
import type { Kube } from './kube.ts';

export interface TopicDeps {
  kube: Kube;
  log: Logger;
  events: Events;
  topics: Informer;
  clusters: Informer;
  clusterReconciler: ClusterReconciler;
}

export class TopicReconciler {
  private readonly d: TopicDeps;

  constructor(deps: TopicDeps) {
    this.d = deps;
  }

  async reconcile(key: string): Promise<Result> {
    const live = this.d.topics.get(key) as KafkaTopic | undefined;
    if (!live) return {};
    const kt: KafkaTopic = { ...live, spec: applyDefaults(kafkaTopicSpec, live.spec ?? {}) };
    const log = this.d.log.child({ kafkatopic: key });
    const ns = kt.metadata.namespace!;
    const clusterName = clusterOf(kt);
    const kc = clusterName ? (this.d.clusters.get(`${ns}/${clusterName}`) as KafkaCluster | undefined) : undefined;
    const clusterGone = !kc || !!kc.metadata.deletionTimestamp;
    const managed = kt.metadata.annotations?.[ANNOTATIONS.managed] !== 'false';
    const hasFinalizer = kt.metadata.finalizers?.includes(TOPIC_FINALIZER) ?? false;
    const gen = kt.metadata.generation;

    if (kt.metadata.deletionTimestamp) {
      if (!hasFinalizer) return {};
      if (managed && !clusterGone) {
        const addr = this.d.clusterReconciler.topicBroker(kc!);
        if (!addr) throw new Error(`cannot delete topic ${topicName(kt)}: broker 0 of cluster ${clusterName} is not ready`);
        await KafkaAdmin.with(addr, (a) => a.deleteTopic(topicName(kt)));
        log.info({ topic: topicName(kt) }, 'deleted topic');
      } else {
        log.info({ topic: topicName(kt), clusterGone, managed }, 'releasing finalizer without deleting the topic');
      }
      await this.setFinalizer(kt, false);
      return {};
    }

    const status = (conds: ConditionInput[], extra: Partial<KafkaTopicStatus> = {}) => this.writeStatus(kt, {
      ...(kt.status ?? {}), ...extra, observedGeneration: gen, conditions: setConditions(kt.status?.conditions, conds, gen),
    });

    if (kt.metadata.annotations?.[ANNOTATIONS.pause] === 'true') {
      await status([{ type: 'Ready', status: 'Unknown', reason: 'ReconciliationPaused', message: `${ANNOTATIONS.pause}=true` }]);
      return {};
    }
    if (!managed) {
      if (hasFinalizer) await this.setFinalizer(kt, false);
      await status([{ type: 'Ready', status: 'Unknown', reason: 'Unmanaged', message: `${ANNOTATIONS.managed}=false: the topic is left as it is, and kept when this resource is deleted` }]);
      return {};
    }
    if (!hasFinalizer) await this.setFinalizer(kt, true);

    const problems = validateTopic(kt, kc?.spec?.replicas ?? undefined);
    if (problems.length) {
      const message = problems.join('; ');
      this.d.events.emit(kt, 'Warning', 'InvalidSpec', message);
      await status([{ type: 'Ready', status: 'False', reason: 'InvalidSpec', message }, { type: 'Warning', status: 'True', reason: 'InvalidSpec', message }]);
      return {};
    }
    if (clusterGone) {
      await status([{ type: 'Ready', status: 'False', reason: 'ClusterNotFound', message: `KafkaCluster ${ns}/${clusterName} does not exist` }]);
      return {};
    }
    const addr = this.d.clusterReconciler.topicBroker(kc!);
    if (!addr) {
      await status([{ type: 'Ready', status: 'False', reason: 'ClusterNotReady', message: `broker 0 of ${clusterName} (where topics live until brokers replicate) is not ready` }]);
      return { requeueAfterMs: 5_000 };
    }

    const name = topicName(kt);
    const { actual, plan } = await KafkaAdmin.with(addr, async (a) => {
      const before = await a.describeTopic(name);
      const plan = planTopic(kt, before);
      if (plan.create) {
        await a.createTopic(name, plan.create.partitions, plan.create.replicationFactor, plan.create.config);
        this.d.events.emit(kt, 'Normal', 'Created', `created topic ${name} with ${plan.create.partitions} partition(s)`);
      }
      if (plan.createPartitions !== undefined) {
        await a.createPartitions(name, plan.createPartitions);
        this.d.events.emit(kt, 'Normal', 'PartitionsAdded', `topic ${name}: ${before!.partitions} → ${plan.createPartitions} partitions`);
      }
      if (!plan.create && (Object.keys(plan.setConfig).length || plan.deleteConfig.length)) {
        await a.alterConfigs(name, plan.setConfig, plan.deleteConfig);
        this.d.events.emit(kt, 'Normal', 'ConfigChanged', `topic ${name}: set ${JSON.stringify(plan.setConfig)}${plan.deleteConfig.length ? `, reset ${plan.deleteConfig.join(', ')}` : ''}`);
      }
      const actual = planIsEmpty(plan) ? before : await a.describeTopic(name);
      return { actual, plan };
    });
    if (!actual) throw new Error(`topic ${name} not found after creating it`);
    const refused = plan.refused;
    for (const r of refused) this.d.events.emit(kt, 'Warning', r.reason, r.message);
    await status(
      refused.length
        ? [{ type: 'Ready', status: 'False', reason: refused[0]!.reason, message: refused.map((r) => r.message).join('; ') }, { type: 'Warning', status: 'True', reason: refused[0]!.reason, message: refused.map((r) => r.message).join('; ') }]
        : [{ type: 'Ready', status: 'True', reason: 'Ready', message: `topic ${name}: ${actual.partitions} partition(s), replication factor ${actual.replicationFactor}` }, { type: 'Warning', status: 'False', reason: 'NoWarnings' }],
      { topicName: name, topicId: actual.topicId, partitions: actual.partitions, replicationFactor: actual.replicationFactor, config: actual.config },
    );
    return {};
  }

  private async setFinalizer(kt: KafkaTopic, present: boolean): Promise<void> {
    const current = kt.metadata.finalizers ?? [];
    const next = present ? [...new Set([...current, TOPIC_FINALIZER])] : current.filter((f) => f !== TOPIC_FINALIZER);
    // resourceVersion: fails (and retries) instead of overwriting a concurrent change.
    await this.d.kube.mergePatch(objectPath(kt as any), { metadata: { resourceVersion: kt.metadata.resourceVersion, finalizers: next.length ? next : null } });
    kt.metadata.finalizers = next;
  }

  private async writeStatus(kt: KafkaTopic, status: KafkaTopicStatus): Promise<void> {
    if (isDeepStrictEqual(JSON.parse(JSON.stringify(status)), kt.status ?? {})) return;
    await this.d.kube.mergePatch(`${objectPath(kt as any)}/status`, { status: mergeDiff(kt.status ?? {}, JSON.parse(JSON.stringify(status))) });
  }
}
