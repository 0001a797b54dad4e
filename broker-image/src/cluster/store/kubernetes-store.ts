// The `kubernetes` coordination store: the apiserver (and its etcd) is the
// consensus. A plain key is a ConfigMap, a leased key a coordination.k8s.io/v1
// Lease, both named `<namePrefix>-<hash of the key>` (keys hold `/`, `_` and
// capitals, which object names cannot), labelled `tributary.dev/store=<namePrefix>`
// so that one namespace holds several stores, with the real key and our version
// counter in annotations. Every write is a compare-and-swap on the object's
// resourceVersion. A Lease whose renewTime + leaseDurationSeconds is past reads
// as absent, so a CAS on version 0 takes it over, as client-go's leader election
// does; its holder renews it every ttl/3.

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import {
  ApiException, CoordinationV1Api, CoreV1Api, KubeConfig, V1MicroTime, Watch as KubeWatchClient,
  Observable, type V1ConfigMap, type V1Lease,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { CasConflictError, putOptions, type CoordinationStore, type Lease, type PutOptions, type VersionedValue, type Watch } from './coordination-store.ts';

export interface KubernetesStoreOptions {
  /** Prefix of the object names and value of the `tributary.dev/store` label (a DNS label, at most 40 characters). */
  namePrefix: string;
  /** Default: the service account's namespace in a pod, else the kubeconfig context's, else `default`. */
  namespace?: string;
  /** Path of a kubeconfig. Default: the in-cluster service account, else `KUBECONFIG` / `~/.kube/config`. */
  kubeconfig?: string;
  logger?: Logger;
  /** Deadline of one request (default 10 s). */
  requestTimeoutMs?: number;
}

const STORE_LABEL = 'tributary.dev/store';
const KEY = 'tributary.dev/key';
const VERSION = 'tributary.dev/version';
const VALUE = 'tributary.dev/value';
const SA_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

type Kind = 'ConfigMap' | 'Lease';
type CallOptions = Parameters<CoreV1Api['readNamespacedConfigMap']>[1];
type KubeObject = V1ConfigMap | V1Lease;

/** A key as one object says it is. */
interface Entry {
  key: string;
  value: string;
  version: number;
  /** For Leases: when it lapses unless renewed (ms since epoch). */
  expiresAt?: number;
}

function entryOf(kind: Kind, o: KubeObject): Entry | undefined {
  const a = o.metadata?.annotations ?? {};
  if (a[KEY] === undefined) return undefined;
  const version = Number(a[VERSION] ?? 0);
  if (kind === 'ConfigMap') return { key: a[KEY], value: (o as V1ConfigMap).data?.value ?? '', version };
  const spec = (o as V1Lease).spec ?? {};
  // Watch events carry renewTime as text, typed reads as a Date: Date.parse takes both.
  const renewed = Date.parse(String((spec.renewTime ?? spec.acquireTime) as unknown as string));
  const expiresAt = spec.holderIdentity && Number.isFinite(renewed) ? renewed + (spec.leaseDurationSeconds ?? 0) * 1000 : 0;
  return { key: a[KEY], value: a[VALUE] ?? '', version, expiresAt };
}

/** An entry readers see: every ConfigMap, a Lease until it lapses. */
const live = (e: Entry | undefined, now = Date.now()): e is Entry => !!e && (e.expiresAt === undefined || e.expiresAt > now);

function httpStatus(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { statusCode?: number }).statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** A short message for an apiserver error (ApiException's own repeats every header). */
function describe(err: unknown): string {
  if (err instanceof ApiException) {
    let message = '';
    try {
      message = (typeof err.body === 'string' ? JSON.parse(err.body) : err.body)?.message ?? '';
    } catch {
      message = String(err.body).slice(0, 200);
    }
    return `HTTP ${err.code}${message ? `: ${message}` : ''}`;
  }
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return [(err as Error).message, cause?.code ?? cause?.message].filter(Boolean).join(': ');
}

class KubeLease implements Lease {
  readonly ttlMs: number;
  readonly lost: Promise<void>;
  readonly identity: string;
  readonly durationSeconds: number;
  /** Lease objects held with this lease, by name, as last written. */
  readonly held = new Map<string, V1Lease>();
  private readonly store: KubernetesStore;
  private markLost!: () => void;
  private ended = false;
  private aliveUntil: number;
  private renewTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private renewing = false;

  constructor(store: KubernetesStore, identity: string, ttlMs: number) {
    this.store = store;
    this.identity = identity;
    this.durationSeconds = Math.max(1, Math.ceil(ttlMs / 1000));
    this.ttlMs = this.durationSeconds * 1000;
    this.aliveUntil = Date.now() + this.ttlMs;
    this.lost = new Promise((resolve) => { this.markLost = resolve; });
    this.renewTimer = setInterval(() => void this.renew(), Math.floor(this.ttlMs / 3));
    this.armExpiry();
  }

  private armExpiry(): void {
    clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(() => {
      if (Date.now() >= this.aliveUntil) this.lose(`not renewed within its ${this.ttlMs} ms TTL`);
      else this.armExpiry();
    }, Math.max(0, this.aliveUntil - Date.now()));
  }

  /** Rewrites renewTime on every held Lease object; the lease stays alive for a TTL from when that started. */
  private async renew(): Promise<void> {
    if (this.ended || this.renewing) return;
    this.renewing = true;
    const startedAt = Date.now();
    try {
      const takenBy = await Promise.all([...this.held.keys()].map((name) => this.store.renewLeaseObject(this, name, startedAt)));
      if (this.ended) return;
      // Someone else holds one of our keys now (with clocks out of step, a reader may think
      // we lapsed): this holder must stop acting on it, as after any loss.
      const other = takenBy.find((h) => h !== undefined);
      if (other !== undefined) return this.lose(`a key was taken over by ${other}`);
      this.aliveUntil = Math.max(this.aliveUntil, startedAt + this.ttlMs);
      this.armExpiry();
    } catch (err) {
      // Retried at the next tick; the expiry timer decides when it is too late.
      this.store.logger?.warn({ lease: this.identity, err: describe(err) }, 'kubernetes lease renewal failed');
    } finally {
      this.renewing = false;
    }
  }

  private lose(why: string): void {
    if (this.ended) return;
    this.store.logger?.warn({ lease: this.identity, why }, 'kubernetes lease lost');
    this.stop();
    this.markLost();
  }

  /** Stops renewing without deleting anything: the objects lapse after the TTL (as if this process had died). */
  stop(): void {
    this.ended = true;
    clearInterval(this.renewTimer);
    clearTimeout(this.expiryTimer);
    this.store.leases.delete(this);
  }

  async revoke(): Promise<void> {
    this.stop();
    await Promise.all([...this.held.keys()].map((name) => this.store.releaseLeaseObject(this, name)));
    this.held.clear();
  }
}

/**
 * One list+watch of both kinds of object per store, kept in memory and shared
 * by the store's prefix watches (a broker watches several prefixes).
 */
class Informer {
  readonly objects: Record<Kind, Map<string, KubeObject>> = { ConfigMap: new Map(), Lease: new Map() };
  readonly subscribers = new Set<KubeWatch>();
  private readonly store: KubernetesStore;
  private readonly resourceVersion: Record<Kind, string> = { ConfigMap: '', Lease: '' };
  private readonly aborts: Record<Kind, AbortController | undefined> = { ConfigMap: undefined, Lease: undefined };
  private stopped = false;

  constructor(store: KubernetesStore) {
    this.store = store;
  }

  async start(): Promise<void> {
    await Promise.all([this.relist('ConfigMap'), this.relist('Lease')]);
    void this.watchLoop('ConfigMap');
    void this.watchLoop('Lease');
  }

  private async relist(kind: Kind): Promise<void> {
    const { items, resourceVersion } = await this.store.listObjects(kind);
    const objects = new Map<string, KubeObject>();
    for (const o of items) objects.set(o.metadata!.name!, o);
    this.objects[kind] = objects;
    this.resourceVersion[kind] = resourceVersion;
  }

  /** Watches one kind from the listed resourceVersion; after an error or 410 Gone, lists again. */
  private async watchLoop(kind: Kind): Promise<void> {
    let backoffMs = 100;
    while (!this.stopped) {
      let gone = false;
      let error: unknown;
      try {
        error = await new Promise<unknown>((resolve, reject) => {
          this.store.watcher.watch(this.store.collectionPath(kind), {
            labelSelector: this.store.selector,
            resourceVersion: this.resourceVersion[kind],
            allowWatchBookmarks: true,
            // The server ends a watch after this, and it is resumed from the last resourceVersion;
            // shorter than the client's 30 s inactivity limit, so a quiet watch ends cleanly.
            timeoutSeconds: 15 + Math.floor(Math.random() * 10),
          }, (type: string, obj: KubeObject & { code?: number }) => {
            if (type === 'ERROR') {
              gone = obj.code === 410;
              if (!gone) error = new Error(`watch ${kind}: ${JSON.stringify(obj)}`);
              return;
            }
            if (obj.metadata?.resourceVersion) this.resourceVersion[kind] = obj.metadata.resourceVersion;
            if (type === 'BOOKMARK') return;
            if (type === 'DELETED') this.objects[kind].delete(obj.metadata!.name!);
            else this.objects[kind].set(obj.metadata!.name!, obj);
            for (const w of this.subscribers) w.schedule();
          }, (err: unknown) => resolve(err ?? error)).then((abort) => {
            if (this.stopped) abort.abort();
            else this.aborts[kind] = abort;
          }, reject);
        });
        this.aborts[kind] = undefined;
      } catch (err) {
        error = err;
      }
      if (this.stopped) return;
      if (!gone && !error) {
        backoffMs = 100;
        continue;
      }
      if (error) {
        this.store.logger?.warn({ kind, err: describe(error), retryInMs: backoffMs }, 'kubernetes watch failed, listing again');
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 2_000);
      }
      try {
        if (this.stopped) return;
        await this.relist(kind);
        backoffMs = 100;
        for (const w of this.subscribers) w.deliver(true);
      } catch (err) {
        this.store.logger?.warn({ kind, err: describe(err) }, 'kubernetes list failed');
        // resourceVersion unchanged: the next watch attempt fails or resumes; either way it comes back here.
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.aborts.ConfigMap?.abort();
    this.aborts.Lease?.abort();
  }
}

/** Snapshots of one key prefix from the store's informer, with a timer for the next lapse of a Lease. */
class KubeWatch implements Watch {
  private readonly store: KubernetesStore;
  private readonly informer: Informer;
  private readonly prefix: string;
  private readonly onSnapshot: (snapshot: Map<string, VersionedValue>) => void;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private lastDelivered: string | undefined;

  constructor(store: KubernetesStore, informer: Informer, prefix: string, onSnapshot: (snapshot: Map<string, VersionedValue>) => void) {
    this.store = store;
    this.informer = informer;
    this.prefix = prefix;
    this.onSnapshot = onSnapshot;
  }

  /** Coalesces a burst of events into one snapshot. */
  schedule(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.deliver(false);
    }, 5);
  }

  /**
   * Delivers the snapshot if it differs from the last one (renewals change no
   * version) or `always`. Arms a timer for the next lapse of a Lease in it.
   */
  deliver(always: boolean): void {
    if (this.closed) return;
    const now = Date.now();
    const entries: Entry[] = [];
    let nextExpiry = Infinity;
    for (const kind of ['ConfigMap', 'Lease'] as const) {
      for (const o of this.informer.objects[kind].values()) {
        const e = entryOf(kind, o);
        if (!e || !e.key.startsWith(this.prefix) || !live(e, now)) continue;
        entries.push(e);
        if (e.expiresAt !== undefined) nextExpiry = Math.min(nextExpiry, e.expiresAt);
      }
    }
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const snapshot = new Map(entries.map((e) => [e.key, { value: e.value, version: e.version }]));
    clearTimeout(this.expiryTimer);
    if (nextExpiry !== Infinity) this.expiryTimer = setTimeout(() => this.deliver(false), nextExpiry - now + 1);
    const text = JSON.stringify([...snapshot]);
    if (!always && text === this.lastDelivered) return;
    this.lastDelivered = text;
    this.onSnapshot(snapshot);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.expiryTimer);
    this.store.unsubscribe(this.informer, this);
  }
}

