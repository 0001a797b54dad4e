// KafkaCluster reconcile: desired objects (pure functions) → server-side apply;
// guarded scale-down; rolling restart one broker at a time; status.
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { ANNOTATIONS, API_VERSION, kafkaClusterSpec } from '../api/v1alpha1.ts';
import type { KafkaCluster, KafkaClusterStatus } from '../api/v1alpha1.ts';
import { applyDefaults } from '../api/schema.ts';
import * as d from '../desired/cluster.ts';
import { clusterIdFor } from '../desired/config.ts';
import { chooseRollVictim } from '../desired/roll.ts';
import { KafkaAdmin } from './admin.ts';
import type { ClusterMetadata } from './admin.ts';
import { setConditions } from './conditions.ts';
import type { ConditionInput } from './conditions.ts';
import type { Events } from './events.ts';
import type { Informer } from './informer.ts';
import { mergeDiff, objectPath } from './kube.ts';
import type { Kube, Obj } from './kube.ts';
import type { OperatorMetrics } from './metrics.ts';

export interface Result {
  requeueAfterMs?: number;
}

export interface ClusterDeps {
  kube: Kube;
  log: Logger;
  events: Events;
  metrics: OperatorMetrics;
  clusters: Informer;
  statefulSets: Informer;
  pods: Informer;
  pdbApiVersion: 'policy/v1' | 'policy/v1beta1';
}

const REVISION_LABEL = 'controller-revision-hash';

