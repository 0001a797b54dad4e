// The consumer side's bookkeeping, shared by every path: each delivery is checked
// against the record ids that were sent. Counts losses (ids never delivered),
// duplicates (deliveries of an id already delivered), redelivered ids, ordering
// violations per key (a first delivery whose id is below the highest id already
// delivered for its key: producers send each key's ids in ascending order), and the
// end-to-end latency of each first delivery, kept exactly (one float per record).

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  /** [percentile, ms] pairs for the percentile plot. */
  curve: [number, number][];
}

export const CURVE_PERCENTILES = [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99];

export class DeliveryCheck {
  private readonly deliveries: Uint8Array;
  private readonly highestPerKey: Float64Array;
  private readonly latencies: Float64Array;
  private readonly keyOf: Uint32Array;
  firstDeliveries = 0;
  duplicates = 0;
  redeliveredIds = 0;
  orderViolations = 0;
  /** Deliveries whose key field disagreed with the workload (a corrupted or foreign record). */
  foreign = 0;
  firstAt = 0;
  lastAt = 0;
  private waiter: (() => void) | null = null;

  constructor(keyOf: Uint32Array, keys: number) {
    this.keyOf = keyOf;
    this.deliveries = new Uint8Array(keyOf.length);
    this.highestPerKey = new Float64Array(keys).fill(-1);
    this.latencies = new Float64Array(keyOf.length);
  }

  get expected(): number {
    return this.keyOf.length;
  }

  /** One delivery as the consumer saw it. `now` is performance.now() at receipt. */
  deliver(id: number, key: number, sentAt: number, now: number): void {
    if (id >= this.keyOf.length || this.keyOf[id] !== key) {
      this.foreign++;
      return;
    }
    const n = this.deliveries[id];
    if (n > 0) {
      this.duplicates++;
      if (n === 1) this.redeliveredIds++;
      if (n < 255) this.deliveries[id] = n + 1;
      return;
    }
    this.deliveries[id] = 1;
    if (id < this.highestPerKey[key]) this.orderViolations++;
    else this.highestPerKey[key] = id;
    this.latencies[this.firstDeliveries++] = now - sentAt;
    if (this.firstAt === 0) this.firstAt = now;
    this.lastAt = now;
    if (this.firstDeliveries === this.keyOf.length) this.waiter?.();
  }

  get complete(): boolean {
    return this.firstDeliveries === this.keyOf.length;
  }

  get lost(): number {
    return this.keyOf.length - this.firstDeliveries;
  }

  /**
   * Resolves when every id was delivered, or when nothing new arrived for `idleMs`
   * after `producedBy` resolved (the rest are then losses), or at `deadlineMs`.
   */
  async wait(producedBy: Promise<unknown>, idleMs: number, deadlineMs: number): Promise<void> {
    if (this.complete) return;
    const all = new Promise<void>((r) => (this.waiter = r));
    let produced = false;
    void producedBy.then(() => (produced = true), () => (produced = true));
    const deadline = performance.now() + deadlineMs;
    let lastCount = -1;
    let lastChange = performance.now();
    while (!this.complete) {
      await Promise.race([all, new Promise((r) => setTimeout(r, 200))]);
      const now = performance.now();
      if (this.firstDeliveries !== lastCount) {
        lastCount = this.firstDeliveries;
        lastChange = now;
      }
      if (produced && now - lastChange > idleMs) return;
      if (now > deadline) return;
    }
  }

  latency(): LatencySummary {
    const sorted = this.latencies.slice(0, this.firstDeliveries).sort();
    const at = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
    let sum = 0;
    for (const v of sorted) sum += v;
    return {
      p50: at(50), p95: at(95), p99: at(99), p999: at(99.9), max: sorted.length ? sorted[sorted.length - 1] : NaN,
      mean: sorted.length ? sum / sorted.length : NaN,
      curve: CURVE_PERCENTILES.map((p) => [p, at(p)]),
    };
  }
}
