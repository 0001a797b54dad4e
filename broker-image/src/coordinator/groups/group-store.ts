/**
 * Where the coordinator persists offsets and group metadata: the broker backs it
 * with the compacted `__consumer_offsets` topic (keys and values in Kafka's formats).
 */
export interface GroupStore {
  /** Append one record (key, value=null for tombstone); resolves when durable in the log. */
  append(key: Buffer, value: Buffer | null): Promise<void>;
  /**
   * Append records of one group together, all or none (one batch in the group's
   * partition, as Kafka writes one OffsetCommit); resolves when durable in the log.
   */
  appendAll(records: { key: Buffer; value: Buffer | null }[]): Promise<void>;
}

/** A GroupStore that keeps the records in memory, in append order (tests, single-process use). */
export class MemoryGroupStore implements GroupStore {
  readonly records: { key: Buffer; value: Buffer | null }[] = [];

  async append(key: Buffer, value: Buffer | null): Promise<void> {
    this.records.push({ key, value });
  }

  async appendAll(records: { key: Buffer; value: Buffer | null }[]): Promise<void> {
    this.records.push(...records);
  }
}
