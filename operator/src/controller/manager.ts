// The operator process: informers → work queues → reconcilers, behind Lease
// leader election, with metrics and graceful shutdown.
import os from 'node:os';
import type http from 'node:http';
import type { Logger } from 'pino';
import { CLUSTER_LABEL } from '../api/v1alpha1.ts';
import { CLUSTER, MANAGED_BY } from '../desired/cluster.ts';
import { clusterOf } from '../desired/topic.ts';
import type { KafkaTopic } from '../api/v1alpha1.ts';
import { ClusterReconciler } from './cluster-reconciler.ts';
import type { Result } from './cluster-reconciler.ts';
import { Events } from './events.ts';
import { Informer, keyOf } from './informer.ts';
import { Kube, KubeError, kafkaClusters, kafkaTopics } from './kube.ts';
import { LeaderElector } from './leader.ts';
import { OperatorMetrics, serveHttp } from './metrics.ts';
import { TopicReconciler } from './topic-reconciler.ts';
import { WorkQueue } from './queue.ts';

export interface ManagerOptions {
  kube: Kube;
  log: Logger;
  /** Watch one namespace; all when undefined. */
  namespace?: string | undefined;
  leaderElection?: { namespace: string; name?: string; identity?: string; leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number } | undefined;
  /** host:port for /metrics, /healthz, /readyz; none when undefined. */
  metricsAddress?: string | undefined;
  workers?: number;
  resyncMs?: number;
  /** Called when leadership is lost (the process should exit and restart). */
  onLeadershipLost?: () => void;
}

export class Manager {
  readonly metrics = new OperatorMetrics();
  private readonly o: ManagerOptions;
  private readonly log: Logger;
  private readonly kube: Kube;
  private informers: Informer[] = [];
  private readonly clusterQueue = new WorkQueue();
  private readonly topicQueue = new WorkQueue();
  private workers: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private leader: LeaderElector | undefined;
  private server: http.Server | undefined;
  private started = false;
  private stopping = false;
  private readonly identity: string;

  constructor(o: ManagerOptions) {
    this.o = o;
    this.log = o.log;
    this.kube = o.kube;
    this.identity = o.leaderElection?.identity ?? `${os.hostname()}_${process.pid}`;
  }

  get httpServer(): http.Server | undefined {
    return this.server;
  }

  isLeader(): boolean {
    return this.leader ? this.leader.isLeader() : this.started;
  }

  /** Serves metrics at once; waits for leadership (if enabled), then runs the controllers. */
  async start(): Promise<void> {
    if (this.o.metricsAddress) {
      this.server = await serveHttp(this.o.metricsAddress, this.metrics, () => !this.stopping && (this.leader ? true : this.started));
    }
    if (this.o.leaderElection) {
      const le = this.o.leaderElection;
      this.leader = new LeaderElector(this.kube, this.log, { namespace: le.namespace, name: le.name ?? 'tributary-operator-leader', identity: this.identity, ...(le.leaseDurationMs ? { leaseDurationMs: le.leaseDurationMs } : {}), ...(le.renewDeadlineMs ? { renewDeadlineMs: le.renewDeadlineMs } : {}), ...(le.retryPeriodMs ? { retryPeriodMs: le.retryPeriodMs } : {}) });
      this.log.info({ identity: this.identity }, 'waiting for leadership');
      await this.leader.acquire(() => {
        // Never reconcile without the Lease: stop, then let the owner decide (main.ts exits).
        this.metrics.leader.set(0);
        void this.stop().finally(() => this.o.onLeadershipLost?.());
      });
      if (this.stopping) return;
      this.metrics.leader.set(1);
    }
    await this.run();
  }

