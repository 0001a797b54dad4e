// Per-partition idempotent-producer state: for each producer id its epoch and
// the last few batches' sequence ranges, so a retried batch is answered with
// its original offsets instead of being appended twice, and a gap in the
// sequence is refused (Kafka's ProducerStateManager rules).

import { ErrorCode, KafkaError } from '../../protocol/errors.ts';

/** Batches remembered per producer: Kafka allows 5 in flight. */
const MAX_CACHED_BATCHES = 5;
const INT32_MAX = 0x7fffffff;

export interface ProducerBatch {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  /** Records in the batch minus one (lastOffsetDelta). */
  lastOffsetDelta: number;
}

interface CachedBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: bigint;
  lastOffset: bigint;
  logAppendTime: bigint;
}

interface ProducerEntry {
  epoch: number;
  batches: CachedBatch[];
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: bigint; lastOffset: bigint; logAppendTime: bigint };

export function lastSequenceOf(b: ProducerBatch): number {
  // Sequences wrap from INT32_MAX back to 0.
  return (b.baseSequence + b.lastOffsetDelta) % (INT32_MAX + 1);
}

export class ProducerStateTable {
  private readonly producers = new Map<bigint, ProducerEntry>();

  get size(): number {
    return this.producers.size;
  }

  /** Whether `b` may be appended, is a duplicate of a cached batch, or (throws) is refused. */
  check(b: ProducerBatch): SequenceCheck {
    if (b.producerId < 0n) return { kind: 'append' };
    const entry = this.producers.get(b.producerId);
    const lastSeq = lastSequenceOf(b);
    if (!entry) {
      if (b.baseSequence !== 0) {
        throw new KafkaError(ErrorCode.UNKNOWN_PRODUCER_ID, `producer ${b.producerId} is unknown and its first batch starts at sequence ${b.baseSequence}, not 0`);
      }
      return { kind: 'append' };
    }
    if (b.producerEpoch < entry.epoch) {
      throw new KafkaError(ErrorCode.INVALID_PRODUCER_EPOCH, `producer ${b.producerId} epoch ${b.producerEpoch} is older than ${entry.epoch}`);
    }
    if (b.producerEpoch > entry.epoch) {
      if (b.baseSequence !== 0) {
        throw new KafkaError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `producer ${b.producerId} new epoch ${b.producerEpoch} must start at sequence 0, got ${b.baseSequence}`);
      }
      return { kind: 'append' };
    }
    const dup = entry.batches.find((c) => c.firstSeq === b.baseSequence && c.lastSeq === lastSeq);
    if (dup) return { kind: 'duplicate', baseOffset: dup.baseOffset, lastOffset: dup.lastOffset, logAppendTime: dup.logAppendTime };
    const last = entry.batches.at(-1);
    const expected = last ? (last.lastSeq === INT32_MAX ? 0 : last.lastSeq + 1) : 0;
    if (b.baseSequence !== expected) {
      throw new KafkaError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `producer ${b.producerId} sent sequence ${b.baseSequence}, expected ${expected}`);
    }
    return { kind: 'append' };
  }

  /** Records an appended batch (also used to rebuild the table from the log). */
  update(b: ProducerBatch, baseOffset: bigint, logAppendTime = -1n): void {
    if (b.producerId < 0n) return;
    let entry = this.producers.get(b.producerId);
    if (!entry || b.producerEpoch > entry.epoch) {
      entry = { epoch: b.producerEpoch, batches: [] };
      this.producers.set(b.producerId, entry);
    }
    entry.batches.push({
      firstSeq: b.baseSequence, lastSeq: lastSequenceOf(b), baseOffset,
      lastOffset: baseOffset + BigInt(b.lastOffsetDelta), logAppendTime,
    });
    if (entry.batches.length > MAX_CACHED_BATCHES) entry.batches.shift();
  }
}