export function isPodReady(p: Obj | undefined): boolean {
  return !!p && !p.metadata.deletionTimestamp && (p.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
}

export function ordinalOf(p: Obj): number {
  return Number(/-(\d+)$/.exec(p.metadata.name)?.[1] ?? -1);
}

/** Claim templates as given (without the fields the apiserver adds), for re-applying unchanged. */
function cleanTemplates(t: Obj[] | undefined): Obj[] | undefined {
  if (!t) return undefined;
  return t.map((c) => ({
    apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: { name: c.metadata.name, ...(c.metadata.labels ? { labels: c.metadata.labels } : {}) },
    spec: {
      accessModes: c.spec.accessModes, resources: { requests: c.spec.resources?.requests },
      ...(c.spec.storageClassName ? { storageClassName: c.spec.storageClassName } : {}),
    },
  }));
}

export class ClusterReconciler {
  private readonly d: ClusterDeps;
  /** Last "blocked" message per cluster, so a waiting roll emits one event, not one per pass. */
  private readonly lastBlocked = new Map<string, string>();
  /**
   * The pod a roll restarted last, per cluster: the next restart waits until
   * that pod is gone and its replacement Ready, even if the informer cache has
   * not yet seen the deletion.
   */
  private readonly lastVictim = new Map<string, { name: string; uid: string }>();

  constructor(deps: ClusterDeps) {
    this.d = deps;
  }

  brokerPods(kc: KafkaCluster): Obj[] {
    const prefix = `${kc.metadata.namespace}/${d.names(kc.metadata.name).statefulSet}-`;
    return this.d.pods.list()
      .filter((p) => `${p.metadata.namespace}/${p.metadata.name}`.startsWith(prefix) && /^\d+$/.test(`${p.metadata.namespace}/${p.metadata.name}`.slice(prefix.length)))
      .sort((a, b) => ordinalOf(a) - ordinalOf(b));
  }

  /** host:port of the ready brokers, lowest ordinal first (pod IPs: no cluster DNS needed). */
  readyBrokerAddresses(kc: KafkaCluster): { ordinal: number; address: string }[] {
    const port = d.kafkaListener(kc.spec).port;
    return this.brokerPods(kc).filter(isPodReady).filter((p) => p.status?.podIP).map((p) => ({ ordinal: ordinalOf(p), address: `${p.status.podIP}:${port}` }));
  }

  /**
   * Where topics are managed: broker 0 while brokers do not replicate (each
   * broker has its own topics, so every admin call must go to the same one);
   * undefined while it is not Ready.
   */
  topicBroker(kc: KafkaCluster): string | undefined {
    return this.readyBrokerAddresses(kc).find((b) => b.ordinal === 0)?.address;
  }

  /** Metadata from every ready broker (until brokers replicate, each knows only its own partitions). */
  private async clusterMetadata(kc: KafkaCluster): Promise<Map<number, ClusterMetadata>> {
    const out = new Map<number, ClusterMetadata>();
    for (const b of this.readyBrokerAddresses(kc)) {
      out.set(b.ordinal, await KafkaAdmin.with(b.address, (a) => a.metadata()));
    }
    return out;
  }

  async reconcile(key: string): Promise<Result> {
    const live = this.d.clusters.get(key) as KafkaCluster | undefined;
    if (!live || live.metadata.deletionTimestamp) {
      this.lastBlocked.delete(key);
      this.lastVictim.delete(key);
      return {};
    }
    const kc: KafkaCluster = { ...live, spec: applyDefaults(kafkaClusterSpec, live.spec ?? {}) };
    const log = this.d.log.child({ kafkacluster: key });
    const gen = kc.metadata.generation;

    if (kc.metadata.annotations?.[ANNOTATIONS.pause] === 'true') {
      await this.writeStatus(kc, { ...(kc.status ?? {}), conditions: setConditions(kc.status?.conditions, [
        { type: 'Ready', status: (kc.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown') as 'True', reason: 'ReconciliationPaused', message: `${ANNOTATIONS.pause}=true: the operator leaves this cluster alone` },
        { type: 'Reconciling', status: 'False', reason: 'ReconciliationPaused' },
        { type: 'Warning', status: 'False', reason: 'ReconciliationPaused' },
      ], gen) });
      return {};
    }

    const problems = d.validateCluster(kc);
    if (problems.length) {
      const message = problems.join('; ');
      if (this.lastBlocked.get(key) !== message) this.d.events.emit(kc, 'Warning', 'InvalidSpec', message);
      this.lastBlocked.set(key, message);
      await this.writeStatus(kc, { ...(kc.status ?? {}), observedGeneration: gen, conditions: setConditions(kc.status?.conditions, [
        { type: 'Ready', status: 'False', reason: 'InvalidSpec', message },
        { type: 'Reconciling', status: 'False', reason: 'InvalidSpec' },
        { type: 'Warning', status: 'True', reason: 'InvalidSpec', message },
      ], gen) });
      return {};
    }

    const n = d.names(kc.metadata.name);
    const ns = kc.metadata.namespace!;
    const liveSts = this.d.statefulSets.get(`${ns}/${n.statefulSet}`);
    const warnings: { reason: string; message: string }[] = [];
    const liveTemplates = liveSts ? cleanTemplates(liveSts.spec.volumeClaimTemplates ?? []) : undefined;
    const drift = d.storageDrift(kc, liveTemplates);
    if (drift) warnings.push({ reason: 'StorageChangeNotApplied', message: drift });

    // Scale-down guard: departing brokers must host no partitions.
    let replicasOverride: number | undefined;
    const current: number | undefined = liveSts?.spec.replicas;
    if (current !== undefined && kc.spec.replicas < current) {
      const blocked = await this.scaleDownBlocker(kc, kc.spec.replicas, current).catch((e: Error) => `cannot check the departing brokers: ${e.message}`);
      if (blocked) {
        replicasOverride = current;
        warnings.push({ reason: 'ScaleDownBlocked', message: `scale-down from ${current} to ${kc.spec.replicas} refused: ${blocked}` });
      } else {
        this.d.events.emit(kc, 'Normal', 'ScalingDown', `scaling down from ${current} to ${kc.spec.replicas} brokers: the departing brokers host no partitions`);
      }
    } else if (current !== undefined && kc.spec.replicas > current) {
      this.d.events.emit(kc, 'Normal', 'ScalingUp', `scaling up from ${current} to ${kc.spec.replicas} brokers`);
    }

    const objs = d.desiredObjects(kc, { pdbApiVersion: this.d.pdbApiVersion, liveClaimTemplates: liveTemplates, replicasOverride });
    let sts: Obj | undefined;
    for (const o of objs) {
      const applied = await this.d.kube.apply(o);
      if (o.kind === 'StatefulSet') sts = applied;
    }
    if (!liveSts) this.d.events.emit(kc, 'Normal', 'Created', `created ${objs.length} objects (${objs.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')})`);
    await this.emulatorCleanup(kc);
    await this.claimOwnership(kc);

    const roll = await this.roll(kc, sts!, log);
    if (roll.blocked) warnings.push({ reason: 'RollBlocked', message: roll.blocked });

    // Status.
    const replicas = sts!.spec.replicas as number;
    const s = sts!.status ?? {};
    // Ready pods as the pod cache has them, never more than the StatefulSet reports:
    // its status lags pod changes (a just-restarted broker is still counted there).
    const readyPods = this.brokerPods(kc).filter((p) => ordinalOf(p) < replicas && isPodReady(p)).length;
    const readyReplicas = Math.min((s.readyReplicas ?? 0) as number, readyPods);
    const updatedReplicas = this.brokerPods(kc).filter((p) => p.metadata.labels?.[REVISION_LABEL] === s.updateRevision).length;
    const stsCurrent = (s.observedGeneration ?? 0) >= sts!.metadata.generation;
    const allReady = stsCurrent && readyReplicas === replicas && roll.pending === 0 && replicas === kc.spec.replicas;
    const blocking = warnings.filter((w) => w.reason !== 'StorageChangeNotApplied');
    const ready = allReady && blocking.length === 0;
    let reason = 'Ready';
    let message = `${readyReplicas}/${replicas} brokers ready`;
    if (!ready) {
      if (blocking.length) ({ reason, message } = blocking[0]!);
      else if (roll.pending > 0) { reason = 'RollingUpdate'; message = roll.message ?? `${roll.pending} broker(s) to restart`; }
      else { reason = readyReplicas < replicas ? 'BrokersNotReady' : 'Reconciling'; message = `${readyReplicas}/${replicas} brokers ready`; }
    }
    const warnMessage = warnings.map((w) => w.message).join('; ');
    if (warnings.length && this.lastBlocked.get(key) !== warnMessage) {
      for (const w of warnings) this.d.events.emit(kc, 'Warning', w.reason, w.message);
    }
    this.lastBlocked.set(key, warnMessage);
    const conds: ConditionInput[] = [
      { type: 'Ready', status: ready ? 'True' : 'False', reason, message },
      { type: 'Reconciling', status: ready ? 'False' : 'True', reason: ready ? 'Reconciled' : reason, message: ready ? '' : message },
      { type: 'Warning', status: warnings.length ? 'True' : 'False', reason: warnings[0]?.reason ?? 'NoWarnings', message: warnMessage },
    ];
    const addr = d.listenerStatus(kc, replicas);
    const status: KafkaClusterStatus = {
      observedGeneration: gen,
      conditions: setConditions(kc.status?.conditions, conds, gen),
      replicas,
      readyReplicas,
      updatedReplicas,
      selector: Object.entries(d.selectorLabels(kc.metadata.name)).map(([k, v]) => `${k}=${v}`).join(','),
      clusterId: clusterIdFor(kc.metadata.uid ?? kc.metadata.name),
      bootstrapServers: addr.bootstrapServers,
      listeners: addr.listeners,
      image: d.brokerImage(kc.spec),
      configHash: d.brokerConfigHash(kc),
    };
    const wasReady = kc.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (ready && !wasReady) this.d.events.emit(kc, 'Normal', 'Ready', `${readyReplicas} brokers ready; bootstrap ${addr.bootstrapServers}`);
    await this.writeStatus(kc, status);
    return ready ? {} : { requeueAfterMs: roll.pending > 0 ? 1_000 : 3_000 };
  }

  /** Why brokers with ordinal ≥ `target` cannot go away, or null when they host no partitions. */
  async scaleDownBlocker(kc: KafkaCluster, target: number, current: number): Promise<string | null> {
    const pods = this.brokerPods(kc).filter((p) => ordinalOf(p) >= target && ordinalOf(p) < current);
    const port = d.kafkaListener(kc.spec).port;
    const hosted: string[] = [];
    for (const p of pods) {
      const ordinal = ordinalOf(p);
      if (!isPodReady(p) || !p.status?.podIP) return `broker ${p.metadata.name} is not ready, so its partitions cannot be checked`;
      const md = await KafkaAdmin.with(`${p.status.podIP}:${port}`, (a) => a.metadata());
      for (const part of md.partitions) {
        if (part.internal) continue; // internal topics (consumer offsets) are recreated by the remaining brokers
        if (part.replicas.includes(ordinal)) hosted.push(`${part.topic}-${part.partition}@${p.metadata.name}`);
      }
    }
    if (!hosted.length) return null;
    return `the departing brokers host ${hosted.length} partition replica(s) (${hosted.slice(0, 10).join(', ')}${hosted.length > 10 ? ', ...' : ''}); moving partitions off needs multi-broker replication, so delete or move those topics first`;
  }

  /**
   * One step of a rolling restart: with OnDelete, pods whose revision is not the
   * StatefulSet's updateRevision are restarted by deleting them, one at a time,
   * highest ordinal first and the controller broker last, only when every broker
   * is Ready and no partition is under-replicated.
   */
  private async roll(kc: KafkaCluster, sts: Obj, log: Logger): Promise<{ pending: number; blocked?: string; message?: string }> {
    const s = sts.status ?? {};
    const key = `${kc.metadata.namespace}/${kc.metadata.name}`;
    if ((s.observedGeneration ?? 0) < sts.metadata.generation || !s.updateRevision) return { pending: 0 };
    const pods = this.brokerPods(kc).filter((p) => ordinalOf(p) < sts.spec.replicas);
    const outdated = pods.filter((p) => p.metadata.labels?.[REVISION_LABEL] && p.metadata.labels[REVISION_LABEL] !== s.updateRevision);
    if (!outdated.length) return { pending: 0 };
    const victim0 = this.lastVictim.get(key);
    if (victim0 && Number(/-(\d+)$/.exec(victim0.name)?.[1]) >= sts.spec.replicas) this.lastVictim.delete(key); // scaled away
    else if (victim0) {
      const p = pods.find((x) => x.metadata.name === victim0.name);
      if (!p || p.metadata.uid === victim0.uid || !isPodReady(p)) {
        return { pending: outdated.length, message: `rolling update: waiting for ${victim0.name} to come back Ready (${outdated.length} to go)` };
      }
      this.lastVictim.delete(key);
    }
    const notReady = pods.filter((p) => !isPodReady(p));
    if (notReady.length || pods.length < sts.spec.replicas) {
      const waiting = notReady.map((p) => p.metadata.name).join(', ') || 'missing pods';
      return { pending: outdated.length, message: `rolling update: waiting for ${waiting} to be Ready before the next restart (${outdated.length} to go)` };
    }
    let metadata: Map<number, ClusterMetadata>;
    try {
      metadata = await this.clusterMetadata(kc);
    } catch (e) {
      return { pending: outdated.length, blocked: `rolling update paused: cannot read partition state (${(e as Error).message})` };
    }
    let controllerId = -1;
    const partitions: ClusterMetadata['partitions'] = [];
    for (const md of metadata.values()) {
      if (controllerId < 0) controllerId = md.controllerId;
      partitions.push(...md.partitions);
    }
    const choice = chooseRollVictim(outdated.map((p) => ({ name: p.metadata.name as string, ordinal: ordinalOf(p), pod: p })), partitions, controllerId);
    if ('blocked' in choice) return { pending: outdated.length, blocked: choice.blocked };
    const victim = choice.victim.pod;
    const why = `revision ${victim.metadata.labels[REVISION_LABEL]} → ${s.updateRevision}`;
    log.info({ pod: victim.metadata.name, why, remaining: outdated.length }, 'rolling broker');
    this.d.events.emit(kc, 'Normal', 'RollingBroker', `restarting ${victim.metadata.name} (${why}); all ${pods.length} brokers Ready, no under-replicated partitions; ${outdated.length - 1} more after it`);
    this.d.metrics.brokerRestarts.inc({ namespace: kc.metadata.namespace, cluster: kc.metadata.name });
    await this.d.kube.delete(objectPath({ apiVersion: 'v1', kind: 'Pod', metadata: { name: victim.metadata.name, namespace: kc.metadata.namespace } }), {
      apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: victim.metadata.uid },
    });
    this.lastVictim.set(key, { name: victim.metadata.name, uid: victim.metadata.uid });
    this.lastBlocked.delete(key);
    return { pending: outdated.length, message: `rolling update: restarted ${victim.metadata.name}, ${outdated.length - 1} to go` };
  }

  /** Removes the emulator objects when the emulator is disabled (apply never deletes). */
  private async emulatorCleanup(kc: KafkaCluster): Promise<void> {
    if (kc.spec.emulator?.enabled) return;
    const name = d.names(kc.metadata.name).emulator;
    const ns = kc.metadata.namespace;
    for (const [apiVersion, kind] of [['apps/v1', 'Deployment'], ['v1', 'Service']] as const) {
      const path = objectPath({ apiVersion, kind, metadata: { name, namespace: ns } });
      const o = await this.d.kube.find(path);
      if (o && o.metadata.ownerReferences?.some((r: Obj) => r.uid === kc.metadata.uid)) await this.d.kube.delete(path);
    }
  }

  /**
   * `storage.deleteClaim`: the claims get the KafkaCluster as (non-controller)
   * owner, so the garbage collector deletes them with it; without it they are
   * left alone (and the owner reference removed).
   */
  private async claimOwnership(kc: KafkaCluster): Promise<void> {
    if (kc.spec.storage.type !== 'persistent-claim') return;
    const sel = encodeURIComponent(Object.entries(d.selectorLabels(kc.metadata.name)).map(([k, v]) => `${k}=${v}`).join(','));
    const list = await this.d.kube.get(`/api/v1/namespaces/${kc.metadata.namespace}/persistentvolumeclaims?labelSelector=${sel}`);
    const ref = { apiVersion: API_VERSION, kind: 'KafkaCluster', name: kc.metadata.name, uid: kc.metadata.uid, blockOwnerDeletion: false };
    for (const pvc of list.items as Obj[]) {
      const refs: Obj[] = pvc.metadata.ownerReferences ?? [];
      const has = refs.some((r) => r.uid === kc.metadata.uid);
      if (kc.spec.storage.deleteClaim === has) continue;
      const next = kc.spec.storage.deleteClaim ? [...refs, ref] : refs.filter((r) => r.uid !== kc.metadata.uid);
      await this.d.kube.mergePatch(`/api/v1/namespaces/${kc.metadata.namespace}/persistentvolumeclaims/${pvc.metadata.name}`, {
        metadata: { resourceVersion: pvc.metadata.resourceVersion, ownerReferences: next.length ? next : null },
      });
    }
  }

  private async writeStatus(kc: KafkaCluster, status: KafkaClusterStatus): Promise<void> {
    if (isDeepStrictEqual(JSON.parse(JSON.stringify(status)), kc.status ?? {})) return;
    await this.d.kube.mergePatch(`${objectPath(kc as any)}/status`, { status: mergeDiff(kc.status ?? {}, JSON.parse(JSON.stringify(status))) });
  }
}
