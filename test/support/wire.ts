// Hand-built Kafka requests over raw TCP, independent of the broker's own protocol
// code: for malformed-input tests and for checking what the broker stores
// (e.g. the codec bits of the batches a client produced).
import net from 'node:net';

// ---------------------------------------------------------------------------
// Encoding

export class Writer {
  private parts: Buffer[] = [];
  int8(v: number): this {
    const b = Buffer.alloc(1);
    b.writeInt8(v);
    this.parts.push(b);
    return this;
  }
  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  uint32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    this.parts.push(b);
    return this;
  }
  int64(v: bigint | number): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(v));
    this.parts.push(b);
    return this;
  }
  /** int16-length string; null → -1 */
  string(s: string | null): this {
    if (s === null) return this.int16(-1);
    const b = Buffer.from(s, 'utf8');
    return this.int16(b.length).raw(b);
  }
  /** int32-length bytes; null → -1 */
  bytes(b: Buffer | null): this {
    if (b === null) return this.int32(-1);
    return this.int32(b.length).raw(b);
  }
  uvarint(v: number): this {
    const out: number[] = [];
    let x = v >>> 0;
    while (x > 0x7f) {
      out.push((x & 0x7f) | 0x80);
      x >>>= 7;
    }
    out.push(x);
    this.parts.push(Buffer.from(out));
    return this;
  }
  varint(v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }
  varlong(v: bigint): this {
    let z = (v << 1n) ^ (v >> 63n);
    z &= (1n << 64n) - 1n;
    const out: number[] = [];
    while (z > 0x7fn) {
      out.push(Number(z & 0x7fn) | 0x80);
      z >>= 7n;
    }
    out.push(Number(z));
    this.parts.push(Buffer.from(out));
    return this;
  }
  /** compact (uvarint length+1) string */
  compactString(s: string | null): this {
    if (s === null) return this.uvarint(0);
    const b = Buffer.from(s, 'utf8');
    return this.uvarint(b.length + 1).raw(b);
  }
  array<T>(items: T[], each: (w: this, item: T) => void): this {
    this.int32(items.length);
    for (const it of items) each(this, it);
    return this;
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export class Reader {
  off = 0;
  readonly buf: Buffer;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  int8(): number {
    const v = this.buf.readInt8(this.off);
    this.off += 1;
    return v;
  }
  int16(): number {
    const v = this.buf.readInt16BE(this.off);
    this.off += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.off);
    this.off += 4;
    return v;
  }
  int64(): bigint {
    const v = this.buf.readBigInt64BE(this.off);
    this.off += 8;
    return v;
  }
  string(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    const s = this.buf.toString('utf8', this.off, this.off + n);
    this.off += n;
    return s;
  }
  bytes(): Buffer | null {
    const n = this.int32();
    if (n < 0) return null;
    const b = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return b;
  }
  array<T>(each: (r: Reader) => T): T[] {
    const n = this.int32();
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(each(this));
    return out;
  }
  get remaining(): number {
    return this.buf.length - this.off;
  }
}

