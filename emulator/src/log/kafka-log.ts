// KafkaLog: the emulator's one door to the Kafka cluster, shared by the Pub/Sub and
// Kinesis front-ends. It is a thin, generic layer over @platformatic/kafka:
//
//   - topics:   listTopics, describeTopic (id + partition count), createTopic (with
//               configs), deleteTopic, addPartitions, topicConfig / setTopicConfig
//   - produce:  produce(topic, partition, messages) appends messages to ONE partition
//               in one request and returns the offset of each message (base offset +
//               index), so callers can report per-record results and partial failures
//   - fetch:    fetch(topic, partition, offset, { maxBytes, maxRecords, maxWaitMs })
//               reads whole records from an offset (records before `offset` that come
//               with the first batch are dropped), with the high watermark and log
//               start offset of the partition
//   - offsets:  offsets(topic, 'earliest' | 'latest' | timestampMs) per partition
//
// Fetch uses the Fetch API directly (no consumer group, no fetch session) so any
// number of concurrent reads of different partitions are independent.
// Errors from Kafka surface as `LogError` with a `code` (Kafka error name, or
// 'UNKNOWN_TOPIC' for a topic the cluster does not have).

import { Admin, Producer, ConnectionPool, fetchV16, ConfigResourceTypes } from '@platformatic/kafka';
import type { ClusterMetadata } from '@platformatic/kafka';

export interface LogOptions {
  bootstrapServers: string[];
  clientId?: string;
  /** Request timeout towards Kafka (ms). */
  timeoutMs?: number;
}

export interface LogMessage {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: Array<[string, Buffer]>;
  /** Epoch ms; the broker's time when omitted (CreateTime = now). */
  timestamp?: number;
}

export interface LogRecord {
  offset: bigint;
  /** Epoch ms. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[string, Buffer]>;
}

export interface FetchResult {
  records: LogRecord[];
  highWatermark: bigint;
  logStartOffset: bigint;
}

export interface TopicInfo {
  name: string;
  id: string;
  partitions: number;
}

export interface CreateTopicOptions {
  partitions: number;
  replicationFactor?: number;
  configs?: Record<string, string>;
}

export class LogError extends Error {
  override name = 'LogError';
  code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

// Kafka error codes we map to names callers can act on.
const KAFKA_ERRORS: Record<number, string> = {
  1: 'OFFSET_OUT_OF_RANGE',
  3: 'UNKNOWN_TOPIC_OR_PARTITION',
  6: 'NOT_LEADER_OR_FOLLOWER',
  36: 'TOPIC_ALREADY_EXISTS',
  37: 'INVALID_PARTITIONS',
  100: 'UNKNOWN_TOPIC_ID',
};

/** Finds a Kafka error code inside @platformatic/kafka's (possibly nested) errors. */
export function kafkaErrorName(err: unknown): string | null {
  const seen = new Set<unknown>();
  const walk = (e: unknown): string | null => {
    if (!e || typeof e !== 'object' || seen.has(e)) return null;
    seen.add(e);
    const o = e as { apiCode?: number; errorCode?: number; code?: string; errors?: unknown[]; cause?: unknown; apiId?: string };
    if (typeof o.apiId === 'string' && o.apiId) return o.apiId;
    const code = o.apiCode ?? o.errorCode;
    if (typeof code === 'number' && code !== 0) return KAFKA_ERRORS[code] ?? `KAFKA_ERROR_${code}`;
    for (const sub of o.errors ?? []) {
      const r = walk(sub);
      if (r) return r;
    }
    return walk(o.cause);
  };
  return walk(err);
}

export class KafkaLog {
  readonly admin: Admin;
  readonly producer: Producer;
  readonly #pool: ConnectionPool;
  readonly #timeoutMs: number;
  #meta: ClusterMetadata | null = null;

