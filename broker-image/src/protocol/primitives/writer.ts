// A growable big-endian writer over one Buffer: fields are written in place,
// and the buffer doubles when full, so encoding allocates O(log n) times per
// message rather than once per field. Large byte fields (record sets) are not
// copied in: they are kept by reference between segments of the buffer, so a
// 6 MiB Fetch response is copied once (finish) or not at all (finishChunks).

import { ProtocolError } from './protocol-error.ts';

const ZERO_UUID = Buffer.alloc(16);

/** Byte fields at least this long are referenced rather than copied. */
export const REFERENCE_THRESHOLD = 16 * 1024;

export class Writer {
  /** The buffer being written at `pos` (after a reference, the unused rest of the previous one). */
  buf: Buffer;
  pos = 0;
  /** Completed segments: views of bytes written before a reference, and the referenced buffers. */
  private segments: Buffer[] | null = null;
  /** Bytes in `segments`. */
  private segmented = 0;
  /** >0 inside sized(), where everything must be contiguous. */
  private sizedDepth = 0;

  constructor(initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(initialCapacity);
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = Math.max(this.buf.length * 2, 256);
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Total bytes written. */
  get length(): number {
    return this.segmented + this.pos;
  }

  /** The bytes written as one Buffer: a view when nothing was referenced, else one copy. */
  finish(): Buffer {
    if (this.segments === null) return this.buf.subarray(0, this.pos);
    return Buffer.concat(this.finishChunks(), this.length);
  }

  /** The bytes written as a list of buffers, without copying (for writev / cork). */
  finishChunks(): Buffer[] {
    const tail = this.buf.subarray(0, this.pos);
    if (this.segments === null) return [tail];
    return tail.length > 0 ? [...this.segments, tail] : [...this.segments];
  }

  /**
   * Appends src; a large one by reference, not copied (the caller must not
   * modify it until the output is written out).
   */
  rawRef(src: Buffer): void {
    if (src.length < REFERENCE_THRESHOLD || this.sizedDepth > 0) {
      this.raw(src);
      return;
    }
    const segments = (this.segments ??= []);
    if (this.pos > 0) segments.push(this.buf.subarray(0, this.pos));
    segments.push(src);
    this.segmented += this.pos + src.length;
    // Go on writing in the unused rest of the buffer: the segment views stay untouched.
    this.buf = this.buf.subarray(this.pos);
    this.pos = 0;
  }

  int8(v: number): void {
    if (this.pos + 1 > this.buf.length) this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  uint8(v: number): void {
    if (this.pos + 1 > this.buf.length) this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  bool(v: boolean): void {
    if (this.pos + 1 > this.buf.length) this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  int16(v: number): void {
    if (this.pos + 2 > this.buf.length) this.ensure(2);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = (v >>> 8) & 0xff;
    buf[p + 1] = v & 0xff;
    this.pos = p + 2;
  }

  uint16(v: number): void {
    this.int16(v);
  }

  int32(v: number): void {
    if (this.pos + 4 > this.buf.length) this.ensure(4);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = (v >>> 24) & 0xff;
    buf[p + 1] = (v >>> 16) & 0xff;
    buf[p + 2] = (v >>> 8) & 0xff;
    buf[p + 3] = v & 0xff;
    this.pos = p + 4;
  }

  uint32(v: number): void {
    this.int32(v);
  }

  int64(v: bigint | number): void {
    this.ensure(8);
    this.pos = this.buf.writeBigInt64BE(typeof v === 'bigint' ? v : BigInt(v), this.pos);
  }

  float64(v: number): void {
    this.ensure(8);
    this.pos = this.buf.writeDoubleBE(v, this.pos);
  }

  /** Unsigned varint, 0 .. 2^32-1. */
  uvarint(v: number): void {
    this.ensure(5);
    const buf = this.buf;
    let u = v >>> 0;
    while (u >= 0x80) {
      buf[this.pos++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    buf[this.pos++] = u;
  }

  /** Zigzag signed varint (32-bit). */
  varint(v: number): void {
    this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  uvarlong(v: bigint): void {
    this.ensure(10);
    let u = BigInt.asUintN(64, v);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  /** Zigzag signed varlong (64-bit). */
  varlong(v: bigint | number): void {
    const b = BigInt.asIntN(64, typeof v === 'bigint' ? v : BigInt(v));
    this.uvarlong(BigInt.asUintN(64, (b << 1n) ^ (b >> 63n)));
  }

  uuid(v: Buffer | null | undefined): void {
    const src = v ?? ZERO_UUID;
    if (src.length !== 16) throw new ProtocolError(`uuid must be 16 bytes, got ${src.length}`);
    this.raw(src);
  }

  raw(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.pos);
    this.pos += src.length;
  }

  /** Writes s as UTF-8 after its length (int16, or unsigned varint N+1 when compact). */
  /**
   * Writes s's bytes at `at` if it is short and pure ASCII (the common case:
   * topic names, client ids), returning the count; -1 otherwise (nothing written).
   */
  private ascii(s: string, at: number): number {
    const n = s.length;
    if (n > 64) return -1;
    const buf = this.buf;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) return -1;
      buf[at + i] = c;
    }
    return n;
  }

  /** Writes s as UTF-8 after its length (int16, or unsigned varint N+1 when compact). */
  private utf8(s: string, compact: boolean): void {
    // Worst case 3 bytes per UTF-16 unit; write, then fix up if the guess was off.
    const max = s.length * 3;
    if (compact) {
      if (max < 0x7f) {
        // Length fits one varint byte whatever the encoding turns out to be.
        this.ensure(1 + max);
        const start = this.pos + 1;
        let written = this.ascii(s, start);
        if (written < 0) written = this.buf.write(s, start, max, 'utf8');
        this.buf[this.pos] = written + 1;
        this.pos = start + written;
      } else {
        const n = Buffer.byteLength(s, 'utf8');
        this.uvarint(n + 1);
        this.ensure(n);
        this.pos += this.buf.write(s, this.pos, n, 'utf8');
      }
    } else {
      this.ensure(2 + max);
      let written = this.ascii(s, this.pos + 2);
      if (written < 0) written = this.buf.write(s, this.pos + 2, max, 'utf8');
      if (written > 0x7fff) throw new ProtocolError(`string of ${written} bytes is too long`);
      this.buf[this.pos] = written >>> 8;
      this.buf[this.pos + 1] = written & 0xff;
      this.pos += 2 + written;
    }
  }

  string(s: string): void {
    this.utf8(s, false);
  }

  nullableString(s: string | null): void {
    if (s === null) this.int16(-1);
    else this.utf8(s, false);
  }

  compactString(s: string): void {
    this.utf8(s, true);
  }

  compactNullableString(s: string | null): void {
    if (s === null) this.uvarint(0);
    else this.utf8(s, true);
  }

  bytes(b: Uint8Array): void {
    this.int32(b.length);
    this.raw(b);
  }

  nullableBytes(b: Uint8Array | null): void {
    if (b === null) this.int32(-1);
    else this.bytes(b);
  }

  compactBytes(b: Uint8Array): void {
    this.uvarint(b.length + 1);
    this.raw(b);
  }

  compactNullableBytes(b: Uint8Array | null): void {
    if (b === null) this.uvarint(0);
    else this.compactBytes(b);
  }

  /** Array length prefix: int32 (classic) or unsigned varint N+1 (compact); null = -1 / 0. */
  arrayLength(n: number | null, compact: boolean): void {
    if (compact) this.uvarint(n === null ? 0 : n + 1);
    else this.int32(n === null ? -1 : n);
  }

  /**
   * Writes something whose byte length must precede it as an unsigned varint
   * (a tagged field's value): writes it first, then shifts it right to make
   * room for the length, which for small values is a one-byte move.
   */
  sized(write: () => void): void {
    this.ensure(1);
    const start = this.pos + 1;
    this.pos = start;
    this.sizedDepth++;
    try {
      write();
    } finally {
      this.sizedDepth--;
    }
    const end = this.pos;
    const size = end - start;
    let lenBytes = 1;
    for (let u = size; u >= 0x80; u >>>= 7) lenBytes++;
    if (lenBytes > 1) {
      this.ensure(lenBytes - 1); // copies [0, end) if it grows
      this.buf.copyWithin(start + lenBytes - 1, start, end);
    }
    const buf = this.buf;
    let p = start - 1;
    let u = size;
    while (u >= 0x80) {
      buf[p++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    buf[p++] = u;
    this.pos = p + size;
  }
}
