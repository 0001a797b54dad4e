// The workload every path runs: which key each record id carries (uniform or
// Zipf-distributed over `keys` keys, from a seeded generator so every path sees
// the same sequence), which producer owns which key, the record bytes, and pacing.
//
// A record's value is [u32 id][u32 key][f64 send time in performance.now() ms]
// followed by filler up to recordSize. Producer p owns the keys k with
// k % producers === p, so per-key order is defined by one sender.

export type KeyDistribution = 'uniform' | 'zipf';

export interface WorkloadSpec {
  records: number;
  recordSize: number;
  keys: number;
  keyDistribution: KeyDistribution;
  /** Zipf exponent s (1.0 is the classic 1/k). */
  zipfExponent: number;
  /** Target records/s over all producers; 0 = as fast as the path takes them. */
  rate: number;
  producers: number;
  consumers: number;
  /** Kafka partitions and Kinesis shards (Pub/Sub topics have no partitions to choose). */
  partitions: number;
  seed: number;
}

export const HEADER_BYTES = 16;

export interface Workload {
  spec: WorkloadSpec;
  /** keyOf[id]: the key index of record id. */
  keyOf: Uint32Array;
  /** For each producer, the ids it sends, ascending. */
  idsOf: Uint32Array[];
  keyName(key: number): string;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeWorkload(spec: WorkloadSpec): Workload {
  if (spec.recordSize < HEADER_BYTES) throw new Error(`record size must be at least ${HEADER_BYTES} bytes`);
  const random = mulberry32(spec.seed);
  const keyOf = new Uint32Array(spec.records);
  if (spec.keyDistribution === 'uniform') {
    for (let i = 0; i < spec.records; i++) keyOf[i] = Math.floor(random() * spec.keys);
  } else {
    const cdf = new Float64Array(spec.keys);
    let sum = 0;
    for (let k = 0; k < spec.keys; k++) cdf[k] = sum += 1 / Math.pow(k + 1, spec.zipfExponent);
    for (let k = 0; k < spec.keys; k++) cdf[k] /= sum;
    for (let i = 0; i < spec.records; i++) {
      const u = random();
      let lo = 0;
      let hi = spec.keys - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cdf[mid] < u) lo = mid + 1;
        else hi = mid;
      }
      keyOf[i] = lo;
    }
  }
  const counts = new Uint32Array(spec.producers);
  for (let i = 0; i < spec.records; i++) counts[keyOf[i] % spec.producers]++;
  const idsOf = Array.from(counts, (n) => new Uint32Array(n));
  const fill = new Uint32Array(spec.producers);
  for (let i = 0; i < spec.records; i++) {
    const p = keyOf[i] % spec.producers;
    idsOf[p][fill[p]++] = i;
  }
  return { spec, keyOf, idsOf, keyName: (k) => `key-${k}` };
}

export function encodeRecord(id: number, key: number, size: number, sentAt: number): Buffer {
  const b = Buffer.alloc(size, 0x2e);
  b.writeUInt32BE(id, 0);
  b.writeUInt32BE(key, 4);
  b.writeDoubleBE(sentAt, 8);
  return b;
}

export function decodeRecord(b: Uint8Array): { id: number; key: number; sentAt: number } {
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return { id: buf.readUInt32BE(0), key: buf.readUInt32BE(4), sentAt: buf.readDoubleBE(8) };
}

/** Waits until `sent` records are due at `perProducerRate` records/s since `start` (no-op for rate 0). */
export async function pace(start: number, sent: number, perProducerRate: number): Promise<void> {
  if (perProducerRate <= 0) return;
  const wait = start + (sent * 1000) / perProducerRate - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
}
