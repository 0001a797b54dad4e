// A bounds-checked cursor over a Buffer. Every length read from the wire is
// checked against the bytes that remain BEFORE anything is allocated, so a
// hostile length costs nothing. Byte fields are returned as zero-copy views
// (subarray) of the input: they alias the frame, which the caller owns.

import { ProtocolError } from './protocol-error.ts';

const ZERO_UUID = Buffer.alloc(16);

export class Reader {
  readonly buf: Buffer;
  offset: number;
  readonly end: number;

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    this.buf = buf;
    this.offset = offset;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.offset;
  }

  /** Throws unless n more bytes are available. */
  need(n: number, what: string): void {
    if (n > this.end - this.offset) {
      throw new ProtocolError(`truncated ${what}: need ${n} bytes, ${this.end - this.offset} left at offset ${this.offset}`);
    }
  }

  int8(): number {
    if (this.offset + 1 > this.end) this.need(1, 'int8');
    return (this.buf[this.offset++]! << 24) >> 24;
  }

  uint8(): number {
    if (this.offset + 1 > this.end) this.need(1, 'uint8');
    return this.buf[this.offset++]!;
  }

  bool(): boolean {
    return this.uint8() !== 0;
  }

  int16(): number {
    const o = this.offset;
    if (o + 2 > this.end) this.need(2, 'int16');
    const buf = this.buf;
    this.offset = o + 2;
    return (((buf[o]! << 8) | buf[o + 1]!) << 16) >> 16;
  }

  uint16(): number {
    const o = this.offset;
    if (o + 2 > this.end) this.need(2, 'uint16');
    const buf = this.buf;
    this.offset = o + 2;
    return (buf[o]! << 8) | buf[o + 1]!;
  }

  int32(): number {
    const o = this.offset;
    if (o + 4 > this.end) this.need(4, 'int32');
    const buf = this.buf;
    this.offset = o + 4;
    return (buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!;
  }

  uint32(): number {
    const o = this.offset;
    if (o + 4 > this.end) this.need(4, 'uint32');
    const buf = this.buf;
    this.offset = o + 4;
    return ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
  }

  int64(): bigint {
    if (this.offset + 8 > this.end) this.need(8, 'int64');
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  float64(): number {
    if (this.offset + 8 > this.end) this.need(8, 'float64');
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  /** Unsigned LEB128 varint of at most 32 bits (5 bytes). */
  uvarint(): number {
    const buf = this.buf;
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (this.offset >= this.end) this.need(1, 'varint');
      const b = buf[this.offset++]!;
      if (i === 4 && b > 0x0f) throw new ProtocolError('varint is longer than 32 bits');
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
    throw new ProtocolError('varint is longer than 5 bytes');
  }

  /** Zigzag-encoded signed 32-bit varint. */
  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Unsigned LEB128 varlong of at most 64 bits (10 bytes). */
  uvarlong(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.end) this.need(1, 'varlong');
      const b = this.buf[this.offset++]!;
      if (i === 9 && b > 0x01) throw new ProtocolError('varlong is longer than 64 bits');
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    throw new ProtocolError('varlong is longer than 10 bytes');
  }

  /** Zigzag-encoded signed 64-bit varlong. */
  varlong(): bigint {
    const u = this.uvarlong();
    return BigInt.asIntN(64, (u >> 1n) ^ -(u & 1n));
  }

  uuid(): Buffer {
    if (this.offset + 16 > this.end) this.need(16, 'uuid');
    const v = this.buf.subarray(this.offset, this.offset + 16);
    this.offset += 16;
    return v;
  }

  /** n raw bytes as a view of the input. */
  raw(n: number, what = 'bytes'): Buffer {
    if (n < 0) throw new ProtocolError(`negative ${what} length ${n}`);
    this.need(n, what);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  private utf8(n: number): string {
    this.need(n, 'string');
    const s = this.buf.toString('utf8', this.offset, this.offset + n);
    this.offset += n;
    return s;
  }

  // --- classic (int16/int32 length) encodings

  string(): string {
    const n = this.int16();
    if (n < 0) throw new ProtocolError(`non-nullable string has length ${n}`);
    return this.utf8(n);
  }

  nullableString(): string | null {
    const n = this.int16();
    if (n === -1) return null;
    if (n < 0) throw new ProtocolError(`invalid string length ${n}`);
    return this.utf8(n);
  }

  bytes(): Buffer {
    const n = this.int32();
    if (n < 0) throw new ProtocolError(`non-nullable bytes have length ${n}`);
    return this.raw(n);
  }

  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n === -1) return null;
    if (n < 0) throw new ProtocolError(`invalid bytes length ${n}`);
    return this.raw(n);
  }

  // --- compact (unsigned varint length + 1) encodings of flexible versions

  compactString(): string {
    const n = this.uvarint();
    if (n === 0) throw new ProtocolError('non-nullable compact string is null');
    return this.utf8(n - 1);
  }

  compactNullableString(): string | null {
    const n = this.uvarint();
    return n === 0 ? null : this.utf8(n - 1);
  }

  compactBytes(): Buffer {
    const n = this.uvarint();
    if (n === 0) throw new ProtocolError('non-nullable compact bytes are null');
    return this.raw(n - 1);
  }

  compactNullableBytes(): Buffer | null {
    const n = this.uvarint();
    return n === 0 ? null : this.raw(n - 1);
  }

  // --- arrays. minElementSize (>= 1) lets a length be checked before allocating.

  /** Element count of a classic array (int32); -1 = null. */
  arrayLength(minElementSize = 1): number {
    const n = this.int32();
    if (n === -1) return -1;
    if (n < 0) throw new ProtocolError(`invalid array length ${n}`);
    this.checkCount(n, minElementSize);
    return n;
  }

  /** Element count of a compact array (unsigned varint N+1); -1 = null. */
  compactArrayLength(minElementSize = 1): number {
    const n = this.uvarint() - 1;
    if (n === -1) return -1;
    this.checkCount(n, minElementSize);
    return n;
  }

  private checkCount(n: number, minElementSize: number): void {
    const size = minElementSize < 1 ? 1 : minElementSize;
    if (n * size > this.end - this.offset) {
      throw new ProtocolError(`array of ${n} elements cannot fit in the ${this.end - this.offset} bytes left`);
    }
  }

  array<T>(read: (r: Reader) => T, minElementSize = 1): T[] {
    const n = this.arrayLength(minElementSize);
    if (n < 0) throw new ProtocolError('non-nullable array is null');
    return this.elements(n, read);
  }

  nullableArray<T>(read: (r: Reader) => T, minElementSize = 1): T[] | null {
    const n = this.arrayLength(minElementSize);
    return n < 0 ? null : this.elements(n, read);
  }

  compactArray<T>(read: (r: Reader) => T, minElementSize = 1): T[] {
    const n = this.compactArrayLength(minElementSize);
    if (n < 0) throw new ProtocolError('non-nullable compact array is null');
    return this.elements(n, read);
  }

  compactNullableArray<T>(read: (r: Reader) => T, minElementSize = 1): T[] | null {
    const n = this.compactArrayLength(minElementSize);
    return n < 0 ? null : this.elements(n, read);
  }

  private elements<T>(n: number, read: (r: Reader) => T): T[] {
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = read(this);
    return out;
  }

  /**
   * A tagged-field section: count, then (tag, size, bytes) each. `onTag` gets a
   * Reader bounded to the field's bytes and returns false for an unknown tag
   * (skipped). Tags must be strictly increasing, as Kafka requires.
   */
  taggedFields(onTag?: (tag: number, r: Reader) => boolean | void): void {
    const count = this.uvarint();
    this.checkCount(count, 2);
    let prev = -1;
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      if (tag <= prev) throw new ProtocolError(`tagged field ${tag} out of order (after ${prev})`);
      prev = tag;
      const size = this.uvarint();
      this.need(size, 'tagged field');
      const end = this.offset + size;
      if (onTag) {
        const sub = new Reader(this.buf, this.offset, end);
        if (onTag(tag, sub) !== false && sub.offset !== end) {
          throw new ProtocolError(`tagged field ${tag}: ${end - sub.offset} bytes left unread`);
        }
      }
      this.offset = end;
    }
  }
}

export { ZERO_UUID };
