// The Pub/Sub API, transport-free: every method takes and returns objects in
// proto-loader's shape (camelCase, int64 as strings, Durations/Timestamps as
// {seconds, nanos}); grpc.ts and rest.ts only translate.
//
// Replicas: every replica knows every subscription (the store is tailed) but serves
// only the Kafka partitions the consumer group gave it (replicas/membership.ts). A
// Pull or an ack for partitions another replica owns is forwarded to it
// (replicas/peers.ts) — forwarding rather than "serve only what you own" because a
// client talks to whichever replica its connection reached, and a one-partition topic
// (the default) has exactly one owner.

import type { Logger } from 'pino';
import { status } from '@grpc/grpc-js';
import { type KafkaAccess, partitionForKey } from './kafka/access.ts';
import { MetaStore, type AckRecord, decodeAcks, encodeAcks } from './store.ts';
import { SubscriptionRuntime, type SubConfig, type Delivery, messageIdOf } from './subscription.ts';
import { compileFilter } from './filter.ts';
import { ApiError, notFound, alreadyExists, invalid, precondition } from './errors.ts';
import { parseTopic, parseSubscription, parseSnapshot, parseProject, kafkaTopicFor, topicIdFor, DELETED_TOPIC } from './names.ts';
import { PushSink } from './push.ts';
import { Membership } from './replicas/membership.ts';
import { Peers } from './replicas/peers.ts';
import { SchemaRegistry, type SchemaSettings } from './schemas/registry.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;
type Cancel = { cancelled: () => boolean; onCancel: (f: () => void) => void };

export interface ServiceOptions {
  /** Partitions of topics created through Pub/Sub (default 1: one total order per topic). */
  partitions?: number;
  /** How long a Pull without returnImmediately waits for a first message. */
  pullWaitMs?: number;
  /** This replica: its ID (static group member), the address other replicas reach it at, the group. */
  replica?: ReplicaOptions;
}

export interface ReplicaOptions {
  id: string;
  advertise: string;
  group: string;
  sessionTimeoutMs: number;
}

interface OwnerRecord {
  addr: string;
  replica: string;
  generation: number;
}

interface TopicMeta {
  labels: Record<string, string>;
  messageRetentionSeconds: number | null;
  kmsKeyName: string;
  schemaSettings?: SchemaSettings | null;
}

interface SnapshotMeta {
  name: string;
  topic: string;
  kafkaTopic: string;
  expireTime: number;
  labels: Record<string, string>;
  acks: Record<string, AckRecord>;
}

const MAX_REQUEST = 10 * 1024 * 1024;

export function durationSeconds(d: Obj | null | undefined): number | null {
  if (!d) return null;
  return Number(d.seconds ?? 0) + Number(d.nanos ?? 0) / 1e9;
}

export function duration(s: number | null): Obj | null {
  if (s === null) return null;
  const whole = Math.floor(s);
  return { seconds: String(whole), nanos: Math.round((s - whole) * 1e9) };
}

export function timestamp(ms: number | bigint): Obj {
  const n = Number(ms);
  return { seconds: String(Math.floor(n / 1000)), nanos: (n % 1000) * 1e6 };
}

function timestampMs(t: Obj | null | undefined): number | null {
  if (!t) return null;
  return Number(t.seconds ?? 0) * 1000 + Math.floor(Number(t.nanos ?? 0) / 1e6);
}

