// `tributary producer-perf-test`, like kafka-producer-perf-test.sh: sends
// --num-records records of --record-size bytes at up to --throughput
// records/s and prints Kafka's progress and summary lines.

import { BrokerConnection } from '../../client/connection.ts';
import { partitionCount, produceBatch } from '../../client/topic-client.ts';
import { codecId } from '../../records/compression/index.ts';
import { expandMultiValueFlags, intFlag, keyValues, parseFlags, requireFlag, UsageError } from '../usage.ts';

const REPORT_INTERVAL_MS = 5000;

export async function producerPerfTest(args: string[]): Promise<number> {
  const f = parseFlags(expandMultiValueFlags(args, ['--producer-props']), {
    topic: { type: 'string' }, 'num-records': { type: 'string' }, 'record-size': { type: 'string' },
    throughput: { type: 'string' }, 'producer-props': { type: 'string', multiple: true },
    'bootstrap-server': { type: 'string' },
  });
  const topic = requireFlag(f.topic, 'topic');
  const numRecords = intFlag(f['num-records'], 'num-records');
  const recordSize = intFlag(f['record-size'], 'record-size');
  const throughput = intFlag(f.throughput, 'throughput');
  if (numRecords <= 0 || recordSize <= 0) throw new UsageError('--num-records and --record-size must be positive');
  const props = keyValues(f['producer-props'], '--producer-props');
  const bootstrap = f['bootstrap-server'] ?? props.get('bootstrap.servers');
  if (!bootstrap) throw new UsageError('missing bootstrap.servers in --producer-props (or --bootstrap-server)');
  const acks = Number(props.get('acks') ?? '-1');
  const batchSize = Number(props.get('batch.size') ?? '16384');
  const maxInFlight = Number(props.get('max.in.flight.requests.per.connection') ?? '5');
  let compression: number;
  try {
    compression = codecId(props.get('compression.type') ?? 'none');
  } catch {
    throw new UsageError('compression.type must be one of none, gzip, snappy, lz4, zstd');
  }

  const conn = await BrokerConnection.open(bootstrap, 'producer-perf-test');
  try {
    const partitions = await partitionCount(conn, topic);
    // A record costs its value plus ~12 bytes of framing (length, deltas, key, headers).
    const perBatch = Math.max(1, Math.floor((batchSize - 61) / (recordSize + 12)));
    const payload = Buffer.alloc(recordSize, 'x');
    const stats = new Stats();
    const start = Date.now();
    const inFlight = new Set<Promise<void>>();
    let sent = 0;
    let partition = 0;
    while (sent < numRecords) {
      const n = Math.min(perBatch, numRecords - sent);
      if (throughput > 0) {
        const due = start + ((sent + n) * 1000) / throughput;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const created = performance.now();
      const records = Array.from({ length: n }, () => ({ value: payload }));
      const p = produceBatch(conn, topic, partition, records, { acks, compression }).then(() => {
        stats.record(n, recordSize, performance.now() - created);
      });
      const tracked = p.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      partition = (partition + 1) % partitions;
      sent += n;
      if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    stats.printTotal();
    return 0;
  } finally {
    conn.close();
  }
}

class Stats {
  private readonly start = Date.now();
  private windowStart = Date.now();
  private windowCount = 0;
  private windowBytes = 0;
  private windowLatencySum = 0;
  private windowMax = 0;
  private count = 0;
  private bytes = 0;
  private latencySum = 0;
  private maxLatency = 0;
  private readonly samples: number[] = [];

  record(records: number, size: number, latencyMs: number): void {
    this.count += records;
    this.bytes += records * size;
    this.latencySum += latencyMs * records;
    this.maxLatency = Math.max(this.maxLatency, latencyMs);
    this.samples.push(latencyMs);
    this.windowCount += records;
    this.windowBytes += records * size;
    this.windowLatencySum += latencyMs * records;
    this.windowMax = Math.max(this.windowMax, latencyMs);
    const now = Date.now();
    if (now - this.windowStart >= REPORT_INTERVAL_MS) {
      const secs = (now - this.windowStart) / 1000;
      console.log(`${this.windowCount} records sent, ${(this.windowCount / secs).toFixed(1)} records/sec (${(this.windowBytes / secs / 1048576).toFixed(2)} MB/sec), ${(this.windowLatencySum / this.windowCount).toFixed(1)} ms avg latency, ${this.windowMax.toFixed(1)} ms max latency.`);
      this.windowStart = now;
      this.windowCount = this.windowBytes = this.windowLatencySum = this.windowMax = 0;
    }
  }

  printTotal(): void {
    const secs = Math.max((Date.now() - this.start) / 1000, 0.001);
    const sorted = [...this.samples].sort((a, b) => a - b);
    const pct = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
    console.log(`${this.count} records sent, ${(this.count / secs).toFixed(1)} records/sec (${(this.bytes / secs / 1048576).toFixed(2)} MB/sec), ${(this.latencySum / Math.max(this.count, 1)).toFixed(2)} ms avg latency, ${this.maxLatency.toFixed(2)} ms max latency, ${pct(0.5)} ms 50th, ${pct(0.95)} ms 95th, ${pct(0.99)} ms 99th, ${pct(0.999)} ms 99.9th.`);
  }
}
