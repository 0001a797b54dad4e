// Durable emulator state in one compacted Kafka topic (`__tributary_pubsub`, one
// partition): key → JSON value, null = deleted. Keys:
//   topic/<kafka topic>          Pub/Sub topic settings (labels, retention, …)
//   sub/<subscription name>      subscription settings
//   ack/<subscription name>/<p>  ack state of one partition: {floor, acked ranges, attempts, epoch}
//   snap/<snapshot name>         snapshot: topic + per-partition ack state
//   owner/<kafka topic>/<p>      which replica serves the partition now (its Pub/Sub address)
//   schema/<schema name>         a schema and its revisions (schemas/registry.ts)
// Every replica reads the whole topic on start and then tails it, so what one replica
// writes the others see; it keeps nothing else, so it can be stopped at any time.
//
// Fencing: an `ack/` record carries the epoch of the replica that owned the partition
// when it wrote it; a taking-over owner writes epoch + 1 first, and records of a lower
// epoch than the one applied are ignored (a replica that lost the partition without
// noticing cannot overwrite its successor's state). Log order decides, so every
// replica — and every later restart — applies the same records.

import type { KafkaAccess, TopicReader } from './kafka/access.ts';

export const META_TOPIC = '__tributary_pubsub';

export type MetaListener = (key: string, value: unknown) => void;

function epochOf(v: unknown): number {
  return (v as { epoch?: number } | null | undefined)?.epoch ?? 0;
}

export class MetaStore {
  readonly values = new Map<string, unknown>();
  #kafka: KafkaAccess;
  #topic: string;
  #pending = new Map<string, unknown>();
  #flushing: Promise<void> | null = null;
  #waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  #reader: TopicReader | null = null;
  #next = 0n;
  #tail: Promise<void> | null = null;
  #closed = false;
  #listeners = new Set<MetaListener>();
  #caughtUp: { at: bigint; resolve: () => void }[] = [];

  constructor(kafka: KafkaAccess, topic = META_TOPIC) {
    this.#kafka = kafka;
    this.#topic = topic;
  }

  /** Reads the topic to its end, then keeps tailing it. */
  async open(): Promise<void> {
    if (!(await this.#kafka.topicExists(this.#topic))) {
      try {
        await this.#kafka.createTopic(this.#topic, 1, { 'cleanup.policy': 'compact' });
      } catch (err) {
        if (!(await this.#kafka.topicExists(this.#topic))) throw err;
      }
    }
    this.#next = (await this.#kafka.offsets(this.#topic, 'earliest'))[0] ?? 0n;
    this.#reader = this.#kafka.reader(this.#topic);
    const end = (await this.#kafka.offsets(this.#topic, 'latest'))[0] ?? 0n;
    while (this.#next < end) await this.#fetchOnce(200);
    this.#tail = this.#tailLoop();
  }

  /** Called for every record applied from the log (after the in-memory value changed). */
  onChange(f: MetaListener): void {
    this.#listeners.add(f);
  }

  async #fetchOnce(waitMs: number): Promise<void> {
    const { records, logStart } = await this.#reader!.fetch(new Map([[0, this.#next]]), waitMs);
    const ls = logStart.get(0);
    if (ls !== undefined && ls > this.#next) this.#next = ls;
    for (const r of records) {
      if (r.offset < this.#next) continue;
      this.#next = r.offset + 1n;
      const key = r.key?.toString('utf8');
      if (key === undefined) continue;
      const value = r.value === null || r.value.length === 0 ? null : JSON.parse(r.value.toString('utf8'));
      if (!this.#apply(key, value)) continue;
      for (const f of this.#listeners) {
        try {
          f(key, value);
        } catch {
          /* a listener's failure is its own */
        }
      }
    }
    if (this.#caughtUp.length) {
      const keep = [];
      for (const w of this.#caughtUp) if (this.#next >= w.at) w.resolve(); else keep.push(w);
      this.#caughtUp = keep;
    }
  }

  /** Applies one logged record; false when fenced off (a stale owner's ack state). */
  #apply(key: string, value: unknown): boolean {
    if (key.startsWith('ack/') && value !== null) {
      const cur = this.values.get(key);
      if (cur !== undefined && epochOf(value) < epochOf(cur)) return false;
    }
    if (value === null) this.values.delete(key);
    else this.values.set(key, value);
    return true;
  }

  async #tailLoop(): Promise<void> {
    while (!this.#closed) {
      try {
        await this.#fetchOnce(500);
      } catch {
        if (this.#closed) return;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  }

  /**
   * Resolves once everything written to the topic before this call has been applied;
   * false if that took longer than `timeoutMs` (the caller goes on with what it has).
   */
  async barrier(timeoutMs = 15_000): Promise<boolean> {
    const end = (await this.#kafka.offsets(this.#topic, 'latest'))[0] ?? 0n;
    if (this.#next >= end) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#caughtUp.push({
        at: end,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      });
    });
  }

  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }

  *entries<T>(prefix: string): Iterable<[string, T]> {
    for (const [k, v] of this.values) if (k.startsWith(prefix)) yield [k, v as T];
  }

  /** Applies at once in memory; the promise resolves when Kafka has it (group commit). */
  put(key: string, value: unknown): Promise<void> {
    if (value === null || value === undefined) this.values.delete(key);
    else this.values.set(key, value);
    this.#pending.set(key, value ?? null);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      if (!this.#flushing) this.#flushing = this.#flushLoop();
    });
  }

  async #flushLoop(): Promise<void> {
    await Promise.resolve();
    while (this.#pending.size > 0) {
      const batch = this.#pending;
      const waiters = this.#waiters;
      this.#pending = new Map();
      this.#waiters = [];
      try {
        await this.#kafka.produce(
          this.#topic,
          [...batch].map(([k, v]) => ({
            partition: 0,
            key: Buffer.from(k),
            value: v === null ? null : Buffer.from(JSON.stringify(v)),
            headers: {},
            timestamp: BigInt(Date.now()),
          })),
        );
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(err);
      }
    }
    this.#flushing = null;
  }

  /** Waits for every write so far. */
  async drain(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.drain().catch(() => {});
    await this.#reader?.close();
    await this.#tail?.catch(() => {});
    for (const w of this.#caughtUp.splice(0)) w.resolve();
  }
}

/** A partition's ack state as stored: everything below floor acked, plus ranges [a, b] above. */
export interface AckRecord {
  floor: string;
  acked: [string, string][];
  /** Delivery attempts so far of messages still unacked (offset → count). */
  attempts?: Record<string, number>;
  /** Ownership epoch of the writer (see MetaStore). */
  epoch?: number;
  /** The subscription's seek epoch this state belongs to. */
  seekEpoch?: number;
}

export function encodeAcks(floor: bigint, acked: Set<bigint>): AckRecord {
  const sorted = [...acked].filter((o) => o >= floor).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const ranges: [string, string][] = [];
  let start: bigint | null = null;
  let prev = 0n;
  for (const o of sorted) {
    if (start !== null && o === prev + 1n) {
      prev = o;
      continue;
    }
    if (start !== null) ranges.push([String(start), String(prev)]);
    start = o;
    prev = o;
  }
  if (start !== null) ranges.push([String(start), String(prev)]);
  return { floor: String(floor), acked: ranges };
}

export function decodeAcks(r: AckRecord): { floor: bigint; acked: Set<bigint> } {
  const acked = new Set<bigint>();
  for (const [a, b] of r.acked) for (let o = BigInt(a); o <= BigInt(b); o++) acked.add(o);
  return { floor: BigInt(r.floor), acked };
}
