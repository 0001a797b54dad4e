// What Kinesis knows about a stream beyond its Kafka topic — ARN, creation time,
// retention, mode, tags, the shards' hash-key ranges and lineage, registered
// consumers — lives in the compacted topic `__tributary_kinesis` (key = stream name,
// value = JSON, tombstone = deleted), plus one record holding the secret that signs
// shard iterators. The emulator keeps no state of its own: every replica reads the
// topic from the start when it starts and catches up before it answers.
//
// A stream's metadata is bound to the Kafka topic id it was written for: when a
// Kafka client deletes and re-creates the topic, the old metadata no longer applies
// and the topic is seen as a plain Kafka topic again.

import { randomBytes } from 'node:crypto';
import type { KafkaLog } from '../log/kafka-log.ts';

export const METADATA_TOPIC = '__tributary_kinesis';
const SECRET_KEY = '\u0000iterator-secret';

export interface ShardMeta {
  partition: number;
  /** Decimal hash-key range, inclusive. */
  start: string;
  end: string;
  parent?: number;
  adjacentParent?: number;
  /** Set when the shard is closed by resharding: the first offset NOT in the shard. */
  endOffset?: string;
  closedAt?: number;
}

export interface ConsumerMeta {
  name: string;
  arn: string;
  createdAt: number;
}

export interface StreamMeta {
  name: string;
  topicId: string;
  arn: string;
  createdAt: number;
  retentionHours: number;
  mode: 'PROVISIONED' | 'ON_DEMAND';
  tags: Record<string, string>;
  shards: ShardMeta[];
  consumers: ConsumerMeta[];
}

export class MetadataStore {
  readonly #log: KafkaLog;
  readonly #streams = new Map<string, StreamMeta>();
  #next = 0n;
  #secret: Buffer | null = null;
  #refreshing: Promise<void> | null = null;
  #refreshedAt = 0;

  constructor(log: KafkaLog) {
    this.#log = log;
  }

  get secret(): Buffer {
    if (!this.#secret) throw new Error('metadata store not initialised');
    return this.#secret;
  }

  async init(): Promise<void> {
    if (!(await this.#log.describeTopic(METADATA_TOPIC))) {
      try {
        await this.#log.createTopic(METADATA_TOPIC, { partitions: 1, configs: { 'cleanup.policy': 'compact' } });
      } catch (err) {
        if ((err as { code?: string }).code !== 'TOPIC_ALREADY_EXISTS') throw err;
      }
    }
    await this.refresh(0);
    if (!this.#secret) {
      // First replica ever: propose a secret; whichever record lands first wins.
      await this.#log.produce(METADATA_TOPIC, 0, [{ key: Buffer.from(SECRET_KEY), value: randomBytes(32) }]);
      await this.refresh(0);
    }
  }

  /** Reads the metadata topic up to its end unless that was done less than `maxAgeMs` ago. */
  async refresh(maxAgeMs = 0): Promise<void> {
    if (maxAgeMs > 0 && Date.now() - this.#refreshedAt < maxAgeMs) return;
    if (this.#refreshing) return this.#refreshing;
    this.#refreshing = (async () => {
      const started = Date.now();
      try {
        for (;;) {
          let res;
          try {
            res = await this.#log.fetch(METADATA_TOPIC, 0, this.#next, { maxBytes: 4 * 1024 * 1024 });
          } catch (err) {
            // Compaction or retention moved the log start past us: start over.
            if ((err as { code?: string }).code === 'OFFSET_OUT_OF_RANGE') {
              const earliest = (await this.#log.offsets(METADATA_TOPIC, 'earliest', [0])).get(0) ?? 0n;
              if (earliest > this.#next) {
                this.#next = earliest;
                continue;
              }
            }
            throw err;
          }
          for (const r of res.records) {
            const key = r.key?.toString('utf8') ?? '';
            if (key === SECRET_KEY) {
              if (!this.#secret && r.value) this.#secret = Buffer.from(r.value);
            } else if (!r.value) {
              this.#streams.delete(key);
            } else {
              try {
                this.#streams.set(key, JSON.parse(r.value.toString('utf8')) as StreamMeta);
              } catch {
                /* not ours: ignore */
              }
            }
            this.#next = r.offset + 1n;
          }
          if (res.records.length === 0 || this.#next >= res.highWatermark) break;
        }
        this.#refreshedAt = started;
      } finally {
        this.#refreshing = null;
      }
    })();
    return this.#refreshing;
  }

  get(name: string): StreamMeta | undefined {
    return this.#streams.get(name);
  }

  all(): StreamMeta[] {
    return [...this.#streams.values()];
  }

  /** Changes this replica's view only (used while a change is being settled). */
  setLocal(meta: StreamMeta): void {
    this.#streams.set(meta.name, meta);
  }

  async put(meta: StreamMeta): Promise<void> {
    await this.#log.produce(METADATA_TOPIC, 0, [{ key: Buffer.from(meta.name), value: Buffer.from(JSON.stringify(meta)) }]);
    this.#streams.set(meta.name, meta);
  }

  async remove(name: string): Promise<void> {
    await this.#log.produce(METADATA_TOPIC, 0, [{ key: Buffer.from(name), value: null }]);
    this.#streams.delete(name);
  }
}
