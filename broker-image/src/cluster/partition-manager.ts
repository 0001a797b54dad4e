// Opens, creates and deletes the partitions of the topics in the registry, and
// runs retention and compaction on a timer.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { logConfigFor } from '../config/topic-config.ts';
import { PartitionLog } from '../log/partition-log.ts';
import { ErrorCode, KafkaError } from '../protocol/errors.ts';
import { Partition } from './partition.ts';
import type { TopicInfo, TopicRegistry } from './topic-registry.ts';

export class PartitionManager {
  private readonly partitions = new Map<string, Partition[]>();
  private readonly dataDir: string;
  private readonly registry: TopicRegistry;
  private readonly brokerConfig: Map<string, string>;
  private readonly logger: Logger;
  private retentionTimer: NodeJS.Timeout | null = null;
  private cleaning: Promise<void> | null = null;

  constructor(opts: { dataDir: string; registry: TopicRegistry; brokerConfig: Map<string, string>; logger: Logger }) {
    this.dataDir = opts.dataDir;
    this.registry = opts.registry;
    this.brokerConfig = opts.brokerConfig;
    this.logger = opts.logger;
  }

  /** Opens (and recovers) the logs of every registered topic. */
  async openAll(): Promise<void> {
    for (const topic of this.registry.all()) await this.openTopic(topic);
  }

  async openTopic(topic: TopicInfo): Promise<Partition[]> {
    const existing = this.partitions.get(topic.name) ?? [];
    const config = logConfigFor(topic.configs, this.brokerConfig);
    for (let i = existing.length; i < topic.partitions; i++) {
      const log = await PartitionLog.open(this.dirOf(topic.name, i), config, { logger: this.logger });
      existing.push(new Partition(topic.name, i, log));
    }
    this.partitions.set(topic.name, existing);
    return existing;
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.partitions.get(topic)?.[index];
  }

  /** The partition, or UNKNOWN_TOPIC_OR_PARTITION. */
  require(topic: string, index: number): Partition {
    const p = this.partition(topic, index);
    if (!p) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${index} is not on this broker`);
    return p;
  }

  partitionsOf(topic: string): Partition[] {
    return this.partitions.get(topic) ?? [];
  }

  updateConfig(topic: TopicInfo): void {
    const config = logConfigFor(topic.configs, this.brokerConfig);
    for (const p of this.partitionsOf(topic.name)) p.log.updateConfig(config);
  }

  async deleteTopic(name: string): Promise<void> {
    const parts = this.partitions.get(name) ?? [];
    this.partitions.delete(name);
    for (const p of parts) await p.log.delete();
  }

  /** Removes leftover directories of a topic that is no longer registered (crash between the two steps). */
  async removeDir(topic: string, index: number): Promise<void> {
    await rm(this.dirOf(topic, index), { recursive: true, force: true });
  }

  startCleaner(intervalMs: number): void {
    this.retentionTimer = setInterval(() => {
      if (this.cleaning) return;
      this.cleaning = this.cleanOnce().finally(() => { this.cleaning = null; });
    }, intervalMs);
    this.retentionTimer.unref();
  }

  /** One pass of retention (delete policy) and compaction (compact policy) over every partition. */
  async cleanOnce(now = Date.now()): Promise<void> {
    for (const [topic, parts] of this.partitions) {
      for (const p of parts) {
        try {
          const retention = await p.log.enforceRetention(now);
          if (retention.deletedSegments > 0) {
            this.logger.info({ topic, partition: p.index, deletedSegments: retention.deletedSegments, logStartOffset: String(p.log.logStartOffset) }, 'retention deleted segments');
          }
          if (logConfigFor(this.registry.get(topic)?.configs ?? {}, this.brokerConfig).cleanupPolicy.includes('compact')) {
            const compaction = await p.log.compact(now);
            if (compaction.cleanedSegments > 0) {
              this.logger.info({ topic, partition: p.index, ...compaction }, 'compacted');
            }
          }
        } catch (err) {
          this.logger.error({ err, topic, partition: p.index }, 'log cleaning failed');
        }
      }
    }
  }

  async closeAll(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    await this.cleaning;
    for (const parts of this.partitions.values()) {
      for (const p of parts) await p.log.close();
    }
    this.partitions.clear();
  }

  private dirOf(topic: string, index: number): string {
    return join(this.dataDir, `${topic}-${index}`);
  }
}
