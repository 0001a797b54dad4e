// The `local` coordination store: one JSON file under the data dir, replaced
// atomically (write temp, fsync, rename) on every change. Single process only,
// so a lease lives as long as the process: leased keys are kept in memory and
// never written to the file.

import { open, readFile, rename, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CasConflictError, putOptions, type CoordinationStore, type Lease, type PutOptions, type VersionedValue, type Watch } from './coordination-store.ts';

class LocalLease implements Lease {
  readonly ttlMs: number;
  readonly lost: Promise<void> = new Promise(() => {});
  readonly keys = new Set<string>();
  private readonly onRevoke: (lease: LocalLease) => Promise<void>;

  constructor(ttlMs: number, onRevoke: (lease: LocalLease) => Promise<void>) {
    this.ttlMs = ttlMs;
    this.onRevoke = onRevoke;
  }

  revoke(): Promise<void> {
    return this.onRevoke(this);
  }
}

export class LocalStore implements CoordinationStore {
  private readonly path: string;
  private data = new Map<string, VersionedValue>();
  private writing: Promise<void> = Promise.resolve();
  /** Keys bound to a lease: in memory only, gone when the process is. */
  private readonly leased = new Map<string, LocalLease>();
  private readonly watchers = new Set<{ prefix: string; onSnapshot: (s: Map<string, VersionedValue>) => void }>();

  private constructor(path: string) {
    this.path = path;
  }

  static async open(path: string): Promise<LocalStore> {
    const store = new LocalStore(path);
    await mkdir(dirname(path), { recursive: true });
    try {
      const parsed = JSON.parse(await readFile(path, 'utf8')) as Record<string, VersionedValue>;
      store.data = new Map(Object.entries(parsed));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`metadata file ${path} is unreadable: ${(err as Error).message}`);
      }
    }
    return store;
  }

  async get(key: string): Promise<VersionedValue | null> {
    return this.data.get(key) ?? null;
  }

  async list(prefix: string): Promise<Map<string, VersionedValue>> {
    const keys = [...this.data.keys()].filter((k) => k.startsWith(prefix)).sort();
    return new Map(keys.map((k) => [k, this.data.get(k)!]));
  }

  async put(key: string, value: string, opts?: PutOptions | number): Promise<number> {
    const { expectedVersion, lease } = putOptions(opts);
    const current = this.data.get(key)?.version ?? 0;
    if (expectedVersion !== undefined && expectedVersion !== current) {
      throw new CasConflictError(`${key}: expected version ${expectedVersion}, found ${current}`);
    }
    const version = current + 1;
    this.data.set(key, { value, version });
    this.leased.get(key)?.keys.delete(key);
    this.leased.delete(key);
    if (lease) {
      if (!(lease instanceof LocalLease)) throw new Error('lease from another store');
      lease.keys.add(key);
      this.leased.set(key, lease);
    }
    await this.persist();
    this.notify(key);
    return version;
  }

  async delete(key: string, expectedVersion?: number): Promise<void> {
    const current = this.data.get(key)?.version ?? 0;
    if (expectedVersion !== undefined && expectedVersion !== current) {
      throw new CasConflictError(`${key}: expected version ${expectedVersion}, found ${current}`);
    }
    if (this.data.delete(key)) {
      this.leased.get(key)?.keys.delete(key);
      this.leased.delete(key);
      await this.persist();
      this.notify(key);
    }
  }

  async grantLease(ttlMs: number): Promise<Lease> {
    return new LocalLease(ttlMs, async (lease) => {
      for (const key of [...lease.keys]) await this.delete(key);
    });
  }

  async watch(prefix: string, onSnapshot: (snapshot: Map<string, VersionedValue>) => void): Promise<Watch> {
    const watcher = { prefix, onSnapshot };
    this.watchers.add(watcher);
    onSnapshot(await this.list(prefix));
    return { close: () => { this.watchers.delete(watcher); } };
  }

  private notify(key: string): void {
    for (const w of this.watchers) {
      if (key.startsWith(w.prefix)) {
        const { prefix, onSnapshot } = w;
        queueMicrotask(() => { if (this.watchers.has(w)) void this.list(prefix).then(onSnapshot); });
      }
    }
  }

  async close(): Promise<void> {
    await this.writing;
  }

  /** Serialized so that the file always holds the newest complete snapshot. */
  private persist(): Promise<void> {
    const durable = [...this.data].filter(([k]) => !this.leased.has(k));
    const snapshot = JSON.stringify(Object.fromEntries(durable), null, 1);
    this.writing = this.writing.then(async () => {
      const tmp = `${this.path}.tmp`;
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(snapshot);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
    });
    return this.writing;
  }
}
