// One subscription at run time: reads its topic's Kafka partitions from its own
// cursors, leases messages to Pull calls, StreamingPull streams and the push
// deliverer, and keeps per-partition ack state (everything below `floor` acked, plus
// the acked offsets above it) that is written through to __tributary_pubsub.
//
// Delivery: a fetched message waits in `ready`; a nacked or expired one in
// `redeliver` (after the retry policy's backoff); leasing it gives it an ack ID
// `p-o-n` (partition, offset, delivery number) and a deadline. Ordering keys (when
// enabled): one outstanding message per key, the next one waits for its ack.
//
// Replicas: a runtime serves only the partitions this replica owns (`own`); while the
// group rebalances it is suspended (no fetching, no new leases) and keeps its lease
// table, which it resumes if it gets the same partitions back and nobody else wrote
// their ack state in between. Delivery attempts are part of the stored ack state when
// they matter (dead-letter or retry policy), so counts survive restarts and failovers.

import type { Logger } from 'pino';
import type { KafkaAccess, TopicReader, FetchedRecord } from './kafka/access.ts';
import { type MetaStore, type AckRecord, encodeAcks, decodeAcks } from './store.ts';
import type { Filter } from './filter.ts';
import { invalid } from './errors.ts';

export interface SubConfig {
  name: string;
  topic: string;
  kafkaTopic: string;
  ackDeadlineSeconds: number;
  retainAckedMessages: boolean;
  messageRetentionSeconds: number;
  labels: Record<string, string>;
  enableMessageOrdering: boolean;
  filter: string;
  deadLetterTopic: string | null;
  deadLetterKafkaTopic: string | null;
  maxDeliveryAttempts: number;
  retryMinSeconds: number | null;
  retryMaxSeconds: number | null;
  pushEndpoint: string;
  pushAttributes: Record<string, string>;
  pushOidc: { serviceAccountEmail: string; audience: string } | null;
  pushNoWrapper: boolean;
  exactlyOnce: boolean;
  detached: boolean;
  /** Changes at every seek; part of ack IDs so acks from before a seek are ignored. */
  seekEpoch?: number;
  /** The ack state the last seek set, per partition; owners apply it (store.ts). */
  seekState?: Record<string, AckRecord>;
  expirationTtlSeconds: number | null;
}

export interface Msg {
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  attributes: Record<string, string>;
  size: number;
}

export interface Delivery {
  ackId: string;
  msg: Msg;
  deliveryAttempt: number;
}

/** Where leased messages go: a StreamingPull stream or the push deliverer. */
export interface Sink {
  /** How many more messages this sink takes now. */
  capacity(): number;
  deadlineSeconds(): number;
  deliver(batch: Delivery[]): void;
  released(n: number, bytes: number): void;
  /** The subscription went away (deleted): end with this error. */
  end?(err: Error): void;
}

interface Lease {
  msg: Msg;
  ackId: string;
  deadline: number;
  sink: Sink | null;
}

interface Pending {
  msg: Msg;
  notBefore: number;
}

interface PartState {
  floor: bigint;
  acked: Set<bigint>;
  next: bigint;
  /** Delivery attempts of unacked messages. */
  attempts: Map<bigint, number>;
  /** Ownership epoch this replica writes with (store.ts). */
  epoch: number;
}

interface PullWaiter {
  max: number;
  resolve: (d: Delivery[]) => void;
}

const READY_HIGH = 20_000;
const msgKey = (p: number, o: bigint) => `${p}:${o}`;

export function messageIdOf(partition: number, offset: bigint): string {
  // Decimal like Google's IDs; partition and offset both recoverable (partitions < 4096).
  return String(offset * 4096n + BigInt(partition));
}

export function attributesOf(headers: [Buffer | null, Buffer | null][]): Record<string, string> {
  const a: Record<string, string> = {};
  for (const [k, v] of headers) if (k) a[k.toString('utf8')] = v ? v.toString('utf8') : '';
  return a;
}

