// Zero-copy views over RecordBatch v2 (magic 2) bytes: header fields, validation,
// in-place patches (baseOffset and partitionLeaderEpoch need no CRC change; the
// LogAppendTime switch does).
//
// baseOffset i64 | batchLength i32 | partitionLeaderEpoch i32 | magic i8 | crc u32 |
// attributes i16 | lastOffsetDelta i32 | baseTimestamp i64 | maxTimestamp i64 |
// producerId i64 | producerEpoch i16 | baseSequence i32 | recordCount i32 | records

import { crc32c } from '@node-rs/crc32';
import { ErrorCode, KafkaError } from '../protocol/errors.ts';

export const BASE_OFFSET = 0;
export const BATCH_LENGTH = 8;
export const PARTITION_LEADER_EPOCH = 12;
export const MAGIC = 16;
export const CRC = 17;
export const ATTRIBUTES = 21;
export const LAST_OFFSET_DELTA = 23;
export const BASE_TIMESTAMP = 27;
export const MAX_TIMESTAMP = 35;
export const PRODUCER_ID = 43;
export const PRODUCER_EPOCH = 51;
export const BASE_SEQUENCE = 53;
export const RECORD_COUNT = 57;
export const RECORDS = 61;
/** Bytes before batchLength's coverage starts (baseOffset + batchLength). */
export const LOG_OVERHEAD = 12;
export const BATCH_HEADER_SIZE = RECORDS;

export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_BIT = 0x08;
export const TRANSACTIONAL_BIT = 0x10;
export const CONTROL_BIT = 0x20;
export const DELETE_HORIZON_BIT = 0x40;

/** A view of one batch at `position` in `buf` (no copy). */
export class RecordBatch {
  readonly buf: Buffer;
  readonly position: number;
  constructor(buf: Buffer, position = 0) {
    this.buf = buf;
    this.position = position;
  }
  get baseOffset(): bigint { return this.buf.readBigInt64BE(this.position + BASE_OFFSET); }
  get batchLength(): number { return this.buf.readInt32BE(this.position + BATCH_LENGTH); }
  /** Whole batch size in bytes, header included. */
  get sizeInBytes(): number { return LOG_OVERHEAD + this.batchLength; }
  get partitionLeaderEpoch(): number { return this.buf.readInt32BE(this.position + PARTITION_LEADER_EPOCH); }
  get magic(): number { return this.buf.readInt8(this.position + MAGIC); }
  get crc(): number { return this.buf.readUInt32BE(this.position + CRC); }
  get attributes(): number { return this.buf.readInt16BE(this.position + ATTRIBUTES); }
  get compression(): number { return this.attributes & COMPRESSION_MASK; }
  get isLogAppendTime(): boolean { return (this.attributes & TIMESTAMP_TYPE_BIT) !== 0; }
  get isTransactional(): boolean { return (this.attributes & TRANSACTIONAL_BIT) !== 0; }
  get isControl(): boolean { return (this.attributes & CONTROL_BIT) !== 0; }
  get hasDeleteHorizon(): boolean { return (this.attributes & DELETE_HORIZON_BIT) !== 0; }
  get lastOffsetDelta(): number { return this.buf.readInt32BE(this.position + LAST_OFFSET_DELTA); }
  get lastOffset(): bigint { return this.baseOffset + BigInt(this.lastOffsetDelta); }
  get nextOffset(): bigint { return this.lastOffset + 1n; }
  get baseTimestamp(): bigint { return this.buf.readBigInt64BE(this.position + BASE_TIMESTAMP); }
  get maxTimestamp(): bigint { return this.buf.readBigInt64BE(this.position + MAX_TIMESTAMP); }
  get producerId(): bigint { return this.buf.readBigInt64BE(this.position + PRODUCER_ID); }
  get producerEpoch(): number { return this.buf.readInt16BE(this.position + PRODUCER_EPOCH); }
  get baseSequence(): number { return this.buf.readInt32BE(this.position + BASE_SEQUENCE); }
  get recordCount(): number { return this.buf.readInt32BE(this.position + RECORD_COUNT); }
  /** The (possibly compressed) records section. */
  get recordsData(): Buffer { return this.buf.subarray(this.position + RECORDS, this.position + this.sizeInBytes); }
  /** The whole batch's bytes (a view). */
  get bytes(): Buffer { return this.buf.subarray(this.position, this.position + this.sizeInBytes); }

  computeCrc(): number {
    return crc32c(this.buf.subarray(this.position + ATTRIBUTES, this.position + this.sizeInBytes)) >>> 0;
  }
  isValidCrc(): boolean { return this.computeCrc() === this.crc; }

  setBaseOffset(offset: bigint): void { this.buf.writeBigInt64BE(offset, this.position + BASE_OFFSET); }
  setPartitionLeaderEpoch(epoch: number): void { this.buf.writeInt32BE(epoch, this.position + PARTITION_LEADER_EPOCH); }
  /** Switches to LogAppendTime with maxTimestamp = `timestamp`, and recomputes the CRC. */
  setLogAppendTime(timestamp: bigint): void {
    this.buf.writeInt16BE((this.attributes | TIMESTAMP_TYPE_BIT) << 16 >> 16, this.position + ATTRIBUTES);
    this.buf.writeBigInt64BE(timestamp, this.position + MAX_TIMESTAMP);
    this.buf.writeUInt32BE(this.computeCrc(), this.position + CRC);
  }
}

