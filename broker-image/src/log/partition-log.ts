// A partition's segmented log: validated appends (offsets patched in place, one write per
// append), follower appends (bytes kept as the leader wrote them), truncation, index-guided
// reads, recovery, the leader-epoch cache, retention, DeleteRecords and compaction.

import { mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { ErrorCode, KafkaError } from '../protocol/errors.ts';
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, MAGIC, RecordBatch, scanBatches, validateRecords } from '../records/batch.ts';
import { decodeRecords, RecordBatchBuilder } from '../records/record.ts';
import { fsyncDir } from './checkpoint-file.ts';
import { LeaderEpochCache } from './leader-epoch-cache.ts';
import { validateReplicaBatches } from './replica-batches.ts';
import { fileSize, logFile, Segment } from './segment.ts';
import { scanSegment } from './segment-scan.ts';

export interface LogConfig {
  segmentBytes: number; segmentMs: number; retentionMs: number; retentionBytes: number;
  cleanupPolicy: ('delete' | 'compact')[]; deleteRetentionMs: number; minCompactionLagMs: number; indexIntervalBytes: number;
  messageTimestampType: 'CreateTime' | 'LogAppendTime'; maxMessageBytes: number; fileDeleteDelayMs: number;
  /** flush.messages / flush.ms: fsync after this many records / this long since the last fsync (default: never, as Kafka). */
  flushMessages?: number; flushMs?: number;
}

/** Kafka's defaults. */
export const defaultLogConfig: LogConfig = {
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 3_600_000,
  retentionMs: 7 * 24 * 3_600_000,
  retentionBytes: -1,
  cleanupPolicy: ['delete'],
  deleteRetentionMs: 24 * 3_600_000,
  minCompactionLagMs: 0,
  indexIntervalBytes: 4096,
  messageTimestampType: 'CreateTime',
  maxMessageBytes: 1048588,
  fileDeleteDelayMs: 60_000,
};

export interface AppendResult { baseOffset: bigint; lastOffset: bigint; logAppendTime: bigint; recordCount: number; byteSize: number }

/** A follower append: offsets of the first and last batch appended (-1 when none was complete) and the bytes of `records` used. */
export interface FollowerAppendResult { firstOffset: bigint; lastOffset: bigint; recordCount: number; bytesUsed: number }

const CLEAN_SHUTDOWN = '.clean-shutdown';
const LOG_START_CHECKPOINT = 'log-start-offset';
/** Offset below which every segment has been fsynced: an unclean start re-scans only segments past it. */
const RECOVERY_POINT_CHECKPOINT = 'recovery-point';
const SCAN_CHUNK = 4 * 1024 * 1024;
const INDEX_PERSIST_EVERY = 512;
const INT32_MAX = 0x7fffffffn;