export class SubscriptionRuntime {
  cfg: SubConfig;
  readonly parts = new Map<number, PartState>();
  #kafka: KafkaAccess;
  #store: MetaStore;
  #log: Logger;
  #filter: Filter | null;
  #reader: TopicReader | null = null;
  #ready: Msg[] = [];
  #readyHead = 0;
  #redeliver: Pending[] = [];
  readonly leases = new Map<string, Lease>();
  #keysOut = new Set<string>();
  #pulls: PullWaiter[] = [];
  readonly sinks = new Set<Sink>();
  #closed = false;
  #gen = 0;
  #wake: (() => void) | null = null;
  #loop: Promise<void> | null = null;
  #dirty = new Set<number>();
  #retryTimer: NodeJS.Timeout | null = null;
  #forwarding = 0;
  lastActivity = Date.now();
  #lastPull = 0;
  #suspended = false;
  #seekApplied: number;

  constructor(cfg: SubConfig, filter: Filter | null, kafka: KafkaAccess, store: MetaStore, log: Logger) {
    this.cfg = cfg;
    this.#filter = filter;
    this.#kafka = kafka;
    this.#store = store;
    this.#log = log;
    this.#seekApplied = cfg.seekEpoch ?? 0;
  }

  /** Whether attempt counts are worth storing (they show, or they set the backoff). */
  #tracksAttempts(): boolean {
    return !!this.cfg.deadLetterKafkaTopic || this.cfg.retryMinSeconds !== null;
  }

  owns(p: number): boolean {
    return this.parts.has(p);
  }

  epochOf(p: number): number {
    return this.parts.get(p)?.epoch ?? 0;
  }

  /** Stop fetching and leasing until the next `own` (a rebalance is under way). */
  suspend(): void {
    this.#suspended = true;
  }

  /**
   * Serve exactly these partitions. Kept ones keep their leases unless another replica
   * wrote their ack state meanwhile (then, like new ones, they are loaded from the
   * store with the next epoch, which fences the previous owner off).
   */
  async own(partitions: number[]): Promise<void> {
    const want = new Set(partitions);
    let changed = false;
    for (const p of [...this.parts.keys()]) {
      const stored = this.#store.get<AckRecord>(`ack/${this.cfg.name}/${p}`);
      if (want.has(p) && (stored?.epoch ?? 0) <= this.parts.get(p)!.epoch) continue;
      this.#drop(p);
      changed = true;
    }
    for (const p of want) {
      if (this.parts.has(p)) continue;
      this.parts.set(p, this.#load(p));
      this.#dirty.add(p);
      changed = true;
    }
    if (changed) this.#gen++;
    this.#suspended = false;
    await this.persist();
    this.dispatch();
    this.poke();
  }

  #load(p: number): PartState {
    const stored = this.#store.get<AckRecord>(`ack/${this.cfg.name}/${p}`);
    const epoch = (stored?.epoch ?? 0) + 1;
    const seek = this.cfg.seekEpoch ?? 0;
    const rec = stored && (stored.seekEpoch ?? 0) >= seek ? stored : this.cfg.seekState?.[p] ?? stored;
    if (!rec) return { floor: 0n, acked: new Set(), next: 0n, attempts: new Map(), epoch };
    const { floor, acked } = decodeAcks(rec);
    const attempts = new Map<bigint, number>();
    for (const [o, n] of Object.entries(rec.attempts ?? {})) attempts.set(BigInt(o), n);
    return { floor, acked, next: floor, attempts, epoch };
  }

  /** Forgets a partition: its leases, queued and fetched messages. */
  #drop(p: number): void {
    this.parts.delete(p);
    for (const [k, l] of [...this.leases]) {
      if (l.msg.partition !== p) continue;
      this.#endLease(k);
      this.#releaseKey(l.msg);
    }
    this.#redeliver = this.#redeliver.filter((x) => x.msg.partition !== p);
    this.#ready = this.#ready.slice(this.#readyHead).filter((m) => m.partition !== p);
    this.#readyHead = 0;
    this.#dirty.delete(p);
  }

  /** A changed config from the store (another replica's update, seek or detach). */
  applyConfig(cfg: SubConfig): void {
    this.cfg = cfg;
    // Forward only: the log may bring back an older version of a config just changed here.
    if ((cfg.seekEpoch ?? 0) > this.#seekApplied) {
      const state = new Map<number, { floor: bigint; acked: Set<bigint> }>();
      for (const [p, r] of Object.entries(cfg.seekState ?? {})) state.set(Number(p), decodeAcks(r));
      void this.resetTo(state).catch(() => {});
    }
    this.dispatch();
  }

  setFilter(f: Filter | null): void {
    this.#filter = f;
  }

  start(): void {
    if (!this.#loop) this.#loop = this.#run();
  }

  poke(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  #wantsData(): boolean {
    if (this.cfg.detached || this.cfg.kafkaTopic === '' || this.#suspended || this.parts.size === 0) return false;
    if (this.#ready.length - this.#readyHead >= READY_HIGH) return false;
    if (this.#pulls.length > 0) return true;
    // Someone pulled lately (returnImmediately Pulls leave no waiter): keep reading ahead.
    if (Date.now() - this.#lastPull < 60_000) return true;
    for (const s of this.sinks) if (s.capacity() > 0) return true;
    return false;
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      if (!this.#wantsData()) {
        await new Promise<void>((r) => {
          this.#wake = r;
          // Re-check now and then (pending redeliveries, new partitions).
          setTimeout(r, 1000).unref();
        });
        this.#wake = null;
        continue;
      }
      try {
        if (!this.#reader) this.#reader = this.#kafka.reader(this.cfg.kafkaTopic);
        const positions = new Map<number, bigint>();
        for (const [p, s] of this.parts) positions.set(p, s.next);
        const gen = this.#gen;
        const { records, logStart } = await this.#reader.fetch(positions, 500);
        if (this.#closed || gen !== this.#gen) continue;
        for (const [p, ls] of logStart) {
          const s = this.parts.get(p);
          if (s && ls > s.next) s.next = ls;
          if (s && ls > s.floor) {
            s.floor = ls;
            this.#dirty.add(p);
          }
        }
        this.#accept(records);
        this.dispatch();
      } catch (err) {
        if (this.#closed) return;
        this.#log.warn({ err: (err as Error).message, subscription: this.cfg.name }, 'subscription fetch failed');
        await this.#reader?.close();
        this.#reader = null;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  #accept(records: FetchedRecord[]): void {
    const autoAcked: [number, bigint][] = [];
    for (const r of records) {
      const s = this.parts.get(r.partition);
      if (!s || r.offset < s.next) continue;
      s.next = r.offset + 1n;
      if (r.offset < s.floor || s.acked.has(r.offset)) continue;
      const attributes = attributesOf(r.headers);
      if (this.#filter && !this.#filter(attributes)) {
        autoAcked.push([r.partition, r.offset]);
        continue;
      }
      let size = (r.value?.length ?? 0) + (r.key?.length ?? 0);
      for (const [k, v] of Object.entries(attributes)) size += k.length + v.length;
      this.#ready.push({ partition: r.partition, offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, attributes, size });
    }
    if (autoAcked.length) {
      for (const [p, o] of autoAcked) this.#markAcked(p, o);
      void this.persist().catch(() => {});
    }
  }

  #eligible(m: Msg, blocked: Set<string> | null): boolean {
    const s = this.parts.get(m.partition);
    if (!s || m.offset < s.floor || s.acked.has(m.offset)) return false;
    if (this.leases.has(msgKey(m.partition, m.offset))) return false;
    if (blocked && m.key && m.key.length > 0) {
      const k = m.key.toString('utf8');
      if (this.#keysOut.has(k) || blocked.has(k)) {
        blocked.add(k);
        return false;
      }
    }
    return true;
  }

  /** Takes up to n messages for delivery (redeliveries first). */
  #take(n: number): Msg[] {
    const out: Msg[] = [];
    const now = Date.now();
    const ordered = this.cfg.enableMessageOrdering;
    const blocked = ordered ? new Set<string>() : null;
    if (this.#redeliver.length) {
      const keep: Pending[] = [];
      for (const p of this.#redeliver) {
        if (out.length < n && p.notBefore <= now && this.#eligible(p.msg, blocked)) {
          out.push(p.msg);
          if (ordered && p.msg.key?.length) this.#keysOut.add(p.msg.key.toString('utf8'));
        } else if (this.#stillWanted(p.msg)) {
          keep.push(p);
          if (blocked && p.msg.key?.length) blocked.add(p.msg.key.toString('utf8'));
        }
      }
      this.#redeliver = keep;
    }
    if (!ordered) {
      while (out.length < n && this.#readyHead < this.#ready.length) {
        const m = this.#ready[this.#readyHead++];
        if (this.#eligible(m, null)) out.push(m);
      }
    } else {
      const keep: Msg[] = [];
      for (let i = this.#readyHead; i < this.#ready.length; i++) {
        const m = this.#ready[i];
        if (out.length < n && this.#eligible(m, blocked)) {
          out.push(m);
          if (m.key?.length) this.#keysOut.add(m.key.toString('utf8'));
        } else if (this.#stillWanted(m)) {
          keep.push(m);
        }
      }
      this.#ready = keep;
      this.#readyHead = 0;
    }
    if (this.#readyHead > 4096 && this.#readyHead * 2 > this.#ready.length) {
      this.#ready = this.#ready.slice(this.#readyHead);
      this.#readyHead = 0;
    }
    return out;
  }

  #stillWanted(m: Msg): boolean {
    const s = this.parts.get(m.partition);
    return !!s && m.offset >= s.floor && !s.acked.has(m.offset);
  }

  #lease(msgs: Msg[], sink: Sink | null, deadlineSeconds: number): Delivery[] {
    const out: Delivery[] = [];
    const deadline = Date.now() + deadlineSeconds * 1000;
    for (const m of msgs) {
      const k = msgKey(m.partition, m.offset);
      const s = this.parts.get(m.partition)!;
      const attempt = (s.attempts.get(m.offset) ?? 0) + 1;
      if (this.cfg.deadLetterKafkaTopic && attempt > this.cfg.maxDeliveryAttempts) {
        this.#deadLetter(m);
        continue;
      }
      s.attempts.set(m.offset, attempt);
      // With a dead-letter policy every attempt counts, so it is stored as it happens.
      if (this.cfg.deadLetterKafkaTopic) this.#dirty.add(m.partition);
      const ackId = `${m.partition}-${m.offset}-${attempt}-${this.cfg.seekEpoch ?? 0}`;
      this.leases.set(k, { msg: m, ackId, deadline, sink });
      out.push({ ackId, msg: m, deliveryAttempt: attempt });
    }
    return out;
  }

  #deadLetter(m: Msg): void {
    const topic = this.cfg.deadLetterKafkaTopic!;
    this.#forwarding++;
    const headers: Record<string, Buffer> = {};
    for (const [k, v] of Object.entries(m.attributes)) headers[k] = Buffer.from(v);
    this.#kafka
      .produce(topic, [{ partition: 0, key: m.key, value: m.value ?? Buffer.alloc(0), headers, timestamp: BigInt(Date.now()) }])
      .then(() => {
        this.#markAcked(m.partition, m.offset);
        this.#releaseKey(m);
        return this.persist();
      })
      .catch((err: Error) => {
        this.#log.warn({ err: err.message, subscription: this.cfg.name, topic }, 'dead-letter publish failed; will retry');
        this.#redeliver.push({ msg: m, notBefore: Date.now() + 1000 });
      })
      .finally(() => {
        this.#forwarding--;
        this.dispatch();
      });
  }

  /** Hands out what is ready: waiting Pull calls first, then streams and push with room. */
  dispatch(): void {
    if (this.#closed || this.#suspended) return;
    while (this.#pulls.length > 0) {
      const w = this.#pulls[0];
      const msgs = this.#take(w.max);
      if (msgs.length === 0) break;
      const d = this.#lease(msgs, null, this.cfg.ackDeadlineSeconds);
      if (d.length === 0) continue;
      this.#pulls.shift();
      w.resolve(d);
    }
    let progress = true;
    while (progress) {
      progress = false;
      for (const s of this.sinks) {
        const room = Math.min(s.capacity(), 1000);
        if (room <= 0) continue;
        const msgs = this.#take(Math.min(room, 500));
        if (msgs.length === 0) break;
        const d = this.#lease(msgs, s, s.deadlineSeconds());
        if (d.length) s.deliver(d);
        progress = true;
      }
    }
    this.#scheduleRetry();
    if (this.#dirty.size) void this.persist().catch(() => {});
    if (this.#wantsData()) this.poke();
  }

  #scheduleRetry(): void {
    if (this.#retryTimer || this.#redeliver.length === 0) return;
    const next = Math.min(...this.#redeliver.map((p) => p.notBefore));
    const wait = Math.max(0, next - Date.now());
    if (wait === 0) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.dispatch();
    }, wait);
    this.#retryTimer.unref();
  }

  pull(max: number, returnImmediately: boolean, waitMs: number, signal: { cancelled: () => boolean; onCancel: (f: () => void) => void }): Promise<Delivery[]> {
    this.lastActivity = Date.now();
    this.#lastPull = Date.now();
    // No new leases while the replicas rebalance (the partitions may be about to move).
    const msgs = this.#suspended ? [] : this.#take(max);
    const now = this.#lease(msgs, null, this.cfg.ackDeadlineSeconds);
    if (now.length > 0 || returnImmediately) {
      if (now.length === 0) this.poke();
      return Promise.resolve(now);
    }
    return new Promise((resolve) => {
      const w: PullWaiter = {
        max,
        resolve: (d) => {
          clearTimeout(timer);
          resolve(d);
        },
      };
      const drop = () => {
        const i = this.#pulls.indexOf(w);
        if (i >= 0) this.#pulls.splice(i, 1);
        clearTimeout(timer);
        resolve([]);
      };
      const timer = setTimeout(drop, waitMs);
      signal.onCancel(drop);
      this.#pulls.push(w);
      this.poke();
    });
  }

  #parseAckId(ackId: string): { p: number; o: bigint; n: number; epoch: number } | null {
    const m = /^(\d+)-(\d+)-(\d+)-(\d+)$/.exec(ackId);
    if (!m) return null;
    return { p: Number(m[1]), o: BigInt(m[2]), n: Number(m[3]), epoch: Number(m[4]) };
  }

  /** Ack IDs handed out before the last seek no longer count. */
  #current(id: { epoch: number }): boolean {
    return id.epoch === (this.cfg.seekEpoch ?? 0);
  }

  validateAckIds(ackIds: string[]): void {
    for (const a of ackIds) if (!this.#parseAckId(a)) throw invalid(`You have passed an invalid ack ID to the service (ack_id=${a}).`);
  }

  #markAcked(p: number, o: bigint): void {
    const s = this.parts.get(p);
    if (!s || o < s.floor) return;
    s.acked.add(o);
    while (s.acked.has(s.floor)) {
      s.acked.delete(s.floor);
      s.floor++;
    }
    s.attempts.delete(o);
    this.#dirty.add(p);
  }

  #releaseKey(m: Msg): void {
    if (this.cfg.enableMessageOrdering && m.key?.length) this.#keysOut.delete(m.key.toString('utf8'));
  }

  #endLease(k: string): Lease | undefined {
    const l = this.leases.get(k);
    if (!l) return undefined;
    this.leases.delete(k);
    l.sink?.released(1, l.msg.size);
    return l;
  }

  /**
   * Acks; returns the ack IDs that were no longer valid (their lease had expired and
   * the message was delivered again), which only exactly-once subscriptions reject.
   */
  ack(ackIds: string[]): string[] {
    this.lastActivity = Date.now();
    const stale: string[] = [];
    for (const a of ackIds) {
      const id = this.#parseAckId(a);
      if (!id) continue;
      if (!this.#current(id)) {
        if (this.cfg.exactlyOnce) stale.push(a);
        continue;
      }
      const k = msgKey(id.p, id.o);
      const l = this.leases.get(k);
      if (this.cfg.exactlyOnce && (!l || l.ackId !== a)) {
        const s = this.parts.get(id.p);
        if (!s || (id.o >= s.floor && !s.acked.has(id.o))) {
          stale.push(a);
          continue;
        }
        continue;
      }
      if (l) {
        this.#endLease(k);
        this.#releaseKey(l.msg);
      }
      this.#markAcked(id.p, id.o);
    }
    this.dispatch();
    return stale;
  }

  /** New deadline for leased messages; 0 = nack. Returns the stale ack IDs. */
  modifyAckDeadline(ackIds: string[], seconds: number): string[] {
    this.lastActivity = Date.now();
    const stale: string[] = [];
    const now = Date.now();
    for (const a of ackIds) {
      const id = this.#parseAckId(a);
      if (!id) continue;
      const k = msgKey(id.p, id.o);
      const l = this.leases.get(k);
      if (!l || l.ackId !== a) {
        stale.push(a);
        continue;
      }
      if (seconds === 0) {
        this.#endLease(k);
        this.#releaseKey(l.msg);
        this.#retry(l.msg, now);
      } else {
        l.deadline = now + seconds * 1000;
      }
    }
    if (seconds === 0) this.dispatch();
    return stale;
  }

  /** A nacked or expired message: due again after the backoff, or dead-lettered once out of attempts. */
  #retry(m: Msg, now: number): void {
    const attempts = this.parts.get(m.partition)?.attempts.get(m.offset) ?? 0;
    if (this.#tracksAttempts()) this.#dirty.add(m.partition);
    if (this.cfg.deadLetterKafkaTopic && attempts >= this.cfg.maxDeliveryAttempts) {
      this.#deadLetter(m);
      return;
    }
    this.#redeliver.push({ msg: m, notBefore: now + this.#backoffMs(attempts) });
  }

  #backoffMs(attempts: number): number {
    if (this.cfg.retryMinSeconds === null) return 0;
    const attempt = attempts || 1;
    const min = this.cfg.retryMinSeconds * 1000;
    const max = (this.cfg.retryMaxSeconds ?? 600) * 1000;
    return Math.min(max, min * 2 ** Math.max(0, attempt - 1));
  }

  /** Expired leases go back for redelivery. */
  expire(now: number): void {
    let any = false;
    for (const [k, l] of this.leases) {
      if (l.deadline > now) continue;
      this.#endLease(k);
      this.#releaseKey(l.msg);
      if (this.#stillWanted(l.msg)) this.#retry(l.msg, now);
      any = true;
    }
    if (any) this.dispatch();
  }

  /** Writes the ack state of changed partitions. */
  async persist(): Promise<void> {
    if (this.#dirty.size === 0) return;
    const writes: Promise<void>[] = [];
    const withAttempts = this.#tracksAttempts();
    for (const p of this.#dirty) {
      const s = this.parts.get(p);
      if (!s) continue;
      const rec: AckRecord = { ...encodeAcks(s.floor, s.acked), epoch: s.epoch, seekEpoch: this.#seekApplied };
      if (withAttempts && s.attempts.size) {
        rec.attempts = {};
        for (const [o, n] of s.attempts) if (o >= s.floor && !s.acked.has(o)) rec.attempts[String(o)] = n;
      }
      writes.push(this.#store.put(`ack/${this.cfg.name}/${p}`, rec));
    }
    this.#dirty.clear();
    await Promise.all(writes);
  }

  /** The ack state of every partition (for snapshots). */
  ackState(): Record<string, AckRecord> {
    const out: Record<string, AckRecord> = {};
    for (const [p, s] of this.parts) {
      const acked = new Set(s.acked);
      out[p] = encodeAcks(s.floor, acked);
    }
    return out;
  }

  /** Seek: replace the ack state of owned partitions; outstanding leases are dropped, everything re-read. */
  async resetTo(state: Map<number, { floor: bigint; acked: Set<bigint> }>): Promise<void> {
    this.#gen++;
    this.#seekApplied = this.cfg.seekEpoch ?? 0;
    for (const [k, l] of [...this.leases]) {
      this.#endLease(k);
      void l;
    }
    this.#keysOut.clear();
    this.#ready = [];
    this.#readyHead = 0;
    this.#redeliver = [];
    for (const [p, s] of this.parts) {
      const st = state.get(p) ?? { floor: s.floor, acked: new Set<bigint>() };
      this.parts.set(p, { floor: st.floor, acked: new Set(st.acked), next: st.floor, attempts: new Map(), epoch: s.epoch });
      this.#dirty.add(p);
    }
    await this.persist();
    this.poke();
  }

  backlog(): number {
    return this.#ready.length - this.#readyHead + this.#redeliver.length + this.leases.size + this.#forwarding;
  }

  async close(persist = true): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    for (const w of this.#pulls.splice(0)) w.resolve([]);
    this.poke();
    await this.#loop?.catch(() => {});
    await this.#reader?.close();
    if (persist) await this.persist().catch(() => {});
  }
}
