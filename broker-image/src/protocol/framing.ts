// Splits a byte stream into frames: int32 size, then that many bytes. A frame
// inside one socket chunk is returned as a view of it (no copy); only frames
// that straddle chunks are assembled, once, when all their bytes are in.

export const DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024; // socket.request.max.bytes

/** A size prefix below 0 or above the maximum: the connection must be closed. */
export class FrameTooLargeError extends Error {
  readonly size: number;
  readonly maxBytes: number;
  constructor(size: number, maxBytes: number) {
    super(size < 0 ? `negative frame size ${size}` : `frame of ${size} bytes exceeds the maximum of ${maxBytes}`);
    this.name = 'FrameTooLargeError';
    this.size = size;
    this.maxBytes = maxBytes;
  }
}

export class FrameDecoder {
  readonly maxBytes: number;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Total bytes (4 + size) of the frame being assembled, or -1 if its size is unknown. */
  private needed = -1;

  constructor(maxBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.maxBytes = maxBytes;
  }

  /** Bytes held for an incomplete frame. */
  get pending(): number {
    return this.buffered;
  }

  /** Adds a chunk; returns the frames it completed (payloads, without the size). */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    if (chunk.length === 0) return frames;
    let buf: Buffer;
    if (this.buffered === 0) {
      buf = chunk;
    } else {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      // Wait for the whole frame before copying anything.
      if (this.needed >= 0 ? this.buffered < this.needed : this.buffered < 4) return frames;
      buf = Buffer.concat(this.chunks, this.buffered);
      this.chunks = [];
      this.buffered = 0;
    }
    let off = 0;
    const len = buf.length;
    while (len - off >= 4) {
      const size = buf.readInt32BE(off);
      if (size < 0 || size > this.maxBytes) throw new FrameTooLargeError(size, this.maxBytes);
      if (len - off - 4 < size) {
        this.needed = 4 + size;
        break;
      }
      frames.push(buf.subarray(off + 4, off + 4 + size));
      off += 4 + size;
      this.needed = -1;
    }
    if (off < len) {
      if (len - off < 4) this.needed = -1;
      this.chunks = [buf.subarray(off)];
      this.buffered = len - off;
    }
    return frames;
  }
}
