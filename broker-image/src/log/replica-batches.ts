// Checks on batches a follower copies from its leader. They are stored byte for byte, so
// only what would make the log unreadable is refused; the leader already applied its
// produce-time rules (max.message.bytes, keys on compacted topics, record counts, which
// compaction changes: a cleaned batch keeps its offset range with fewer records).

import { ErrorCode, KafkaError } from '../protocol/errors.ts';
import { RecordBatch, scanBatches } from '../records/batch.ts';

export interface ReplicaBatches {
  batches: RecordBatch[];
  /** Bytes of complete batches; a batch cut short at the end (a fetch's maxBytes) is left out. */
  bytesUsed: number;
}

/** Complete batches of a fetch response's records for one partition, validated; `logEndOffset` is where they must start at or after. */
export function validateReplicaBatches(records: Buffer, logEndOffset: bigint): ReplicaBatches {
  const scan = scanBatches(records);
  if (scan.error) throw scan.error;
  let expected = logEndOffset;
  for (const b of scan.batches) {
    if (b.magic !== 2) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `replicated batch at ${b.baseOffset} has magic ${b.magic}`);
    if (!b.isValidCrc()) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `replicated batch at ${b.baseOffset}: CRC mismatch`);
    if (b.lastOffsetDelta < 0 || b.recordCount < 0 || b.recordCount > b.lastOffsetDelta + 1) {
      throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `replicated batch at ${b.baseOffset}: ${b.recordCount} records, lastOffsetDelta ${b.lastOffsetDelta}`);
    }
    if (b.compression > 4) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `replicated batch at ${b.baseOffset}: unknown codec ${b.compression}`);
    if (b.baseOffset < expected) {
      // Below the log end (already have it, or the leader's log and ours disagree) or out of order.
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `replicated batch at ${b.baseOffset} starts before offset ${expected}`);
    }
    expected = b.nextOffset;
  }
  return { batches: scan.batches, bytesUsed: scan.validBytes };
}
