// snappy-java's stream framing ("xerial"): magic \x82SNAPPY\0, int32 version, int32 minimum
// compatible version (16 bytes), then blocks of big-endian int32 length + raw snappy data.
// The Java producer writes it; librdkafka and kafkajs detect it on read.

import { compressSync, uncompressSync } from 'snappy';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';

const MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const HEADER_SIZE = 16;
const BLOCK_SIZE = 32 * 1024; // snappy-java's default block size

export function isXerialFramed(buf: Buffer): boolean {
  return buf.length >= HEADER_SIZE && buf.compare(MAGIC, 0, 8, 0, 8) === 0;
}

export function xerialDecompress(buf: Buffer, maxBytes: number): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  let pos = HEADER_SIZE;
  while (pos < buf.length) {
    if (pos + 4 > buf.length) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'truncated xerial block header');
    const len = buf.readInt32BE(pos);
    pos += 4;
    if (len < 0 || pos + len > buf.length) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'truncated xerial block');
    const block = buf.subarray(pos, pos + len);
    pos += len;
    const declared = snappyUncompressedLength(block);
    if (declared > snappyMaxUncompressed(block.length)) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `snappy block of ${block.length} bytes declares ${declared}`);
    total += declared;
    if (total > maxBytes) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `decompressed batch exceeds ${maxBytes} bytes`);
    parts.push(uncompressSync(block) as Buffer);
  }
  return parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
}

export function xerialCompress(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  parts.push(header);
  for (let pos = 0; pos < data.length; pos += BLOCK_SIZE) {
    const block = compressSync(data.subarray(pos, Math.min(data.length, pos + BLOCK_SIZE)));
    const len = Buffer.alloc(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

/**
 * The most `compressedLength` bytes of raw snappy can hold: no element outputs more than
 * 64 bytes per 3 bytes of input (a 2-byte-offset copy). The decompressor allocates the
 * preamble's length up front, so a preamble above this is a lie to refuse, not to trust.
 */
export function snappyMaxUncompressed(compressedLength: number): number {
  return Math.ceil((compressedLength * 64) / 3);
}

/** Reads a raw snappy stream's preamble (varint uncompressed length). */
export function snappyUncompressedLength(buf: Buffer): number {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 5 && i < buf.length; i++) {
    const b = buf[i];
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return result;
    shift += 7;
  }
  throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'bad snappy preamble');
}

