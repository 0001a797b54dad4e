// The Pub/Sub front-end's own Kafka access (emulator/src/log/ did not exist when this
// was written): one admin, one producer, and readers that fetch explicit
// (partition, offset) positions without joining a consumer group — a subscription's
// cursor is ours, kept in __tributary_pubsub, not in __consumer_offsets.
//
// Every reader owns a Consumer (its own connection and fetch session), so one
// subscription's long-poll fetch never queues behind another's.

import { Admin, Producer, Consumer, ListOffsetTimestamps, murmur2, ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka';
import type { KafkaRecord } from '@platformatic/kafka';

export interface FetchedRecord {
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: [Buffer | null, Buffer | null][];
}

export interface ProduceRecord {
  partition: number;
  key: Buffer | null;
  /** null = a tombstone (compacted topics). */
  value: Buffer | null;
  headers: Record<string, Buffer>;
  timestamp: bigint;
}

/** Kafka's (Java client's) default partitioner for keyed records. */
export function partitionForKey(key: Buffer, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

export class KafkaAccess {
  readonly bootstrap: string[];
  readonly admin: Admin;
  readonly producer: Producer;
  #readers = new Set<TopicReader>();
  #offsets: Consumer;

  constructor(bootstrap: string[], clientId = 'tributary-pubsub') {
    this.bootstrap = bootstrap;
    const base = { clientId, bootstrapBrokers: bootstrap, retries: 3, retryDelay: 200 };
    this.admin = new Admin(base);
    this.producer = new Producer({ ...base, acks: -1, autocreateTopics: false });
    this.#offsets = new Consumer({ ...base, groupId: `${clientId}-offsets` });
  }

  async topicExists(topic: string): Promise<boolean> {
    return (await this.listTopics()).includes(topic);
  }

  async listTopics(): Promise<string[]> {
    return this.admin.listTopics({ includeInternals: false });
  }

  /** Partition count (null when the topic does not exist). */
  async partitions(topic: string): Promise<number | null> {
    try {
      const md = await this.admin.metadata({ topics: [topic], forceUpdate: true, autocreateTopics: false });
      return md.topics.get(topic)?.partitionsCount ?? null;
    } catch {
      return null;
    }
  }

  async createTopic(topic: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
    await this.admin.createTopics({
      topics: [topic],
      partitions,
      replicas: -1,
      configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
    });
  }

  /** Sets (or with null, removes) one topic config through IncrementalAlterConfigs. */
  async setTopicConfig(topic: string, name: string, value: string | null): Promise<void> {
    await this.admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: topic,
          configs: [{ name, configOperation: value === null ? IncrementalAlterConfigOperationTypes.DELETE : IncrementalAlterConfigOperationTypes.SET, value: value ?? '' }],
        },
      ],
    });
  }

  async deleteTopic(topic: string): Promise<void> {
    await this.admin.deleteTopics({ topics: [topic] });
  }

  /** Offsets per partition: 'latest' (high watermark), 'earliest' (log start) or the first at/after a timestamp. */
  async offsets(topic: string, at: 'earliest' | 'latest' | bigint): Promise<bigint[]> {
    const timestamp = at === 'latest' ? ListOffsetTimestamps.LATEST : at === 'earliest' ? ListOffsetTimestamps.EARLIEST : at;
    const res = await this.#offsets.listOffsets({ topics: [topic], timestamp });
    const offs = res.get(topic) ?? [];
    if (typeof at === 'bigint') {
      // No record at/after the timestamp: -1 → the end of the partition.
      const latest = await this.offsets(topic, 'latest');
      return offs.map((o, i) => (o < 0n ? latest[i] ?? 0n : o));
    }
    return offs;
  }

  /** Appends records; returns each record's offset, in input order. */
  async produce(topic: string, records: ProduceRecord[]): Promise<bigint[]> {
    const byPartition = new Map<number, number[]>();
    records.forEach((r, i) => {
      let l = byPartition.get(r.partition);
      if (!l) byPartition.set(r.partition, (l = []));
      l.push(i);
    });
    const out = new Array<bigint>(records.length);
    // Sends of at most ~900 KB (a record bigger than that goes alone), under the
    // broker's default message.max.bytes; one send per partition chunk keeps the
    // mapping record → offset exact (base + index).
    const chunks: [number, number[]][] = [];
    for (const [partition, idx] of byPartition) {
      let cur: number[] = [];
      let bytes = 0;
      for (const i of idx) {
        const r = records[i];
        let size = (r.value?.length ?? 0) + (r.key?.length ?? 0) + 64;
        for (const [k, v] of Object.entries(r.headers)) size += k.length + v.length + 8;
        if (cur.length > 0 && bytes + size > 900_000) {
          chunks.push([partition, cur]);
          cur = [];
          bytes = 0;
        }
        cur.push(i);
        bytes += size;
      }
      if (cur.length) chunks.push([partition, cur]);
    }
    await Promise.all(
      chunks.map(async ([partition, idx]) => {
        const res = await this.producer.send({
          messages: idx.map((i) => {
            const r = records[i];
            return {
              topic,
              partition,
              key: r.key ?? undefined,
              value: r.value ?? undefined,
              headers: new Map(Object.entries(r.headers).map(([k, v]) => [Buffer.from(k), v])),
              timestamp: r.timestamp,
            };
          }),
        });
        const base = res.offsets?.find((o) => o.topic === topic && o.partition === partition)?.offset;
        if (base === undefined) throw new Error(`no offset returned for ${topic}/${partition}`);
        idx.forEach((i, k) => (out[i] = BigInt(base) + BigInt(k)));
      }),
    );
    return out;
  }

  reader(topic: string): TopicReader {
    const r = new TopicReader(this, topic);
    this.#readers.add(r);
    return r;
  }

  forget(r: TopicReader): void {
    this.#readers.delete(r);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#readers].map((r) => r.close()));
    await Promise.allSettled([this.producer.close(), this.admin.close(), this.#offsets.close(true)]);
  }
}

/** Fetches records of one topic from explicit offsets. */
export class TopicReader {
  readonly topic: string;
  #access: KafkaAccess;
  #consumer: Consumer;
  #closed = false;

  constructor(access: KafkaAccess, topic: string) {
    this.#access = access;
    this.topic = topic;
    this.#consumer = new Consumer({
      clientId: 'tributary-pubsub-reader',
      groupId: 'tributary-pubsub-reader',
      bootstrapBrokers: access.bootstrap,
      retries: 1,
      retryDelay: 200,
    });
  }

  /**
   * One Fetch for the given positions. Returns records at or after each position
   * (whole batches may start earlier: those are dropped here) and each partition's
   * log start offset.
   */
  async fetch(
    positions: Map<number, bigint>,
    maxWaitMs: number,
    maxBytesPerPartition = 4 << 20,
  ): Promise<{ records: FetchedRecord[]; logStart: Map<number, bigint>; highWatermark: Map<number, bigint> }> {
    const records: FetchedRecord[] = [];
    const logStart = new Map<number, bigint>();
    const highWatermark = new Map<number, bigint>();
    if (this.#closed || positions.size === 0) return { records, logStart, highWatermark };
    const md = await this.#consumer.metadata({ topics: [this.topic], autocreateTopics: false });
    const t = md.topics.get(this.topic);
    if (!t) throw new Error(`topic ${this.topic} not found`);
    // Group partitions by leader: one Fetch per broker.
    const byNode = new Map<number, number[]>();
    for (const p of positions.keys()) {
      const leader = t.partitions[p]?.leader;
      if (leader === undefined) continue;
      let l = byNode.get(leader);
      if (!l) byNode.set(leader, (l = []));
      l.push(p);
    }
    await Promise.all(
      [...byNode].map(async ([node, parts]) => {
        const res = await this.#consumer.fetch({
          node,
          maxWaitTime: maxWaitMs,
          minBytes: 1,
          maxBytes: maxBytesPerPartition * parts.length,
          topics: [
            {
              topicId: t.id,
              partitions: parts.map((p) => ({
                partition: p,
                currentLeaderEpoch: -1,
                fetchOffset: positions.get(p)!,
                lastFetchedEpoch: -1,
                partitionMaxBytes: maxBytesPerPartition,
              })),
            },
          ],
        });
        for (const topic of res.responses) {
          for (const part of topic.partitions) {
            logStart.set(part.partitionIndex, part.logStartOffset);
            highWatermark.set(part.partitionIndex, part.highWatermark);
            const from = positions.get(part.partitionIndex);
            if (from === undefined) continue;
            for (const batch of part.records ?? []) {
              // Control batches (transaction markers) carry no user records.
              if ((batch.attributes & 0x20) !== 0) continue;
              for (const r of batch.records as KafkaRecord[]) {
                const offset = batch.firstOffset + BigInt(r.offsetDelta);
                if (offset < from) continue;
                records.push({
                  partition: part.partitionIndex,
                  offset,
                  timestamp: batch.firstTimestamp + r.timestampDelta,
                  key: r.key,
                  value: r.value,
                  headers: r.headers,
                });
              }
            }
          }
        }
      }),
    );
    return { records, logStart, highWatermark };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#access.forget(this);
    await this.#consumer.close(true).catch(() => {});
  }
}
