// One partition this broker leads: its log, its leader epoch, idempotent
// producer state and the fetches waiting for data. On a single broker the high
// watermark is the log end offset: every acknowledged write is on every (the
// only) replica.

import type { PartitionLog } from '../log/partition-log.ts';
import { ProducerStateTable } from '../coordinator/producers/producer-state.ts';
import { ErrorCode, KafkaError } from '../protocol/errors.ts';
import { BATCH_HEADER_SIZE, iterateBatches, RecordBatch } from '../records/batch.ts';

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  logAppendTime: bigint;
  recordCount: number;
  byteSize: number;
  /** The batch had been appended before (a producer retry); nothing was written. */
  duplicate: boolean;
}

const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;

export class Partition {
  readonly topic: string;
  readonly index: number;
  readonly log: PartitionLog;
  leaderEpoch = 0;
  private readonly appendListeners = new Set<() => void>();
  private producers: ProducerStateTable | null = null;
  /** Idempotent appends run one at a time: check, append and record must not interleave. */
  private idempotentQueue: Promise<unknown> = Promise.resolve();

  constructor(topic: string, index: number, log: PartitionLog) {
    this.topic = topic;
    this.index = index;
    this.log = log;
  }

  get highWatermark(): bigint {
    return this.log.logEndOffset;
  }

  /** Appends a Produce request's records for this partition: exactly one v2 batch, as Kafka requires. */
  async append(records: Buffer, now = Date.now()): Promise<AppendResult> {
    if (records.length < BATCH_HEADER_SIZE) {
      return this.plainAppend(records, now); // the log reports what is wrong with it
    }
    const batch = new RecordBatch(records, 0);
    if (batch.magic === 2 && batch.sizeInBytes !== records.length) {
      throw new KafkaError(ErrorCode.INVALID_RECORD, 'a produce request must contain exactly one record batch per partition');
    }
    if (batch.magic !== 2 || batch.producerId < 0n) return this.plainAppend(records, now);
    const run = this.idempotentQueue.then(() => this.idempotentAppend(batch, records, now));
    this.idempotentQueue = run.catch(() => undefined);
    return run;
  }

  /** Calls `listener` after each append until the returned function is called. */
  onAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  private async plainAppend(records: Buffer, now: number): Promise<AppendResult> {
    const result = await this.log.append(records, { leaderEpoch: this.leaderEpoch, now });
    for (const listener of this.appendListeners) listener();
    return { ...result, duplicate: false };
  }

  private async idempotentAppend(batch: RecordBatch, records: Buffer, now: number): Promise<AppendResult> {
    const producers = await this.producerState();
    const meta = {
      producerId: batch.producerId, producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence, lastOffsetDelta: batch.lastOffsetDelta,
    };
    const verdict = producers.check(meta);
    if (verdict.kind === 'duplicate') {
      return { ...verdict, recordCount: batch.recordCount, byteSize: 0, duplicate: true };
    }
    const result = await this.plainAppend(records, now);
    producers.update(meta, result.baseOffset, result.logAppendTime);
    return result;
  }

  /** The producer table, rebuilt from the log the first time an idempotent producer writes. */
  private async producerState(): Promise<ProducerStateTable> {
    if (this.producers) return this.producers;
    const table = new ProducerStateTable();
    for await (const b of batchesOf(this.log)) {
      if (b.producerId >= 0n) {
        table.update({ producerId: b.producerId, producerEpoch: b.producerEpoch, baseSequence: b.baseSequence, lastOffsetDelta: b.lastOffsetDelta }, b.baseOffset);
      }
    }
    this.producers = table;
    return table;
  }
}

/** Every batch of a log from its start to its current end, read in large chunks. */
export async function* batchesOf(log: PartitionLog): AsyncGenerator<RecordBatch> {
  let offset = log.logStartOffset;
  const end = log.logEndOffset;
  while (offset < end) {
    const chunk = await log.read(offset, SCAN_CHUNK_BYTES, { maxOffset: end, minOneMessage: true });
    let advanced = false;
    for (const b of iterateBatches(chunk)) {
      if (b.nextOffset <= offset) continue;
      yield b;
      offset = b.nextOffset;
      advanced = true;
    }
    if (!advanced) return;
  }
}

/** Resolves after the first append to any of `partitions`, or after `timeoutMs`. */
export function waitForAppend(partitions: Iterable<Partition>, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const unsubscribes: (() => void)[] = [];
    const done = () => {
      clearTimeout(timer);
      for (const u of unsubscribes) u();
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    for (const p of partitions) unsubscribes.push(p.onAppend(done));
  });
}
