// Micro-benchmark of PartitionLog: appends 1 MiB produce requests of 100-byte records for
// ~5 s (each request: batches of 16 KiB as a Java/librdkafka producer would send, or one
// 1 MiB batch with --one-batch), then reads everything back with 1 MiB fetches.
// Usage: node broker-image/bench/log-append.ts [--seconds 5] [--codec none|gzip|snappy|lz4|zstd] [--one-batch]

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { scanBatches } from '../src/records/batch.ts';
import { codecId } from '../src/records/compression/index.ts';
import { RecordBatchBuilder } from '../src/records/record.ts';
import { defaultLogConfig, PartitionLog } from '../src/log/partition-log.ts';

const { values } = parseArgs({ options: {
  seconds: { type: 'string', default: '5' },
  codec: { type: 'string', default: 'none' },
  'one-batch': { type: 'boolean', default: false },
  'segment-mb': { type: 'string', default: '1024' },
} });
const seconds = Number(values.seconds);
const codec = codecId(values.codec!);
const REQUEST = 1024 * 1024;
const RECORD = 100;
const batchBytes = values['one-batch'] ? REQUEST - 200 : 16 * 1024;

// Build a few distinct requests up front (the broker receives them ready-made).
function makeRequest(seed: number): { buf: Buffer; records: number } {
  const parts: Buffer[] = [];
  let total = 0;
  let records = 0;
  while (true) {
    const b = new RecordBatchBuilder({ compression: codec });
    const per = Math.floor(batchBytes / (RECORD + 12));
    for (let i = 0; i < per; i++) {
      const value = Buffer.alloc(RECORD);
      for (let j = 0; j < RECORD; j += 4) value.writeUInt32LE((seed * 7919 + i * 31 + j) >>> 0, j);
      b.add({ value, timestamp: Date.now() });
    }
    const buf = b.build();
    if (total + buf.length > REQUEST) break;
    parts.push(buf);
    total += buf.length;
    records += per;
  }
  return { buf: Buffer.concat(parts), records };
}
const templates = Array.from({ length: 8 }, (_, i) => makeRequest(i));
if (templates[0].records === 0) throw new Error("request template is empty");

const root = await mkdtemp(join(tmpdir(), 'tributary-bench-'));
try {
  const log = await PartitionLog.open(join(root, 'bench-0'), { ...defaultLogConfig, segmentBytes: Number(values['segment-mb']) * 1024 * 1024, retentionMs: -1 });
  let bytes = 0;
  let records = 0;
  let requests = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    const t = templates[requests % templates.length];
    // A fresh copy, as each request arrives in its own buffer (append patches it in place).
    const req = Buffer.from(t.buf);
    const r = await log.append(req);
    bytes += r.byteSize;
    records += r.recordCount;
    requests++;
  }
  await log.flush();
  const appendSec = (performance.now() - t0) / 1000;
  console.log(`append: ${requests} requests, ${(bytes / 1e6 / appendSec).toFixed(1)} MB/s, ${Math.round(records / appendSec).toLocaleString('en')} records/s (codec ${values.codec}, ${values['one-batch'] ? '1 batch' : '16 KiB batches'} per 1 MiB request, ${log.segmentCount} segments)`);

  const t1 = performance.now();
  let next = log.logStartOffset;
  let readBytes = 0;
  let readRecords = 0;
  let fetches = 0;
  while (next < log.logEndOffset) {
    const buf = await log.read(next, REQUEST);
    const batches = scanBatches(buf).batches;
    if (batches.length === 0) throw new Error(`empty read at ${next}`);
    for (const b of batches) readRecords += b.recordCount;
    next = batches[batches.length - 1].nextOffset;
    readBytes += buf.length;
    fetches++;
  }
  const readSec = (performance.now() - t1) / 1000;
  console.log(`read:   ${fetches} fetches, ${(readBytes / 1e6 / readSec).toFixed(1)} MB/s, ${Math.round(readRecords / readSec).toLocaleString('en')} records/s`);
  if (readRecords !== records) throw new Error(`read ${readRecords} records, appended ${records}`);
  await log.close();
} finally {
  await rm(root, { recursive: true, force: true });
}
