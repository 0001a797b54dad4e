// The `etcd` coordination store: etcd v3 over gRPC (the etcd3 package). Every
// key lives under a prefix (a chroot, as with ZooKeeper), so one etcd serves
// several clusters. Versions are etcd's per-key `version` (0: absent), CAS is a
// transaction comparing it, leases are etcd leases (etcd deletes their keys when
// they lapse), and a watch re-reads the prefix after every change it is told of.

import { Etcd3, EtcdLeaseInvalidError, type IKeyValue, type Namespace, type Watcher, isRecoverableError } from 'etcd3';
import { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import type { Logger } from 'pino';
import { CasConflictError, putOptions, type CoordinationStore, type Lease, type PutOptions, type VersionedValue, type Watch } from './coordination-store.ts';

export interface EtcdStoreOptions {
  /** Client URLs, e.g. `http://10.0.0.1:2379`. */
  endpoints: string[];
  /** Every key is stored under this prefix (e.g. `/tributary/prod/`; a missing final `/` is added). */
  prefix: string;
  logger?: Logger;
  /** Deadline of one request (default 5 s). */
  requestTimeoutMs?: number;
}

const versionOf = (kv: IKeyValue | undefined): number => (kv ? Number(kv.version) : 0);
const toValue = (kv: IKeyValue): VersionedValue => ({ value: kv.value.toString('utf8'), version: Number(kv.version) });

class EtcdLease implements Lease {
  readonly ttlMs: number;
  readonly lost: Promise<void>;
  readonly id: string;
  private readonly store: EtcdStore;
  private markLost!: () => void;
  private ended = false;
  /** The lease is certainly alive until then: the TTL counted from when the last successful keep-alive was sent. */
  private aliveUntil: number;
  private renewTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(store: EtcdStore, id: string, ttlMs: number, grantedAt: number) {
    this.store = store;
    this.id = id;
    this.ttlMs = ttlMs;
    this.aliveUntil = grantedAt + ttlMs;
    this.lost = new Promise((resolve) => { this.markLost = resolve; });
    this.renewTimer = setInterval(() => void this.renew(), Math.max(100, Math.floor(ttlMs / 3)));
    this.armExpiry();
  }

  private armExpiry(): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(() => {
      if (Date.now() >= this.aliveUntil) this.lose(`not renewed within its ${this.ttlMs} ms TTL`);
      else this.armExpiry();
    }, Math.max(0, this.aliveUntil - Date.now()));
  }

  private async renew(): Promise<void> {
    if (this.ended) return;
    const sentAt = Date.now();
    try {
      const ttlSeconds = await this.store.keepAlive(this.id, Math.max(100, Math.floor(this.ttlMs / 3)));
      if (this.ended) return;
      if (ttlSeconds <= 0) return this.lose('etcd reports the lease gone');
      this.aliveUntil = Math.max(this.aliveUntil, sentAt + ttlSeconds * 1000);
      this.armExpiry();
    } catch (err) {
      // A failed keep-alive is retried at the next tick; the expiry timer decides when it is too late.
      this.store.logger?.warn({ lease: this.id, err: (err as Error).message }, 'etcd lease keep-alive failed');
    }
  }

  private lose(why: string): void {
    if (this.ended) return;
    this.store.logger?.warn({ lease: this.id, why }, 'etcd lease lost');
    this.stop();
    this.markLost();
  }

  /** Stops renewing without telling etcd: the lease lapses after its TTL (as if this process had died). */
  stop(): void {
    this.ended = true;
    clearInterval(this.renewTimer);
    clearTimeout(this.expiryTimer);
    this.store.leases.delete(this);
  }

  async revoke(): Promise<void> {
    this.stop();
    await this.store.revokeLease(this.id);
  }
}

class EtcdWatch implements Watch {
  private readonly store: EtcdStore;
  private readonly prefix: string;
  private readonly onSnapshot: (snapshot: Map<string, VersionedValue>) => void;
  private watcher: Watcher | undefined;
  private closed = false;
  private refreshing = false;
  private refreshAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private retryDelayMs = 100;

  constructor(store: EtcdStore, prefix: string, onSnapshot: (snapshot: Map<string, VersionedValue>) => void) {
    this.store = store;
    this.prefix = prefix;
    this.onSnapshot = onSnapshot;
  }

