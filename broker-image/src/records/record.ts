// Individual records inside a v2 batch (zigzag varints), and RecordBatchBuilder, which
// encodes records into a batch (CLI producer, internal topics, compaction, tests).
//
// record: length varint | attributes i8 | timestampDelta varlong | offsetDelta varint |
//         keyLength varint | key | valueLength varint | value | headerCount varint |
//         (headerKeyLength varint | headerKey | headerValueLength varint | headerValue)*

import { crc32c } from '@node-rs/crc32';
import { ErrorCode, KafkaError } from '../protocol/errors.ts';
import {
  ATTRIBUTES, BATCH_HEADER_SIZE, COMPRESSION_MASK, CONTROL_BIT, CRC, DELETE_HORIZON_BIT, LOG_OVERHEAD,
  RecordBatch, TIMESTAMP_TYPE_BIT, TRANSACTIONAL_BIT,
} from './batch.ts';
import { compress, decompress, DEFAULT_MAX_DECOMPRESSED_BYTES } from './compression/index.ts';

export interface RecordHeader { key: string; value: Buffer | null }

export interface Record {
  attributes: number;
  timestampDelta: number;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  /** Absolute values, from the batch. */
  offset: bigint;
  timestamp: bigint;
}

function corrupt(msg: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, msg);
}

/** A cursor over a buffer for zigzag varints. */
export class Reader {
  buf: Buffer;
  pos: number;
  end: number;
  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }
  varint(): number {
    let raw = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw corrupt('truncated varint');
      const b = this.buf[this.pos++];
      raw |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
      if (shift > 28) throw corrupt('varint too long');
    }
    return (raw >>> 1) ^ -(raw & 1);
  }
  /** A zigzag varlong as a number (exact within ±2^53, enough for timestamp deltas). */
  varlong(): number {
    let raw = 0n;
    let shift = 0n;
    let small = 0;
    let mult = 1;
    let i = 0;
    for (;;) {
      if (this.pos >= this.end) throw corrupt('truncated varlong');
      const b = this.buf[this.pos++];
      if (i < 7) { small += (b & 0x7f) * mult; mult *= 128; } else {
        if (i === 7) { raw = BigInt(small); shift = 49n; }
        raw |= BigInt(b & 0x7f) << shift;
        shift += 7n;
      }
      i++;
      if ((b & 0x80) === 0) break;
      if (i >= 10) throw corrupt('varlong too long');
    }
    if (i <= 7) return small % 2 === 0 ? small / 2 : -(small + 1) / 2;
    const v = (raw >> 1n) ^ -(raw & 1n);
    return Number(v);
  }
  bytes(len: number): Buffer {
    if (len < 0 || this.pos + len > this.end) throw corrupt('truncated record field');
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }
  nullableBytes(): Buffer | null {
    const len = this.varint();
    if (len < -1) throw corrupt(`invalid length ${len}`);
    return len === -1 ? null : this.bytes(len);
  }
}

export function varintSize(v: number): number {
  let z = ((v << 1) ^ (v >> 31)) >>> 0;
  let n = 1;
  while (z >= 0x80) { z >>>= 7; n++; }
  return n;
}

export function writeVarint(buf: Buffer, pos: number, v: number): number {
  let z = ((v << 1) ^ (v >> 31)) >>> 0;
  while (z >= 0x80) { buf[pos++] = (z & 0x7f) | 0x80; z >>>= 7; }
  buf[pos++] = z;
  return pos;
}

function zigzag64(v: bigint): bigint {
  return BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
}

export function varlongSize(v: bigint): number {
  let z = zigzag64(v);
  let n = 1;
  while (z >= 0x80n) { z >>= 7n; n++; }
  return n;
}

export function writeVarlong(buf: Buffer, pos: number, v: bigint): number {
  if (v >= -0x3fffffffn && v <= 0x3fffffffn) return writeVarint(buf, pos, Number(v));
  let z = zigzag64(v);
  while (z >= 0x80n) { buf[pos++] = Number(z & 0x7fn) | 0x80; z >>= 7n; }
  buf[pos++] = Number(z);
  return pos;
}

