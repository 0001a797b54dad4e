// Chunked scans over a segment's batches (recovery, compaction, rebuilding the epoch cache).

import { LOG_OVERHEAD, RecordBatch, scanBatches } from '../records/batch.ts';
import type { Segment } from './segment.ts';

const SCAN_CHUNK = 4 * 1024 * 1024;

export interface ScanOutcome { end: number; truncatedAt: number | null; reason?: string }

/**
 * Scans batches in [from, to) of a segment in large chunks; `visit` sees each complete batch.
 * With `check`, stops at the first batch that is torn, not magic 2, fails its CRC or goes
 * backwards, and reports where the valid data ends.
 */
export async function scanSegment(seg: Segment, from: number, to: number, check: boolean, minOffset: bigint,
  visit: (b: RecordBatch, pos: number) => void | boolean | Promise<void>): Promise<ScanOutcome> {
  let pos = from;
  let expected = minOffset;
  while (pos < to) {
    let chunk = await seg.read(pos, Math.min(SCAN_CHUNK, to - pos));
    let scan = scanBatches(chunk);
    if (scan.batches.length === 0 && scan.truncated && chunk.length >= LOG_OVERHEAD) {
      // One batch larger than the chunk: read it whole (if the file holds it whole).
      const need = LOG_OVERHEAD + chunk.readInt32BE(8);
      if (need > chunk.length && pos + need <= to) {
        chunk = await seg.read(pos, need);
        scan = scanBatches(chunk);
      }
    }
    for (const b of scan.batches) {
      const at = pos + b.position;
      if (check) {
        if (b.magic !== 2) return { end: at, truncatedAt: at, reason: `magic ${b.magic}` };
        if (!b.isValidCrc()) return { end: at, truncatedAt: at, reason: 'CRC mismatch' };
        if (b.baseOffset < expected || b.lastOffsetDelta < 0) return { end: at, truncatedAt: at, reason: 'offsets go backwards' };
      }
      expected = b.nextOffset;
      const p = visit(b, at);
      if (p === false) return { end: at, truncatedAt: null }; // the visitor has what it wanted
      if (p instanceof Promise) await p;
    }
    pos += scan.validBytes;
    if (scan.error) return { end: pos, truncatedAt: pos, reason: scan.error.message };
    if (scan.batches.length === 0) return { end: pos, truncatedAt: pos, reason: 'torn batch' };
  }
  return { end: pos, truncatedAt: null };
}