  async start(): Promise<void> {
    const { snapshot, revision } = await this.store.range(this.prefix);
    this.onSnapshot(snapshot);
    this.watchFrom(revision + 1);
  }

  /**
   * Attaches an etcd watch from `revision` without waiting for etcd to confirm it
   * (an etcd that went away again would hold it up): no event is missed, as it
   * starts at that revision whenever it connects.
   */
  private watchFrom(revision: number): void {
    const watcher = this.store.ns.watch().prefix(this.prefix).startRevision(String(revision)).watcher();
    this.watcher = watcher;
    let disconnected = false;
    watcher.on('data', () => this.schedule());
    watcher.on('disconnected', (err: Error) => {
      if (!disconnected) this.store.logger?.warn({ prefix: this.prefix, err: err.message }, 'etcd watch disconnected, reconnecting');
      disconnected = true;
    });
    watcher.on('connected', () => {
      // The etcd3 client resumes the watch at its last revision; the whole prefix is re-read anyway.
      if (disconnected) this.schedule();
      disconnected = false;
    });
    watcher.on('error', (err: Error) => {
      // Cancelled by etcd (e.g. its revision was compacted): read the prefix again and watch anew.
      this.store.logger?.warn({ prefix: this.prefix, err: err.message }, 'etcd watch cancelled, re-reading');
      if (this.watcher === watcher) this.watcher = undefined;
      this.schedule();
    });
  }

  /** Coalesces a burst of events into one re-read. */
  private schedule(delayMs = 5): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, delayMs);
  }

  private async refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    try {
      do {
        this.refreshAgain = false;
        const { snapshot, revision } = await this.store.range(this.prefix);
        if (this.closed) return;
        this.onSnapshot(snapshot);
        if (!this.watcher) this.watchFrom(revision + 1);
      } while (this.refreshAgain && !this.closed);
      this.retryDelayMs = 100;
    } catch (err) {
      if (this.closed) return;
      this.store.logger?.warn({ prefix: this.prefix, err: (err as Error).message, retryInMs: this.retryDelayMs }, 'etcd watch re-read failed');
      this.schedule(this.retryDelayMs);
      this.retryDelayMs = Math.min(this.retryDelayMs * 2, 2_000);
    } finally {
      this.refreshing = false;
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.store.watches.delete(this);
    if (this.watcher) void this.watcher.cancel().catch(() => {});
    this.watcher = undefined;
  }
}

export class EtcdStore implements CoordinationStore {
  readonly logger: Logger | undefined;
  readonly ns: Namespace;
  readonly leases = new Set<EtcdLease>();
  readonly watches = new Set<EtcdWatch>();
  private readonly client: Etcd3;
  private readonly requestTimeoutMs: number;

