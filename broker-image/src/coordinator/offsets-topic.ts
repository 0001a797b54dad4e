// The compacted internal topic `__consumer_offsets` as the group coordinator's
// store: each group's records go to partition abs(groupId.hashCode()) % N, as
// in Kafka, so a group's history is in one partition and ordered.

import type { Broker } from '../server/broker.ts';
import { buildBatch, decodeRecords } from '../records/record.ts';
import { batchesOf, type Partition } from '../cluster/partition.ts';

export const OFFSETS_TOPIC = '__consumer_offsets';

/** Java's String.hashCode over UTF-16 code units. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

export function offsetsPartitionFor(groupId: string, partitions: number): number {
  return (javaStringHash(groupId) & 0x7fffffff) % partitions;
}

/**
 * Group metadata and offset commit keys both start with an int16 version and
 * the group id as an int16-length string.
 */
export function groupIdOfKey(key: Buffer): string {
  if (key.length < 4) throw new Error('offsets topic key too short');
  const len = key.readInt16BE(2);
  if (len < 0 || 4 + len > key.length) throw new Error('offsets topic key has a bad group id length');
  return key.toString('utf8', 4, 4 + len);
}

export class OffsetsTopicStore {
  private readonly broker: Broker;
  private partitions: Partition[] = [];
  private creating: Promise<void> | null = null;

  constructor(broker: Broker) {
    this.broker = broker;
  }

  /** Appends one record to the group's partition; resolves once it is in the log. */
  async append(key: Buffer, value: Buffer | null): Promise<void> {
    await this.ensureTopic();
    const partition = this.partitions[offsetsPartitionFor(groupIdOfKey(key), this.partitions.length)];
    await partition.append(buildBatch([{ key, value }]));
  }

  /** Appends records of one group as one batch (all in the group's partition): all or none. */
  async appendAll(records: { key: Buffer; value: Buffer | null }[]): Promise<void> {
    if (records.length === 0) return;
    await this.ensureTopic();
    const group = groupIdOfKey(records[0]!.key);
    for (const r of records) {
      if (groupIdOfKey(r.key) !== group) throw new Error('appendAll: records of more than one group');
    }
    const partition = this.partitions[offsetsPartitionFor(group, this.partitions.length)];
    await partition.append(buildBatch(records));
  }

  /** Every record of the topic in log order per partition, for loading the coordinator at start. */
  async replay(onRecord: (key: Buffer, value: Buffer | null) => void): Promise<number> {
    if (!this.broker.topics.get(OFFSETS_TOPIC)) return 0;
    await this.ensureTopic();
    let count = 0;
    for (const p of this.partitions) {
      for await (const batch of batchesOf(p.log)) {
        if (batch.isControl) continue;
        for (const r of decodeRecords(batch)) {
          if (!r.key) continue;
          onRecord(r.key, r.value);
          count++;
        }
      }
    }
    return count;
  }

  private ensureTopic(): Promise<void> {
    if (this.partitions.length > 0) return Promise.resolve();
    this.creating ??= (async () => {
      const { broker } = this;
      let info = broker.topics.get(OFFSETS_TOPIC);
      if (!info) {
        info = await broker.createTopic({
          name: OFFSETS_TOPIC,
          partitions: broker.config.offsetsTopicNumPartitions,
          replicationFactor: 1,
          configs: { 'cleanup.policy': 'compact', 'segment.bytes': '104857600', 'compression.type': 'producer' },
        });
      }
      this.partitions = broker.partitions.partitionsOf(OFFSETS_TOPIC);
    })().finally(() => { this.creating = null; });
    return this.creating;
  }
}