/** Writes a small file atomically and durably (temp file fsynced, renamed, directory fsynced). */
async function writeDurably(path: string, text: string): Promise<void> {
  const fh = await open(path + '.tmp', 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(path + '.tmp', path);
  await fsyncDir(dirname(path));
}

export class PartitionLog {
  readonly dir: string;
  private config: LogConfig;
  private readonly logger: Logger | undefined;
  private segments: Segment[] = [];
  private startOffset = 0n;
  private endOffset = 0n;
  private appendChain: Promise<unknown> = Promise.resolve();
  private maintenanceChain: Promise<unknown> = Promise.resolve();
  private readonly pendingDeletes = new Set<{ seg: Segment; timer: NodeJS.Timeout | null; suffix: string }>();
  private closed = false;
  private recoveryPoint = 0n;
  private rollSync: Promise<unknown> = Promise.resolve();
  private checkpointChain: Promise<unknown> = Promise.resolve();
  private unflushedMessages = 0;
  private lastFlushMs = Date.now();
  /** Leader epochs and the offsets they start at (leader-epoch-checkpoint). */
  readonly epochs: LeaderEpochCache;
  private highWatermarkGuard: (() => bigint) | null = null;
  /** Bumped when a truncation starts and ends: a read that overlapped one returns nothing rather than stale bytes. */
  private truncations = 0;
  /** Truncations queued behind maintenance: compaction gives way to them (as Kafka aborts cleaning). */
  private truncationsWaiting = 0;

  private constructor(dir: string, config: LogConfig, logger?: Logger) {
    this.dir = dir;
    this.config = config;
    this.logger = logger;
    this.epochs = new LeaderEpochCache(dir, () => this.endOffset, logger);
  }

  get logStartOffset(): bigint { return this.startOffset; }
  get logEndOffset(): bigint { return this.endOffset; }
  get sizeInBytes(): number { let n = 0; for (const s of this.segments) n += s.size; return n; }
  get segmentCount(): number { return this.segments.length; }
  /** Base offsets of the segments, oldest first. */
  get segmentBaseOffsets(): bigint[] { return this.segments.map((s) => s.baseOffset); }
  get currentConfig(): LogConfig { return this.config; }
  private get active(): Segment { return this.segments[this.segments.length - 1]; }

  static async open(dir: string, config: LogConfig, opts: { logger?: Logger } = {}): Promise<PartitionLog> {
    const log = new PartitionLog(dir, config, opts.logger);
    await mkdir(dir, { recursive: true });
    await log.load();
    return log;
  }

  // ---------------------------------------------------------------- recovery

  private async load(): Promise<void> {
    const dir = this.dir;
    let names = await readdir(dir);
    // Leftovers of interrupted deletes and compactions.
    for (const n of names) {
      if (n.endsWith('.deleted') || n.endsWith('.cleaned') || n.endsWith('.tmp')) await unlink(join(dir, n)).catch(() => {});
    }
    for (const n of names) {
      if (!n.endsWith('.swap')) continue;
      const target = n.slice(0, -'.swap'.length);
      await rename(join(dir, n), join(dir, target));
      if (target.endsWith('.log')) {
        // Indexes are rebuilt for a swapped-in segment.
        const base = target.slice(0, -4);
        await unlink(join(dir, `${base}.index`)).catch(() => {});
        await unlink(join(dir, `${base}.timeindex`)).catch(() => {});
      }
    }
    names = await readdir(dir);
    const clean = names.includes(CLEAN_SHUTDOWN);
    if (clean) await unlink(join(dir, CLEAN_SHUTDOWN));
    const readCheckpoint = async (name: string): Promise<bigint> => {
      if (!names.includes(name)) return 0n;
      const text = (await readFile(join(dir, name), 'utf8')).trim();
      return /^\d+$/.test(text) ? BigInt(text) : 0n;
    };
    const checkpoint = await readCheckpoint(LOG_START_CHECKPOINT);
    this.recoveryPoint = await readCheckpoint(RECOVERY_POINT_CHECKPOINT);
    const bases = names.filter((n) => /^\d{20}\.log$/.test(n)).map((n) => BigInt(n.slice(0, 20))).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const baseSet = new Set(bases.map(String));
    for (const n of names) {
      const m = /^(\d{20})\.(index|timeindex)$/.exec(n);
      if (m && !baseSet.has(String(BigInt(m[1])))) await unlink(join(dir, n)).catch(() => {});
    }

    for (let i = 0; i < bases.length; i++) {
      const isLast = i === bases.length - 1;
      const seg = new Segment(dir, bases[i], isLast);
      seg.size = await fileSize(seg.logPath);
      const indexOk = await seg.loadIndexes(seg.size);
      this.segments.push(seg);
      const segmentEnd = isLast ? null : bases[i + 1];
      const unflushed = !clean && (segmentEnd === null || segmentEnd > this.recoveryPoint);
      if (!indexOk || unflushed) {
        const truncated = await this.recoverSegment(seg, !indexOk ? 'index missing or inconsistent' : 'no clean shutdown, past the recovery point');
        if (truncated && !isLast) {
          // Data after a corrupt point in the middle cannot be trusted to follow on: drop the rest (as Kafka).
          for (const b of bases.slice(i + 1)) await new Segment(dir, b, false).unlinkFiles();
          bases.length = i + 1;
          await seg.makeWritable();
          break;
        }
      } else if (isLast) {
        await this.scanTail(seg);
      }
    }
    // Segment ends: a closed segment ends where the next begins.
    for (let i = 0; i < this.segments.length - 1; i++) this.segments[i].nextOffset = this.segments[i + 1].baseOffset;
    if (this.segments.length === 0) this.segments.push(await Segment.create(dir, checkpoint));
    const last = this.active;
    await last.handle();
    last.firstBatchTimestamp = null;
    await last.readFirstBatchTimestamp();
    this.endOffset = last.nextOffset;
    this.startOffset = checkpoint > this.segments[0].baseOffset ? checkpoint : this.segments[0].baseOffset;
    if (this.startOffset > this.endOffset) {
      // The checkpoint is ahead of the data (everything below it was deleted): start afresh there.
      for (const s of this.segments) { await s.close(); await s.unlinkFiles(); }
      this.segments = [await Segment.create(dir, this.startOffset)];
      this.endOffset = this.startOffset;
    }
    await this.loadEpochs();
    this.logger?.debug({ dir, clean, logStartOffset: String(this.startOffset), logEndOffset: String(this.endOffset), segments: this.segments.length }, 'log loaded');
  }

  /** Reads the leader-epoch checkpoint (rebuilt from the batch headers when missing, e.g. a log from before it existed) and fits it to the recovered log. */
  private async loadEpochs(): Promise<void> {
    const epochs = this.epochs;
    if (!(await epochs.load())) {
      for (const seg of this.segments) {
        await scanSegment(seg, 0, seg.size, false, -1n, (b) => {
          if (b.magic === 2) epochs.assign(b.partitionLeaderEpoch, b.baseOffset, false);
        });
      }
      if (this.endOffset > this.startOffset) this.logger?.info({ dir: this.dir, epochs: epochs.all.length }, 'rebuilt the leader epoch checkpoint from the log');
      // A new log's empty history is not worth two fsyncs per partition: if a crash loses it, the next open rebuilds it.
      await epochs.persist({ durable: epochs.all.length > 0 });
    }
    // Entries past the recovered end (a write lost in a crash) or before the start (retention) no longer hold.
    epochs.truncateFromEnd(this.endOffset);
    epochs.truncateFromStart(this.startOffset);
    await epochs.flushed();
  }

  /** Full CRC scan of a segment: truncates a torn or corrupt tail and rebuilds its indexes. Returns whether it truncated. */
  private async recoverSegment(seg: Segment, why: string): Promise<boolean> {
    seg.resetIndexState();
    const interval = this.config.indexIntervalBytes;
    const out = await scanSegment(seg, 0, seg.size, true, seg.baseOffset, (b, pos) => seg.indexBatch(b.lastOffset, b.maxTimestamp, pos, b.sizeInBytes, interval));
    let truncated = false;
    if (out.truncatedAt !== null && out.truncatedAt < seg.size) {
      this.logger?.warn({ dir: this.dir, segment: String(seg.baseOffset), at: out.truncatedAt, size: seg.size, reason: out.reason }, 'truncating corrupt log tail');
      await seg.makeWritable();
      await seg.truncate(out.truncatedAt);
      truncated = true;
    }
    seg.maybeAppendTimeEntry();
    await seg.writeIndexes();
    this.logger?.info({ dir: this.dir, segment: String(seg.baseOffset), why }, 'recovered segment');
    return truncated;
  }

  /** After a clean shutdown: re-reads the active segment from its last index entry to find its end. */
  private async scanTail(seg: Segment): Promise<void> {
    const { position } = seg.resumeFromLastEntry();
    const interval = this.config.indexIntervalBytes;
    // The batch at the last entry is re-visited with bytesSinceLastIndex = 0: it adds no entry, as when it was appended.
    const out = await scanSegment(seg, position, seg.size, true, seg.baseOffset, (b, pos) => seg.indexBatch(b.lastOffset, b.maxTimestamp, pos, b.sizeInBytes, interval));
    if (out.truncatedAt !== null && out.truncatedAt < seg.size) {
      this.logger?.warn({ dir: this.dir, segment: String(seg.baseOffset), at: out.truncatedAt, reason: out.reason }, 'truncating corrupt log tail');
      await seg.truncate(out.truncatedAt);
      seg.truncateIndexesFrom(out.truncatedAt);
      await seg.writeIndexes();
    }
  }

  // ---------------------------------------------------------------- append

  append(records: Buffer, opts: { leaderEpoch?: number; now?: number; allowControl?: boolean } = {}): Promise<AppendResult> {
    // Validation is pure CPU work on the request's bytes: do it before queueing.
    const cfg = this.config;
    let batches: RecordBatch[];
    try {
      if (this.closed) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, 'log is closed');
      if (records.length > cfg.segmentBytes) throw new KafkaError(ErrorCode.RECORD_LIST_TOO_LARGE, `${records.length} bytes exceed segment.bytes`);
      batches = validateRecords(records, { maxMessageBytes: cfg.maxMessageBytes, allowControl: opts.allowControl });
      if (cfg.cleanupPolicy.includes('compact')) {
        for (const b of batches) {
          if (b.isControl) continue;
          for (const r of decodeRecords(b)) {
            if (r.key === null) throw new KafkaError(ErrorCode.INVALID_RECORD, 'compacted topic cannot accept a record without a key');
          }
        }
      }
    } catch (err) {
      return Promise.reject(err);
    }
    const run = this.appendChain.then(() => this.doAppend(records, batches, opts));
    this.appendChain = run.catch(() => {});
    return run;
  }

  private async doAppend(records: Buffer, batches: RecordBatch[], opts: { leaderEpoch?: number; now?: number }): Promise<AppendResult> {
    if (this.closed) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, 'log is closed');
    const now = opts.now ?? Date.now();
    const cfg = this.config;
    if (batches.length === 0) return { baseOffset: -1n, lastOffset: -1n, logAppendTime: -1n, recordCount: 0, byteSize: 0 };
    const logAppendTime = cfg.messageTimestampType === 'LogAppendTime' ? BigInt(now) : -1n;
    const baseOffset = this.endOffset;
    let next = baseOffset;
    let count = 0;
    for (const b of batches) {
      b.setBaseOffset(next);
      if (opts.leaderEpoch !== undefined) b.setPartitionLeaderEpoch(opts.leaderEpoch);
      if (logAppendTime >= 0n) b.setLogAppendTime(logAppendTime);
      next += BigInt(b.lastOffsetDelta) + 1n;
      count += b.recordCount;
    }
    const lastOffset = next - 1n;
    let maxTs = -1n;
    for (const b of batches) { const t = b.maxTimestamp; if (t > maxTs) maxTs = t; }
    // Only batches stamped by this leader say which epoch wrote them (a client's field is not trusted).
    if (opts.leaderEpoch !== undefined) this.epochs.assign(opts.leaderEpoch, baseOffset);
    await this.maybeRoll(records.length, now, maxTs, lastOffset, baseOffset);
    await this.writeBatches(records, batches, now, count);
    this.endOffset = next;
    return { baseOffset, lastOffset, logAppendTime, recordCount: count, byteSize: records.length };
  }

  /**
   * Writes `batches` (laid out in `bytes`, positions relative to it) at the end of the active
   * segment, indexes them and applies the flush policy. An epoch change is made durable first:
   * the checkpoint may then name an epoch the log lacks (trimmed on open), never the reverse.
   */
  private async writeBatches(bytes: Buffer, batches: RecordBatch[], now: number, records: number): Promise<void> {
    const cfg = this.config;
    if (this.epochs.writePending) {
      try {
        await this.epochs.flushed();
      } catch (err) {
        throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `writing the leader epoch checkpoint failed: ${(err as Error).message}`);
      }
    }
    const seg = this.active;
    const position = seg.size;
    try {
      await seg.write(bytes, position);
    } catch (err) {
      this.logger?.error({ err, dir: this.dir }, 'log write failed');
      // Cut whatever part of the write landed so the next append starts at a batch boundary.
      await seg.truncate(position).catch(() => {});
      this.epochs.truncateFromEnd(this.endOffset);
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `write failed: ${(err as Error).message}`);
    }
    const interval = cfg.indexIntervalBytes;
    for (const b of batches) seg.indexBatch(b.lastOffset, b.maxTimestamp, position + b.position, b.sizeInBytes, interval);
    seg.size = position + bytes.length;
    if (seg.pendingIndexEntries >= INDEX_PERSIST_EVERY) await seg.persistIndexes();
    this.unflushedMessages += records;
    if ((cfg.flushMessages !== undefined && cfg.flushMessages > 0 && this.unflushedMessages >= cfg.flushMessages) ||
        (cfg.flushMs !== undefined && cfg.flushMs >= 0 && now - this.lastFlushMs >= cfg.flushMs)) {
      await seg.sync();
      this.unflushedMessages = 0;
      this.lastFlushMs = now;
    }
  }

  // ---------------------------------------------------------------- follower append

  /**
   * Appends batches fetched from the leader exactly as it stored them: offsets, timestamps,
   * leader epochs and producer fields untouched. Each batch must start at or after the log end
   * (gaps are fine: a compacted leader has them), else OFFSET_OUT_OF_RANGE; a batch cut short
   * at the end of `records` is left for the next fetch (`bytesUsed` says where it starts).
   */
  appendAsFollower(records: Buffer, opts: { now?: number } = {}): Promise<FollowerAppendResult> {
    const run = this.appendChain.then(() => this.doAppendAsFollower(records, opts.now ?? Date.now()));
    this.appendChain = run.catch(() => {});
    return run;
  }

  private async doAppendAsFollower(records: Buffer, now: number): Promise<FollowerAppendResult> {
    if (this.closed) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, 'log is closed');
    const first = scanBatches(records).batches[0];
    if (first && this.endOffset === this.startOffset && first.baseOffset < this.endOffset && first.lastOffset >= this.endOffset) {
      // An empty log starting inside the leader's first batch (DeleteRecords cut it): start the
      // log at that batch so it can be stored whole, as Kafka's Partition does.
      this.truncations++;
      try {
        await this.doTruncateFully(first.baseOffset);
      } finally {
        this.truncations++;
      }
    }
    const { batches, bytesUsed } = validateReplicaBatches(records, this.endOffset);
    if (batches.length === 0) return { firstOffset: -1n, lastOffset: -1n, recordCount: 0, bytesUsed: 0 };
    const cfg = this.config;
    let count = 0;
    for (const b of batches) {
      count += b.recordCount;
      this.epochs.assign(b.partitionLeaderEpoch, b.baseOffset);
    }
    // In runs that fit the active segment (rolling between them), one write per run.
    for (let i = 0; i < batches.length;) {
      const first = batches[i];
      await this.maybeRoll(first.sizeInBytes, now, first.maxTimestamp, first.lastOffset, first.baseOffset);
      const seg = this.active;
      let bytes = first.sizeInBytes;
      let runCount = first.recordCount;
      let j = i + 1;
      for (; j < batches.length; j++) {
        const b = batches[j];
        if (seg.size + bytes + b.sizeInBytes > cfg.segmentBytes || b.lastOffset - seg.baseOffset > INT32_MAX) break;
        bytes += b.sizeInBytes;
        runCount += b.recordCount;
      }
      const run = batches.slice(i, j);
      const from = first.position;
      const view = records.subarray(from, from + bytes);
      await this.writeBatches(view, run.map((b) => new RecordBatch(view, b.position - from)), now, runCount);
      this.endOffset = run[run.length - 1].nextOffset;
      i = j;
    }
    return { firstOffset: batches[0].baseOffset, lastOffset: batches[batches.length - 1].lastOffset, recordCount: count, bytesUsed };
  }

  // ---------------------------------------------------------------- truncation

  /**
   * Drops every record at and after `offset` (a follower whose log diverged from its leader's):
   * later segments are deleted, the one holding `offset` is cut at the batch holding it, the
   * recovery point and the epoch cache follow. The log end becomes `offset`, or the base offset
   * of a batch that held `offset` further in. At or past the log end nothing happens; below the
   * log start the log is emptied and starts at `offset` (truncateFullyAndStartAt).
   * Durable in this order (log, then epochs), so a crash part-way leaves a valid prefix and an
   * epoch cache that, trimmed to it on open, still describes it.
   */
  truncateTo(offset: bigint): Promise<void> {
    return this.exclusive(async () => {
      if (offset < 0n) throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `cannot truncate to ${offset}`);
      if (offset >= this.endOffset) return;
      if (offset < this.startOffset) return this.doTruncateFully(offset);
      await this.doTruncateTo(offset);
    });
  }

  /** Deletes the whole log and starts it afresh at `offset` (a follower behind its leader's log start). */
  truncateFullyAndStartAt(offset: bigint): Promise<void> {
    return this.exclusive(async () => {
      if (offset < 0n) throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `cannot start the log at ${offset}`);
      await this.doTruncateFully(offset);
    });
  }

  /**
   * Runs `fn` with no append and no retention, compaction or DeleteRecords under way (a
   * compaction in progress stops early); reads overlapping it come back empty.
   */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.truncationsWaiting++;
    return this.serialize(() => {
      this.truncationsWaiting--;
      const run = this.appendChain.then(async () => {
        if (this.closed) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, 'log is closed');
        this.truncations++;
        try {
          return await fn();
        } finally {
          this.truncations++;
        }
      });
      this.appendChain = run.catch(() => {});
      return run;
    });
  }

  private async doTruncateTo(offset: bigint): Promise<void> {
    const segs = this.segments;
    const idx = this.segmentIndexFor(offset);
    const seg = segs[idx];
    let cut = seg.size;
    let dropped: bigint | null = null;
    await scanSegment(seg, seg.lookup(offset), seg.size, false, -1n, (b, pos) => {
      if (b.lastOffset < offset) return;
      cut = pos;
      dropped = b.baseOffset;
      return false;
    });
    const firstDropped = dropped as bigint | null;
    let newEnd = firstDropped !== null && firstDropped < offset ? firstDropped : offset;
    // The batch holding the log start went: nothing from the start on is left.
    if (newEnd < this.startOffset) newEnd = this.startOffset;
    this.logger?.info({ dir: this.dir, offset: String(offset), from: String(this.endOffset), to: String(newEnd) }, 'truncating log');
    await this.rollSync; // a background roll fsync would move the recovery point up again
    await this.lowerRecoveryPoint(seg.baseOffset);
    const later = segs.slice(idx + 1);
    this.segments = segs.slice(0, idx + 1);
    await this.retireNewestFirst(later);
    await seg.truncateTo(cut, newEnd);
    this.endOffset = newEnd;
    this.unflushedMessages = 0;
    this.epochs.truncateFromEnd(newEnd);
    await this.epochs.flushed();
  }

  private async doTruncateFully(offset: bigint): Promise<void> {
    this.logger?.info({ dir: this.dir, from: `${this.startOffset}..${this.endOffset}`, startOffset: String(offset) }, 'emptying log');
    // With no epoch checkpoint, an open after a crash part-way rebuilds it from what is left.
    await this.epochs.flushed().catch(() => {});
    await unlink(this.epochs.path).catch(() => {});
    await this.rollSync;
    await this.lowerRecoveryPoint(offset);
    await this.retireNewestFirst(this.segments);
    this.segments = [await Segment.create(this.dir, offset)];
    this.startOffset = offset;
    this.endOffset = offset;
    this.unflushedMessages = 0;
    await writeDurably(join(this.dir, LOG_START_CHECKPOINT), `${offset}\n`);
    await this.advanceRecoveryPoint(offset);
    this.epochs.clear();
    await this.epochs.persist();
  }

  /** Renames segments `.deleted` from the newest down (a crash part-way leaves a prefix of the log) and makes that durable; files go after file.delete.delay.ms. */
  private async retireNewestFirst(victims: Segment[]): Promise<void> {
    for (const seg of [...victims].reverse()) {
      await seg.renameFiles('', '.deleted');
      this.scheduleUnlink(seg, '.deleted');
    }
    if (victims.length > 0) await fsyncDir(this.dir);
  }

  private async maybeRoll(incomingBytes: number, now: number, incomingMaxTs: bigint, lastOffset: bigint, firstOffset: bigint): Promise<void> {
    const seg = this.active;
    if (seg.size === 0) return;
    const cfg = this.config;
    const bySize = seg.size + incomingBytes > cfg.segmentBytes;
    // As Kafka: time waited = incoming max timestamp − first batch's max timestamp, or wall time since creation.
    const first = seg.firstBatchTimestamp;
    const waited = first !== null && first >= 0n ? incomingMaxTs - first : BigInt(now - seg.createdMs);
    const byTime = waited > BigInt(cfg.segmentMs);
    const byOffset = lastOffset - seg.baseOffset > INT32_MAX;
    // A follower's first batch may start past the log end (a gap): the new segment starts there (as Kafka).
    if (bySize || byTime || byOffset) await this.roll(firstOffset > this.endOffset ? firstOffset : this.endOffset);
  }

  /** Closes the active segment for appends and starts a new one at `baseOffset` (the log end offset). */
  async roll(baseOffset = this.endOffset): Promise<void> {
    const old = this.active;
    if (old.size === 0) return;
    old.maybeAppendTimeEntry();
    await old.persistIndexes();
    const fresh = await Segment.create(this.dir, baseOffset);
    this.segments.push(fresh);
    // Flush the finished segment in the background, then move the recovery point past it.
    const base = fresh.baseOffset;
    this.rollSync = old.sync()
      .then(() => this.advanceRecoveryPoint(base))
      .catch((err) => this.logger?.warn({ err, dir: this.dir }, 'fsync of rolled segment failed'));
    this.logger?.debug({ dir: this.dir, base: String(fresh.baseOffset) }, 'rolled segment');
  }

  // ---------------------------------------------------------------- read

  private segmentIndexFor(offset: bigint): number {
    const segs = this.segments;
    let lo = 0;
    let hi = segs.length - 1;
    let ans = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (segs[mid].baseOffset <= offset) { ans = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return ans;
  }

  async read(offset: bigint, maxBytes: number, opts: { maxOffset?: bigint; minOneMessage?: boolean } = {}): Promise<Buffer> {
    const generation = this.truncations;
    try {
      const out = await this.readBatches(offset, maxBytes, opts);
      // Bytes read while the log was cut and perhaps rewritten past the cut may mix old and new data.
      return generation === this.truncations ? out : Buffer.alloc(0);
    } catch (err) {
      if (generation !== this.truncations && !(err instanceof KafkaError)) return Buffer.alloc(0);
      throw err;
    }
  }

  private async readBatches(offset: bigint, maxBytes: number, opts: { maxOffset?: bigint; minOneMessage?: boolean }): Promise<Buffer> {
    const start = this.startOffset;
    const end = this.endOffset;
    if (offset < start || offset > end) {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset} is outside [${start}, ${end}]`);
    }
    const maxOffset = opts.maxOffset ?? end;
    const minOne = opts.minOneMessage ?? true;
    if (offset >= maxOffset || offset === end) return Buffer.alloc(0);
    const segs = this.segments;
    let target = offset;
    for (let i = this.segmentIndexFor(offset); i < segs.length; i++) {
      const seg = segs[i];
      if (target < seg.baseOffset) target = seg.baseOffset;
      if (target >= maxOffset) return Buffer.alloc(0);
      const size = seg.size;
      let pos = seg.lookup(target);
      const slack = this.config.indexIntervalBytes + 64 * 1024;
      let chunk = await seg.read(pos, Math.min(size - pos, Math.max(maxBytes, 0) + slack));
      let chunkPos = pos;
      // Find the first batch with lastOffset >= target.
      let found = -1;
      for (;;) {
        const scan = scanBatches(chunk);
        for (const b of scan.batches) {
          if (b.lastOffset >= target) { found = chunkPos + b.position; break; }
        }
        if (found >= 0) break;
        pos = chunkPos + scan.validBytes;
        if (pos >= size) break;
        if (scan.batches.length === 0) {
          if (chunk.length < LOG_OVERHEAD) break;
          const need = LOG_OVERHEAD + chunk.readInt32BE(8);
          chunk = await seg.read(pos, Math.min(size - pos, Math.max(need, maxBytes + slack)));
        } else {
          chunk = await seg.read(pos, Math.min(size - pos, Math.max(maxBytes, 0) + slack));
        }
        chunkPos = pos;
      }
      if (found < 0) continue; // nothing at or after target here (compaction gap): next segment
      // Collect whole batches from `found` (only their headers are needed to decide).
      let endPos = found;
      let view = chunk;
      let viewPos = chunkPos;
      while (endPos < size) {
        let rel = endPos - viewPos;
        if (rel + BATCH_HEADER_SIZE > view.length) {
          if (endPos - found >= maxBytes) break;
          view = await seg.read(endPos, Math.min(size - endPos, Math.max(maxBytes - (endPos - found), 0) + BATCH_HEADER_SIZE));
          viewPos = endPos;
          rel = 0;
          if (view.length < BATCH_HEADER_SIZE) break;
        }
        const b = new RecordBatch(view, rel);
        if (b.lastOffset >= maxOffset) break;
        const bsize = b.sizeInBytes;
        const used = endPos - found;
        if (used + bsize > maxBytes && !(used === 0 && minOne)) break;
        if (endPos + bsize > size) break;
        endPos += bsize;
      }
      if (endPos === found) return Buffer.alloc(0);
      if (found >= chunkPos && endPos <= chunkPos + chunk.length) return chunk.subarray(found - chunkPos, endPos - chunkPos);
      return seg.read(found, endPos - found);
    }
    return Buffer.alloc(0);
  }

  async offsetForTimestamp(timestamp: bigint): Promise<{ offset: bigint; timestamp: bigint } | null> {
    for (let attempt = 1; ; attempt++) {
      const generation = this.truncations;
      try {
        return await this.findOffsetForTimestamp(timestamp);
      } catch (err) {
        // A segment deleted or cut under the search: search the log as it is now.
        if (generation === this.truncations || err instanceof KafkaError || attempt === 3) throw err;
      }
    }
  }

  private async findOffsetForTimestamp(timestamp: bigint): Promise<{ offset: bigint; timestamp: bigint } | null> {
    if (timestamp === -2n) return { offset: this.startOffset, timestamp: -1n };
    if (timestamp === -1n) return { offset: this.endOffset, timestamp: -1n };
    for (const seg of [...this.segments]) {
      if (seg.maxTimestamp < timestamp || seg.nextOffset <= this.startOffset) continue;
      const from = seg.timeLookup(timestamp);
      let hit: RecordBatch | null = null;
      await scanSegment(seg, from, seg.size, false, -1n, (b) => {
        if (b.maxTimestamp >= timestamp && b.lastOffset >= this.startOffset) {
          hit = new RecordBatch(Buffer.from(b.bytes));
          return false;
        }
      });
      const batch = hit as RecordBatch | null;
      if (!batch) continue;
      if (batch.isLogAppendTime) return { offset: batch.baseOffset > this.startOffset ? batch.baseOffset : this.startOffset, timestamp: batch.maxTimestamp };
      for (const r of decodeRecords(batch)) {
        if (r.timestamp >= timestamp && r.offset >= this.startOffset) return { offset: r.offset, timestamp: r.timestamp };
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- deletion

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.maintenanceChain.then(fn);
    this.maintenanceChain = run.catch(() => {});
    return run;
  }

  private advanceRecoveryPoint(offset: bigint): Promise<unknown> {
    const run = this.checkpointChain.then(async () => {
      if (offset <= this.recoveryPoint) return;
      this.recoveryPoint = offset;
      const p = join(this.dir, RECOVERY_POINT_CHECKPOINT);
      await writeFile(p + '.tmp', `${offset}\n`);
      await rename(p + '.tmp', p);
    });
    this.checkpointChain = run.catch(() => {});
    return run;
  }

  /** Moves the recovery point down (a truncation: what is written after it is not fsynced yet), durably. */
  private lowerRecoveryPoint(offset: bigint): Promise<unknown> {
    const run = this.checkpointChain.then(async () => {
      if (offset >= this.recoveryPoint) return;
      this.recoveryPoint = offset;
      await writeDurably(join(this.dir, RECOVERY_POINT_CHECKPOINT), `${offset}\n`);
    });
    this.checkpointChain = run.catch(() => {});
    return run;
  }

  private async writeLogStartOffset(): Promise<void> {
    const p = join(this.dir, LOG_START_CHECKPOINT);
    await writeFile(p + '.tmp', `${this.startOffset}\n`);
    await rename(p + '.tmp', p);
  }

  /** Removes segments from the list now; their files are renamed `.deleted` and removed after file.delete.delay.ms. */
  private async retireSegments(victims: Segment[]): Promise<void> {
    if (victims.length === 0) return;
    const set = new Set(victims);
    this.segments = this.segments.filter((s) => !set.has(s));
    for (const seg of victims) {
      await seg.renameFiles('', '.deleted');
      this.scheduleUnlink(seg, '.deleted');
    }
  }

  private scheduleUnlink(seg: Segment, suffix: string): void {
    const entry = { seg, timer: null as NodeJS.Timeout | null, suffix };
    const finish = async () => {
      this.pendingDeletes.delete(entry);
      await seg.close().catch(() => {});
      await seg.unlinkFiles(suffix);
    };
    entry.timer = setTimeout(() => { void finish(); }, this.config.fileDeleteDelayMs);
    entry.timer.unref();
    this.pendingDeletes.add(entry);
  }

  /**
   * Installs the bound the log must not delete or clean at or above: the partition's high
   * watermark, which records above may still be truncated from (null: the log end, as before).
   */
  setHighWatermarkGuard(guard: (() => bigint) | null): void {
    this.highWatermarkGuard = guard;
  }

  /** Offset below which retention, compaction and DeleteRecords may act. */
  private get deletableBound(): bigint {
    const end = this.endOffset;
    if (!this.highWatermarkGuard) return end;
    const hw = this.highWatermarkGuard();
    return hw < end ? hw : end;
  }

  /** DeleteRecords: moves the log start to `offset` (-1: the high watermark, or the log end without a guard). */
  deleteRecordsBefore(offset: bigint): Promise<bigint> {
    return this.serialize(async () => {
      const bound = this.deletableBound;
      const target = offset === -1n ? bound : offset;
      if (target < 0n || target > bound) {
        throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset} is outside [${this.startOffset}, ${bound}]`);
      }
      if (target <= this.startOffset) return this.startOffset;
      this.startOffset = target;
      await this.writeLogStartOffset();
      this.epochs.truncateFromStart(target);
      const victims: Segment[] = [];
      for (let i = 0; i < this.segments.length - 1; i++) {
        if (this.segments[i + 1].baseOffset <= target) victims.push(this.segments[i]); else break;
      }
      await this.retireSegments(victims);
      return this.startOffset;
    });
  }

  updateConfig(config: LogConfig): void {
    this.config = config;
  }

  enforceRetention(now = Date.now()): Promise<{ deletedSegments: number }> {
    return this.serialize(async () => {
      const cfg = this.config;
      const victims: Segment[] = [];
      if (cfg.cleanupPolicy.includes('delete')) {
        const closed = this.segments.slice(0, -1);
        let i = 0;
        if (cfg.retentionMs >= 0) {
          const cutoff = BigInt(now - cfg.retentionMs);
          // A segment without timestamps (-1) ages by its file's modification time, as Kafka.
          const age = async (seg: Segment) => seg.maxTimestamp >= 0n ? seg.maxTimestamp : BigInt(Math.floor((await stat(seg.logPath)).mtimeMs));
          while (i < closed.length && (await age(closed[i])) < cutoff) victims.push(closed[i++]);
        }
        if (cfg.retentionBytes >= 0) {
          let excess = this.sizeInBytes - cfg.retentionBytes;
          for (const v of victims) excess -= v.size;
          while (i < closed.length && excess - closed[i].size >= 0) { excess -= closed[i].size; victims.push(closed[i++]); }
        }
      }
      // Never past the high watermark: a segment goes only when everything in it is below.
      const bound = this.deletableBound;
      const endOf = (seg: Segment) => this.segments[this.segments.indexOf(seg) + 1].baseOffset;
      while (victims.length > 0 && endOf(victims[victims.length - 1]) > bound) victims.pop();
      if (victims.length === 0) return { deletedSegments: 0 };
      const newStart = endOf(victims[victims.length - 1]);
      if (newStart > this.startOffset) {
        this.startOffset = newStart;
        await this.writeLogStartOffset();
        this.epochs.truncateFromStart(newStart);
      }
      await this.retireSegments(victims);
      this.logger?.info({ dir: this.dir, deleted: victims.length, logStartOffset: String(this.startOffset) }, 'retention deleted segments');
      return { deletedSegments: victims.length };
    });
  }

  // ---------------------------------------------------------------- compaction

  compact(now = Date.now()): Promise<{ cleanedSegments: number; removedRecords: number }> {
    return this.serialize(() => this.doCompact(now));
  }

  private async doCompact(now: number): Promise<{ cleanedSegments: number; removedRecords: number }> {
    const cfg = this.config;
    if (!cfg.cleanupPolicy.includes('compact')) return { cleanedSegments: 0, removedRecords: 0 };
    const segs = this.segments.slice();
    const activeSeg = segs[segs.length - 1];
    const activeEnd = activeSeg.size;
    // Cleanable: closed segments older than min.compaction.lag.ms (a contiguous prefix, as Kafka).
    const lagCutoff = BigInt(now - cfg.minCompactionLagMs);
    // With a high-watermark guard, only segments wholly below it are cleaned and only records
    // below it supersede others (those above may still be truncated away, as in Kafka).
    const guarded = this.highWatermarkGuard !== null;
    const bound = this.deletableBound;
    const cleanable: Segment[] = [];
    for (let i = 0; i < segs.length - 1; i++) {
      const s = segs[i];
      if (s.maxTimestamp <= lagCutoff && segs[i + 1].baseOffset <= bound) cleanable.push(s); else break;
    }
    if (cleanable.length === 0) return { cleanedSegments: 0, removedRecords: 0 };
    // Latest offset per key across the log (the active segment's keys supersede older ones too).
    const aborted = () => this.truncationsWaiting > 0;
    const latest = new Map<string, bigint>();
    const collect = (seg: Segment, to: number) => scanSegment(seg, 0, to, false, -1n, (b) => {
      if (aborted()) return false;
      if (b.isControl || (guarded && b.baseOffset >= bound)) return;
      for (const r of decodeRecords(b)) if (r.key && (!guarded || r.offset < bound)) latest.set(r.key.toString('latin1'), r.offset);
    });
    for (const s of segs) await collect(s, s === activeSeg ? activeEnd : s.size);
    let cleanedSegments = 0;
    let removedRecords = 0;
    for (const seg of cleanable) {
      if (aborted()) break;
      let stopped = false;
      let removedHere = 0;
      let changed = false;
      const fresh = new Segment(this.dir, seg.baseOffset, false);
      const cleanedPath = logFile(this.dir, seg.baseOffset) + '.cleaned';
      const out = await open(cleanedPath, 'w');
      let outPos = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const interval = cfg.indexIntervalBytes;
      const emit = async (bytes: Buffer) => {
        const v = new RecordBatch(bytes);
        fresh.indexBatch(v.lastOffset, v.maxTimestamp, outPos + pendingBytes, bytes.length, interval);
        pending.push(bytes);
        pendingBytes += bytes.length;
        if (pendingBytes >= SCAN_CHUNK) {
          const data = Buffer.concat(pending, pendingBytes);
          await out.write(data, 0, data.length, outPos);
          outPos += data.length;
          pending = [];
          pendingBytes = 0;
        }
      };
      const clean = async (b: RecordBatch): Promise<void> => {
        if (b.isControl) return emit(Buffer.from(b.bytes));
        const records = decodeRecords(b);
        // Tombstones (KIP-534): the first cleaning stamps the batch with a delete horizon
        // (now + delete.retention.ms); cleanings after the horizon drop them.
        const horizon = b.hasDeleteHorizon ? b.baseTimestamp : null;
        const dropTombstones = horizon !== null && BigInt(now) >= horizon;
        const keep = records.filter((r) => {
          if (!r.key) return false;
          if (latest.get(r.key.toString('latin1')) !== r.offset) return false;
          if (r.value === null && dropTombstones) return false;
          return true;
        });
        removedHere += records.length - keep.length;
        const keepsTombstone = keep.some((r) => r.value === null);
        if (keep.length === records.length && (!keepsTombstone || horizon !== null)) return emit(Buffer.from(b.bytes));
        changed = true;
        if (keep.length === 0) return;
        // Survivors are re-encoded with the batch's codec, keeping their offsets (gaps) and the batch's range.
        const builder = new RecordBatchBuilder({
          compression: b.compression, baseOffset: b.baseOffset, partitionLeaderEpoch: b.partitionLeaderEpoch,
          producerId: b.producerId, producerEpoch: b.producerEpoch, baseSequence: b.baseSequence,
          transactional: b.isTransactional, logAppendTime: b.isLogAppendTime, now: Number(b.maxTimestamp),
          lastOffsetDelta: b.lastOffsetDelta,
          deleteHorizonMs: keepsTombstone ? horizon ?? BigInt(now + cfg.deleteRetentionMs) : undefined,
        });
        for (const r of keep) builder.add({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, offsetDelta: r.offsetDelta });
        return emit(builder.build());
      };
      try {
        await scanSegment(seg, 0, seg.size, false, -1n, (b) => {
          if (aborted()) { stopped = true; return false; }
          return clean(b);
        });
        if (pendingBytes && !stopped) {
          const data = Buffer.concat(pending, pendingBytes);
          await out.write(data, 0, data.length, outPos);
          outPos += data.length;
        }
        if (changed && !stopped) await out.sync();
      } finally {
        await out.close();
      }
      if (!changed || stopped) {
        await unlink(cleanedPath).catch(() => {});
        continue;
      }
      fresh.size = outPos;
      await this.swapSegment(seg, fresh);
      cleanedSegments++;
      removedRecords += removedHere;
    }
    if (cleanedSegments) this.logger?.info({ dir: this.dir, cleanedSegments, removedRecords }, 'compacted');
    return { cleanedSegments, removedRecords };
  }

  /** Replaces a closed segment by its cleaned copy: `.cleaned` → `.swap` → `.log` (recovery finishes a half-done swap). */
  private async swapSegment(old: Segment, fresh: Segment): Promise<void> {
    const path = logFile(this.dir, old.baseOffset);
    await rename(path + '.cleaned', path + '.swap');
    // The old inode stays readable through `old`'s open handle for in-flight reads.
    const oldFh = await old.handle();
    // Stale indexes must not survive next to the new data if we crash before writing the new ones.
    await unlink(old.indexPath).catch(() => {});
    await unlink(old.timeIndexPath).catch(() => {});
    await rename(path + '.swap', path);
    fresh.maybeAppendTimeEntry();
    if (old.maxTimestamp > fresh.maxTimestamp) fresh.maxTimestamp = old.maxTimestamp; // keeps retention's clock
    fresh.nextOffset = old.nextOffset;
    await fresh.writeIndexes();
    const i = this.segments.indexOf(old);
    if (i < 0) {
      // Deleted meanwhile by retention; nothing to swap into.
      await fresh.unlinkFiles();
      return;
    }
    if (fresh.size === 0 && i < this.segments.length - 1) {
      this.segments.splice(i, 1);
      await fresh.unlinkFiles();
    } else {
      this.segments[i] = fresh;
    }
    const t = setTimeout(() => { void oldFh.close().catch(() => {}); old.fh = null; }, this.config.fileDeleteDelayMs);
    t.unref();
  }

  // ---------------------------------------------------------------- lifecycle

  /** Waits for queued appends, writes pending index entries and fsyncs the active segment. */
  async flush(): Promise<void> {
    await this.appendChain;
    const seg = this.active;
    await seg.persistIndexes();
    await seg.sync();
    await this.rollSync;
    await this.advanceRecoveryPoint(seg.baseOffset);
    this.unflushedMessages = 0;
    this.lastFlushMs = Date.now();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.appendChain;
    await this.maintenanceChain;
    this.closed = true;
    const active = this.active;
    active.maybeAppendTimeEntry();
    for (const s of this.segments) await s.persistIndexes();
    await active.sync();
    await this.rollSync;
    await this.advanceRecoveryPoint(active.baseOffset);
    await this.epochs.flushed().catch((err) => this.logger?.error({ err, dir: this.dir }, 'leader epoch checkpoint not written'));
    for (const s of this.segments) await s.close();
    for (const d of [...this.pendingDeletes]) {
      if (d.timer) clearTimeout(d.timer);
      this.pendingDeletes.delete(d);
      await d.seg.close().catch(() => {});
      await d.seg.unlinkFiles(d.suffix);
    }
    await writeFile(join(this.dir, CLEAN_SHUTDOWN), '');
  }

  /** Closes the log and removes its directory. */
  async delete(): Promise<void> {
    await this.close().catch(() => {});
    await rm(this.dir, { recursive: true, force: true });
  }
}

export { MAGIC };