/** The uncompressed records section of a batch (decompressing with a size cap if needed). */
export function recordsPayload(batch: RecordBatch, maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer {
  return decompress(batch.compression, batch.recordsData, maxDecompressedBytes);
}

/**
 * Decodes every record of a batch. Control batches decode the same way. A record count that
 * does not match the bytes is CORRUPT_MESSAGE (Kafka's "records still remaining" check).
 */
export function decodeRecords(batch: RecordBatch, maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): Record[] {
  const data = recordsPayload(batch, maxDecompressedBytes);
  const count = batch.recordCount;
  const baseOffset = batch.baseOffset;
  const baseTimestamp = batch.baseTimestamp;
  const logAppendTime = batch.isLogAppendTime ? batch.maxTimestamp : null;
  const out: Record[] = [];
  const r = new Reader(data);
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    if (length < 6 || r.pos + length > r.end) throw corrupt(`invalid record length ${length}`);
    const end = r.pos + length;
    const inner = new Reader(data, r.pos, end);
    const attributes = data[inner.pos++];
    const timestampDelta = inner.varlong();
    const offsetDelta = inner.varint();
    const key = inner.nullableBytes();
    const value = inner.nullableBytes();
    const headerCount = inner.varint();
    if (headerCount < 0) throw corrupt(`invalid header count ${headerCount}`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const klen = inner.varint();
      if (klen < 0) throw corrupt('null header key');
      const k = inner.bytes(klen).toString('utf8');
      headers.push({ key: k, value: inner.nullableBytes() });
    }
    if (inner.pos !== end) throw corrupt('record length does not match its fields');
    r.pos = end;
    out.push({
      attributes, timestampDelta, offsetDelta, key, value, headers,
      offset: baseOffset + BigInt(offsetDelta),
      timestamp: logAppendTime ?? baseTimestamp + BigInt(timestampDelta),
    });
  }
  if (r.pos !== r.end) throw corrupt('incorrect declared batch size: records still remaining');
  return out;
}

export interface RecordInput {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  headers?: { key: string; value: Buffer | string | null }[];
  /** Defaults to the builder's `now`. */
  timestamp?: bigint | number;
  /** Defaults to the next delta; set it to keep gaps (compaction). */
  offsetDelta?: number;
}

export interface BatchOptions {
  compression?: number;
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  logAppendTime?: boolean;
  /** KIP-534 delete horizon: stored in baseTimestamp with attribute bit 6. */
  deleteHorizonMs?: bigint;
  /** Overrides lastOffsetDelta (compaction keeps the original batch's range). */
  lastOffsetDelta?: number;
  now?: number;
}

const toBuf = (v: Buffer | string | null | undefined): Buffer | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? Buffer.from(v) : v;

/** Builds one v2 batch from records. */
export class RecordBatchBuilder {
  readonly opts: BatchOptions;
  private readonly records: { key: Buffer | null; value: Buffer | null; headers: { key: Buffer; value: Buffer | null }[]; timestamp: bigint; offsetDelta: number }[] = [];
  constructor(opts: BatchOptions = {}) {
    this.opts = opts;
  }
  get count(): number { return this.records.length; }

  add(rec: RecordInput): this {
    const offsetDelta = rec.offsetDelta ?? (this.records.length ? this.records[this.records.length - 1].offsetDelta + 1 : 0);
    this.records.push({
      key: toBuf(rec.key),
      value: toBuf(rec.value),
      headers: (rec.headers ?? []).map((h) => ({ key: Buffer.from(h.key), value: toBuf(h.value) })),
      timestamp: BigInt(rec.timestamp ?? this.opts.now ?? Date.now()),
      offsetDelta,
    });
    return this;
  }

