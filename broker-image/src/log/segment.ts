// One log segment: `<base>.log` plus a sparse `.index` (u32 relative offset of a batch's last
// offset, u32 file position) and a `.timeindex` (i64 max timestamp so far, u32 relative offset),
// both kept in memory and appended to their files in batches.

import { open, readFile, rename, stat, unlink, writeFile, appendFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, MAGIC, RecordBatch } from '../records/batch.ts';
import { scanSegment } from './segment-scan.ts';

export const pad20 = (n: bigint): string => n.toString().padStart(20, '0');
export const logFile = (dir: string, base: bigint): string => join(dir, `${pad20(base)}.log`);
export const indexFile = (dir: string, base: bigint): string => join(dir, `${pad20(base)}.index`);
export const timeIndexFile = (dir: string, base: bigint): string => join(dir, `${pad20(base)}.timeindex`);

/** A growable pair of u32 arrays (offset index) or f64+u32 (time index). */
class Entries {
  a: Float64Array | Uint32Array;
  b: Uint32Array;
  count = 0;
  persisted = 0;
  constructor(floatKeys: boolean) {
    this.a = floatKeys ? new Float64Array(64) : new Uint32Array(64);
    this.b = new Uint32Array(64);
  }
  push(x: number, y: number): void {
    if (this.count === this.b.length) {
      const a = new (this.a.constructor as Float64ArrayConstructor | Uint32ArrayConstructor)(this.count * 2);
      a.set(this.a);
      const b = new Uint32Array(this.count * 2);
      b.set(this.b);
      this.a = a;
      this.b = b;
    }
    this.a[this.count] = x;
    this.b[this.count] = y;
    this.count++;
  }
  /** Index of the last entry with a[i] <= key (or < key when strict), -1 if none. */
  floor(key: number, strict = false): number {
    let lo = 0;
    let hi = this.count - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.a[mid];
      if (strict ? v < key : v <= key) { ans = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return ans;
  }
  clear(): void { this.count = 0; this.persisted = 0; }
}

export interface BatchInfo { lastOffset: bigint; maxTimestamp: bigint; position: number; size: number }

export class Segment {
  readonly dir: string;
  readonly baseOffset: bigint;
  fh: FileHandle | null = null;
  /** Bytes of complete batches (what readers may see). */
  size = 0;
  nextOffset: bigint;
  maxTimestamp = -1n;
  offsetOfMaxTimestamp = -1n;
  /** maxTimestamp of the first batch: the segment.ms roll clock (as Kafka). */
  firstBatchTimestamp: bigint | null = null;
  /** Wall-clock creation (or load) time, the roll clock when batches carry no timestamps. */
  createdMs = Date.now();
  readonly index = new Entries(false);
  readonly timeIndex = new Entries(true);
  private bytesSinceLastIndex = 0;
  private writable: boolean;

  constructor(dir: string, baseOffset: bigint, writable: boolean) {
    this.dir = dir;
    this.baseOffset = baseOffset;
    this.nextOffset = baseOffset;
    this.writable = writable;
  }

  get logPath(): string { return logFile(this.dir, this.baseOffset); }
  get indexPath(): string { return indexFile(this.dir, this.baseOffset); }
  get timeIndexPath(): string { return timeIndexFile(this.dir, this.baseOffset); }

  static async create(dir: string, baseOffset: bigint): Promise<Segment> {
    const s = new Segment(dir, baseOffset, true);
    s.fh = await open(s.logPath, 'w+');
    await writeFile(s.indexPath, Buffer.alloc(0));
    await writeFile(s.timeIndexPath, Buffer.alloc(0));
    return s;
  }

  private opening: Promise<FileHandle> | null = null;

  /** The open file (opened once on first use; concurrent callers share the open). */
  async handle(): Promise<FileHandle> {
    if (this.fh) return this.fh;
    if (!this.opening) {
      this.opening = open(this.logPath, this.writable ? 'r+' : 'r').then((fh) => {
        this.fh = fh;
        this.opening = null;
        return fh;
      }, (err) => {
        this.opening = null;
        throw err;
      });
    }
    return this.opening;
  }

  async makeWritable(): Promise<void> {
    if (this.writable) return;
    this.writable = true;
    if (this.fh) { await this.fh.close(); this.fh = null; }
    await this.handle();
  }

  /** Records one batch (already in the file at `position`) in the in-memory indexes. */
  indexBatch(lastOffset: bigint, maxTimestamp: bigint, position: number, size: number, indexIntervalBytes: number): void {
    if (this.firstBatchTimestamp === null) this.firstBatchTimestamp = maxTimestamp;
    if (maxTimestamp > this.maxTimestamp) { this.maxTimestamp = maxTimestamp; this.offsetOfMaxTimestamp = lastOffset; }
    if (this.bytesSinceLastIndex > indexIntervalBytes) {
      this.index.push(Number(lastOffset - this.baseOffset), position);
      this.maybeAppendTimeEntry();
      this.bytesSinceLastIndex = 0;
    }
    this.bytesSinceLastIndex += size;
    this.nextOffset = lastOffset + 1n;
  }

