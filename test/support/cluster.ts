// A cluster of real broker processes for the replication tests: a real etcd (or the
// local kube-apiserver of test/cluster) as the coordination store, N brokers on their
// own loopback addresses 127.0.0.1..N, each a separate `tributary broker start`
// process. Brokers are killed (-9), stopped (SIGTERM, controlled shutdown), paused
// (SIGSTOP), resumed and restarted by node id; cluster state is read through the
// Kafka Metadata API with the project's own client; partition logs are read from
// every replica's segment files and compared byte for byte up to the high watermark.
// Everything started here is stopped by pid, also when the test process exits early.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBroker, type Broker } from './broker.ts';
import { BrokerConnection } from '../../broker-image/src/client/connection.ts';
import { KafkaRequestError } from '../../broker-image/src/client/topic-client.ts';
import { errorName } from '../../broker-image/src/protocol/errors.ts';
import { iterateBatches, type RecordBatch } from '../../broker-image/src/records/batch.ts';
import { decodeRecords } from '../../broker-image/src/records/record.ts';
import type { TestContext } from 'node:test';
import { Etcd } from '../coordination/etcd.ts';
import * as k8s from '../cluster/cluster.ts';

export type Backend = 'etcd' | 'kubernetes';
type Props = Record<string, string | number | boolean>;

export interface ClusterOptions {
  /** How many brokers (node ids 1..n on 127.0.0.1..n); default 3. */
  brokers?: number;
  backend?: Backend;
  /** server.properties keys for every broker (after the harness's own). */
  overrides?: Props;
  /** broker.rack per node id (index 0 = node 1); null or absent: no rack. */
  racks?: (string | null)[];
}

/** The cluster settings the tests use unless they say otherwise: short leases and lag limits. */
export const TEST_CLUSTER_DEFAULTS: Props = {
  'coordination.session.timeout.ms': 2500,
  'replica.lag.time.max.ms': 2500,
  'default.replication.factor': 3,
  'min.insync.replicas': 2,
  'offsets.topic.replication.factor': 3,
  'auto.create.topics.enable': false,
  'num.partitions': 3,
  'controlled.shutdown.retry.backoff.ms': 1000,
  'group.initial.rebalance.delay.ms': 0,
  'log.level': 'info',
};

export type BrokerState = 'running' | 'paused' | 'stopped';

export interface ClusterBroker {
  readonly id: number;
  readonly host: string;
  readonly port: number;
  /** host:port of its Kafka listener. */
  readonly bootstrap: string;
  /** host:port of /healthz, /readyz, /metrics. */
  readonly http: string;
  readonly dataDir: string;
  readonly process: Broker;
  state: BrokerState;
}

export interface PartitionState {
  partition: number;
  errorCode: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offline: number[];
}

export interface ClusterMetadata {
  /** The broker that answered. */
  via: number;
  controllerId: number;
  brokers: { nodeId: number; host: string; port: number; rack: string | null }[];
  topics: Map<string, { errorCode: number; partitions: PartitionState[] }>;
}

/** A free TCP port on `host` (bound and released; the broker binds it right after). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Rejects after `ms` with `what` in the message (the promise itself is left to settle). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); }),
  ]);
}

/** Polls `fn` until it returns a truthy value; the error names `what` and the last value or error seen. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? last.message : typeof last === 'string' ? last : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${why}`);
    }
    await sleep(everyMs);
  }
}

const live = new Set<TestCluster>();
process.once('exit', () => {
  // The test process ends without its after() hooks (a crash, a signal): no broker or etcd outlives it.
  for (const c of live) c.killAllNow();
});

let clusterSeq = 0;

/**
 * Starts a cluster for one test, stops it after the test, and adds the cluster's view
 * (controller, brokers) and the end of every broker's log to any failure of `body`.
 */
export async function withCluster(t: TestContext, opts: ClusterOptions, body: (cluster: TestCluster) => Promise<void>): Promise<void> {
  const cluster = await TestCluster.start(opts);
  t.after(() => cluster.stop());
  try {
    await body(cluster);
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    if (text.includes('--- broker ')) throw err; // the harness already added the logs
    throw new Error(`${text}\n${await cluster.summary()}\n${cluster.tails()}`, { cause: err });
  }
}

export class TestCluster {
  readonly backend: Backend;
  readonly name: string;
  private readonly members = new Map<number, ClusterBroker>();
  private etcd: Etcd | undefined;
  private kube: k8s.Cluster | undefined;
  private stopped = false;

  private constructor(backend: Backend, name: string) {
    this.backend = backend;
    this.name = name;
  }