export interface ScanResult {
  batches: RecordBatch[];
  /** Bytes covered by complete batches from the start position. */
  validBytes: number;
  /** A batch (or header) was cut short at the end of the buffer. */
  truncated: boolean;
  /** Why scanning stopped early at `validBytes`, when it was not simply the end of the buffer. */
  error?: KafkaError;
}

/**
 * Iterates the complete batches in `buf` from `start`. Bounds-checked: a trailing batch whose
 * header or body is cut short is reported (`truncated`), not thrown, and so is a batch length
 * that cannot be valid (`error`, CORRUPT_MESSAGE). Magic and CRC are not checked here.
 */
export function scanBatches(buf: Buffer, start = 0, end = buf.length): ScanResult {
  const batches: RecordBatch[] = [];
  let pos = start;
  let truncated = false;
  let error: KafkaError | undefined;
  while (pos < end) {
    if (end - pos < LOG_OVERHEAD + 5) { truncated = true; break; } // up to magic
    const batchLength = buf.readInt32BE(pos + BATCH_LENGTH);
    const magic = buf.readInt8(pos + MAGIC);
    const minLength = magic >= 2 ? BATCH_HEADER_SIZE - LOG_OVERHEAD : 14; // v0 record minimum
    if (batchLength < minLength) {
      error = new KafkaError(ErrorCode.CORRUPT_MESSAGE, `batch length ${batchLength} at ${pos - start} is below the minimum`);
      break;
    }
    if (end - pos < LOG_OVERHEAD + batchLength) { truncated = true; break; }
    batches.push(new RecordBatch(buf, pos));
    pos += LOG_OVERHEAD + batchLength;
  }
  return { batches, validBytes: pos - start, truncated, error };
}

/** Generator form of scanBatches over complete batches only. */
export function* iterateBatches(buf: Buffer, start = 0, end = buf.length): Generator<RecordBatch> {
  let pos = start;
  while (end - pos >= BATCH_HEADER_SIZE) {
    const batchLength = buf.readInt32BE(pos + BATCH_LENGTH);
    if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD || end - pos < LOG_OVERHEAD + batchLength) return;
    yield new RecordBatch(buf, pos);
    pos += LOG_OVERHEAD + batchLength;
  }
}

export interface ValidateOptions {
  maxMessageBytes?: number;
  /** Control batches are written by the broker's coordinators only. */
  allowControl?: boolean;
}

/**
 * Checks one batch as the produce path must, without decompressing: magic 2 (0/1 →
 * UNSUPPORTED_FOR_MESSAGE_FORMAT), size (MESSAGE_TOO_LARGE), CRC-32C (CORRUPT_MESSAGE),
 * the record count against lastOffsetDelta (INVALID_RECORD, as Kafka's LogValidator) and
 * the codec (UNSUPPORTED_COMPRESSION_TYPE).
 */
export function validateBatch(batch: RecordBatch, opts: ValidateOptions = {}): void {
  const magic = batch.magic;
  if (magic !== 2) {
    if (magic === 0 || magic === 1) throw new KafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `message format v${magic} is not supported; use a client with record batch v2`);
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `invalid magic ${magic}`);
  }
  const size = batch.sizeInBytes;
  if (opts.maxMessageBytes !== undefined && size > opts.maxMessageBytes) {
    throw new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${size} bytes exceeds max.message.bytes ${opts.maxMessageBytes}`);
  }
  if (!batch.isValidCrc()) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'record batch CRC mismatch');
  const count = batch.recordCount;
  if (count <= 0) throw new KafkaError(ErrorCode.INVALID_RECORD, `invalid record count ${count}`);
  const lastOffsetDelta = batch.lastOffsetDelta;
  if (lastOffsetDelta < 0) throw new KafkaError(ErrorCode.INVALID_RECORD, `invalid lastOffsetDelta ${lastOffsetDelta}`);
  if (lastOffsetDelta + 1 !== count) {
    throw new KafkaError(ErrorCode.INVALID_RECORD, `inconsistent batch: ${count} records but lastOffsetDelta ${lastOffsetDelta}`);
  }
  if (batch.compression > 4) throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown codec ${batch.compression}`);
  if (batch.isControl && !opts.allowControl) throw new KafkaError(ErrorCode.INVALID_RECORD, 'clients may not write control batches');
  // An uncompressed batch must at least hold one minimal record (7 bytes) per declared record.
  if (batch.compression === 0 && size - BATCH_HEADER_SIZE < count * 7) {
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `${count} records cannot fit in ${size - BATCH_HEADER_SIZE} bytes`);
  }
}

/** Splits a produce request's records into validated batches; throws on a truncated or bad one. */
export function validateRecords(buf: Buffer, opts: ValidateOptions = {}): RecordBatch[] {
  const scan = scanBatches(buf);
  if (scan.error) throw scan.error;
  // Check the magic of what could be parsed first: a v0/v1 message set must be reported as such.
  for (const b of scan.batches) validateBatch(b, opts);
  if (scan.truncated) {
    if (buf.length - scan.validBytes >= LOG_OVERHEAD + 5) {
      const magic = buf.readInt8(scan.validBytes + MAGIC);
      if (magic === 0 || magic === 1) throw new KafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `message format v${magic} is not supported`);
    }
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `truncated record batch at byte ${scan.validBytes}`);
  }
  return scan.batches;
}