// ---------------------------------------------------------------------------
// CRC-32C (Castagnoli), as record batches v2 use

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32c(b: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------
// Record batch v2 (uncompressed)

export interface SimpleRecord {
  key: Buffer | null;
  value: Buffer | null;
}

export function recordBatch(records: SimpleRecord[], opts: { timestamp?: bigint; corruptCrc?: boolean } = {}): Buffer {
  const ts = opts.timestamp ?? BigInt(Date.now());
  const recs = new Writer();
  records.forEach((r, i) => {
    const body = new Writer().int8(0).varlong(0n).varint(i);
    if (r.key === null) body.varint(-1);
    else body.varint(r.key.length).raw(r.key);
    if (r.value === null) body.varint(-1);
    else body.varint(r.value.length).raw(r.value);
    body.uvarint(0); // no headers (varint 0 == zigzag 0)
    const b = body.build();
    recs.varint(b.length).raw(b);
  });
  const afterCrc = new Writer()
    .int16(0) // attributes: no compression, CreateTime
    .int32(records.length - 1)
    .int64(ts)
    .int64(ts)
    .int64(-1n) // producerId
    .int16(-1) // producerEpoch
    .int32(-1) // baseSequence
    .int32(records.length)
    .raw(recs.build())
    .build();
  let crc = crc32c(afterCrc);
  if (opts.corruptCrc) crc = (crc ^ 0xdeadbeef) >>> 0;
  const tail = new Writer().int32(-1).int8(2).uint32(crc).raw(afterCrc).build(); // leaderEpoch, magic, crc
  return new Writer().int64(0n).int32(tail.length).raw(tail).build();
}

export interface BatchHeader {
  baseOffset: bigint;
  batchLength: number;
  lastOffsetDelta: number;
  attributes: number;
  codec: number;
  recordCount: number;
  magic: number;
}

/** Parses the batch headers of a Fetch response's records (a trailing partial batch is ignored). */
export function parseBatchHeaders(records: Buffer): BatchHeader[] {
  const out: BatchHeader[] = [];
  let off = 0;
  while (off + 61 <= records.length) {
    const baseOffset = records.readBigInt64BE(off);
    const batchLength = records.readInt32BE(off + 8);
    if (off + 12 + batchLength > records.length) break;
    const magic = records.readInt8(off + 16);
    const attributes = records.readInt16BE(off + 21);
    out.push({
      baseOffset,
      batchLength,
      magic,
      attributes,
      codec: attributes & 7,
      lastOffsetDelta: records.readInt32BE(off + 23),
      recordCount: records.readInt32BE(off + 57),
    });
    off += 12 + batchLength;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Connection

export class RawConnection {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;
  private correlation = 1;
  private closedP: Promise<void>;
  private readonly sock: net.Socket;

  private constructor(sock: net.Socket) {
    this.sock = sock;
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    this.closedP = new Promise((res) => {
      sock.on('close', () => {
        this.closed = true;
        this.wake();
        res();
      });
    });
    sock.on('error', () => {});
  }

  static connect(host: string, port: number, timeoutMs = 10_000): Promise<RawConnection> {
    return new Promise((res, rej) => {
      const s = net.connect({ host, port });
      const t = setTimeout(() => {
        s.destroy();
        rej(new Error(`connect ${host}:${port} timed out`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(t);
        res(new RawConnection(s));
      });
      s.once('error', (e) => {
        clearTimeout(t);
        rej(e);
      });
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(b: Buffer): void {
    this.sock.write(b);
  }

  /** Sends a request with header v1 (or v2 for flexible versions) and returns its correlation id. */
  send(apiKey: number, apiVersion: number, body: Buffer, opts: { flexibleHeader?: boolean; clientId?: string } = {}): number {
    const correlationId = this.correlation++;
    const h = new Writer().int16(apiKey).int16(apiVersion).int32(correlationId).string(opts.clientId ?? 'tributary-wire-test');
    if (opts.flexibleHeader) h.uvarint(0); // no tagged fields
    const payload = Buffer.concat([h.build(), body]);
    this.write(new Writer().int32(payload.length).raw(payload).build());
    return correlationId;
  }

  /** Next response frame (without its size prefix); null if the connection closed first. */
  async readFrame(timeoutMs = 10_000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buf.length >= 4) {
        const n = this.buf.readInt32BE(0);
        if (this.buf.length >= 4 + n) {
          const frame = this.buf.subarray(4, 4 + n);
          this.buf = this.buf.subarray(4 + n);
          return Buffer.from(frame);
        }
      }
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response within ${timeoutMs} ms`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  /** Sends a request and reads its response; returns a Reader positioned after the v0 response header. */
  async request(apiKey: number, apiVersion: number, body: Buffer, opts: { flexibleHeader?: boolean; timeoutMs?: number } = {}): Promise<Reader> {
    const id = this.send(apiKey, apiVersion, body, opts);
    const frame = await this.readFrame(opts.timeoutMs);
    if (!frame) throw new Error(`connection closed instead of a response to api ${apiKey} v${apiVersion}`);
    const r = new Reader(frame);
    const got = r.int32();
    if (got !== id) throw new Error(`correlation id ${got}, expected ${id}`);
    return r;
  }

  /** Resolves true if the peer closes the connection within timeoutMs. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    if (this.closed) return true;
    let t: NodeJS.Timeout | undefined;
    const r = await Promise.race([this.closedP.then(() => true), new Promise<boolean>((res) => (t = setTimeout(() => res(false), timeoutMs)))]);
    clearTimeout(t);
    return r;
  }

  close(): void {
    this.sock.destroy();
  }
}

// ---------------------------------------------------------------------------
// A few requests, by hand

export const API = { Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, ApiVersions: 18, CreateTopics: 19 } as const;

export interface ApiVersionsResult {
  errorCode: number;
  apis: { apiKey: number; min: number; max: number }[];
}

/** ApiVersions v0 request (empty body) → parsed v0 response. */
export async function apiVersionsV0(c: RawConnection): Promise<ApiVersionsResult> {
  const r = await c.request(API.ApiVersions, 0, Buffer.alloc(0));
  return { errorCode: r.int16(), apis: r.array((x) => ({ apiKey: x.int16(), min: x.int16(), max: x.int16() })) };
}

export interface ProducePartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
  baseOffset: bigint;
}

/** Produce v3 with one batch for one partition. */
export async function produceV3(c: RawConnection, topic: string, partition: number, batch: Buffer, acks = -1): Promise<ProducePartitionResult[]> {
  const body = new Writer()
    .string(null)
    .int16(acks)
    .int32(10_000)
    .array([topic], (w, t) => w.string(t).array([partition], (w2, p) => w2.int32(p).bytes(batch)))
    .build();
  const r = await c.request(API.Produce, 3, body);
  const out: ProducePartitionResult[] = [];
  r.array((x) => {
    const name = x.string()!;
    x.array((y) => {
      out.push({ topic: name, partition: y.int32(), errorCode: y.int16(), baseOffset: y.int64() });
      y.int64(); // log_append_time
    });
  });
  return out;
}

export interface FetchPartitionResult {
  errorCode: number;
  highWatermark: bigint;
  records: Buffer;
}

/** Fetch v4 of one partition from `offset`. */
export async function fetchV4(c: RawConnection, topic: string, partition: number, offset: bigint, maxBytes = 1 << 20): Promise<FetchPartitionResult> {
  const body = new Writer()
    .int32(-1)
    .int32(500) // max wait
    .int32(1) // min bytes
    .int32(maxBytes)
    .int8(0)
    .array([topic], (w, t) => w.string(t).array([partition], (w2, p) => w2.int32(p).int64(offset).int32(maxBytes)))
    .build();
  const r = await c.request(API.Fetch, 4, body);
  r.int32(); // throttle
  let result: FetchPartitionResult | undefined;
  r.array((x) => {
    x.string();
    x.array((y) => {
      y.int32();
      const errorCode = y.int16();
      const highWatermark = y.int64();
      y.int64(); // last stable offset
      const aborted = y.int32();
      for (let i = 0; i < aborted; i++) {
        y.int64();
        y.int64();
      }
      const records = y.bytes() ?? Buffer.alloc(0);
      result = { errorCode, highWatermark, records };
    });
  });
  if (!result) throw new Error('fetch response had no partition');
  return result;
}

/** ListOffsets v1: timestamp -2 earliest, -1 latest. */
export async function listOffsetV1(c: RawConnection, topic: string, partition: number, timestamp: bigint): Promise<{ errorCode: number; offset: bigint }> {
  const body = new Writer()
    .int32(-1)
    .array([topic], (w, t) => w.string(t).array([partition], (w2, p) => w2.int32(p).int64(timestamp)))
    .build();
  const r = await c.request(API.ListOffsets, 1, body);
  let out: { errorCode: number; offset: bigint } | undefined;
  r.array((x) => {
    x.string();
    x.array((y) => {
      y.int32();
      const errorCode = y.int16();
      y.int64();
      out = { errorCode, offset: y.int64() };
    });
  });
  if (!out) throw new Error('list offsets response had no partition');
  return out;
}

/** Codec ids of every batch in a partition, reading it all with Fetch v4. */
export async function partitionBatches(host: string, port: number, topic: string, partition: number): Promise<BatchHeader[]> {
  const c = await RawConnection.connect(host, port);
  try {
    const out: BatchHeader[] = [];
    let offset = 0n;
    for (;;) {
      const f = await fetchV4(c, topic, partition, offset);
      if (f.errorCode !== 0) throw new Error(`fetch ${topic}/${partition}@${offset}: error ${f.errorCode}`);
      const batches = parseBatchHeaders(f.records).filter((b) => b.baseOffset + BigInt(b.lastOffsetDelta) >= offset);
      if (batches.length === 0) break;
      out.push(...batches);
      const last = batches[batches.length - 1];
      offset = last.baseOffset + BigInt(last.lastOffsetDelta) + 1n;
      if (offset >= f.highWatermark) break;
    }
    return out;
  } finally {
    c.close();
  }
}
