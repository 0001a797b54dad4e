// Durable emulator state in one compacted Kafka topic (`__tributary_pubsub`, one
// partition): key → JSON value, null = deleted. Keys:
//   topic/<kafka topic>          Pub/Sub topic settings (labels, retention, …)
//   sub/<subscription name>      subscription settings
//   ack/<subscription name>/<p>  ack state of one partition: {floor, acked ranges}
//   snap/<snapshot name>         snapshot: topic + per-partition ack state
// The emulator reads the whole topic on start and writes every change through; it
// keeps nothing else, so it can be stopped at any time and started again.

import type { KafkaAccess } from './kafka/access.ts';

export const META_TOPIC = '__tributary_pubsub';

export class MetaStore {
  readonly values = new Map<string, unknown>();
  #kafka: KafkaAccess;
  #topic: string;
  #pending = new Map<string, unknown>();
  #flushing: Promise<void> | null = null;
  #waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(kafka: KafkaAccess, topic = META_TOPIC) {
    this.#kafka = kafka;
    this.#topic = topic;
  }

  async open(): Promise<void> {
    if (!(await this.#kafka.topicExists(this.#topic))) {
      try {
        await this.#kafka.createTopic(this.#topic, 1, { 'cleanup.policy': 'compact' });
      } catch (err) {
        if (!(await this.#kafka.topicExists(this.#topic))) throw err;
      }
    }
    const end = (await this.#kafka.offsets(this.#topic, 'latest'))[0] ?? 0n;
    let next = (await this.#kafka.offsets(this.#topic, 'earliest'))[0] ?? 0n;
    const reader = this.#kafka.reader(this.#topic);
    try {
      while (next < end) {
        const { records, logStart } = await reader.fetch(new Map([[0, next]]), 200);
        const ls = logStart.get(0);
        if (ls !== undefined && ls > next) next = ls;
        for (const r of records) {
          if (r.offset >= end) break;
          next = r.offset + 1n;
          const key = r.key?.toString('utf8');
          if (key === undefined) continue;
          if (r.value === null || r.value.length === 0) this.values.delete(key);
          else this.values.set(key, JSON.parse(r.value.toString('utf8')));
        }
      }
    } finally {
      await reader.close();
    }
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
}

/** A partition's ack state as stored: everything below floor acked, plus ranges [a, b] above. */
export interface AckRecord {
  floor: string;
  acked: [string, string][];
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