  /** Starts the store, then every broker at once (each waits for its own "broker listening"). */
  static async start(opts: ClusterOptions = {}): Promise<TestCluster> {
    const backend = opts.backend ?? 'etcd';
    const name = `t${process.pid}x${clusterSeq++}x${Math.random().toString(36).slice(2, 6)}`;
    const cluster = new TestCluster(backend, name);
    live.add(cluster);
    try {
      const store = await cluster.startStore();
      // Like `kafka-storage format --cluster-id`: every fresh data dir of one cluster gets the same id.
      const clusterId = randomBytes(16).toString('base64url');
      const n = opts.brokers ?? 3;
      const started = await Promise.allSettled([...Array(n).keys()].map(async (i) => {
        const id = i + 1;
        const host = `127.0.0.${id}`;
        const port = await freePort(host);
        const httpPort = await freePort(host);
        const rack = opts.racks?.[i] ?? null;
        const overrides: Props = {
          ...TEST_CLUSTER_DEFAULTS,
          ...store,
          'cluster.id': clusterId,
          'node.id': id,
          listeners: `PLAINTEXT://${host}:${port}`,
          'advertised.listeners': `PLAINTEXT://${host}:${port}`,
          'http.listener': `${host}:${httpPort}`,
          ...(rack === null ? {} : { 'broker.rack': rack }),
          ...(opts.overrides ?? {}),
        };
        const proc = await startBroker({ overrides, port });
        cluster.members.set(id, { id, host, port, bootstrap: `${host}:${port}`, http: `${host}:${httpPort}`, dataDir: proc.dataDir, process: proc, state: 'running' });
      }));
      const failed = started.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      if (failed) throw failed.reason;
      await cluster.waitForBrokers(cluster.ids());
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** The coordination-store keys every broker gets. */
  private async startStore(): Promise<Props> {
    if (this.backend === 'etcd') {
      this.etcd = await Etcd.start();
      return {
        'coordination.backend': 'etcd',
        'coordination.etcd.endpoints': this.etcd.endpoint,
        'coordination.etcd.prefix': `/tributary/${this.name}/`,
      };
    }
    this.kube = await k8s.up({ kubelet: false });
    await k8s.apply(this.kube.kube, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.name } }]);
    return {
      'coordination.backend': 'kubernetes',
      'coordination.kubernetes.kubeconfig': this.kube.kubeconfig,
      'coordination.kubernetes.namespace': this.name,
      'coordination.kubernetes.name.prefix': 'tributary',
    };
  }

  ids(): number[] {
    return [...this.members.keys()].sort((a, b) => a - b);
  }

  broker(id: number): ClusterBroker {
    const b = this.members.get(id);
    if (!b) throw new Error(`no broker ${id} in this cluster (${this.ids().join(', ')})`);
    return b;
  }

  running(): ClusterBroker[] {
    return this.ids().map((id) => this.broker(id)).filter((b) => b.state === 'running');
  }

  /** Every broker's listener, comma-separated (what a client is given as bootstrap.servers). */
  bootstrap(): string {
    return this.ids().map((id) => this.broker(id).bootstrap).join(',');
  }

  /** The last part of a broker's output, for failure messages. */
  tail(id: number, bytes = 3000): string {
    return `--- broker ${id} (${this.broker(id).process.logFile}) ---\n${this.broker(id).process.tail(bytes)}`;
  }

  tails(bytes = 2000): string {
    return this.ids().map((id) => this.tail(id, bytes)).join('\n');
  }

  // ---- process control ------------------------------------------------------

  /** kill -9: no controlled shutdown, no lease revoked. */
  async kill9(id: number): Promise<void> {
    const b = this.broker(id);
    if (b.state === 'paused') process.kill(b.process.pid, 'SIGCONT');
    await b.process.kill9();
    b.state = 'stopped';
  }

  /** SIGTERM: the broker hands its leaderships over (controlled shutdown) and exits; resolves with its exit code. */
  async terminate(id: number): Promise<number | null> {
    const b = this.broker(id);
    if (b.state === 'paused') process.kill(b.process.pid, 'SIGCONT');
    const code = await b.process.stop('SIGTERM');
    b.state = 'stopped';
    return code;
  }

  /** SIGSTOP: the process keeps its sockets but answers nothing, as if partitioned away. */
  pause(id: number): void {
    const b = this.broker(id);
    assert.equal(b.state, 'running', `broker ${id} is ${b.state}, cannot pause it`);
    process.kill(b.process.pid, 'SIGSTOP');
    b.state = 'paused';
  }

  resume(id: number): void {
    const b = this.broker(id);
    assert.equal(b.state, 'paused', `broker ${id} is ${b.state}, cannot resume it`);
    process.kill(b.process.pid, 'SIGCONT');
    b.state = 'running';
  }

  /** Starts a stopped broker again on the same address, port and data (stops it first if running). */
  async restart(id: number): Promise<void> {
    const b = this.broker(id);
    if (b.state === 'paused') process.kill(b.process.pid, 'SIGCONT');
    await b.process.restart();
    b.state = 'running';
  }

  // ---- cluster state through the Kafka API -------------------------------------

  /** A request to one broker on a fresh connection, with a deadline (a paused broker never answers). */
  async request(id: number, apiKey: number, maxVersion: number, body: object, timeoutMs = 5_000): Promise<any> {
    const b = this.broker(id);
    const conn = await within(BrokerConnection.open(b.bootstrap, 'replication-test'), timeoutMs, `connect to broker ${id}`);
    try {
      return await within(conn.request(apiKey, maxVersion, body), timeoutMs, `request ${apiKey} to broker ${id}`);
    } finally {
      conn.close();
    }
  }

  /** Metadata from `via` (default: the first running broker that answers). null topics: all topics. */
  async metadata(topics: string[] | null = null, via?: number): Promise<ClusterMetadata> {
    const candidates = via !== undefined ? [via] : this.running().map((b) => b.id);
    let lastErr: unknown = new Error('no running broker');
    for (const id of candidates) {
      try {
        const res = await this.request(id, 3, 12, {
          topics: topics === null ? null : topics.map((name) => ({ name })),
          allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false,
        });
        return {
          via: id,
          controllerId: res.controllerId,
          brokers: res.brokers.map((b: any) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null })),
          topics: new Map(res.topics.map((t: any) => [t.name, {
            errorCode: t.errorCode,
            partitions: t.partitions.map((p: any): PartitionState => ({
              partition: p.partitionIndex, errorCode: p.errorCode, leader: p.leaderId, leaderEpoch: p.leaderEpoch,
              replicas: [...p.replicaNodes], isr: [...p.isrNodes], offline: [...(p.offlineReplicas ?? [])],
            })).sort((a: PartitionState, b: PartitionState) => a.partition - b.partition),
          }])),
        };
      } catch (err) {
        lastErr = err;
      }
    }
    throw lastErr;
  }

  /** A topic's partitions as one broker sees them; throws while the topic is unknown or in error. */
  async partitions(topic: string, via?: number): Promise<PartitionState[]> {
    const md = await this.metadata([topic], via);
    const t = md.topics.get(topic);
    if (!t) throw new Error(`topic ${topic} not in the metadata from broker ${md.via}`);
    if (t.errorCode !== 0) throw new Error(`topic ${topic}: ${errorName(t.errorCode)} (from broker ${md.via})`);
    return t.partitions;
  }

  /** Waits until every running broker registered with the cluster (they all list each other). */
  async waitForBrokers(ids: number[], timeoutMs = 60_000): Promise<void> {
    const want = [...ids].sort((a, b) => a - b).join(',');
    for (const b of this.running()) {
      await eventually(`broker ${b.id} to list brokers ${want}`, async () => {
        const md = await this.metadata(null, b.id);
        const have = md.brokers.map((x) => x.nodeId).sort((x, y) => x - y).join(',');
        if (have !== want) throw new Error(`it lists ${have}`);
        return true;
      }, timeoutMs).catch((err) => {
        throw new Error(`${(err as Error).message}\n${this.tails()}`);
      });
    }
  }

  /**
   * Waits until `check` holds for a topic's partitions as every running broker reports
   * them (so no client can still be sent to a stale leader); returns the first broker's view.
   */
  async waitForPartitions(topic: string, what: string, check: (p: PartitionState) => boolean, timeoutMs = 60_000): Promise<PartitionState[]> {
    let view: PartitionState[] = [];
    try {
      await eventually(`${topic}: ${what}`, async () => {
        const views = await Promise.all(this.running().map((b) => this.partitions(topic, b.id)));
        view = views[0] ?? [];
        const bad = views.flatMap((v, i) => v.filter((p) => !check(p)).map((p) => `broker ${this.running()[i]!.id} says ${describe(p)}`));
        if (views.length === 0) throw new Error('no running broker');
        if (bad.length > 0) throw new Error(bad.slice(0, 6).join('; '));
        return true;
      }, timeoutMs);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${await this.summary()}\n${this.tails()}`);
    }
    return view;
  }

  /** Every partition led by a running broker, with the whole replica set in sync. */
  waitForFullIsr(topic: string, timeoutMs = 60_000): Promise<PartitionState[]> {
    return this.waitForPartitions(topic, 'a running leader and every replica in sync', (p) =>
      p.errorCode === 0 && this.isRunning(p.leader) && p.isr.length === p.replicas.length, timeoutMs);
  }

  /** Every partition led by a running broker. */
  waitForLeaders(topic: string, timeoutMs = 60_000): Promise<PartitionState[]> {
    return this.waitForPartitions(topic, 'a running leader for every partition', (p) => p.errorCode === 0 && this.isRunning(p.leader), timeoutMs);
  }

  /** One line on the cluster as a running broker sees it (controller, registered brokers), for failure messages. */
  async summary(): Promise<string> {
    try {
      const md = await this.metadata();
      return `broker ${md.via} says: controller ${md.controllerId}, brokers ${md.brokers.map((b) => b.nodeId).join(',')}; ` +
        `processes: ${this.ids().map((id) => `${id} ${this.broker(id).state}`).join(', ')} (TRIBUTARY_KEEP_TEST_DIRS=1 keeps their logs)`;
    } catch (err) {
      return `no metadata: ${(err as Error).message}`;
    }
  }

  isRunning(id: number): boolean {
    return this.members.get(id)?.state === 'running';
  }

  /** CreateTopics through a running broker; `assignments` fixes the replicas of each partition. */
  async createTopic(name: string, o: { partitions?: number; replicationFactor?: number; configs?: Props; assignments?: number[][] } = {}): Promise<PartitionState[]> {
    const via = this.running()[0]!.id;
    const res = await this.request(via, 19, 7, {
      topics: [{
        name,
        numPartitions: o.assignments ? -1 : o.partitions ?? 3,
        replicationFactor: o.assignments ? -1 : o.replicationFactor ?? 3,
        assignments: (o.assignments ?? []).map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })),
        configs: Object.entries(o.configs ?? {}).map(([k, v]) => ({ name: k, value: String(v) })),
      }],
      timeoutMs: 30_000, validateOnly: false,
    }, 35_000);
    const t = res.topics[0];
    if (t.errorCode !== 0) throw new KafkaRequestError(t.errorCode, `create topic ${name}`, t.errorMessage);
    return this.waitForFullIsr(name);
  }

  /** The high watermark of a partition, from its leader (ListOffsets latest). */
  async highWatermark(topic: string, partition: number): Promise<bigint> {
    const p = (await this.partitions(topic)).find((x) => x.partition === partition);
    if (!p || !this.isRunning(p.leader)) throw new Error(`${topic}-${partition} has no running leader`);
    const res = await this.request(p.leader, 2, 6, {
      replicaId: -1, isolationLevel: 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }],
    });
    const r = res.topics[0].partitions[0];
    if (r.errorCode !== 0) throw new KafkaRequestError(r.errorCode, `list offsets of ${topic}-${partition} on broker ${p.leader}`);
    return r.offset;
  }

  /** The coordinator of a consumer group, as FindCoordinator names it. */
  async groupCoordinator(group: string): Promise<number> {
    for (const b of this.running()) {
      try {
        const res = await this.request(b.id, 10, 3, { key: group, keyType: 0 });
        if (res.errorCode === 0) return res.nodeId;
      } catch { /* next broker */ }
    }
    throw new Error(`no running broker names a coordinator for group ${group}`);
  }

  // ---- what each replica stored ----------------------------------------------

  /** A replica's batches of a partition, read from its segment files in offset order. */
  storedBatches(id: number, topic: string, partition: number): RecordBatch[] {
    const dir = join(this.broker(id).dataDir, `${topic}-${partition}`);
    if (!existsSync(dir)) return [];
    const out: RecordBatch[] = [];
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
      for (const batch of iterateBatches(readFileSync(join(dir, f)))) out.push(batch);
    }
    return out;
  }

  /**
   * A replica's bytes for offsets [start of log, hw): whole batches. Throws when the
   * replica does not hold up to hw yet, or when hw falls inside a batch.
   */
  committedBytes(id: number, topic: string, partition: number, hw: bigint): Buffer {
    const batches = this.storedBatches(id, topic, partition).filter((b) => b.baseOffset < hw);
    const last = batches.at(-1);
    const reached = last ? last.nextOffset : 0n;
    if (hw > 0n && reached < hw) throw new Error(`broker ${id} holds ${topic}-${partition} up to offset ${reached}, the high watermark is ${hw}`);
    if (reached > hw) throw new Error(`broker ${id}: the batch at ${last!.baseOffset} of ${topic}-${partition} ends at ${reached}, across the high watermark ${hw}`);
    return Buffer.concat(batches.map((b) => b.bytes));
  }

  /**
   * Waits until every replica of every partition holds the committed range, then
   * asserts the ranges are byte-identical. The topic must be quiet (no producer).
   * Returns the high watermark per partition.
   */
  async assertReplicasIdentical(topic: string, timeoutMs = 60_000): Promise<Map<number, bigint>> {
    const parts = await this.waitForFullIsr(topic, timeoutMs);
    const hws = new Map<number, bigint>();
    for (const p of parts) {
      const hw = await this.highWatermark(topic, p.partition);
      hws.set(p.partition, hw);
      const copies = await eventually(`every replica of ${topic}-${p.partition} (${p.replicas.join(',')}) to hold offsets up to ${hw}`, async () =>
        p.replicas.map((id) => ({ id, bytes: this.committedBytes(id, topic, p.partition, hw) })), timeoutMs);
      const [first, ...rest] = copies;
      for (const c of rest) {
        if (!c.bytes.equals(first!.bytes)) {
          assert.fail(`${topic}-${p.partition}: committed range [0, ${hw}) differs between broker ${first!.id} and broker ${c.id}: ${firstDifference(this, first!.id, c.id, topic, p.partition, hw)}`);
        }
      }
    }
    return hws;
  }

  /** Records of a partition's committed range as one replica stored them: offset → value. */
  storedRecords(id: number, topic: string, partition: number, hw: bigint): { offset: bigint; value: string | null }[] {
    const out: { offset: bigint; value: string | null }[] = [];
    for (const b of this.storedBatches(id, topic, partition)) {
      if (b.baseOffset >= hw || b.isControl) continue;
      for (const r of decodeRecords(b)) if (r.offset < hw) out.push({ offset: r.offset, value: r.value === null ? null : r.value.toString('utf8') });
    }
    return out;
  }

  // ---- teardown ----------------------------------------------------------------

  /** SIGKILL everything at once, synchronously (process exit hook). */
  killAllNow(): void {
    for (const b of this.members.values()) {
      const pid = b.process.pid;
      if (pid > 0) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
    }
    const etcdPid = this.etcd?.pid;
    if (etcdPid) {
      try { process.kill(etcdPid, 'SIGKILL'); } catch { /* gone */ }
    }
  }

  /** Stops every broker (paused ones resumed first), then the store; removes temp dirs. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const b of this.members.values()) if (b.state === 'paused') process.kill(b.process.pid, 'SIGCONT');
    // SIGKILL: a test is over, and a controlled shutdown of the last brokers only waits for peers that are gone.
    await Promise.allSettled([...this.members.values()].map(async (b) => {
      await b.process.kill9();
      await b.process.cleanup();
    }));
    await this.etcd?.destroy().catch(() => {});
    await this.kube?.down().catch(() => {});
    live.delete(this);
  }
}

function describe(p: PartitionState): string {
  return `p${p.partition} ${p.errorCode ? errorName(p.errorCode) + ' ' : ''}leader ${p.leader} epoch ${p.leaderEpoch} replicas [${p.replicas}] isr [${p.isr}]`;
}

function firstDifference(c: TestCluster, a: number, b: number, topic: string, partition: number, hw: bigint): string {
  const ba = c.storedBatches(a, topic, partition).filter((x) => x.baseOffset < hw);
  const bb = c.storedBatches(b, topic, partition).filter((x) => x.baseOffset < hw);
  for (let i = 0; i < Math.max(ba.length, bb.length); i++) {
    const x = ba[i];
    const y = bb[i];
    if (!x || !y) return `batch #${i}: only broker ${x ? a : b} has one (at offset ${(x ?? y)!.baseOffset})`;
    if (!x.bytes.equals(y.bytes)) {
      return `batch #${i}: broker ${a} has offsets ${x.baseOffset}..${x.lastOffset} epoch ${x.partitionLeaderEpoch} producer ${x.producerId}/${x.baseSequence} (${x.sizeInBytes} B), ` +
        `broker ${b} has ${y.baseOffset}..${y.lastOffset} epoch ${y.partitionLeaderEpoch} producer ${y.producerId}/${y.baseSequence} (${y.sizeInBytes} B)`;
    }
  }
  return 'same batches (lengths differ?)';
}
