// The most an LZ4 frame can decompress to, read from its block headers without
// decompressing: lz4-napi's decompressFrameSync has no output limit, so a 1 MiB
// frame of repeated 64 KiB zero blocks would otherwise become 256 MiB before any
// size check could run. Frame format: https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md
//
// magic 04 22 4d 18 | FLG | BD | [content size u64] | [dict id u32] | HC |
// blocks (u32 LE size, high bit = stored uncompressed; 0 ends the frame), each
// followed by a u32 checksum when FLG says so | [content checksum u32]

import { ErrorCode, KafkaError } from '../../protocol/errors.ts';

const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const BLOCK_MAX = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];
/** The largest block size a frame may declare. */
export const LZ4_MAX_BLOCK = 4 << 20;
/** An LZ4 sequence outputs at most 255 bytes per input byte (match-length extension bytes). */
const MAX_RATIO = 255;

function corrupt(msg: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, `lz4: ${msg}`);
}

/**
 * An upper bound of the decompressed size of `data` (one or more LZ4 frames, skippable
 * frames allowed); CORRUPT_MESSAGE when the framing is malformed. A compressed block counts
 * as min(block maximum, 255 × its size): exact for the full blocks encoders write, over by
 * less than one block for a frame's last. Stops adding once the bound passes `stopAbove`.
 */
export function lz4FrameBound(data: Buffer, stopAbove = Infinity): number {
  let pos = 0;
  let bound = 0;
  const end = data.length;
  if (end < 4) throw corrupt('too short for a frame');
  while (pos < end) {
    if (end - pos < 4) throw corrupt('trailing bytes after a frame');
    const magic = data.readUInt32LE(pos);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (end - pos < 8) throw corrupt('truncated skippable frame');
      const size = data.readUInt32LE(pos + 4);
      if (size > end - pos - 8) throw corrupt('truncated skippable frame');
      pos += 8 + size;
      continue;
    }
    if (magic !== FRAME_MAGIC) throw corrupt(`bad frame magic 0x${magic.toString(16)}`);
    if (end - pos < 7) throw corrupt('truncated frame header');
    const flg = data[pos + 4]!;
    const bd = data[pos + 5]!;
    if (flg >> 6 !== 1) throw corrupt(`unsupported frame version ${flg >> 6}`);
    const blockChecksum = (flg & 0x10) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const blockMax = BLOCK_MAX[(bd >> 4) & 0x07]!;
    if (blockMax === 0) throw corrupt(`invalid block maximum size id ${(bd >> 4) & 0x07}`);
    pos += 6 + ((flg & 0x08) ? 8 : 0) + ((flg & 0x01) ? 4 : 0) + 1;
    for (;;) {
      if (end - pos < 4) throw corrupt('truncated block header');
      const word = data.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      const stored = word >>> 31 === 1;
      if (size > blockMax) throw corrupt(`block of ${size} bytes above the frame's maximum ${blockMax}`);
      if (size + (blockChecksum ? 4 : 0) > end - pos) throw corrupt('truncated block');
      pos += size + (blockChecksum ? 4 : 0);
      bound += stored ? size : Math.min(blockMax, size * MAX_RATIO);
      if (bound > stopAbove) return bound;
    }
    if (contentChecksum) {
      if (end - pos < 4) throw corrupt('truncated content checksum');
      pos += 4;
    }
  }
  return bound;
}