function page<T>(items: T[], key: (t: T) => string, pageSize: number, pageToken: string): { items: T[]; next: string } {
  const sorted = [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const from = pageToken ? sorted.findIndex((t) => key(t) > pageToken) : 0;
  const start = from < 0 ? sorted.length : from;
  const size = pageSize > 0 ? pageSize : 1000;
  const slice = sorted.slice(start, start + size);
  const next = start + size < sorted.length && slice.length ? key(slice[slice.length - 1]) : '';
  return { items: slice, next };
}

export class PubsubService {
  readonly kafka: KafkaAccess;
  readonly store: MetaStore;
  readonly schemas: SchemaRegistry;
  readonly log: Logger;
  readonly subs = new Map<string, SubscriptionRuntime>();
  readonly pushSinks = new Map<string, PushSink>();
  #partitions: number;
  readonly pullWaitMs: number;
  #topicCache = new Map<string, { n: number; at: number }>();
  #rr = 0;
  #sweeper: NodeJS.Timeout | null = null;
  #partitionWatch: NodeJS.Timeout | null = null;
  #orphanChecks = 0;
  readonly replica: ReplicaOptions;
  readonly peers = new Peers();
  #membership: Membership | null = null;
  /** Partitions this replica serves, by Kafka topic (kept while a rebalance is under way). */
  #owned = new Map<string, Set<number>>();
  #assigning: Promise<void> = Promise.resolve();
  /** Last seen owner address per `owner/` key: only a real move ends streams. */
  #ownerAddrs = new Map<string, string>();
  #closed = false;
  /** A rebalance is under way: runtimes made meanwhile wait for the assignment too. */
  #suspended = false;
  /** Joins started so far: an assignment overtaken by a newer join is not applied. */
  #joins = 0;
  /** Called with a Kafka topic whose partitions changed owner (streams routed by the old map end). */
  readonly ownersChanged = new Set<(kafkaTopic: string) => void>();

  constructor(kafka: KafkaAccess, log: Logger, opts: ServiceOptions = {}) {
    this.kafka = kafka;
    this.store = new MetaStore(kafka);
    this.schemas = new SchemaRegistry(this.store);
    this.log = log;
    this.#partitions = opts.partitions ?? 1;
    this.pullWaitMs = opts.pullWaitMs ?? 10_000;
    this.replica = { ...(opts.replica ?? { id: '', advertise: '', group: 'tributary-pubsub', sessionTimeoutMs: 10_000 }) };
  }

  /** Sets the address other replicas forward to (known once the listener is bound). */
  setAdvertised(addr: string): void {
    if (!this.replica.advertise) this.replica.advertise = addr;
    if (!this.replica.id) this.replica.id = this.replica.advertise;
  }

  #member(): Membership {
    this.#membership ??= new Membership({
      bootstrap: this.kafka.bootstrap,
      groupId: this.replica.group,
      instanceId: this.replica.id,
      sessionTimeoutMs: this.replica.sessionTimeoutMs,
      log: this.log,
      currentOwner: (t, p) => this.store.get<OwnerRecord>(`owner/${t}/${p}`)?.replica ?? null,
      onSuspend: () => {
        this.#suspended = true;
        this.#joins++;
        for (const rt of this.subs.values()) rt.suspend();
      },
      onAssign: (generation, owned) => {
        const joins = this.#joins;
        this.#assigning = this.#assigning.then(() => this.#assign(generation, owned, joins)).catch((err: Error) => {
          this.log.warn({ err: err.message }, 'pubsub assignment not applied');
        });
      },
    });
    return this.#membership;
  }

  async open(): Promise<void> {
    await this.store.open();
    for (const [, cfg] of this.store.entries<SubConfig>('sub/')) this.#startSub(cfg);
    for (const [k, o] of this.store.entries<OwnerRecord>('owner/')) this.#ownerAddrs.set(k, o.addr);
    this.store.onChange((key, value) => this.#changed(key, value));
    this.#sweeper = setInterval(() => this.#sweep(), 100);
    this.#sweeper.unref();
    this.#partitionWatch = setInterval(() => void this.#watchPartitions().catch(() => {}), 5000);
    this.#partitionWatch.unref();
  }

  /**
   * A subscribed topic with partitions nobody serves (it got more partitions, or an
   * owner vanished without a rebalance) for two checks in a row: join again, so the
   * leader assigns them.
   */
  async #watchPartitions(): Promise<void> {
    if (!this.#membership || this.#closed || this.#suspended) return;
    let orphans = 0;
    for (const t of this.#groupTopics()) {
      const n = (await this.#partitionsOf(t, true)) ?? 0;
      for (let p = 0; p < n; p++) if (this.ownerOf(t, p) === null) orphans++;
    }
    this.#orphanChecks = orphans > 0 ? this.#orphanChecks + 1 : 0;
    if (this.#orphanChecks >= 2 && !this.#suspended) {
      this.#orphanChecks = 0;
      this.log.info({ partitions: orphans }, 'subscribed partitions without an owner; rebalancing');
      await this.#membership.rejoin();
    }
  }

  /** Joins the replicas' group (after the listener is up: the others may forward at once). */
  async join(): Promise<void> {
    await this.#member().setTopics(this.#groupTopics());
    await this.#assigning;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    if (this.#partitionWatch) clearInterval(this.#partitionWatch);
    for (const p of this.pushSinks.values()) p.close();
    await Promise.allSettled([...this.subs.values()].map((s) => s.close()));
    await this.store.drain().catch(() => {});
    await this.#membership?.close();
    this.peers.close();
    await this.store.close();
  }

  #groupTopics(): Set<string> {
    const out = new Set<string>();
    for (const rt of this.subs.values()) if (rt.cfg.kafkaTopic) out.add(rt.cfg.kafkaTopic);
    return out;
  }

  #syncGroupTopics(): Promise<void> {
    if (this.#closed || !this.#membership) return Promise.resolve();
    return this.#membership.setTopics(this.#groupTopics());
  }

  async #assign(generation: number, owned: Map<string, number[]>, joins: number): Promise<void> {
    if (this.#closed) return;
    // Everything the previous owners wrote is applied before their partitions are loaded.
    if (!(await this.store.barrier())) this.log.warn('state topic not caught up before taking partitions over; going on');
    if (joins !== this.#joins) return;
    const before = this.#owned;
    this.#owned = new Map([...owned].map(([t, ps]) => [t, new Set(ps)]));
    this.#suspended = false;
    const writes: Promise<void>[] = [];
    for (const rt of this.subs.values()) writes.push(rt.own([...(this.#owned.get(rt.cfg.kafkaTopic) ?? [])]));
    const self: OwnerRecord = { addr: this.replica.advertise, replica: this.replica.id, generation };
    const changed = new Set<string>();
    for (const [t, ps] of this.#owned) {
      for (const p of ps) {
        const cur = this.store.get<OwnerRecord>(`owner/${t}/${p}`);
        if (cur?.addr !== self.addr || cur.replica !== self.replica) writes.push(this.store.put(`owner/${t}/${p}`, self));
        if (!before.get(t)?.has(p)) changed.add(t);
      }
    }
    for (const [t, ps] of before) {
      for (const p of ps) {
        if (this.#owned.get(t)?.has(p)) continue;
        changed.add(t);
        if (this.store.get<OwnerRecord>(`owner/${t}/${p}`)?.replica === this.replica.id) writes.push(this.store.put(`owner/${t}/${p}`, null));
      }
    }
    await Promise.all(writes);
    this.log.info({ generation, partitions: [...this.#owned].map(([t, ps]) => `${t}:${[...ps].join(',')}`) }, 'pubsub partitions assigned');
    for (const t of changed) for (const f of this.ownersChanged) f(t);
  }

  /** A record from the store's log: another replica's change (or our own, applied again). */
  #changed(key: string, value: unknown): void {
    if (this.#closed) return;
    if (key.startsWith('sub/')) {
      const name = key.slice(4);
      const rt = this.subs.get(name);
      const cfg = value as SubConfig | null;
      if (!cfg) {
        if (rt) this.#stopSub(rt);
      } else if (!rt) {
        void this.#ownFor(this.#startSub(cfg));
        void this.#syncGroupTopics().catch(() => {});
      } else if (JSON.stringify(rt.cfg) !== JSON.stringify(cfg)) {
        const topicChanged = rt.cfg.kafkaTopic !== cfg.kafkaTopic;
        rt.applyConfig(cfg);
        this.#syncPush(rt);
        if (topicChanged) void this.#syncGroupTopics().catch(() => {});
      }
    } else if (key.startsWith('owner/')) {
      const addr = (value as OwnerRecord | null)?.addr ?? '';
      if ((this.#ownerAddrs.get(key) ?? '') === addr) return;
      if (addr) this.#ownerAddrs.set(key, addr);
      else this.#ownerAddrs.delete(key);
      const t = key.slice(6, key.lastIndexOf('/'));
      for (const f of this.ownersChanged) f(t);
    } else if (key.startsWith('ack/') && value) {
      // A higher epoch for a partition we serve: another replica took it over (we missed
      // a rebalance), so ours is stale — let it go.
      const rest = key.slice(4);
      const name = rest.slice(0, rest.lastIndexOf('/'));
      const p = Number(rest.slice(rest.lastIndexOf('/') + 1));
      const rt = this.subs.get(name);
      if (rt?.owns(p) && ((value as AckRecord).epoch ?? 0) > rt.epochOf(p)) {
        this.log.warn({ subscription: name, partition: p }, 'partition taken over by another replica; releasing it');
        void rt.own([...rt.parts.keys()].filter((x) => x !== p));
      }
    }
  }

  /** The address of the replica serving a partition: '' = this one, null = nobody known. */
  ownerOf(kafkaTopic: string, p: number): string | null {
    if (this.#owned.get(kafkaTopic)?.has(p)) return '';
    const o = this.store.get<OwnerRecord>(`owner/${kafkaTopic}/${p}`);
    if (!o || o.replica === this.replica.id || o.addr === this.replica.advertise) return null;
    return o.addr;
  }

  /** Other replicas serving some of this subscription's partitions. */
  async remoteOwners(rt: SubscriptionRuntime): Promise<{ remote: string[]; unknown: boolean }> {
    const n = rt.cfg.kafkaTopic ? ((await this.#partitionsOf(rt.cfg.kafkaTopic)) ?? 0) : 0;
    const remote = new Set<string>();
    let unknown = false;
    for (let p = 0; p < n; p++) {
      const o = this.ownerOf(rt.cfg.kafkaTopic, p);
      if (o === null) unknown = true;
      else if (o) remote.add(o);
    }
    return { remote: [...remote], unknown };
  }

  #sweep(): void {
    const now = Date.now();
    for (const s of this.subs.values()) {
      s.expire(now);
      const ttl = s.cfg.expirationTtlSeconds;
      // The replica serving partition 0 decides (activity seen at other replicas is not shared).
      if (ttl && now - s.lastActivity > ttl * 1000 && !s.sinks.size && s.owns(0)) {
        this.log.info({ subscription: s.cfg.name }, 'subscription expired (expiration policy)');
        void this.deleteSubscription({ subscription: s.cfg.name }).catch(() => {});
      }
    }
  }

  #startSub(cfg: SubConfig): SubscriptionRuntime {
    const rt = new SubscriptionRuntime(cfg, compileFilter(cfg.filter), this.kafka, this.store, this.log);
    this.subs.set(cfg.name, rt);
    rt.start();
    this.#syncPush(rt);
    return rt;
  }

  /** Serve what this replica owns of the subscription's topic (after the rebalance, if one is under way). */
  #ownFor(rt: SubscriptionRuntime): Promise<void> {
    if (this.#suspended) {
      rt.suspend();
      return Promise.resolve();
    }
    return rt.own([...(this.#owned.get(rt.cfg.kafkaTopic) ?? [])]);
  }

  #stopSub(rt: SubscriptionRuntime): void {
    if (this.subs.get(rt.cfg.name) !== rt) return;
    this.subs.delete(rt.cfg.name);
    const push = this.pushSinks.get(rt.cfg.name);
    push?.close();
    this.pushSinks.delete(rt.cfg.name);
    for (const sink of [...rt.sinks]) sink.end?.(notFound(parseSubscription(rt.cfg.name).id));
    void rt.close(false);
    void this.#syncGroupTopics().catch(() => {});
  }

  #syncPush(rt: SubscriptionRuntime): void {
    const existing = this.pushSinks.get(rt.cfg.name);
    if (rt.cfg.pushEndpoint && !rt.cfg.detached) {
      if (existing) return;
      const sink = new PushSink(rt, this.log);
      this.pushSinks.set(rt.cfg.name, sink);
      rt.sinks.add(sink);
      rt.dispatch();
    } else if (existing) {
      existing.close();
      rt.sinks.delete(existing);
      this.pushSinks.delete(rt.cfg.name);
    }
  }

  // ---- topics ----

  async #partitionsOf(kafkaTopic: string, fresh = false): Promise<number | null> {
    const c = this.#topicCache.get(kafkaTopic);
    if (c && !fresh && Date.now() - c.at < 5000) return c.n;
    const n = await this.kafka.partitions(kafkaTopic);
    if (n === null || n === 0) {
      this.#topicCache.delete(kafkaTopic);
      return null;
    }
    this.#topicCache.set(kafkaTopic, { n, at: Date.now() });
    return n;
  }

  async #requireTopic(name: string, field = 'topics'): Promise<{ kafkaTopic: string; partitions: number }> {
    const t = parseTopic(name, field);
    const kafkaTopic = kafkaTopicFor(t.id);
    const partitions = await this.#partitionsOf(kafkaTopic);
    if (partitions === null) throw notFound(t.id);
    return { kafkaTopic, partitions };
  }

  #topicObj(name: string, kafkaTopic: string): Obj {
    const meta = this.store.get<TopicMeta>(`topic/${kafkaTopic}`);
    return {
      name,
      labels: meta?.labels ?? {},
      kmsKeyName: meta?.kmsKeyName ?? '',
      messageRetentionDuration: duration(meta?.messageRetentionSeconds ?? null),
      schemaSettings: meta?.schemaSettings ? this.schemas.shown(meta.schemaSettings) : null,
      state: 'ACTIVE',
    };
  }

  #topicMeta(req: Obj): TopicMeta {
    const retention = durationSeconds(req.messageRetentionDuration);
    if (retention !== null && (retention < 600 || retention > 31 * 86400)) {
      throw invalid('Invalid message_retention_duration: must be between 10 minutes and 31 days.');
    }
    this.#checkLabels(req.labels);
    return { labels: { ...(req.labels ?? {}) }, messageRetentionSeconds: retention, kmsKeyName: req.kmsKeyName ?? '', schemaSettings: this.schemas.settings(req.schemaSettings) };
  }

  #checkLabels(labels: Obj | undefined): void {
    for (const [k, v] of Object.entries(labels ?? {})) {
      if (!/^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u.test(k) || !/^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u.test(String(v))) {
        throw invalid(`Invalid label: ${k}=${v}`);
      }
    }
  }

  async createTopic(req: Obj): Promise<Obj> {
    const t = parseTopic(req.name, 'topics');
    const kafkaTopic = kafkaTopicFor(t.id);
    const meta = this.#topicMeta(req);
    if ((await this.#partitionsOf(kafkaTopic, true)) !== null) throw alreadyExists(t.id);
    const configs: Record<string, string> = { 'max.message.bytes': String(MAX_REQUEST + 65536) };
    if (meta.messageRetentionSeconds !== null) configs['retention.ms'] = String(meta.messageRetentionSeconds * 1000);
    try {
      await this.kafka.createTopic(kafkaTopic, this.#partitions, configs);
    } catch (err) {
      if ((await this.#partitionsOf(kafkaTopic, true)) !== null) throw alreadyExists(t.id);
      throw err;
    }
    await this.store.put(`topic/${kafkaTopic}`, meta);
    this.#topicCache.set(kafkaTopic, { n: this.#partitions, at: Date.now() });
    return this.#topicObj(req.name, kafkaTopic);
  }

  async getTopic(req: Obj): Promise<Obj> {
    const { kafkaTopic } = await this.#requireTopic(req.topic, 'topics');
    return this.#topicObj(req.topic, kafkaTopic);
  }

  async updateTopic(req: Obj): Promise<Obj> {
    const topic = req.topic ?? {};
    const { kafkaTopic } = await this.#requireTopic(topic.name, 'topics');
    const paths: string[] = req.updateMask?.paths ?? [];
    if (paths.length === 0) throw invalid('The update_mask in the UpdateTopicRequest must be set.');
    const meta = { ...(this.store.get<TopicMeta>(`topic/${kafkaTopic}`) ?? { labels: {}, messageRetentionSeconds: null, kmsKeyName: '' }) };
    const next = this.#topicMeta(topic);
    for (const p of paths) {
      if (p === 'labels') meta.labels = next.labels;
      else if (p === 'message_retention_duration' || p === 'messageRetentionDuration') {
        meta.messageRetentionSeconds = next.messageRetentionSeconds;
        // The log's own retention follows (best effort: not every cluster allows it).
        const ms = next.messageRetentionSeconds === null ? null : String(next.messageRetentionSeconds * 1000);
        await this.kafka.setTopicConfig(kafkaTopic, 'retention.ms', ms).catch((err: Error) => {
          this.log.warn({ err: err.message, topic: kafkaTopic }, 'retention.ms not changed on the Kafka topic');
        });
      }
      else if (p === 'schema_settings' || p === 'schemaSettings') meta.schemaSettings = next.schemaSettings;
      else throw invalid(`Invalid update_mask provided in the UpdateTopicRequest: the '${p}' field can not be updated.`);
    }
    await this.store.put(`topic/${kafkaTopic}`, meta);
    return this.#topicObj(topic.name, kafkaTopic);
  }

  async listTopics(req: Obj): Promise<Obj> {
    const project = parseProject(req.project);
    const ids = (await this.kafka.listTopics()).map(topicIdFor).filter((x): x is string => x !== null);
    const { items, next } = page(ids, (x) => x, req.pageSize ?? 0, req.pageToken ?? '');
    return { topics: items.map((id) => this.#topicObj(`projects/${project}/topics/${id}`, kafkaTopicFor(id))), nextPageToken: next };
  }

  async listTopicSubscriptions(req: Obj): Promise<Obj> {
    await this.#requireTopic(req.topic);
    const t = parseTopic(req.topic);
    const names = [...this.subs.values()].filter((s) => s.cfg.kafkaTopic === kafkaTopicFor(t.id)).map((s) => s.cfg.name);
    const { items, next } = page(names, (x) => x, req.pageSize ?? 0, req.pageToken ?? '');
    return { subscriptions: items, nextPageToken: next };
  }

  async listTopicSnapshots(req: Obj): Promise<Obj> {
    const { kafkaTopic } = await this.#requireTopic(req.topic);
    const names = [...this.store.entries<SnapshotMeta>('snap/')].filter(([, s]) => s.kafkaTopic === kafkaTopic).map(([, s]) => s.name);
    const { items, next } = page(names, (x) => x, req.pageSize ?? 0, req.pageToken ?? '');
    return { snapshots: items, nextPageToken: next };
  }

  async deleteTopic(req: Obj): Promise<Obj> {
    const { kafkaTopic } = await this.#requireTopic(req.topic);
    await this.kafka.deleteTopic(kafkaTopic);
    this.#topicCache.delete(kafkaTopic);
    await this.store.put(`topic/${kafkaTopic}`, null);
    for (const s of this.subs.values()) {
      if (s.cfg.kafkaTopic !== kafkaTopic) continue;
      s.applyConfig({ ...s.cfg, topic: DELETED_TOPIC, kafkaTopic: '' });
      await this.store.put(`sub/${s.cfg.name}`, s.cfg);
    }
    await this.#syncGroupTopics();
    return {};
  }

  async detachSubscription(req: Obj): Promise<Obj> {
    const rt = this.#sub(req.subscription);
    rt.applyConfig({ ...rt.cfg, detached: true });
    await this.store.put(`sub/${rt.cfg.name}`, rt.cfg);
    this.#syncPush(rt);
    return {};
  }

  async publish(req: Obj): Promise<Obj> {
    const { kafkaTopic, partitions } = await this.#requireTopic(req.topic);
    const messages: Obj[] = req.messages ?? [];
    if (messages.length === 0) throw invalid('The request contains no messages.');
    let total = 0;
    const now = BigInt(Date.now());
    const rr = this.#rr++ % partitions;
    const schema = this.store.get<TopicMeta>(`topic/${kafkaTopic}`)?.schemaSettings ?? null;
    const records = messages.map((m) => {
      const data: Buffer = m.data ? Buffer.from(m.data) : Buffer.alloc(0);
      const attrs: Record<string, string> = m.attributes ?? {};
      const keys = Object.keys(attrs);
      if (data.length === 0 && keys.length === 0) {
        throw invalid('Some messages in the publish request are empty. Each message must contain a non-empty data field, or at least one attribute.');
      }
      if (keys.length > 100) throw invalid(`Too many attributes (${keys.length} > 100) in a message.`);
      const headers: Record<string, Buffer> = {};
      total += data.length;
      for (const k of keys) {
        const v = String(attrs[k]);
        if (Buffer.byteLength(k) > 256) throw invalid(`Attribute key is too long (> 256 bytes): ${k.slice(0, 40)}…`);
        if (Buffer.byteLength(v) > 1024) throw invalid(`Attribute value for key ${k} is too long (> 1024 bytes).`);
        if (k.startsWith('goog')) throw invalid(`Attribute keys may not start with 'goog': ${k}`);
        headers[k] = Buffer.from(v);
        total += k.length + v.length;
      }
      const orderingKey: string = m.orderingKey ?? '';
      if (Buffer.byteLength(orderingKey) > 1024) throw invalid('Ordering key is too long (> 1024 bytes).');
      const key = orderingKey ? Buffer.from(orderingKey) : null;
      total += key?.length ?? 0;
      if (schema) {
        // As Pub/Sub does: which schema (and revision) the message conforms to travels with it.
        const revision = this.schemas.check(schema, data);
        headers.googclient_schemaname = Buffer.from(schema.schema);
        headers.googclient_schemaencoding = Buffer.from(schema.encoding);
        headers.googclient_schemarevisionid = Buffer.from(revision);
      }
      return { partition: key ? partitionForKey(key, partitions) : rr, key, value: data, headers, timestamp: now };
    });
    if (total > MAX_REQUEST) throw invalid(`Request payload size exceeds the limit: ${MAX_REQUEST} bytes.`);
    const offsets = await this.kafka.produce(kafkaTopic, records);
    for (const s of this.subs.values()) if (s.cfg.kafkaTopic === kafkaTopic) s.poke();
    return { messageIds: offsets.map((o, i) => messageIdOf(records[i].partition, o)) };
  }

  // ---- subscriptions ----

  #sub(name: string, field = 'subscriptions'): SubscriptionRuntime {
    const s = parseSubscription(name, field);
    const rt = this.subs.get(name);
    if (!rt) throw notFound(s.id);
    return rt;
  }

  subscriptionObj(c: SubConfig): Obj {
    return {
      name: c.name,
      topic: c.topic,
      pushConfig: c.pushEndpoint
        ? {
            pushEndpoint: c.pushEndpoint,
            attributes: c.pushAttributes,
            ...(c.pushOidc ? { oidcToken: c.pushOidc } : {}),
            ...(c.pushNoWrapper ? { noWrapper: { writeMetadata: false } } : {}),
          }
        : { pushEndpoint: '', attributes: {} },
      ackDeadlineSeconds: c.ackDeadlineSeconds,
      retainAckedMessages: c.retainAckedMessages,
      messageRetentionDuration: duration(c.messageRetentionSeconds),
      labels: c.labels,
      enableMessageOrdering: c.enableMessageOrdering,
      expirationPolicy: c.expirationTtlSeconds === null ? null : { ttl: duration(c.expirationTtlSeconds) },
      filter: c.filter,
      deadLetterPolicy: c.deadLetterTopic ? { deadLetterTopic: c.deadLetterTopic, maxDeliveryAttempts: c.maxDeliveryAttempts } : null,
      retryPolicy:
        c.retryMinSeconds === null ? null : { minimumBackoff: duration(c.retryMinSeconds), maximumBackoff: duration(c.retryMaxSeconds) },
      detached: c.detached,
      enableExactlyOnceDelivery: c.exactlyOnce,
      state: 'ACTIVE',
    };
  }

  async #subConfig(req: Obj, base: SubConfig | null, paths: Set<string> | null): Promise<SubConfig> {
    const has = (p: string) => paths === null || paths.has(p);
    const c: SubConfig = base
      ? { ...base }
      : {
          name: req.name,
          topic: req.topic,
          kafkaTopic: '',
          ackDeadlineSeconds: 10,
          retainAckedMessages: false,
          messageRetentionSeconds: 7 * 86400,
          labels: {},
          enableMessageOrdering: false,
          filter: '',
          deadLetterTopic: null,
          deadLetterKafkaTopic: null,
          maxDeliveryAttempts: 5,
          retryMinSeconds: null,
          retryMaxSeconds: null,
          pushEndpoint: '',
          pushAttributes: {},
          pushOidc: null,
          pushNoWrapper: false,
          exactlyOnce: false,
          detached: false,
          expirationTtlSeconds: 31 * 86400,
        };
    if (has('ack_deadline_seconds')) {
      const a = Number(req.ackDeadlineSeconds ?? 0);
      if (a !== 0 && (a < 10 || a > 600)) throw invalid(`Invalid ack deadline given: ${a}. The minimum deadline is 10 seconds and the maximum deadline you can specify is 600 seconds.`);
      c.ackDeadlineSeconds = a === 0 ? 10 : a;
    }
    if (has('retain_acked_messages')) c.retainAckedMessages = !!req.retainAckedMessages;
    if (has('message_retention_duration')) {
      const r = durationSeconds(req.messageRetentionDuration);
      if (r !== null && (r < 600 || r > 31 * 86400)) throw invalid('Invalid message_retention_duration: must be between 10 minutes and 31 days.');
      c.messageRetentionSeconds = r ?? 7 * 86400;
    }
    if (has('labels')) {
      this.#checkLabels(req.labels);
      c.labels = { ...(req.labels ?? {}) };
    }
    if (!base) {
      c.enableMessageOrdering = !!req.enableMessageOrdering;
      c.filter = req.filter ?? '';
      compileFilter(c.filter);
    } else if (paths?.has('enable_message_ordering') || paths?.has('filter')) {
      throw invalid(`Invalid update_mask provided in the UpdateSubscriptionRequest: the '${paths.has('filter') ? 'filter' : 'enable_message_ordering'}' field can not be updated.`);
    }
    if (has('expiration_policy')) {
      const ttl = req.expirationPolicy ? durationSeconds(req.expirationPolicy.ttl) : 31 * 86400;
      if (ttl !== null && ttl < 86400) throw invalid('Invalid expiration_policy: the minimum ttl is 1 day.');
      c.expirationTtlSeconds = ttl;
    }
    if (has('dead_letter_policy')) {
      const d = req.deadLetterPolicy;
      if (d && d.deadLetterTopic) {
        const max = Number(d.maxDeliveryAttempts ?? 0) || 5;
        if (max < 5 || max > 100) throw invalid(`Invalid max_delivery_attempts: ${max}. It must be between 5 and 100.`);
        const { kafkaTopic } = await this.#requireTopic(d.deadLetterTopic, 'topics');
        c.deadLetterTopic = d.deadLetterTopic;
        c.deadLetterKafkaTopic = kafkaTopic;
        c.maxDeliveryAttempts = max;
      } else {
        c.deadLetterTopic = null;
        c.deadLetterKafkaTopic = null;
        c.maxDeliveryAttempts = 5;
      }
    }
    if (has('retry_policy')) {
      const r = req.retryPolicy;
      if (r) {
        const min = durationSeconds(r.minimumBackoff) ?? 10;
        const max = durationSeconds(r.maximumBackoff) ?? 600;
        if (min < 0 || min > 600 || max < 0 || max > 600 || min > max) throw invalid('Invalid retry_policy: backoffs must be within 0–600 s and minimum ≤ maximum.');
        c.retryMinSeconds = min;
        c.retryMaxSeconds = max;
      } else {
        c.retryMinSeconds = null;
        c.retryMaxSeconds = null;
      }
    }
    if (has('push_config')) this.#applyPush(c, req.pushConfig);
    if (has('enable_exactly_once_delivery')) c.exactlyOnce = !!req.enableExactlyOnceDelivery;
    return c;
  }

  #applyPush(c: SubConfig, pc: Obj | null | undefined): void {
    const endpoint: string = pc?.pushEndpoint ?? '';
    if (endpoint && !/^https?:\/\/[^\s]+$/.test(endpoint)) throw invalid(`Invalid push_endpoint given: ${endpoint}`);
    c.pushEndpoint = endpoint;
    c.pushAttributes = { ...(pc?.attributes ?? {}) };
    c.pushOidc = pc?.oidcToken ? { serviceAccountEmail: pc.oidcToken.serviceAccountEmail ?? '', audience: pc.oidcToken.audience ?? '' } : null;
    c.pushNoWrapper = !!pc?.noWrapper;
  }

  async createSubscription(req: Obj): Promise<Obj> {
    const s = parseSubscription(req.name, 'subscriptions');
    if (!req.topic) throw invalid('Invalid [topics] name: (name=)');
    const { kafkaTopic } = await this.#requireTopic(req.topic, 'topics');
    if (this.subs.has(req.name)) throw alreadyExists(s.id);
    const cfg = await this.#subConfig(req, null, null);
    cfg.kafkaTopic = kafkaTopic;
    // Re-checked after the awaits above; the store entry is set synchronously below,
    // so a concurrent create of the same name sees it.
    if (this.subs.has(req.name) || this.store.get(`sub/${req.name}`)) throw alreadyExists(s.id);
    const rt = this.#startSub(cfg);
    try {
      // The cursors start at the end of the topic; written before the subscription itself,
      // so a replica that sees the subscription in the log sees its ack state too. The
      // epoch goes past whatever an earlier subscription of this name left behind.
      const latest = await this.kafka.offsets(kafkaTopic, 'latest');
      await Promise.all(
        latest.map((o, p) => {
          const old = this.store.get<AckRecord>(`ack/${cfg.name}/${p}`);
          return this.store.put(`ack/${cfg.name}/${p}`, { floor: String(o), acked: [], epoch: (old?.epoch ?? 0) + 1 });
        }),
      );
      await this.store.put(`sub/${cfg.name}`, cfg);
    } catch (err) {
      this.subs.delete(cfg.name);
      await rt.close(false);
      throw err;
    }
    await this.#ownFor(rt);
    // A new topic for the group: wait (bounded) for the rebalance to give it an owner, so
    // a Pull right after the create finds one.
    await this.#syncGroupTopics();
    await this.#waitForOwners(rt, 15_000);
    return this.subscriptionObj(cfg);
  }

  async getSubscription(req: Obj): Promise<Obj> {
    return this.subscriptionObj(this.#sub(req.subscription).cfg);
  }

  async updateSubscription(req: Obj): Promise<Obj> {
    const sub = req.subscription ?? {};
    const rt = this.#sub(sub.name);
    const paths: string[] = req.updateMask?.paths ?? [];
    if (paths.length === 0) throw invalid('The update_mask in the UpdateSubscriptionRequest must be set.');
    const snake = new Set(paths.map((p) => p.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())));
    const known = new Set([
      'ack_deadline_seconds', 'retain_acked_messages', 'message_retention_duration', 'labels', 'enable_message_ordering', 'filter',
      'expiration_policy', 'dead_letter_policy', 'retry_policy', 'push_config', 'enable_exactly_once_delivery',
    ]);
    for (const p of snake) if (!known.has(p)) throw invalid(`Invalid update_mask provided in the UpdateSubscriptionRequest: the '${p}' field can not be updated.`);
    const cfg = await this.#subConfig(sub, rt.cfg, snake);
    rt.applyConfig(cfg);
    await this.store.put(`sub/${cfg.name}`, cfg);
    this.#syncPush(rt);
    return this.subscriptionObj(cfg);
  }

  async listSubscriptions(req: Obj): Promise<Obj> {
    const project = parseProject(req.project);
    const prefix = `projects/${project}/subscriptions/`;
    const all = [...this.subs.values()].filter((s) => s.cfg.name.startsWith(prefix)).map((s) => s.cfg);
    const { items, next } = page(all, (c) => c.name, req.pageSize ?? 0, req.pageToken ?? '');
    return { subscriptions: items.map((c) => this.subscriptionObj(c)), nextPageToken: next };
  }

  async deleteSubscription(req: Obj): Promise<Obj> {
    const rt = this.#sub(req.subscription);
    this.#stopSub(rt);
    await this.store.put(`sub/${rt.cfg.name}`, null);
    await Promise.all([...this.store.entries(`ack/${rt.cfg.name}/`)].map(([k]) => this.store.put(k, null)));
    return {};
  }

  async modifyPushConfig(req: Obj): Promise<Obj> {
    const rt = this.#sub(req.subscription);
    const cfg = { ...rt.cfg };
    this.#applyPush(cfg, req.pushConfig);
    rt.applyConfig(cfg);
    await this.store.put(`sub/${cfg.name}`, cfg);
    this.#syncPush(rt);
    return {};
  }

  /** The subscription for message delivery (not detached, topic not deleted). */
  active(name: string): SubscriptionRuntime {
    const rt = this.#sub(name);
    if (rt.cfg.detached) throw precondition(`Subscription is detached (resource=${parseSubscription(name).id}).`);
    return rt;
  }

  async #waitForOwners(rt: SubscriptionRuntime, ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end && !this.#closed && rt.cfg.kafkaTopic) {
      if (!(await this.remoteOwners(rt)).unknown) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async pull(req: Obj, cancel: Cancel, forwarded = false): Promise<Obj> {
    const rt = this.active(req.subscription);
    const max = Math.min(Number(req.maxMessages ?? 0), 1000);
    if (max <= 0) throw invalid('max_messages must be greater than 0.');
    if (rt.cfg.pushEndpoint) throw precondition('Pull is not allowed on a push subscription.');
    const immediate = !!req.returnImmediately;
    if (forwarded) {
      if (rt.parts.size === 0) throw new ApiError(status.UNAVAILABLE, 'This replica no longer serves the subscription; retry.');
      const deliveries = await rt.pull(max, immediate, this.pullWaitMs, cancel);
      return { receivedMessages: deliveries.map((d) => this.received(rt, d)) };
    }
    let owners = await this.remoteOwners(rt);
    if (owners.remote.length === 0 && !owners.unknown) {
      const deliveries = await rt.pull(max, immediate, this.pullWaitMs, cancel);
      return { receivedMessages: deliveries.map((d) => this.received(rt, d)) };
    }
    // Some partitions are served elsewhere: ask each owner (this replica included) in
    // turn without waiting, until something comes or the Pull's wait is over.
    const end = Date.now() + this.pullWaitMs;
    for (;;) {
      const out: Obj[] = [];
      if (rt.parts.size > 0) for (const d of await rt.pull(max, true, 0, cancel)) out.push(this.received(rt, d));
      const start = this.#rr++;
      for (let i = 0; i < owners.remote.length && out.length < max; i++) {
        const addr = owners.remote[(start + i) % owners.remote.length];
        try {
          const res = await this.peers.unary(addr, 'Pull', { subscription: rt.cfg.name, maxMessages: max - out.length, returnImmediately: true });
          out.push(...(res.receivedMessages ?? []));
        } catch (err) {
          this.log.debug({ err: (err as Error).message, peer: addr }, 'forwarded Pull failed');
        }
      }
      if (out.length > 0 || immediate || Date.now() >= end || cancel.cancelled()) return { receivedMessages: out };
      await new Promise((r) => setTimeout(r, 100));
      owners = await this.remoteOwners(rt);
    }
  }

  received(rt: SubscriptionRuntime, d: Delivery): Obj {
    const m = d.msg;
    const out: Obj = {
      ackId: d.ackId,
      message: {
        data: m.value ?? Buffer.alloc(0),
        attributes: m.attributes,
        messageId: messageIdOf(m.partition, m.offset),
        publishTime: timestamp(m.timestamp),
      },
    };
    if (m.key?.length) out.message.orderingKey = m.key.toString('utf8');
    if (rt.cfg.deadLetterTopic) out.deliveryAttempt = d.deliveryAttempt;
    return out;
  }

  #checkAckIds(rt: SubscriptionRuntime, ackIds: string[]): void {
    if (ackIds.length === 0) throw invalid('No ack ids were provided.');
    rt.validateAckIds(ackIds);
  }

  /**
   * Splits ack IDs by the replica serving their partition: '' = here. Forwarded calls
   * are served here whatever the map says (the forwarder believed we own them).
   */
  routeAckIds(rt: SubscriptionRuntime, ackIds: string[], forwarded: boolean): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const a of ackIds) {
      const p = Number(a.slice(0, a.indexOf('-')));
      let owner = forwarded || !rt.cfg.kafkaTopic ? '' : this.ownerOf(rt.cfg.kafkaTopic, p);
      if (owner === null) {
        if (rt.owns(p)) owner = '';
        else throw new ApiError(status.UNAVAILABLE, 'The partition of this ack ID has no owner right now (replicas are rebalancing); retry.');
      }
      let l = out.get(owner);
      if (!l) out.set(owner, (l = []));
      l.push(a);
    }
    return out;
  }

  async acknowledge(req: Obj, _cancel?: Cancel, forwarded = false): Promise<Obj> {
    const rt = this.#sub(req.subscription);
    const ackIds: string[] = req.ackIds ?? [];
    this.#checkAckIds(rt, ackIds);
    const stale: string[] = [];
    await Promise.all(
      [...this.routeAckIds(rt, ackIds, forwarded)].map(async ([owner, ids]) => {
        if (owner) {
          await this.peers.unary(owner, 'Acknowledge', { subscription: rt.cfg.name, ackIds: ids });
          return;
        }
        stale.push(...rt.ack(ids));
        await rt.persist();
      }),
    );
    if (stale.length) throw exactlyOnceFailure(stale);
    return {};
  }

  async modifyAckDeadline(req: Obj, _cancel?: Cancel, forwarded = false): Promise<Obj> {
    const rt = this.#sub(req.subscription);
    const secs = Number(req.ackDeadlineSeconds ?? 0);
    if (!Number.isInteger(secs) || secs < 0 || secs > 600) {
      throw invalid(`Invalid ack deadline given: ${secs}. The minimum deadline is 0 seconds and the maximum deadline you can specify is 600 seconds.`);
    }
    const ackIds: string[] = req.ackIds ?? [];
    this.#checkAckIds(rt, ackIds);
    const stale: string[] = [];
    await Promise.all(
      [...this.routeAckIds(rt, ackIds, forwarded)].map(async ([owner, ids]) => {
        if (owner) {
          await this.peers.unary(owner, 'ModifyAckDeadline', { subscription: rt.cfg.name, ackIds: ids, ackDeadlineSeconds: secs });
          return;
        }
        stale.push(...rt.modifyAckDeadline(ids, secs));
      }),
    );
    if (stale.length && rt.cfg.exactlyOnce) throw exactlyOnceFailure(stale);
    return {};
  }

  // ---- snapshots and seek ----

  #snapObj(s: SnapshotMeta): Obj {
    return { name: s.name, topic: s.topic, expireTime: timestamp(s.expireTime), labels: s.labels };
  }

  #snap(name: string): SnapshotMeta {
    const s = parseSnapshot(name);
    const m = this.store.get<SnapshotMeta>(`snap/${name}`);
    if (!m) throw notFound(s.id);
    return m;
  }

  async createSnapshot(req: Obj): Promise<Obj> {
    const s = parseSnapshot(req.name);
    const rt = this.#sub(req.subscription);
    if (this.store.get(`snap/${req.name}`)) throw alreadyExists(s.id);
    if (!rt.cfg.kafkaTopic) throw precondition('The subscription\'s topic was deleted.');
    this.#checkLabels(req.labels);
    const meta: SnapshotMeta = {
      name: req.name,
      topic: rt.cfg.topic,
      kafkaTopic: rt.cfg.kafkaTopic,
      expireTime: Date.now() + 7 * 86400_000,
      labels: { ...(req.labels ?? {}) },
      acks: this.#ackState(rt),
    };
    await this.store.put(`snap/${req.name}`, meta);
    return this.#snapObj(meta);
  }

  /** Every partition's stored ack state (owners write it through on every ack). */
  #ackState(rt: SubscriptionRuntime): Record<string, AckRecord> {
    const out = rt.ackState();
    const prefix = `ack/${rt.cfg.name}/`;
    for (const [k, r] of this.store.entries<AckRecord>(prefix)) {
      const p = k.slice(prefix.length);
      if (!(p in out)) out[p] = { floor: r.floor, acked: r.acked };
    }
    return out;
  }

  async getSnapshot(req: Obj): Promise<Obj> {
    return this.#snapObj(this.#snap(req.snapshot));
  }

  async listSnapshots(req: Obj): Promise<Obj> {
    const project = parseProject(req.project);
    const all = [...this.store.entries<SnapshotMeta>(`snap/projects/${project}/snapshots/`)].map(([, s]) => s);
    const { items, next } = page(all, (s) => s.name, req.pageSize ?? 0, req.pageToken ?? '');
    return { snapshots: items.map((s) => this.#snapObj(s)), nextPageToken: next };
  }

  async updateSnapshot(req: Obj): Promise<Obj> {
    const snap = req.snapshot ?? {};
    const m = { ...this.#snap(snap.name) };
    const paths: string[] = req.updateMask?.paths ?? [];
    if (paths.length === 0) throw invalid('The update_mask in the UpdateSnapshotRequest must be set.');
    for (const p of paths) {
      if (p === 'labels') {
        this.#checkLabels(snap.labels);
        m.labels = { ...(snap.labels ?? {}) };
      } else if (p === 'expire_time' || p === 'expireTime') {
        const t = timestampMs(snap.expireTime);
        if (t === null) throw invalid('expire_time must be set.');
        m.expireTime = t;
      } else throw invalid(`Invalid update_mask provided in the UpdateSnapshotRequest: the '${p}' field can not be updated.`);
    }
    await this.store.put(`snap/${m.name}`, m);
    return this.#snapObj(m);
  }

  async deleteSnapshot(req: Obj): Promise<Obj> {
    const m = this.#snap(req.snapshot);
    await this.store.put(`snap/${m.name}`, null);
    return {};
  }

  async seek(req: Obj): Promise<Obj> {
    const rt = this.active(req.subscription);
    if (!rt.cfg.kafkaTopic) throw precondition('The subscription\'s topic was deleted.');
    const state = new Map<number, { floor: bigint; acked: Set<bigint> }>();
    if (req.snapshot) {
      const m = this.#snap(req.snapshot);
      if (m.kafkaTopic !== rt.cfg.kafkaTopic) throw invalid('The snapshot is for a different topic than the subscription.');
      for (const [p, a] of Object.entries(m.acks)) state.set(Number(p), decodeAcks(a));
    } else if (req.time) {
      const at = timestampMs(req.time)!;
      const offs = await this.kafka.offsets(rt.cfg.kafkaTopic, BigInt(at));
      offs.forEach((o, p) => state.set(p, { floor: o, acked: new Set() }));
    } else {
      throw invalid('Seek requires a time or a snapshot.');
    }
    // The target state goes into the subscription's config; each partition's owner
    // applies it (here at once, elsewhere when the config arrives through the log).
    const seekEpoch = (rt.cfg.seekEpoch ?? 0) + 1;
    const seekState: Record<string, AckRecord> = {};
    for (const [p, st] of state) seekState[p] = encodeAcks(st.floor, st.acked);
    rt.applyConfig({ ...rt.cfg, seekEpoch, seekState });
    await this.store.put(`sub/${rt.cfg.name}`, rt.cfg);
    // Answer once every partition's owner has applied it (bounded), so a Pull right after
    // the Seek sees the new position.
    const n = (await this.#partitionsOf(rt.cfg.kafkaTopic)) ?? 0;
    const end = Date.now() + 10_000;
    while (Date.now() < end) {
      let done = true;
      for (let p = 0; p < n; p++) if ((this.store.get<AckRecord>(`ack/${rt.cfg.name}/${p}`)?.seekEpoch ?? 0) < seekEpoch) done = false;
      if (done) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return {};
  }
}

/** Exactly-once: acks that can no longer succeed fail with per-ack-ID reasons (ErrorInfo metadata). */
export function exactlyOnceFailure(ackIds: string[]): ApiError {
  const e = new ApiError(status.INVALID_ARGUMENT, 'Some acknowledgement ids in the request were invalid.');
  (e as ApiError & { errorInfo?: Obj }).errorInfo = {
    reason: 'EXACTLY_ONCE_ACKID_FAILURE',
    domain: 'pubsub.googleapis.com',
    metadata: Object.fromEntries(ackIds.map((a) => [a, 'PERMANENT_FAILURE_INVALID_ACK_ID'])),
  };
  return e;
}