  maybeAppendTimeEntry(): void {
    const t = this.timeIndex;
    if (this.maxTimestamp < 0n) return;
    const ts = Number(this.maxTimestamp);
    if (t.count === 0 || ts > t.a[t.count - 1]) t.push(ts, Number(this.offsetOfMaxTimestamp - this.baseOffset));
  }

  /** Position of the batch to start scanning from for `offset` (index floor). */
  lookup(offset: bigint): number {
    if (offset <= this.baseOffset) return 0;
    const rel = offset - this.baseOffset;
    const i = this.index.floor(rel > 0xffffffffn ? 0xffffffff : Number(rel));
    return i < 0 ? 0 : this.index.b[i];
  }

  /** Position to scan from for the first batch with maxTimestamp >= ts. */
  timeLookup(ts: bigint): number {
    const i = this.timeIndex.floor(Number(ts), true);
    if (i < 0) return 0;
    return this.lookup(this.baseOffset + BigInt(this.timeIndex.b[i]));
  }

  async write(buf: Buffer, position: number): Promise<void> {
    const fh = await this.handle();
    let done = 0;
    while (done < buf.length) {
      const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
      done += bytesWritten;
    }
  }

  async read(position: number, length: number): Promise<Buffer> {
    const fh = await this.handle();
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await fh.read(buf, done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === length ? buf : buf.subarray(0, done);
  }

  /** Appends index entries not yet in the files. */
  async persistIndexes(): Promise<void> {
    const ix = this.index;
    if (ix.persisted < ix.count) {
      const out = Buffer.allocUnsafe((ix.count - ix.persisted) * 8);
      for (let i = ix.persisted, p = 0; i < ix.count; i++, p += 8) { out.writeUInt32BE(ix.a[i], p); out.writeUInt32BE(ix.b[i], p + 4); }
      const upto = ix.count;
      await appendFile(this.indexPath, out);
      ix.persisted = upto;
    }
    const t = this.timeIndex;
    if (t.persisted < t.count) {
      const out = Buffer.allocUnsafe((t.count - t.persisted) * 12);
      for (let i = t.persisted, p = 0; i < t.count; i++, p += 12) { out.writeBigInt64BE(BigInt(t.a[i]), p); out.writeUInt32BE(t.b[i], p + 8); }
      const upto = t.count;
      await appendFile(this.timeIndexPath, out);
      t.persisted = upto;
    }
  }

  get pendingIndexEntries(): number { return this.index.count - this.index.persisted + this.timeIndex.count - this.timeIndex.persisted; }

  /** Rewrites both index files from memory (after a rebuild), atomically. */
  async writeIndexes(): Promise<void> {
    this.index.persisted = 0;
    this.timeIndex.persisted = 0;
    const [ip, tp] = [this.indexPath, this.timeIndexPath];
    const ix = this.index;
    const out = Buffer.allocUnsafe(ix.count * 8);
    for (let i = 0; i < ix.count; i++) { out.writeUInt32BE(ix.a[i], i * 8); out.writeUInt32BE(ix.b[i], i * 8 + 4); }
    await writeFile(ip + '.tmp', out);
    const t = this.timeIndex;
    const tout = Buffer.allocUnsafe(t.count * 12);
    for (let i = 0; i < t.count; i++) { tout.writeBigInt64BE(BigInt(t.a[i]), i * 12); tout.writeUInt32BE(t.b[i], i * 12 + 8); }
    await writeFile(tp + '.tmp', tout);
    await rename(ip + '.tmp', ip);
    await rename(tp + '.tmp', tp);
    ix.persisted = ix.count;
    t.persisted = t.count;
  }

  /**
   * Loads the index files; returns false when missing or inconsistent with the log size
   * (Kafka's sanity check: whole entries, increasing, positions inside the log).
   */
  async loadIndexes(logSize: number): Promise<boolean> {
    let ib: Buffer;
    let tb: Buffer;
    try {
      ib = await readFile(this.indexPath);
      tb = await readFile(this.timeIndexPath);
    } catch {
      return false;
    }
    if (ib.length % 8 !== 0 || tb.length % 12 !== 0) return false;
    this.index.clear();
    this.timeIndex.clear();
    let prevOff = -1;
    let prevPos = -1;
    for (let p = 0; p < ib.length; p += 8) {
      const off = ib.readUInt32BE(p);
      const pos = ib.readUInt32BE(p + 4);
      if (off <= prevOff || pos <= prevPos || pos >= logSize) return false;
      this.index.push(off, pos);
      prevOff = off;
      prevPos = pos;
    }
    let prevTs = -Infinity;
    for (let p = 0; p < tb.length; p += 12) {
      const ts = Number(tb.readBigInt64BE(p));
      const off = tb.readUInt32BE(p + 8);
      if (ts <= prevTs) return false;
      this.timeIndex.push(ts, off);
      prevTs = ts;
    }
    this.index.persisted = this.index.count;
    this.timeIndex.persisted = this.timeIndex.count;
    if (this.timeIndex.count > 0) {
      const last = this.timeIndex.count - 1;
      this.maxTimestamp = BigInt(this.timeIndex.a[last]);
      this.offsetOfMaxTimestamp = this.baseOffset + BigInt(this.timeIndex.b[last]);
    }
    return true;
  }

  resetIndexState(): void {
    this.index.clear();
    this.timeIndex.clear();
    this.bytesSinceLastIndex = 0;
    this.maxTimestamp = -1n;
    this.offsetOfMaxTimestamp = -1n;
    this.firstBatchTimestamp = null;
    this.nextOffset = this.baseOffset;
  }

  /** Continues indexing from the last index entry: restores bytesSinceLastIndex for the tail scan. */
  resumeFromLastEntry(): { position: number } {
    const ix = this.index;
    this.bytesSinceLastIndex = 0;
    return { position: ix.count ? ix.b[ix.count - 1] : 0 };
  }

  /** Drops in-memory index entries at or past `position` (the tail is re-scanned from there). */
  truncateIndexesFrom(position: number): void {
    while (this.index.count > 0 && this.index.b[this.index.count - 1] >= position) this.index.count--;
    this.index.persisted = Math.min(this.index.persisted, this.index.count);
  }

  async readFirstBatchTimestamp(): Promise<void> {
    if (this.size < BATCH_HEADER_SIZE) return;
    const h = await this.read(0, BATCH_HEADER_SIZE);
    if (h.length === BATCH_HEADER_SIZE && h.readInt8(MAGIC) === 2) this.firstBatchTimestamp = new RecordBatch(h).maxTimestamp;
  }

  /**
   * Cuts the segment at `position` (a batch boundary) so that `nextOffset` follows it: the file
   * is truncated and fsynced, index entries past the cut dropped and both index files
   * rewritten, and the largest timestamp re-read from the batches after the last surviving
   * time-index entry (as Kafka's LogSegment.truncateTo).
   */
  async truncateTo(position: number, nextOffset: bigint): Promise<void> {
    await this.makeWritable();
    const fh = await this.handle();
    await fh.truncate(position);
    await fh.sync();
    this.size = position;
    this.nextOffset = nextOffset;
    const ix = this.index;
    while (ix.count > 0 && ix.b[ix.count - 1] >= position) ix.count--;
    const t = this.timeIndex;
    const endRel = Number(nextOffset - this.baseOffset);
    while (t.count > 0 && t.b[t.count - 1] >= endRel) t.count--;
    // What indexBatch would have counted since the last offset-index entry.
    this.bytesSinceLastIndex = position - (ix.count > 0 ? ix.b[ix.count - 1] : 0);
    let from = 0;
    if (t.count > 0) {
      this.maxTimestamp = BigInt(t.a[t.count - 1]);
      this.offsetOfMaxTimestamp = this.baseOffset + BigInt(t.b[t.count - 1]);
      // Batches before the one holding that offset are covered by the entry.
      from = this.lookup(this.offsetOfMaxTimestamp);
    } else {
      this.maxTimestamp = -1n;
      this.offsetOfMaxTimestamp = -1n;
    }
    await scanSegment(this, from, position, false, -1n, (b) => {
      if (b.maxTimestamp > this.maxTimestamp) { this.maxTimestamp = b.maxTimestamp; this.offsetOfMaxTimestamp = b.lastOffset; }
    });
    if (position === 0) {
      this.firstBatchTimestamp = null;
      this.createdMs = Date.now();
    } else if (this.firstBatchTimestamp === null) {
      await this.readFirstBatchTimestamp();
    }
    await this.writeIndexes();
  }

  async truncate(position: number): Promise<void> {
    const fh = await this.handle();
    await fh.truncate(position);
    this.size = position;
  }

  async sync(): Promise<void> {
    if (this.fh && this.writable) await this.fh.sync();
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    if (fh) await fh.close();
  }

  async unlinkFiles(suffix = ''): Promise<void> {
    for (const p of [this.logPath, this.indexPath, this.timeIndexPath]) await unlink(p + suffix).catch(() => {});
  }

  async renameFiles(fromSuffix: string, toSuffix: string): Promise<void> {
    for (const p of [this.logPath, this.indexPath, this.timeIndexPath]) await rename(p + fromSuffix, p + toSuffix).catch(() => {});
  }
}

export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}

export { LOG_OVERHEAD };