export class KubernetesStore implements CoordinationStore {
  readonly logger: Logger | undefined;
  readonly namespace: string;
  readonly selector: string;
  readonly watcher: KubeWatchClient;
  readonly leases = new Set<KubeLease>();
  /** The list+watch shared by this store's watches, while it has any. */
  private informer: { informer: Informer; started: Promise<void> } | undefined;
  private readonly namePrefix: string;
  private readonly core: CoreV1Api;
  private readonly coordination: CoordinationV1Api;
  private readonly identity = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly requestTimeoutMs: number;
  /** Per-call options of the API clients: a deadline on each request (they have none of their own). */
  private readonly deadline: CallOptions;

  private constructor(kc: KubeConfig, namespace: string, opts: KubernetesStoreOptions) {
    this.logger = opts.logger;
    this.namespace = namespace;
    this.namePrefix = opts.namePrefix;
    this.selector = `${STORE_LABEL}=${opts.namePrefix}`;
    this.core = kc.makeApiClient(CoreV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    this.watcher = new KubeWatchClient(kc);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.deadline = this.deadlineOf(this.requestTimeoutMs);
  }

  private deadlineOf(ms: number): CallOptions {
    const timeoutMs = Math.min(ms, this.requestTimeoutMs);
    return {
      middleware: [{
        pre: (ctx) => {
          ctx.setSignal(AbortSignal.timeout(timeoutMs));
          return new Observable(Promise.resolve(ctx));
        },
        post: (res) => new Observable(Promise.resolve(res)),
      }],
      middlewareMergeStrategy: 'append',
    };
  }

  /** Loads the configuration and checks that the store's objects can be listed (a clear error if not). */
  static async open(opts: KubernetesStoreOptions): Promise<KubernetesStore> {
    if (!/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/.test(opts.namePrefix)) {
      throw new Error(`kubernetes coordination store: name prefix "${opts.namePrefix}" must be a lowercase DNS label of at most 40 characters`);
    }
    const kc = new KubeConfig();
    let inCluster = false;
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else if (process.env.KUBERNETES_SERVICE_HOST && !process.env.KUBECONFIG) {
      kc.loadFromCluster();
      inCluster = true;
    } else kc.loadFromDefault();
    const server = kc.getCurrentCluster()?.server;
    if (!server) throw new Error('kubernetes coordination store: no cluster in the kubeconfig');
    let namespace = opts.namespace;
    if (!namespace && inCluster) {
      try {
        namespace = readFileSync(SA_NAMESPACE, 'utf8').trim();
      } catch { /* not mounted */ }
    }
    namespace ||= kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
    const store = new KubernetesStore(kc, namespace, opts);
    for (const kind of ['ConfigMap', 'Lease'] as const) {
      try {
        await store.listObjects(kind);
      } catch (err) {
        throw new Error(`kubernetes coordination store: cannot list ${kind}s in namespace ${namespace} at ${server}: ${describe(err)}`);
      }
    }
    return store;
  }

  /** Object name of a key: our prefix and 32 hex digits of its SHA-256. */
  nameOf(key: string): string {
    return `${this.namePrefix}-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
  }

  collectionPath(kind: Kind): string {
    return kind === 'ConfigMap'
      ? `/api/v1/namespaces/${this.namespace}/configmaps`
      : `/apis/coordination.k8s.io/v1/namespaces/${this.namespace}/leases`;
  }

  async listObjects(kind: Kind): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const params = { namespace: this.namespace, labelSelector: this.selector };
    const list = kind === 'ConfigMap' ? await this.core.listNamespacedConfigMap(params, this.deadline) : await this.coordination.listNamespacedLease(params, this.deadline);
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  private async read(name: string): Promise<{ cm?: V1ConfigMap; lease?: V1Lease }> {
    const missing = (err: unknown) => {
      if (httpStatus(err) === 404) return undefined;
      throw err;
    };
    const [cm, lease] = await Promise.all([
      this.core.readNamespacedConfigMap({ name, namespace: this.namespace }, this.deadline).catch(missing),
      this.coordination.readNamespacedLease({ name, namespace: this.namespace }, this.deadline).catch(missing),
    ]);
    return { cm, lease };
  }

  async get(key: string): Promise<VersionedValue | null> {
    const { cm, lease } = await this.read(this.nameOf(key));
    const e = cm ? entryOf('ConfigMap', cm) : lease ? entryOf('Lease', lease) : undefined;
    return live(e) ? { value: e.value, version: e.version } : null;
  }

  async list(prefix: string): Promise<Map<string, VersionedValue>> {
    const [cms, leases] = await Promise.all([this.listObjects('ConfigMap'), this.listObjects('Lease')]);
    const now = Date.now();
    const entries = [
      ...cms.items.map((o) => entryOf('ConfigMap', o)),
      ...leases.items.map((o) => entryOf('Lease', o)),
    ].filter((e): e is Entry => live(e, now) && e.key.startsWith(prefix));
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return new Map(entries.map((e) => [e.key, { value: e.value, version: e.version }]));
  }

  private metadata(name: string, key: string, version: number, extra: Record<string, string>, resourceVersion?: string) {
    return {
      name, namespace: this.namespace, labels: { [STORE_LABEL]: this.namePrefix },
      annotations: { [KEY]: key, [VERSION]: String(version), ...extra },
      ...(resourceVersion ? { resourceVersion } : {}),
    };
  }

  async put(key: string, value: string, opts?: PutOptions | number): Promise<number> {
    const { expectedVersion, lease } = putOptions(opts);
    const held = lease ? this.ownLease(lease) : undefined;
    const name = this.nameOf(key);
    // Only an unconditional write loops: it retries when another writer got in between.
    for (;;) {
      const { cm, lease: leaseObject } = await this.read(name);
      const cmEntry = cm && entryOf('ConfigMap', cm);
      const leaseEntry = leaseObject && entryOf('Lease', leaseObject);
      const current = cmEntry ?? (live(leaseEntry) ? leaseEntry : undefined);
      const found = current?.version ?? 0;
      if (expectedVersion !== undefined && expectedVersion !== found) {
        throw new CasConflictError(`${key}: expected version ${expectedVersion}, found ${found}`);
      }
      if (held && cm) throw new Error(`${key} is stored without a lease (a ConfigMap): delete it before writing it with one`);
      if (!held && live(leaseEntry)) throw new Error(`${key} is held by a lease (a Lease object): revoke or delete it before writing it without one`);
      // Versions continue past a lapsed Lease, so a stale CAS of its old holder cannot succeed.
      const version = Math.max(found, leaseEntry?.version ?? 0) + 1;
      try {
        if (held) {
          const now = new V1MicroTime();
          const takeover = leaseObject?.spec?.holderIdentity !== held.identity;
          const body: V1Lease = {
            apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
            metadata: this.metadata(name, key, version, { [VALUE]: value }, leaseObject?.metadata?.resourceVersion),
            spec: {
              holderIdentity: held.identity, leaseDurationSeconds: held.durationSeconds, renewTime: now,
              acquireTime: takeover ? now : leaseObject?.spec?.acquireTime,
              leaseTransitions: (leaseObject?.spec?.leaseTransitions ?? 0) + (leaseObject && takeover ? 1 : 0),
            },
          };
          const written = leaseObject
            ? await this.coordination.replaceNamespacedLease({ name, namespace: this.namespace, body }, this.deadline)
            : await this.coordination.createNamespacedLease({ namespace: this.namespace, body }, this.deadline);
          for (const other of this.leases) if (other !== held) other.held.delete(name);
          held.held.set(name, written);
        } else {
          if (leaseObject) {
            // A lapsed Lease of this key: it goes, the key becomes a ConfigMap.
            await this.coordination.deleteNamespacedLease({ name, namespace: this.namespace, body: { preconditions: { resourceVersion: leaseObject.metadata!.resourceVersion! } } }, this.deadline);
          }
          const body: V1ConfigMap = {
            apiVersion: 'v1', kind: 'ConfigMap',
            metadata: this.metadata(name, key, version, {}, cm?.metadata?.resourceVersion),
            data: { value },
          };
          if (cm) await this.core.replaceNamespacedConfigMap({ name, namespace: this.namespace, body }, this.deadline);
          else await this.core.createNamespacedConfigMap({ namespace: this.namespace, body }, this.deadline);
        }
        return version;
      } catch (err) {
        // 409: AlreadyExists on create, a stale resourceVersion on replace or delete.
        if (httpStatus(err) !== 409 && httpStatus(err) !== 404) throw new Error(`put ${key}: ${describe(err)}`);
        if (expectedVersion !== undefined) throw new CasConflictError(`${key}: changed concurrently (expected version ${expectedVersion})`);
      }
    }
  }

  async delete(key: string, expectedVersion?: number): Promise<void> {
    const name = this.nameOf(key);
    for (;;) {
      const { cm, lease: leaseObject } = await this.read(name);
      const leaseEntry = leaseObject && entryOf('Lease', leaseObject);
      const current = (cm && entryOf('ConfigMap', cm)) ?? (live(leaseEntry) ? leaseEntry : undefined);
      const found = current?.version ?? 0;
      if (expectedVersion !== undefined && expectedVersion !== found) {
        throw new CasConflictError(`${key}: expected version ${expectedVersion}, found ${found}`);
      }
      const target = cm ?? leaseObject;
      if (!target) return;
      const preconditions = { resourceVersion: target.metadata!.resourceVersion! };
      try {
        if (cm) await this.core.deleteNamespacedConfigMap({ name, namespace: this.namespace, body: { preconditions } }, this.deadline);
        else await this.coordination.deleteNamespacedLease({ name, namespace: this.namespace, body: { preconditions } }, this.deadline);
        for (const l of this.leases) l.held.delete(name);
        return;
      } catch (err) {
        if (httpStatus(err) !== 409 && httpStatus(err) !== 404) throw new Error(`delete ${key}: ${describe(err)}`);
        if (expectedVersion !== undefined && found !== 0) throw new CasConflictError(`${key}: changed concurrently (expected version ${expectedVersion})`);
      }
    }
  }

  async grantLease(ttlMs: number): Promise<Lease> {
    const lease = new KubeLease(this, `${this.identity}-${randomBytes(3).toString('hex')}`, ttlMs);
    this.leases.add(lease);
    return lease;
  }

  private ownLease(lease: Lease): KubeLease {
    if (!(lease instanceof KubeLease) || !this.leases.has(lease)) throw new Error('lease from another store, or already ended');
    return lease;
  }

  /**
   * Sets renewTime on one held Lease object. Forgets a deleted one; returns the
   * new holder of one taken over by someone else.
   */
  async renewLeaseObject(lease: KubeLease, name: string, renewedAt: number): Promise<string | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const known = lease.held.get(name);
      if (!known) return undefined;
      const body: V1Lease = { ...known, spec: { ...known.spec, renewTime: new V1MicroTime(renewedAt) } };
      try {
        lease.held.set(name, await this.coordination.replaceNamespacedLease({ name, namespace: this.namespace, body }, this.deadlineOf(lease.ttlMs)));
        return undefined;
      } catch (err) {
        const status = httpStatus(err);
        if (status === 404) return void lease.held.delete(name);
        if (status !== 409) throw err;
        // Written since (our own put, or a new holder): renew on top of the current object if still ours.
        let current: V1Lease;
        try {
          current = await this.coordination.readNamespacedLease({ name, namespace: this.namespace }, this.deadline);
        } catch (readErr) {
          if (httpStatus(readErr) === 404) return void lease.held.delete(name);
          throw readErr;
        }
        if (current.spec?.holderIdentity !== lease.identity) {
          lease.held.delete(name);
          return current.spec?.holderIdentity ?? '(nobody)';
        }
        if (lease.held.has(name)) lease.held.set(name, current);
      }
    }
    throw new Error(`lease ${name}: renewal kept conflicting`);
  }

  /** Deletes a held Lease object if it is still ours. */
  async releaseLeaseObject(lease: KubeLease, name: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      let current: V1Lease;
      try {
        current = await this.coordination.readNamespacedLease({ name, namespace: this.namespace }, this.deadline);
      } catch (err) {
        if (httpStatus(err) === 404) return;
        throw err;
      }
      if (current.spec?.holderIdentity !== lease.identity) return;
      try {
        await this.coordination.deleteNamespacedLease({ name, namespace: this.namespace, body: { preconditions: { resourceVersion: current.metadata!.resourceVersion! } } }, this.deadline);
        return;
      } catch (err) {
        const status = httpStatus(err);
        if (status === 404) return;
        if (status !== 409) throw err;
      }
    }
    throw new Error(`lease ${name}: revoke kept conflicting`);
  }

  async watch(prefix: string, onSnapshot: (snapshot: Map<string, VersionedValue>) => void): Promise<Watch> {
    if (!this.informer) {
      const informer = new Informer(this);
      this.informer = { informer, started: informer.start() };
      this.informer.started.catch(() => {
        // The next watch() lists again.
        if (this.informer?.informer === informer) this.informer = undefined;
        informer.stop();
      });
    }
    const { informer, started } = this.informer;
    await started;
    // Stopped meanwhile (its last watch closed while this one waited): start another.
    if (this.informer?.informer !== informer) return this.watch(prefix, onSnapshot);
    const watch = new KubeWatch(this, informer, prefix, onSnapshot);
    informer.subscribers.add(watch);
    watch.deliver(true);
    return watch;
  }

  unsubscribe(informer: Informer, watch: KubeWatch): void {
    informer.subscribers.delete(watch);
    if (informer.subscribers.size === 0 && this.informer?.informer === informer) {
      informer.stop();
      this.informer = undefined;
    }
  }

  /**
   * Closes watches and stops renewing leases without deleting their objects:
   * they lapse after the TTL, as if the process had died. Revoke a lease first
   * to end it at once.
   */
  async close(): Promise<void> {
    for (const w of [...(this.informer?.informer.subscribers ?? [])]) w.close();
    this.informer?.informer.stop();
    this.informer = undefined;
    for (const l of [...this.leases]) l.stop();
  }
}