  constructor(opts: LogOptions) {
    const clientId = opts.clientId ?? 'tributary-emulator';
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    const base = { clientId, bootstrapBrokers: opts.bootstrapServers, timeout: this.#timeoutMs, retries: 3 };
    this.admin = new Admin(base);
    this.producer = new Producer({ ...base, acks: -1, autocreateTopics: false });
    this.#pool = new ConnectionPool(clientId, { connectTimeout: this.#timeoutMs, requestTimeout: this.#timeoutMs });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.producer.close(), this.admin.close(), this.#pool.close()]);
  }

  /** Topic names, internal ones (`__…`) included only when asked. */
  async listTopics(includeInternal = false): Promise<string[]> {
    const names = await this.admin.listTopics({ includeInternals: includeInternal });
    return includeInternal ? names : names.filter((n) => !n.startsWith('__'));
  }

  /** Current metadata of one topic, or null when the cluster does not have it. */
  async describeTopic(name: string): Promise<TopicInfo | null> {
    let md: ClusterMetadata;
    try {
      md = await this.admin.metadata({ topics: [name], forceUpdate: true, autocreateTopics: false, retries: 0 });
    } catch (err) {
      const code = kafkaErrorName(err);
      if (code === 'UNKNOWN_TOPIC_OR_PARTITION' || code === 'UNKNOWN_TOPIC_ID') return null;
      if (/^Unknown topic /.test((err as Error).message)) return null;
      throw err;
    }
    this.#meta = md;
    const t = md.topics.get(name);
    if (!t) return null;
    return { name, id: t.id, partitions: t.partitionsCount };
  }

  /** Creates a topic; throws LogError('TOPIC_ALREADY_EXISTS') when it exists. */
  async createTopic(name: string, opts: CreateTopicOptions): Promise<void> {
    try {
      await this.admin.createTopics({
        topics: [name],
        partitions: opts.partitions,
        replicas: opts.replicationFactor ?? -1,
        configs: Object.entries(opts.configs ?? {}).map(([name, value]) => ({ name, value })),
      });
    } catch (err) {
      const code = kafkaErrorName(err);
      if (code) throw new LogError(code, `create topic ${name}: ${code}`);
      throw err;
    }
  }

  async deleteTopic(name: string): Promise<void> {
    try {
      await this.admin.deleteTopics({ topics: [name] });
    } catch (err) {
      const code = kafkaErrorName(err);
      if (code) throw new LogError(code, `delete topic ${name}: ${code}`);
      throw err;
    }
  }

  /** Grows a topic to `total` partitions (Kafka never shrinks). */
  async addPartitions(name: string, total: number): Promise<void> {
    await this.admin.createPartitions({ topics: [{ name, count: total }] });
  }

  /** Topic-level config values that are set (dynamic or default). */
  async topicConfig(name: string): Promise<Record<string, string>> {
    const res = await this.admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: name, configurationKeys: null }] });
    const out: Record<string, string> = {};
    for (const c of res[0]?.configs ?? []) if (c.value != null) out[c.name] = c.value;
    return out;
  }

  /** Sets topic configs (incrementally: other keys are kept). */
  async setTopicConfig(name: string, configs: Record<string, string>): Promise<void> {
    await this.admin.incrementalAlterConfigs({
      resources: [{
        resourceType: ConfigResourceTypes.TOPIC,
        resourceName: name,
        configs: Object.entries(configs).map(([name, value]) => ({ name, value, configOperation: 0 })),
      }],
    });
  }

  /**
   * Appends `messages` to one partition in one produce request (acks=all).
   * Returns the offset of each message, in order.
   */
  async produce(topic: string, partition: number, messages: LogMessage[]): Promise<bigint[]> {
    if (messages.length === 0) return [];
    const send = () => this.producer.send({
      messages: messages.map((m) => ({
        topic,
        partition,
        key: m.key ?? undefined,
        value: m.value ?? undefined,
        timestamp: m.timestamp === undefined ? undefined : BigInt(m.timestamp),
        headers: m.headers ? new Map(m.headers.map(([k, v]) => [Buffer.from(k), v])) : undefined,
      })) as never,
    });
    // @platformatic/kafka folds a partition number beyond its cached partition count
    // back into range (partition %= count), which would write to the WRONG partition
    // right after partitions were added: make sure its metadata knows this partition.
    let md = await this.producer.metadata({ topics: [topic] });
    if ((md.topics.get(topic)?.partitionsCount ?? 0) <= partition) {
      md = await this.producer.metadata({ topics: [topic], forceUpdate: true });
      if ((md.topics.get(topic)?.partitionsCount ?? 0) <= partition) throw new LogError('UNKNOWN_TOPIC_OR_PARTITION', `${topic}/${partition} does not exist`);
    }
    let res;
    try {
      res = await send();
    } catch {
      // A moved leader or a re-created topic: refresh metadata, try once more.
      await this.producer.metadata({ topics: [topic], forceUpdate: true }).catch(() => {});
      res = await send();
    }
    const base = res.offsets?.find((o) => o.partition === partition)?.offset;
    if (base === undefined) throw new LogError('NO_OFFSET', `produce to ${topic}/${partition}: no offset returned`);
    return messages.map((_, i) => BigInt(base) + BigInt(i));
  }

  async #leader(topic: string, partition: number, refresh: boolean): Promise<{ id: string; host: string; port: number }> {
    let md = this.#meta;
    if (refresh || !md || !md.topics.get(topic)?.partitions[partition]) {
      md = await this.admin.metadata({ topics: [topic], forceUpdate: true, autocreateTopics: false });
      this.#meta = md;
    }
    const t = md.topics.get(topic);
    const p = t?.partitions[partition];
    if (!t || !p) throw new LogError('UNKNOWN_TOPIC_OR_PARTITION', `${topic}/${partition} does not exist`);
    const b = md.brokers.get(p.leader);
    if (!b) throw new LogError('LEADER_NOT_AVAILABLE', `${topic}/${partition} has no leader`);
    return { id: t.id, host: b.host, port: b.port };
  }

  /**
   * Reads records of one partition from `offset` (inclusive). At most `maxRecords`
   * records and about `maxBytes` bytes (Kafka returns at least one whole batch).
   * `maxWaitMs` 0 returns at once even when there is nothing new.
   */
  async fetch(topic: string, partition: number, offset: bigint, opts: { maxBytes?: number; maxRecords?: number; maxWaitMs?: number } = {}): Promise<FetchResult> {
    const maxBytes = opts.maxBytes ?? 10 * 1024 * 1024;
    let lastErr: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const leader = await this.#leader(topic, partition, attempt > 0);
      const conn = await this.#pool.get({ host: leader.host, port: leader.port });
      let res;
      try {
        res = await fetchV16.api.async(conn, opts.maxWaitMs ?? 0, 1, maxBytes, 0, 0, -1, [{
          topicId: leader.id,
          partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, partitionMaxBytes: maxBytes }],
        }], [], '');
      } catch (err) {
        lastErr = err;
        const code = kafkaErrorName(err);
        if (code === 'OFFSET_OUT_OF_RANGE') throw new LogError(code, `${topic}/${partition} offset ${offset} out of range`);
        if (code === 'UNKNOWN_TOPIC_ID' || code === 'UNKNOWN_TOPIC_OR_PARTITION' || code === 'NOT_LEADER_OR_FOLLOWER') continue;
        throw err;
      }
      const p = res.responses[0]?.partitions[0];
      if (!p) throw new LogError('EMPTY_RESPONSE', `fetch ${topic}/${partition}: empty response`);
      if (p.errorCode !== 0) {
        const code = KAFKA_ERRORS[p.errorCode] ?? `KAFKA_ERROR_${p.errorCode}`;
        if (code === 'OFFSET_OUT_OF_RANGE') throw new LogError(code, `${topic}/${partition} offset ${offset} out of range`);
        lastErr = new LogError(code, `fetch ${topic}/${partition}: ${code}`);
        continue;
      }
      const records: LogRecord[] = [];
      const max = opts.maxRecords ?? Infinity;
      outer: for (const batch of p.records ?? []) {
        // Control batches (transaction markers) carry no user records.
        if ((batch.attributes & 0x20) !== 0) continue;
        for (const r of batch.records) {
          const o = batch.firstOffset + BigInt(r.offsetDelta);
          if (o < offset) continue;
          if (records.length >= max) break outer;
          records.push({
            offset: o,
            timestamp: Number(batch.firstTimestamp + r.timestampDelta),
            key: r.key,
            value: r.value,
            headers: r.headers.map(([k, v]) => [k ? k.toString('utf8') : '', v ?? Buffer.alloc(0)]),
          });
        }
      }
      return { records, highWatermark: p.highWatermark, logStartOffset: p.logStartOffset };
    }
    throw lastErr instanceof Error ? lastErr : new LogError('FETCH_FAILED', `fetch ${topic}/${partition} failed`);
  }

  /**
   * Offsets of every partition (or the given ones): 'earliest' = log start,
   * 'latest' = high watermark, a number = first offset whose timestamp is >= that
   * epoch ms (or -1n when there is none).
   */
  async offsets(topic: string, at: 'earliest' | 'latest' | number, partitions?: number[]): Promise<Map<number, bigint>> {
    let parts = partitions;
    if (!parts) {
      const info = await this.describeTopic(topic);
      if (!info) throw new LogError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} does not exist`);
      parts = Array.from({ length: info.partitions }, (_, i) => i);
    }
    const ts = at === 'earliest' ? -2n : at === 'latest' ? -1n : BigInt(at);
    const res = await this.admin.listOffsets({ topics: [{ name: topic, partitions: parts.map((p) => ({ partitionIndex: p, timestamp: ts })) }] });
    const out = new Map<number, bigint>();
    for (const t of res) for (const p of t.partitions) out.set(p.partitionIndex, p.offset);
    return out;
  }
}
