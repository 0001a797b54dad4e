// List + watch into a local cache, like client-go's reflector/informer: a full
// list, then a watch from its resourceVersion; "410 Gone" or a broken stream
// re-lists (and reports deletions that happened meanwhile).
import type { Logger } from 'pino';
import { KubeError } from './kube.ts';
import type { Kube, Obj, WatchEvent } from './kube.ts';

export type Handler = (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: Obj, old: Obj | undefined) => void;

export const keyOf = (o: Obj) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class Informer {
  readonly path: string;
  private readonly kube: Kube;
  private readonly params: Record<string, string>;
  private readonly log: Logger;
  private readonly cache = new Map<string, Obj>();
  private readonly handlers: Handler[] = [];
  private readonly abort = new AbortController();
  private resourceVersion = '';
  private synced = false;
  private syncedWaiters: (() => void)[] = [];
  private loop: Promise<void> | undefined;

  constructor(kube: Kube, path: string, log: Logger, labelSelector?: string) {
    this.kube = kube;
    this.path = path;
    this.log = log.child({ informer: path });
    this.params = labelSelector ? { labelSelector } : {};
  }

  on(handler: Handler): void {
    this.handlers.push(handler);
  }

  get(key: string): Obj | undefined {
    return this.cache.get(key);
  }

  list(): Obj[] {
    return [...this.cache.values()];
  }

  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(): Promise<void> {
    return this.synced ? Promise.resolve() : new Promise((r) => this.syncedWaiters.push(r));
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private emit(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: Obj, old: Obj | undefined): void {
    for (const h of this.handlers) {
      try {
        h(type, obj, old);
      } catch (e) {
        this.log.error({ err: e }, 'handler failed');
      }
    }
  }

  private async relist(): Promise<void> {
    const q = new URLSearchParams(this.params).toString();
    const list = await this.kube.get(`${this.path}${q ? `?${q}` : ''}`);
    const seen = new Set<string>();
    for (const o of list.items as Obj[]) {
      // List items carry no apiVersion/kind; restore them for handlers.
      const item: Obj = { apiVersion: list.apiVersion, kind: String(list.kind).replace(/List$/, ''), ...o };
      const k = keyOf(item);
      seen.add(k);
      const old = this.cache.get(k);
      this.cache.set(k, item);
      if (!old) this.emit('ADDED', item, undefined);
      else if (old.metadata.resourceVersion !== item.metadata.resourceVersion) this.emit('MODIFIED', item, old);
    }
    for (const [k, old] of [...this.cache]) {
      if (!seen.has(k)) {
        this.cache.delete(k);
        this.emit('DELETED', old, old);
      }
    }
    this.resourceVersion = list.metadata.resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncedWaiters.splice(0)) w();
    }
  }

  private onEvent(e: WatchEvent): void {
    if (e.type === 'BOOKMARK') {
      this.resourceVersion = e.object.metadata.resourceVersion;
      return;
    }
    if (e.type === 'ERROR') {
      throw new KubeError(e.object.code ?? 500, `watch ${this.path}: ${e.object.message}`, e.object);
    }
    const k = keyOf(e.object);
    const old = this.cache.get(k);
    if (e.type === 'DELETED') this.cache.delete(k);
    else this.cache.set(k, e.object);
    this.resourceVersion = e.object.metadata.resourceVersion;
    this.emit(e.type, e.object, old);
  }

  private async run(): Promise<void> {
    let needList = true;
    let backoff = 250;
    while (!this.abort.signal.aborted) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        await this.kube.watch(this.path, { ...this.params, resourceVersion: this.resourceVersion, timeoutSeconds: String(240 + Math.floor(Math.random() * 60)) },
          (e) => this.onEvent(e), this.abort.signal);
        backoff = 250;
      } catch (e) {
        if (this.abort.signal.aborted) break;
        if (e instanceof KubeError && e.status === 410) {
          needList = true;
          continue;
        }
        needList = true;
        this.log.warn({ err: (e as Error).message }, 'list/watch failed; retrying');
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }
}
