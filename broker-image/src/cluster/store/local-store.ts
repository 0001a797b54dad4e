// The `local` coordination store: one JSON file under the data dir, replaced
// atomically (write temp, fsync, rename) on every change. Single process only.

import { open, readFile, rename, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CasConflictError, type CoordinationStore, type VersionedValue } from './coordination-store.ts';

export class LocalStore implements CoordinationStore {
  private readonly path: string;
  private data = new Map<string, VersionedValue>();
  private writing: Promise<void> = Promise.resolve();

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

  async put(key: string, value: string, expectedVersion?: number): Promise<number> {
    const current = this.data.get(key)?.version ?? 0;
    if (expectedVersion !== undefined && expectedVersion !== current) {
      throw new CasConflictError(`${key}: expected version ${expectedVersion}, found ${current}`);
    }
    const version = current + 1;
    this.data.set(key, { value, version });
    await this.persist();
    return version;
  }

  async delete(key: string, expectedVersion?: number): Promise<void> {
    const current = this.data.get(key)?.version ?? 0;
    if (expectedVersion !== undefined && expectedVersion !== current) {
      throw new CasConflictError(`${key}: expected version ${expectedVersion}, found ${current}`);
    }
    if (this.data.delete(key)) await this.persist();
  }

  async close(): Promise<void> {
    await this.writing;
  }

  /** Serialized so that the file always holds the newest complete snapshot. */
  private persist(): Promise<void> {
    const snapshot = JSON.stringify(Object.fromEntries(this.data), null, 1);
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
