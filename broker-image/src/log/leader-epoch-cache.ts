// A partition's leader-epoch history (KIP-101/KIP-279): the first offset written in each
// leader epoch, persisted as Kafka's `leader-epoch-checkpoint` (`epoch startOffset` lines).
// Followers and OffsetForLeaderEpoch use it to find where two replicas' logs diverge.

import { join } from 'node:path';
import type { Logger } from 'pino';
import { CheckpointError, readCheckpoint, writeCheckpoint } from './checkpoint-file.ts';
import type { CheckpointFormat } from './checkpoint-file.ts';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';

export interface EpochEntry { epoch: number; startOffset: bigint }

const format: CheckpointFormat<EpochEntry> = {
  version: 0,
  format: (e) => `${e.epoch} ${e.startOffset}`,
  parse(line) {
    const m = /^(\d+) (\d+)$/.exec(line.trim());
    if (!m) return null;
    const epoch = Number(m[1]);
    return epoch <= 0x7fffffff ? { epoch, startOffset: BigInt(m[2]) } : null;
  },
};

export class LeaderEpochCache {
  readonly path: string;
  private entries: EpochEntry[] = [];
  private readonly logEndOffset: () => bigint;
  private readonly logger: Logger | undefined;
  private writing: Promise<void> = Promise.resolve();
  private queued: Promise<void> | null = null;
  private inFlight = 0;
  private queuedDurable = false;

  /** `logEndOffset` is the log's current end: the end of the latest epoch. */
  constructor(dir: string, logEndOffset: () => bigint, logger?: Logger) {
    this.path = join(dir, LEADER_EPOCH_CHECKPOINT);
    this.logEndOffset = logEndOffset;
    this.logger = logger;
  }

  /** Reads the checkpoint. Returns false when it is missing or malformed (the caller rebuilds it from the log). */
  async load(): Promise<boolean> {
    try {
      const read = await readCheckpoint(this.path, format);
      if (read === null) return false;
      this.entries = [];
      // Entries are written increasing in both epoch and offset; keep the file's history only if it is.
      for (const e of read) this.assign(e.epoch, e.startOffset, false);
      return this.entries.length === read.length;
    } catch (err) {
      if (!(err instanceof CheckpointError)) throw err;
      this.logger?.warn({ err, path: this.path }, 'leader epoch checkpoint unreadable: rebuilding it from the log');
      this.entries = [];
      return false;
    }
  }

  /** Every entry, oldest first (a copy). */
  get all(): EpochEntry[] { return this.entries.map((e) => ({ ...e })); }

  /** The latest epoch, or -1 when none is known. */
  get latestEpoch(): number { return this.entries.at(-1)?.epoch ?? -1; }

  /** The epoch before the latest, or -1. */
  get previousEpoch(): number { return this.entries.at(-2)?.epoch ?? -1; }

  /**
   * Records that `epoch` starts at `startOffset`. Only a newer epoch than the latest is
   * recorded (a repeated or older one is ignored: the history reflects what the log holds);
   * entries starting at or after `startOffset` are dropped so start offsets keep increasing.
   * Returns whether the cache changed; when it did, a write of the checkpoint is queued
   * (`flushed()` resolves when it is on disk).
   */
  assign(epoch: number, startOffset: bigint, persist = true): boolean {
    if (epoch < 0 || startOffset < 0n) return false;
    const latest = this.entries.at(-1);
    if (latest && epoch <= latest.epoch) return false;
    while (this.entries.length > 0 && this.entries[this.entries.length - 1].startOffset >= startOffset) {
      const dropped = this.entries.pop()!;
      this.logger?.warn({ path: this.path, dropped, epoch, startOffset: String(startOffset) }, 'leader epoch start offsets not increasing: dropping a later entry');
    }
    this.entries.push({ epoch, startOffset });
    if (persist) this.persistInBackground();
    return true;
  }

  /**
   * Kafka's OffsetForLeaderEpoch answer: the largest epoch <= `requested` with the start
   * offset of the next larger epoch as its end (the log end offset for the latest epoch).
   * A requested epoch older than every entry answers itself with the first entry's start
   * (its data is gone from the log); an unknown newer epoch, -1 or an empty cache answer -1, -1.
   */
  endOffsetFor(requested: number, logEndOffset = this.logEndOffset()): { epoch: number; endOffset: bigint } {
    const undefinedAnswer = { epoch: -1, endOffset: -1n };
    const es = this.entries;
    if (requested < 0 || es.length === 0) return undefinedAnswer;
    if (requested === es[es.length - 1].epoch) return { epoch: requested, endOffset: logEndOffset };
    // First entry with epoch > requested.
    const hi = es.findIndex((e) => e.epoch > requested);
    if (hi < 0) return undefinedAnswer;
    if (hi === 0) return { epoch: requested, endOffset: es[0].startOffset };
    return { epoch: es[hi - 1].epoch, endOffset: es[hi].startOffset };
  }

  /** The epoch whose range holds `offset`, or -1 (before the first entry). */
  epochFor(offset: bigint): number {
    let found = -1;
    for (const e of this.entries) { if (e.startOffset <= offset) found = e.epoch; else break; }
    return found;
  }

  /** After the log is truncated to `endOffset`: drops entries starting at or after it. */
  truncateFromEnd(endOffset: bigint): boolean {
    if (endOffset < 0n) return false;
    const before = this.entries.length;
    while (this.entries.length > 0 && this.entries[this.entries.length - 1].startOffset >= endOffset) this.entries.pop();
    if (this.entries.length === before) return false;
    this.persistInBackground();
    return true;
  }

  /** After the log start moves to `startOffset`: entries starting at or before it collapse into one starting there. */
  truncateFromStart(startOffset: bigint): boolean {
    if (startOffset < 0n) return false;
    let i = 0;
    while (i < this.entries.length && this.entries[i].startOffset <= startOffset) i++;
    if (i === 0) return false;
    const last = this.entries[i - 1];
    if (i === 1 && last.startOffset === startOffset) return false;
    this.entries.splice(0, i, { epoch: last.epoch, startOffset });
    this.persistInBackground();
    return true;
  }

  clear(): void {
    if (this.entries.length === 0) return;
    this.entries = [];
    this.persistInBackground();
  }

  /** Whether a checkpoint write is queued or running. */
  get writePending(): boolean { return this.inFlight > 0; }

  /** Resolves once every change made so far is on disk; rejects if that write failed. */
  flushed(): Promise<void> {
    return this.queued ?? this.writing;
  }

  /**
   * Queues a write of the current entries (one queued write covers any number of changes).
   * `durable: false` skips the fsyncs, for a history that a rebuild would find again.
   */
  persist(opts: { durable?: boolean } = {}): Promise<void> {
    this.queuedDurable ||= opts.durable ?? true;
    if (this.queued) return this.queued;
    this.inFlight++;
    const run = this.writing.catch(() => {}).then(() => {
      this.queued = null;
      const durable = this.queuedDurable;
      this.queuedDurable = false;
      return writeCheckpoint(this.path, format, this.entries.map((e) => ({ ...e })), { durable });
    }).finally(() => { this.inFlight--; });
    this.queued = run;
    this.writing = run;
    return run;
  }

  private persistInBackground(): void {
    this.persist().catch((err) => this.logger?.error({ err, path: this.path }, 'writing the leader epoch checkpoint failed'));
  }
}
