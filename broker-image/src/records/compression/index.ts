// Record-batch codecs (attribute bits 0–2): none, gzip, snappy, lz4 (frame format), zstd.
// Every decompressor is capped (a decompression bomb guard): output above the cap is
// CORRUPT_MESSAGE, like any other undecodable batch.

import zlib from 'node:zlib';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import { LZ4_MAX_BLOCK, lz4FrameBound } from './lz4-frame.ts';
import { isXerialFramed, snappyMaxUncompressed, snappyUncompressedLength, xerialCompress, xerialDecompress } from './xerial.ts';

export { isXerialFramed, xerialCompress, xerialDecompress };

export const Codec = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CodecId = 0 | 1 | 2 | 3 | 4;
export const codecNames = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CodecName = (typeof codecNames)[number];

/** Default cap on the decompressed size of one batch's records. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

let snappyFraming: 'raw' | 'xerial' = 'raw';
/** How snappy output is framed. Raw (librdkafka's choice) is read by Java (snappy-java falls back to
 *  raw), librdkafka and kafkajs; xerial is what the Java producer writes. Both decompress here. */
export function setSnappyFraming(f: 'raw' | 'xerial'): void { snappyFraming = f; }

export function codecId(name: string): CodecId {
  const i = (codecNames as readonly string[]).indexOf(name);
  if (i < 0) throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown codec ${name}`);
  return i as CodecId;
}

function unsupported(codec: number): never {
  throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unsupported compression codec ${codec}`);
}

export function compress(codec: number, data: Buffer): Buffer {
  switch (codec) {
    case 0: return data;
    case 1: return zlib.gzipSync(data, { level: 6 });
    case 2: return snappyFraming === 'xerial' ? xerialCompress(data) : snappyCompress(data);
    case 3: return compressFrameSync(data);
    case 4: return zlib.zstdCompressSync(data);
    default: return unsupported(codec);
  }
}

function tooLarge(max: number): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, `decompressed batch exceeds ${max} bytes`);
}

export function snappyRawDecompress(data: Buffer, max: number): Buffer {
  const declared = snappyUncompressedLength(data);
  if (declared > max) throw tooLarge(max);
  if (declared > snappyMaxUncompressed(data.length)) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `snappy data of ${data.length} bytes declares ${declared}`);
  return snappyUncompress(data) as Buffer;
}

export function decompress(codec: number, data: Buffer, maxBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer {
  let out: Buffer;
  try {
    switch (codec) {
      case 0: return data;
      case 1: out = zlib.gunzipSync(data, { maxOutputLength: maxBytes }); break;
      case 2: out = isXerialFramed(data) ? xerialDecompress(data, maxBytes) : snappyRawDecompress(data, maxBytes); break;
      case 3:
        // decompressFrameSync has no output limit: bound the output from the block headers first.
        // The bound counts the frame's last (partial) block as full, hence the one block of slack.
        if (lz4FrameBound(data, maxBytes + LZ4_MAX_BLOCK) > maxBytes + LZ4_MAX_BLOCK) throw tooLarge(maxBytes);
        out = decompressFrameSync(data);
        break;
      case 4: out = zlib.zstdDecompressSync(data, { maxOutputLength: maxBytes }); break;
      default: return unsupported(codec);
    }
  } catch (err) {
    if (err instanceof KafkaError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw tooLarge(maxBytes);
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `cannot decompress ${codecNames[codec]}: ${(err as Error).message}`);
  }
  if (out.length > maxBytes) throw tooLarge(maxBytes);
  return out;
}
