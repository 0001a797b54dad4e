// Hash keys, shard ids, sequence numbers and shard iterators.
//
// Sequence numbers. A Kinesis shard is a Kafka partition, so a record is named by
// (partition, offset). The sequence number is the decimal string of
//
//     2^184 + partition * 2^64 + (offset + 1)
//
// which is always 56 digits long (like AWS's), increases with the offset within a
// shard, and decodes back to (partition, offset) without any lookup. A sequence
// number of another shard is recognised as such. The value for offset -1 (the
// shard's StartingSequenceNumber) names the position before the first record, so
// AFTER_SEQUENCE_NUMBER of it, or of a ContinuationSequenceNumber sent before any
// record, starts at offset 0.
//
// Shard iterators are self-contained: version, issue time, partition, next offset
// and stream name, signed with HMAC-SHA256 (truncated to 16 bytes) under a secret
// that all emulator replicas share (kept in the metadata topic), base64-encoded.
// They expire ITERATOR_TTL_MS after issue (ExpiredIteratorException).

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { KinesisError } from './wire.ts';

export const MAX_HASH_KEY = (1n << 128n) - 1n;
export const ITERATOR_TTL_MS = 5 * 60_000;

const SEQ_BASE = 1n << 184n;
const OFFSET_MASK = (1n << 64n) - 1n;

export function hashKeyOf(partitionKey: string): bigint {
  return BigInt('0x' + createHash('md5').update(partitionKey, 'utf8').digest('hex'));
}

export function parseExplicitHashKey(v: string): bigint {
  if (!/^\d{1,39}$/.test(v)) throw new KinesisError('InvalidArgumentException', `Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was ${v}`);
  const n = BigInt(v);
  if (n > MAX_HASH_KEY) throw new KinesisError('InvalidArgumentException', `Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was ${v}`);
  return n;
}

/** Splits [0, 2^128) into `n` ranges the way AWS does for a new stream. */
export function evenRanges(n: number): Array<[bigint, bigint]> {
  const out: Array<[bigint, bigint]> = [];
  if (n < 1) return out;
  const size = (MAX_HASH_KEY + 1n) / BigInt(n);
  for (let i = 0; i < n; i++) {
    const start = size * BigInt(i);
    const end = i === n - 1 ? MAX_HASH_KEY : size * BigInt(i + 1) - 1n;
    out.push([start, end]);
  }
  return out;
}

export function shardIdOf(partition: number): string {
  return 'shardId-' + String(partition).padStart(12, '0');
}

/** Partition index of a shard id (`shardId-000000000007` or just `7`-style suffixes AWS accepts), or null. */
export function partitionOfShardId(id: string): number | null {
  const m = /^(?:shardId-)?(\d{1,12})$/.exec(id);
  return m ? Number(m[1]) : null;
}

const seqBases: bigint[] = [];

export function sequenceNumber(partition: number, offset: bigint): string {
  const base = (seqBases[partition] ??= SEQ_BASE + (BigInt(partition) << 64n) + 1n);
  return (base + offset).toString();
}

export function parseSequenceNumber(s: string): { partition: number; offset: bigint } | null {
  if (!/^\d{1,128}$/.test(s)) return null;
  const n = BigInt(s) - SEQ_BASE;
  if (n < 0n || n >= 1n << 128n) return null;
  return { partition: Number(n >> 64n), offset: (n & OFFSET_MASK) - 1n };
}

export interface IteratorState {
  stream: string;
  partition: number;
  offset: bigint;
  issuedAt: number;
}

export class IteratorCodec {
  readonly #secret: Buffer;
  constructor(secret: Buffer) {
    this.#secret = secret;
  }

  #mac(body: Buffer): Buffer {
    return createHmac('sha256', this.#secret).update(body).digest().subarray(0, 16);
  }

  encode(st: Omit<IteratorState, 'issuedAt'>, now = Date.now()): string {
    const name = Buffer.from(st.stream, 'utf8');
    const body = Buffer.alloc(1 + 8 + 4 + 8 + name.length);
    body.writeUInt8(1, 0);
    body.writeBigUInt64BE(BigInt(now), 1);
    body.writeUInt32BE(st.partition, 9);
    body.writeBigUInt64BE(st.offset, 13);
    name.copy(body, 21);
    return Buffer.concat([body, this.#mac(body)]).toString('base64');
  }

  /** Verifies and decodes; InvalidArgumentException when forged/garbled, ExpiredIteratorException when old. */
  decode(token: string, now = Date.now()): IteratorState {
    const bad = () => new KinesisError('InvalidArgumentException', `Invalid ShardIterator.`);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(token)) throw bad();
    const raw = Buffer.from(token, 'base64');
    if (raw.length < 1 + 8 + 4 + 8 + 1 + 16 || raw[0] !== 1) throw bad();
    const body = raw.subarray(0, raw.length - 16);
    const mac = raw.subarray(raw.length - 16);
    if (!timingSafeEqual(mac, this.#mac(body))) throw bad();
    const issuedAt = Number(body.readBigUInt64BE(1));
    const st: IteratorState = {
      issuedAt,
      partition: body.readUInt32BE(9),
      offset: body.readBigUInt64BE(13),
      stream: body.subarray(21).toString('utf8'),
    };
    if (now - issuedAt > ITERATOR_TTL_MS) {
      throw new KinesisError('ExpiredIteratorException', `Iterator expired. The iterator was created at time ${new Date(issuedAt).toUTCString()} while right now it is ${new Date(now).toUTCString()} which is further in the future than the tolerated delay of 300000 milliseconds.`);
    }
    return st;
  }
}