  private async run(): Promise<void> {
    const ns = this.o.namespace;
    const pdbApiVersion = await this.discoverPdbVersion();
    const events = new Events(this.kube, this.log, this.identity);
    const managedSel = `app.kubernetes.io/managed-by=${MANAGED_BY}`;
    const clusters = new Informer(this.kube, kafkaClusters(ns), this.log);
    const topics = new Informer(this.kube, kafkaTopics(ns), this.log);
    const statefulSets = new Informer(this.kube, ns ? `/apis/apps/v1/namespaces/${ns}/statefulsets` : '/apis/apps/v1/statefulsets', this.log, managedSel);
    const pods = new Informer(this.kube, ns ? `/api/v1/namespaces/${ns}/pods` : '/api/v1/pods', this.log, `${managedSel},app.kubernetes.io/component=broker`);
    this.informers = [clusters, topics, statefulSets, pods];
    this.eventsRef = events;

    const clusterReconciler = new ClusterReconciler({ kube: this.kube, log: this.log, events, metrics: this.metrics, clusters, statefulSets, pods, pdbApiVersion });
    const topicReconciler = new TopicReconciler({ kube: this.kube, log: this.log, events, topics, clusters, clusterReconciler });

    const topicsOf = (clusterKey: string) => {
      const [cns, cname] = clusterKey.split('/');
      return topics.list().filter((t) => t.metadata.namespace === cns && clusterOf(t as KafkaTopic) === cname).map(keyOf);
    };
    clusters.on((type, o) => {
      this.clusterQueue.add(keyOf(o));
      for (const t of topicsOf(keyOf(o))) this.topicQueue.add(t);
      void type;
    });
    topics.on((_t, o) => this.topicQueue.add(keyOf(o)));
    const byLabel = (_t: string, o: any) => {
      const c = o.metadata.labels?.[CLUSTER] ?? o.metadata.labels?.[CLUSTER_LABEL];
      if (c) this.clusterQueue.add(`${o.metadata.namespace}/${c}`);
    };
    statefulSets.on(byLabel);
    pods.on(byLabel);

    for (const i of this.informers) i.start();
    await Promise.all(this.informers.map((i) => i.waitForSync()));
    this.log.info({ namespace: ns ?? '(all)', pdbApiVersion }, 'caches synced; controllers running');
    this.started = true;

    const workers = this.o.workers ?? 2;
    for (let i = 0; i < workers; i++) {
      this.workers.push(this.worker('kafkacluster', this.clusterQueue, (k) => clusterReconciler.reconcile(k)));
      this.workers.push(this.worker('kafkatopic', this.topicQueue, (k) => topicReconciler.reconcile(k)));
    }
    this.resyncTimer = setInterval(() => {
      for (const c of clusters.list()) this.clusterQueue.add(keyOf(c));
      for (const t of topics.list()) this.topicQueue.add(keyOf(t));
    }, this.o.resyncMs ?? 120_000);
    this.resyncTimer.unref();
  }

  private eventsRef: Events | undefined;

  private async discoverPdbVersion(): Promise<'policy/v1' | 'policy/v1beta1'> {
    try {
      const g = await this.kube.get('/apis/policy');
      return (g.versions as { version: string }[]).some((v) => v.version === 'v1') ? 'policy/v1' : 'policy/v1beta1';
    } catch {
      return 'policy/v1beta1';
    }
  }

  private async worker(name: string, queue: WorkQueue, reconcile: (key: string) => Promise<Result>): Promise<void> {
    const log = this.log.child({ controller: name });
    for (;;) {
      this.metrics.queueDepth.set({ controller: name }, queue.length);
      const key = await queue.get();
      if (key === undefined) return;
      const end = this.metrics.reconcileSeconds.startTimer({ controller: name });
      try {
        const r = await reconcile(key);
        queue.forget(key);
        this.metrics.reconciles.inc({ controller: name, result: r.requeueAfterMs ? 'requeue' : 'success' });
        if (r.requeueAfterMs) queue.addAfter(key, r.requeueAfterMs);
      } catch (e) {
        const conflict = e instanceof KubeError && e.status === 409;
        this.metrics.reconciles.inc({ controller: name, result: conflict ? 'conflict' : 'error' });
        const delay = queue.addRateLimited(key);
        if (conflict) log.debug({ key, err: (e as Error).message }, 'conflict; retrying');
        else log.warn({ key, err: (e as Error).message, retryInMs: delay }, 'reconcile failed');
      } finally {
        end();
        queue.done(key);
      }
    }
  }

  /** Graceful stop: no new work, in-flight reconciles finish, Lease released, HTTP closed. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log.info('stopping');
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.clusterQueue.shutDown();
    this.topicQueue.shutDown();
    await Promise.race([Promise.all(this.workers), new Promise((r) => setTimeout(r, 20_000).unref())]);
    await Promise.all(this.informers.map((i) => i.stop()));
    await this.eventsRef?.flush();
    await this.leader?.release();
    this.metrics.leader.set(0);
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
    this.log.info('stopped');
  }
}
