// Owns the data directories (log.dirs): one directory per partition named `<topic>-<partition>`,
// loaded at start, and a periodic retention / compaction scheduler.

import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { defaultLogConfig, PartitionLog } from './partition-log.ts';
import type { LogConfig } from './partition-log.ts';

export interface TopicPartition { topic: string; partition: number }

/** `my.topic_name-3` → { topic: 'my.topic_name', partition: 3 } (split on the last hyphen). */
export function parsePartitionDir(name: string): TopicPartition | null {
  const i = name.lastIndexOf('-');
  if (i <= 0) return null;
  const p = name.slice(i + 1);
  if (!/^\d+$/.test(p)) return null;
  return { topic: name.slice(0, i), partition: Number(p) };
}

export const partitionDirName = (topic: string, partition: number): string => `${topic}-${partition}`;

export interface LogManagerOptions {
  logDirs: string[];
  logger?: Logger;
  /** The config a partition found on disk is opened with. */
  configFor?: (topic: string) => LogConfig;
  /** log.retention.check.interval.ms (Kafka default 5 minutes). */
  retentionCheckIntervalMs?: number;
  /** log.cleaner.backoff.ms (Kafka default 15 s). */
  cleanerBackoffMs?: number;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class LogManager {
  private readonly opts: LogManagerOptions;
  private readonly logs = new Map<string, { tp: TopicPartition; log: PartitionLog; dir: string }>();
  private readonly creating = new Map<string, Promise<PartitionLog>>();
  private retentionTimer: NodeJS.Timeout | null = null;
  private cleanerTimer: NodeJS.Timeout | null = null;
  private retentionRunning: Promise<void> | null = null;
  private cleanerRunning: Promise<void> | null = null;

  constructor(opts: LogManagerOptions) {
    if (opts.logDirs.length === 0) throw new Error('log.dirs is empty');
    this.opts = opts;
  }

  /** Opens (recovering as needed) every partition directory in every log dir. */
  async startup(): Promise<TopicPartition[]> {
    const found: TopicPartition[] = [];
    for (const root of this.opts.logDirs) {
      await mkdir(root, { recursive: true });
      for (const name of await readdir(root)) {
        const tp = parsePartitionDir(name);
        if (!tp) continue;
        const dir = join(root, name);
        if (!(await stat(dir)).isDirectory()) continue;
        if (this.logs.has(key(tp.topic, tp.partition))) {
          this.opts.logger?.warn({ dir }, 'duplicate partition directory ignored');
          continue;
        }
        const config = this.opts.configFor?.(tp.topic) ?? defaultLogConfig;
        const log = await PartitionLog.open(dir, config, { logger: this.opts.logger });
        this.logs.set(key(tp.topic, tp.partition), { tp, log, dir });
        found.push(tp);
      }
    }
    return found;
  }

  get(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(key(topic, partition))?.log;
  }

  all(): { topic: string; partition: number; log: PartitionLog }[] {
    return [...this.logs.values()].map((e) => ({ ...e.tp, log: e.log }));
  }

  /** The partition's log, created in the log dir holding the fewest partitions if new. */
  async getOrCreate(topic: string, partition: number, config: LogConfig): Promise<PartitionLog> {
    const k = key(topic, partition);
    const existing = this.logs.get(k);
    if (existing) return existing.log;
    const pending = this.creating.get(k);
    if (pending) return pending;
    const create = (async () => {
      const counts = new Map<string, number>(this.opts.logDirs.map((d) => [d, 0]));
      for (const e of this.logs.values()) for (const d of this.opts.logDirs) if (e.dir.startsWith(d + '/')) counts.set(d, (counts.get(d) ?? 0) + 1);
      const root = [...counts.entries()].sort((a, b) => a[1] - b[1])[0][0];
      const dir = join(root, partitionDirName(topic, partition));
      const log = await PartitionLog.open(dir, config, { logger: this.opts.logger });
      this.logs.set(k, { tp: { topic, partition }, log, dir });
      return log;
    })();
    this.creating.set(k, create);
    try {
      return await create;
    } finally {
      this.creating.delete(k);
    }
  }

  async deletePartition(topic: string, partition: number): Promise<boolean> {
    const k = key(topic, partition);
    const e = this.logs.get(k);
    if (!e) return false;
    this.logs.delete(k);
    await e.log.delete();
    return true;
  }

  /** One pass of retention over every log. */
  async runRetention(now = Date.now()): Promise<number> {
    let deleted = 0;
    for (const e of [...this.logs.values()]) {
      try {
        deleted += (await e.log.enforceRetention(now)).deletedSegments;
      } catch (err) {
        this.opts.logger?.error({ err, dir: e.dir }, 'retention failed');
      }
    }
    return deleted;
  }

  /** One pass of compaction over every log with cleanup.policy=compact. */
  async runCleaner(now = Date.now()): Promise<number> {
    let cleaned = 0;
    for (const e of [...this.logs.values()]) {
      if (!e.log.currentConfig.cleanupPolicy.includes('compact')) continue;
      try {
        cleaned += (await e.log.compact(now)).cleanedSegments;
      } catch (err) {
        this.opts.logger?.error({ err, dir: e.dir }, 'compaction failed');
      }
    }
    return cleaned;
  }

  startScheduler(): void {
    const retentionMs = this.opts.retentionCheckIntervalMs ?? 300_000;
    const backoffMs = this.opts.cleanerBackoffMs ?? 15_000;
    this.retentionTimer = setInterval(() => {
      if (this.retentionRunning) return;
      this.retentionRunning = this.runRetention().then(() => {}).finally(() => { this.retentionRunning = null; });
    }, retentionMs);
    this.cleanerTimer = setInterval(() => {
      if (this.cleanerRunning) return;
      this.cleanerRunning = this.runCleaner().then(() => {}).finally(() => { this.cleanerRunning = null; });
    }, backoffMs);
    this.retentionTimer.unref();
    this.cleanerTimer.unref();
  }

  async stopScheduler(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    if (this.cleanerTimer) clearInterval(this.cleanerTimer);
    this.retentionTimer = null;
    this.cleanerTimer = null;
    await this.retentionRunning;
    await this.cleanerRunning;
  }

  async flushAll(): Promise<void> {
    for (const e of this.logs.values()) await e.log.flush();
  }

  async closeAll(): Promise<void> {
    await this.stopScheduler();
    for (const e of this.logs.values()) {
      try {
        await e.log.close();
      } catch (err) {
        this.opts.logger?.error({ err, dir: e.dir }, 'close failed');
      }
    }
    this.logs.clear();
  }
}