  private constructor(opts: EtcdStoreOptions) {
    this.logger = opts.logger;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5_000;
    const timeout = this.requestTimeoutMs;
    this.client = new Etcd3({
      hosts: opts.endpoints,
      dialTimeout: timeout,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
      // The defaults (a 5 s open circuit, gRPC reconnect back-off up to 2 min) would keep a
      // restarted etcd unused for longer than a lease's TTL.
      faultHandling: {
        host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: 1_000, breaker: new ConsecutiveBreaker(3) }),
        global: retry(handleWhen(isRecoverableError), { maxAttempts: Math.max(2, opts.endpoints.length) }),
        watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1_000 }).next(),
      },
      grpcOptions: {
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1_000,
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
      },
    });
    // `/tributary` would also match `/tributary2/...`: a prefix is a folder, as a chroot is.
    this.ns = this.client.namespace(opts.prefix && !opts.prefix.endsWith('/') ? `${opts.prefix}/` : opts.prefix);
  }

  /** Connects and checks that etcd answers (a clear error naming the endpoints if not). */
  static async open(opts: EtcdStoreOptions): Promise<EtcdStore> {
    if (opts.endpoints.length === 0) throw new Error('etcd coordination store: no endpoints given');
    const store = new EtcdStore(opts);
    try {
      await store.client.maintenance.status();
    } catch (err) {
      store.client.close();
      throw new Error(`etcd coordination store: cannot reach etcd at ${opts.endpoints.join(', ')}: ${(err as Error).message}`);
    }
    return store;
  }

  async get(key: string): Promise<VersionedValue | null> {
    const res = await this.ns.get(key).exec();
    return res.kvs.length ? toValue(res.kvs[0]) : null;
  }

  async list(prefix: string): Promise<Map<string, VersionedValue>> {
    return (await this.range(prefix)).snapshot;
  }

  /** The keys under `prefix` and the store revision they were read at. */
  async range(prefix: string): Promise<{ snapshot: Map<string, VersionedValue>; revision: number }> {
    const res = await this.ns.getAll().prefix(prefix).sort('Key', 'Ascend').exec();
    const snapshot = new Map<string, VersionedValue>();
    for (const kv of res.kvs) snapshot.set(kv.key.toString('utf8'), toValue(kv));
    return { snapshot, revision: Number(res.header.revision) };
  }

  async put(key: string, value: string, opts?: PutOptions | number): Promise<number> {
    const { expectedVersion, lease } = putOptions(opts);
    const write = this.ns.put(key).value(value);
    if (lease) write.lease(this.ownLease(lease).id);
    // Without an expected version the comparison always holds (an absent key has version 0):
    // the write is still a transaction so that the new version is read at the same revision.
    const res = await (expectedVersion === undefined ? this.ns.if(key, 'Version', '>', -1) : this.ns.if(key, 'Version', '==', expectedVersion))
      .then(write, this.ns.get(key))
      .else(this.ns.get(key))
      .commit();
    if (!res.succeeded) {
      const found = versionOf(res.responses[0]?.response_range.kvs[0]);
      throw new CasConflictError(`${key}: expected version ${expectedVersion}, found ${found}`);
    }
    return versionOf(res.responses[1]?.response_range.kvs[0]);
  }

  async delete(key: string, expectedVersion?: number): Promise<void> {
    if (expectedVersion === undefined) {
      await this.ns.delete().key(key).exec();
      return;
    }
    const res = await this.ns.if(key, 'Version', '==', expectedVersion).then(this.ns.delete().key(key)).else(this.ns.get(key)).commit();
    if (!res.succeeded) {
      const found = versionOf(res.responses[0]?.response_range.kvs[0]);
      throw new CasConflictError(`${key}: expected version ${expectedVersion}, found ${found}`);
    }
  }

  async grantLease(ttlMs: number): Promise<Lease> {
    const grantedAt = Date.now();
    // etcd counts TTLs in whole seconds and raises short ones to its minimum (2 s with default timing).
    const res = await this.client.leaseClient.leaseGrant({ TTL: Math.max(1, Math.ceil(ttlMs / 1000)), ID: 0 });
    const lease = new EtcdLease(this, res.ID, Number(res.TTL) * 1000, grantedAt);
    this.leases.add(lease);
    return lease;
  }

  /** One keep-alive round trip; returns the TTL etcd reports (0: the lease is gone). */
  async keepAlive(id: string, timeoutMs: number): Promise<number> {
    const stream = await this.client.leaseClient.leaseKeepAlive();
    try {
      return await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no keep-alive answer within ${timeoutMs} ms`)), timeoutMs);
        stream.on('data', (res) => { clearTimeout(timer); resolve(Number(res.TTL)); });
        stream.on('error', (err) => { clearTimeout(timer); reject(err); });
        stream.write({ ID: id });
      });
    } finally {
      stream.end();
    }
  }

  async revokeLease(id: string): Promise<void> {
    try {
      await this.client.leaseClient.leaseRevoke({ ID: id });
    } catch (err) {
      // Already lapsed: its keys are gone, which is what revoke() promises.
      if (!(err instanceof EtcdLeaseInvalidError)) throw err;
    }
  }

  private ownLease(lease: Lease): EtcdLease {
    if (!(lease instanceof EtcdLease) || !this.leases.has(lease)) throw new Error('lease from another store, or already ended');
    return lease;
  }

  async watch(prefix: string, onSnapshot: (snapshot: Map<string, VersionedValue>) => void): Promise<Watch> {
    const watch = new EtcdWatch(this, prefix, onSnapshot);
    this.watches.add(watch);
    try {
      await watch.start();
    } catch (err) {
      watch.close();
      throw err;
    }
    return watch;
  }

  /**
   * Closes watches and stops renewing leases without revoking them: their keys
   * lapse after the TTL, as if the process had died. Revoke a lease first to
   * end it at once.
   */
  async close(): Promise<void> {
    for (const w of [...this.watches]) w.close();
    for (const l of [...this.leases]) l.stop();
    this.client.close();
  }
}
