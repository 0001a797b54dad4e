// AWS's per-shard limits as token buckets (only used when limits are enforced):
// writes 1,000 records/s and 1 MiB/s, reads 5 GetRecords calls/s and 2 MiB/s.
// A bucket holds one second's worth; reads are charged after the fact, so a large
// read makes the following ones wait (as in AWS).

interface Bucket {
  tokens: number;
  at: number;
}

class Buckets {
  readonly #rate: number;
  readonly #m = new Map<string, Bucket>();
  constructor(ratePerSecond: number) {
    this.#rate = ratePerSecond;
  }
  #get(key: string, now: number): Bucket {
    let b = this.#m.get(key);
    if (!b) this.#m.set(key, (b = { tokens: this.#rate, at: now }));
    b.tokens = Math.min(this.#rate, b.tokens + ((now - b.at) / 1000) * this.#rate);
    b.at = now;
    return b;
  }
  available(key: string, n: number, now: number): boolean {
    return this.#get(key, now).tokens >= n;
  }
  take(key: string, n: number, now: number): void {
    this.#get(key, now).tokens -= n;
  }
}

export class ShardLimiter {
  readonly #writeRecords = new Buckets(1000);
  readonly #writeBytes = new Buckets(1024 * 1024);
  readonly #readCalls = new Buckets(5);
  readonly #readBytes = new Buckets(2 * 1024 * 1024);

  /** Admits a write of `records`/`bytes` to a shard, or returns false (throttled). */
  write(stream: string, partition: number, records: number, bytes: number, now = Date.now()): boolean {
    const k = `${stream}/${partition}`;
    if (!this.#writeRecords.available(k, records, now) || !this.#writeBytes.available(k, bytes, now)) return false;
    this.#writeRecords.take(k, records, now);
    this.#writeBytes.take(k, bytes, now);
    return true;
  }

  /** Admits one GetRecords call on a shard, or returns false. */
  read(stream: string, partition: number, now = Date.now()): boolean {
    const k = `${stream}/${partition}`;
    if (!this.#readCalls.available(k, 1, now) || !this.#readBytes.available(k, 0, now)) return false;
    this.#readCalls.take(k, 1, now);
    return true;
  }

  /** Charges the bytes a read returned. */
  readBytes(stream: string, partition: number, bytes: number, now = Date.now()): void {
    this.#readBytes.take(`${stream}/${partition}`, bytes, now);
  }
}