  build(): Buffer {
    const o = this.opts;
    if (this.records.length === 0 && o.lastOffsetDelta === undefined) throw new Error('a batch needs at least one record');
    let firstTs = this.records.length ? this.records[0].timestamp : BigInt(o.now ?? Date.now());
    let maxTs = -1n;
    for (const r of this.records) { if (r.timestamp > maxTs) maxTs = r.timestamp; if (r.timestamp < firstTs) firstTs = r.timestamp; }
    const baseTimestamp = o.deleteHorizonMs ?? (this.records.length ? this.records[0].timestamp : firstTs);
    // Encode records.
    let size = 0;
    const sizes: number[] = [];
    for (const r of this.records) {
      let body = 1 + varlongSize(r.timestamp - baseTimestamp) + varintSize(r.offsetDelta);
      body += r.key ? varintSize(r.key.length) + r.key.length : 1;
      body += r.value ? varintSize(r.value.length) + r.value.length : 1;
      body += varintSize(r.headers.length);
      for (const h of r.headers) {
        body += varintSize(h.key.length) + h.key.length;
        body += h.value ? varintSize(h.value.length) + h.value.length : 1;
      }
      sizes.push(body);
      size += varintSize(body) + body;
    }
    const raw = Buffer.allocUnsafe(size);
    let p = 0;
    for (let i = 0; i < this.records.length; i++) {
      const r = this.records[i];
      p = writeVarint(raw, p, sizes[i]);
      raw[p++] = 0;
      p = writeVarlong(raw, p, r.timestamp - baseTimestamp);
      p = writeVarint(raw, p, r.offsetDelta);
      if (r.key) { p = writeVarint(raw, p, r.key.length); p += r.key.copy(raw, p); } else p = writeVarint(raw, p, -1);
      if (r.value) { p = writeVarint(raw, p, r.value.length); p += r.value.copy(raw, p); } else p = writeVarint(raw, p, -1);
      p = writeVarint(raw, p, r.headers.length);
      for (const h of r.headers) {
        p = writeVarint(raw, p, h.key.length); p += h.key.copy(raw, p);
        if (h.value) { p = writeVarint(raw, p, h.value.length); p += h.value.copy(raw, p); } else p = writeVarint(raw, p, -1);
      }
    }
    const codec = o.compression ?? 0;
    const payload = codec === 0 ? raw : compress(codec, raw);
    const batch = Buffer.allocUnsafe(BATCH_HEADER_SIZE + payload.length);
    let attributes = codec & COMPRESSION_MASK;
    if (o.logAppendTime) attributes |= TIMESTAMP_TYPE_BIT;
    if (o.transactional) attributes |= TRANSACTIONAL_BIT;
    if (o.control) attributes |= CONTROL_BIT;
    if (o.deleteHorizonMs !== undefined) attributes |= DELETE_HORIZON_BIT;
    const lastOffsetDelta = o.lastOffsetDelta ?? (this.records.length ? this.records[this.records.length - 1].offsetDelta : 0);
    batch.writeBigInt64BE(o.baseOffset ?? 0n, 0);
    batch.writeInt32BE(batch.length - LOG_OVERHEAD, 8);
    batch.writeInt32BE(o.partitionLeaderEpoch ?? -1, 12);
    batch.writeInt8(2, 16);
    batch.writeInt16BE(attributes, ATTRIBUTES);
    batch.writeInt32BE(lastOffsetDelta, 23);
    batch.writeBigInt64BE(baseTimestamp, 27);
    batch.writeBigInt64BE(o.logAppendTime ? BigInt(o.now ?? Date.now()) : maxTs, 35);
    batch.writeBigInt64BE(o.producerId ?? -1n, 43);
    batch.writeInt16BE(o.producerEpoch ?? -1, 51);
    batch.writeInt32BE(o.baseSequence ?? -1, 53);
    batch.writeInt32BE(this.records.length, 57);
    payload.copy(batch, BATCH_HEADER_SIZE);
    batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES)) >>> 0, CRC);
    return batch;
  }
}

/** Convenience: one batch from records. */
export function buildBatch(records: RecordInput[], opts: BatchOptions = {}): Buffer {
  const b = new RecordBatchBuilder(opts);
  for (const r of records) b.add(r);
  return b.build();
}
