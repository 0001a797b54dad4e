// Shared by the log's tests: temp partition dirs, configs, batches and whole-log reads.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaError } from '../protocol/errors.ts';
import { RecordBatch, scanBatches } from '../records/batch.ts';
import { buildBatch, decodeRecords } from '../records/record.ts';
import type { BatchOptions, RecordInput } from '../records/record.ts';
import { defaultLogConfig } from './partition-log.ts';
import type { LogConfig, PartitionLog } from './partition-log.ts';

/** Runs `fn` with a fresh partition directory (`<tmp>/topic-0`, not yet created) and removes it after. */
export async function withDir(fn: (dir: string, root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'tributary-log-'));
  try {
    await fn(join(root, 'topic-0'), root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export const cfg = (over: Partial<LogConfig> = {}): LogConfig => ({ ...defaultLogConfig, fileDeleteDelayMs: 0, ...over });

/** A batch of `n` keyed records (k0…), values `${prefix}${i}` padded to `size`. */
export const batchOf = (n: number, prefix = 'v', opts: BatchOptions & { ts?: number; size?: number } = {}): Buffer =>
  buildBatch(Array.from({ length: n }, (_, i): RecordInput => ({
    key: `k${i}`, value: `${prefix}${i}`.padEnd(opts.size ?? 10, '.'), timestamp: opts.ts ?? 1_000,
  })), opts);

export const code = (c: number) => (e: unknown): boolean => e instanceof KafkaError && e.code === c;

/** The log's bytes from `from` to its end, as consecutive reads return them (whole batches). */
export async function readRaw(log: PartitionLog, from = log.logStartOffset, maxBytes = 1 << 20): Promise<Buffer> {
  const parts: Buffer[] = [];
  let next = from;
  while (next < log.logEndOffset) {
    const buf = await log.read(next, maxBytes);
    if (buf.length === 0) break; // only a gap up to the log end is left
    parts.push(buf);
    next = scanBatches(buf).batches.at(-1)!.nextOffset;
  }
  return Buffer.concat(parts);
}

export interface Rec { offset: bigint; key: string | null; value: string | null }

/** Every record from `from` on. */
export async function readAll(log: PartitionLog, from = log.logStartOffset): Promise<Rec[]> {
  const scan = scanBatches(await readRaw(log, from));
  assert.equal(scan.truncated, false);
  return scan.batches.flatMap((b) => decodeRecords(b)
    .filter((r) => r.offset >= from)
    .map((r) => ({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null })));
}

export const batchesIn = (buf: Buffer): RecordBatch[] => scanBatches(buf).batches;
