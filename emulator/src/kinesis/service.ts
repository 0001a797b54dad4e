// The Kinesis Data Streams operations over the Kafka log.
//
//   stream  = Kafka topic of the same name (a topic made by a Kafka client is a
//             stream with evenly split hash-key ranges; `__…` topics are hidden)
//   shard   = partition: `shardId-000000000007` is partition 7; resharding adds
//             partitions and closes the parents (lineage in the metadata topic)
//   record  = Kafka record: partition key -> key (UTF-8), data -> value,
//             ApproximateArrivalTimestamp <- record timestamp
//   sequence number <-> (partition, offset), see keys.ts
//
// Every operation takes the decoded request body and returns the response object
// (blobs as Buffers, times as AwsTimestamp); errors are KinesisErrors.

import type { Logger } from 'pino';
import { LogError, type KafkaLog, type LogRecord } from '../log/kafka-log.ts';
import { MetadataStore, type ShardMeta, type StreamMeta } from './metadata.ts';
import {
  IteratorCodec, evenRanges, hashKeyOf, parseExplicitHashKey, shardIdOf, partitionOfShardId,
  sequenceNumber, parseSequenceNumber, MAX_HASH_KEY,
} from './keys.ts';
import { AwsTimestamp, KinesisError, blob, int, str, timestampMs, validation } from './wire.ts';
import { ShardLimiter } from './limits.ts';

export interface KinesisOptions {
  region: string;
  accountId: string;
  /** Max open shards per account (DescribeLimits, CreateStream/UpdateShardCount checks). */
  shardLimit: number;
  onDemandStreamLimit: number;
  /** Enforce AWS's per-shard throughput limits (ProvisionedThroughputExceededException). */
  enforceLimits: boolean;
}

export const DEFAULT_KINESIS_OPTIONS: KinesisOptions = {
  region: 'us-east-1',
  accountId: '000000000000',
  shardLimit: 500,
  onDemandStreamLimit: 50,
  enforceLimits: false,
};

type Body = Record<string, unknown>;
type Op = (body: Body) => Promise<unknown>;

const STREAM_NAME = /^[a-zA-Z0-9_.-]+$/;
const MAX_RECORD = 1024 * 1024;
const MAX_PUT_RECORDS_BYTES = 5 * 1024 * 1024;
const MAX_GET_BYTES = 10 * 1024 * 1024;
const FETCH_BYTES_PER_RECORD = 256;
const DEFAULT_RETENTION_HOURS = 24;
const MAX_RETENTION_HOURS = 8760;
const ON_DEMAND_SHARDS = 4;

/** A stream as the operations see it: metadata (stored or derived) + its topic. */
interface Stream {
  meta: StreamMeta;
  /** True when only a Kafka topic exists (no Kinesis metadata yet). */
  derived: boolean;
  partitions: number;
}

export class KinesisService {
  readonly opts: KinesisOptions;
  readonly #log: KafkaLog;
  readonly #logger: Logger;
  readonly #meta: MetadataStore;
  #iterators!: IteratorCodec;
  readonly #limiter: ShardLimiter;
  /** In-flight produces per "stream/partition", awaited when a shard closes. */
  readonly #inflight = new Map<string, Set<Promise<unknown>>>();
  /** Short-lived cache of topic descriptions for the data path. */
  readonly #topicCache = new Map<string, { at: number; id: string; partitions: number } | { at: number; missing: true }>();
  readonly ops: Record<string, Op>;

  constructor(log: KafkaLog, logger: Logger, opts: Partial<KinesisOptions> = {}) {
    this.opts = { ...DEFAULT_KINESIS_OPTIONS, ...opts };
    this.#log = log;
    this.#logger = logger;
    this.#meta = new MetadataStore(log);
    this.#limiter = new ShardLimiter();
    this.ops = {
      CreateStream: (b) => this.createStream(b),
      DeleteStream: (b) => this.deleteStream(b),
      DescribeStream: (b) => this.describeStream(b),
      DescribeStreamSummary: (b) => this.describeStreamSummary(b),
      ListStreams: (b) => this.listStreams(b),
      ListShards: (b) => this.listShards(b),
      PutRecord: (b) => this.putRecord(b),
      PutRecords: (b) => this.putRecords(b),
      GetShardIterator: (b) => this.getShardIterator(b),
      GetRecords: (b) => this.getRecords(b),
      AddTagsToStream: (b) => this.addTags(b),
      RemoveTagsFromStream: (b) => this.removeTags(b),
      ListTagsForStream: (b) => this.listTags(b),
      TagResource: (b) => this.tagResource(b),
      UntagResource: (b) => this.untagResource(b),
      ListTagsForResource: (b) => this.listTagsForResource(b),
      IncreaseStreamRetentionPeriod: (b) => this.changeRetention(b, 'increase'),
      DecreaseStreamRetentionPeriod: (b) => this.changeRetention(b, 'decrease'),
      DescribeLimits: () => this.describeLimits(),
      UpdateStreamMode: (b) => this.updateStreamMode(b),
      SplitShard: (b) => this.splitShard(b),
      MergeShards: (b) => this.mergeShards(b),
      UpdateShardCount: (b) => this.updateShardCount(b),
      EnableEnhancedMonitoring: (b) => this.enhancedMonitoring(b),
      DisableEnhancedMonitoring: (b) => this.enhancedMonitoring(b),
      RegisterStreamConsumer: (b) => this.registerConsumer(b),
      DescribeStreamConsumer: (b) => this.describeConsumer(b),
      ListStreamConsumers: (b) => this.listConsumers(b),
      DeregisterStreamConsumer: (b) => this.deregisterConsumer(b),
    };
  }

  async init(): Promise<void> {
    await this.#meta.init();
    this.#iterators = new IteratorCodec(this.#meta.secret);
  }

  get iterators(): IteratorCodec {
    return this.#iterators;
  }

  // ---------------------------------------------------------------- streams

  streamArn(name: string): string {
    return `arn:aws:kinesis:${this.opts.region}:${this.opts.accountId}:stream/${name}`;
  }

  #notFound(name: string): KinesisError {
    return new KinesisError('ResourceNotFoundException', `Stream ${name} under account ${this.opts.accountId} not found.`);
  }

  /** The stream name from StreamName or StreamARN (either may be given, AWS-style). */
  streamNameOf(body: Body): string {
    const name = str(body, 'StreamName', { min: 1, max: 128, pattern: STREAM_NAME });
    const arn = str(body, 'StreamARN', { min: 1, max: 2048 });
    if (arn !== undefined) {
      const m = /^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/([a-zA-Z0-9_.-]+)$/.exec(arn);
      if (!m) throw new KinesisError('InvalidArgumentException', `StreamARN ${arn} is not a valid Kinesis stream ARN.`);
      if (name !== undefined && name !== m[1]) throw new KinesisError('InvalidArgumentException', 'StreamName and StreamARN refer to different streams.');
      return m[1];
    }
    if (name === undefined) throw new KinesisError('InvalidArgumentException', 'Either StreamName or StreamARN should be provided.');
    return name;
  }

  async #topic(name: string, fresh: boolean): Promise<{ id: string; partitions: number } | null> {
    const c = this.#topicCache.get(name);
    if (!fresh && c && Date.now() - c.at < 1000) return 'missing' in c ? null : c;
    const info = await this.#log.describeTopic(name);
    this.#topicCache.set(name, info ? { at: Date.now(), id: info.id, partitions: info.partitions } : { at: Date.now(), missing: true });
    return info;
  }

  /** Resolves a stream; `fresh` re-reads metadata and topic (control plane), else ≤1 s old (data plane). */
  async stream(name: string, fresh = true): Promise<Stream> {
    if (name.startsWith('__')) throw this.#notFound(name);
    const [topic] = await Promise.all([this.#topic(name, fresh), this.#meta.refresh(fresh ? 0 : 1000)]);
    if (!topic) throw this.#notFound(name);
    const stored = this.#meta.get(name);
    if (stored && stored.topicId === topic.id) return { meta: stored, derived: false, partitions: topic.partitions };
    return { meta: this.#derive(name, topic.id, topic.partitions), derived: true, partitions: topic.partitions };
  }

  #derive(name: string, topicId: string, partitions: number): StreamMeta {
    return {
      name, topicId, arn: this.streamArn(name), createdAt: 0, retentionHours: DEFAULT_RETENTION_HOURS,
      mode: 'PROVISIONED', tags: {}, consumers: [],
      shards: evenRanges(partitions).map(([s, e], i) => ({ partition: i, start: s.toString(), end: e.toString() })),
    };
  }

  /** Writes metadata for a stream (turning a derived one into a stored one). */
  async #save(meta: StreamMeta): Promise<void> {
    await this.#meta.put(meta);
  }

  #openShards(meta: StreamMeta): ShardMeta[] {
    return meta.shards.filter((s) => s.endOffset === undefined);
  }

  #shard(s: Stream, shardId: string): ShardMeta {
    const p = partitionOfShardId(shardId);
    const shard = p === null ? undefined : s.meta.shards.find((x) => x.partition === p);
    if (!shard) throw new KinesisError('ResourceNotFoundException', `Could not find shard ${shardId} in stream ${s.meta.name} under account ${this.opts.accountId}.`);
    return shard;
  }

  #shardOut(sh: ShardMeta): Body {
    return {
      ShardId: shardIdOf(sh.partition),
      ParentShardId: sh.parent === undefined ? undefined : shardIdOf(sh.parent),
      AdjacentParentShardId: sh.adjacentParent === undefined ? undefined : shardIdOf(sh.adjacentParent),
      HashKeyRange: { StartingHashKey: sh.start, EndingHashKey: sh.end },
      SequenceNumberRange: {
        StartingSequenceNumber: sequenceNumber(sh.partition, -1n),
        EndingSequenceNumber: sh.endOffset === undefined ? undefined : sequenceNumber(sh.partition, BigInt(sh.endOffset) - 1n),
      },
    };
  }

  #status(_s: Stream): string {
    return 'ACTIVE';
  }

  #totalOpenShards(): Promise<number> {
    return this.#log.listTopics().then(async (names) => {
      let n = 0;
      for (const m of this.#meta.all()) if (names.includes(m.name)) n += this.#openShards(m).length;
      return n;
    });
  }

  async createStream(b: Body): Promise<Body> {
    const name = str(b, 'StreamName', { required: true, min: 1, max: 128, pattern: STREAM_NAME })!;
    const modeDetails = b.StreamModeDetails as { StreamMode?: string } | undefined;
    const mode = modeDetails?.StreamMode ?? 'PROVISIONED';
    if (mode !== 'PROVISIONED' && mode !== 'ON_DEMAND') throw validation('streamModeDetails.streamMode', 'Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]', mode);
    let count = int(b, 'ShardCount', { min: 1, max: 100000 });
    if (mode === 'PROVISIONED' && count === undefined) throw new KinesisError('InvalidArgumentException', 'ShardCount is required for a PROVISIONED stream.');
    if (mode === 'ON_DEMAND') count = count ?? ON_DEMAND_SHARDS;
    if (name.startsWith('__')) throw new KinesisError('InvalidArgumentException', `Stream name ${name} is reserved.`);
    await this.#meta.refresh(0);
    if (mode === 'ON_DEMAND' && this.#meta.all().filter((m) => m.mode === 'ON_DEMAND').length >= this.opts.onDemandStreamLimit) {
      throw new KinesisError('LimitExceededException', `This request would exceed the on-demand stream count limit of ${this.opts.onDemandStreamLimit}.`);
    }
    if ((await this.#totalOpenShards()) + count! > this.opts.shardLimit) {
      throw new KinesisError('LimitExceededException', `This request would exceed the shard limit for the account ${this.opts.accountId} in ${this.opts.region}. Current shard limit is ${this.opts.shardLimit}.`);
    }
    if (await this.#topic(name, true)) throw new KinesisError('ResourceInUseException', `Stream ${name} under account ${this.opts.accountId} already exists.`);
    try {
      await this.#log.createTopic(name, { partitions: count!, configs: { 'retention.ms': String(DEFAULT_RETENTION_HOURS * 3600_000) } });
    } catch (err) {
      if (err instanceof LogError && err.code === 'TOPIC_ALREADY_EXISTS') throw new KinesisError('ResourceInUseException', `Stream ${name} under account ${this.opts.accountId} already exists.`);
      throw err;
    }
    const topic = await this.#topic(name, true);
    if (!topic) throw new KinesisError('InternalFailure', 'Stream topic vanished after creation', 500);
    const tags = (b.Tags ?? {}) as Record<string, string>;
    const meta: StreamMeta = {
      ...this.#derive(name, topic.id, count!),
      createdAt: Date.now(), mode, tags: { ...tags },
    };
    await this.#save(meta);
    return {};
  }

  async deleteStream(b: Body): Promise<Body> {
    const name = this.streamNameOf(b);
    const s = await this.stream(name);
    if (s.meta.consumers.length > 0 && b.EnforceConsumerDeletion !== true) {
      throw new KinesisError('ResourceInUseException', `Stream ${name} under account ${this.opts.accountId} has registered consumers. Use EnforceConsumerDeletion to delete it anyway.`);
    }
    await this.#log.deleteTopic(name);
    this.#topicCache.delete(name);
    if (!s.derived) await this.#meta.remove(name);
    return {};
  }

  async describeStream(b: Body): Promise<Body> {
    const s = await this.stream(this.streamNameOf(b));
    const limit = int(b, 'Limit', { min: 1, max: 10000 }) ?? 100;
    const after = str(b, 'ExclusiveStartShardId', { min: 1, max: 128 });
    let shards = [...s.meta.shards].sort((x, y) => x.partition - y.partition);
    if (after !== undefined) {
      const p = partitionOfShardId(after) ?? -1;
      shards = shards.filter((x) => x.partition > p);
    }
    const page = shards.slice(0, limit);
    return {
      StreamDescription: {
        StreamName: s.meta.name,
        StreamARN: s.meta.arn,
        StreamStatus: this.#status(s),
        StreamModeDetails: { StreamMode: s.meta.mode },
        Shards: page.map((x) => this.#shardOut(x)),
        HasMoreShards: shards.length > page.length,
        RetentionPeriodHours: s.meta.retentionHours,
        StreamCreationTimestamp: new AwsTimestamp(s.meta.createdAt),
        EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
        EncryptionType: 'NONE',
      },
    };
  }

  async describeStreamSummary(b: Body): Promise<Body> {
    const s = await this.stream(this.streamNameOf(b));
    return {
      StreamDescriptionSummary: {
        StreamName: s.meta.name,
        StreamARN: s.meta.arn,
        StreamStatus: this.#status(s),
        StreamModeDetails: { StreamMode: s.meta.mode },
        RetentionPeriodHours: s.meta.retentionHours,
        StreamCreationTimestamp: new AwsTimestamp(s.meta.createdAt),
        EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
        EncryptionType: 'NONE',
        OpenShardCount: this.#openShards(s.meta).length,
        ConsumerCount: s.meta.consumers.length,
      },
    };
  }

  async listStreams(b: Body): Promise<Body> {
    const limit = int(b, 'Limit', { min: 1, max: 10000 }) ?? 100;
    const after = str(b, 'ExclusiveStartStreamName', { min: 1, max: 128 });
    const token = str(b, 'NextToken', { min: 1, max: 1048576 });
    let start = after;
    if (token !== undefined) {
      try {
        start = Buffer.from(token, 'base64url').toString('utf8');
      } catch {
        throw new KinesisError('InvalidArgumentException', 'Invalid NextToken.');
      }
    }
    await this.#meta.refresh(0);
    const names = (await this.#log.listTopics()).sort();
    const rest = start === undefined ? names : names.filter((n) => n > start);
    const page = rest.slice(0, limit);
    const more = rest.length > page.length;
    const summaries = [];
    for (const n of page) {
      const stored = this.#meta.get(n);
      const meta = stored ?? this.#derive(n, '', 0);
      summaries.push({
        StreamName: n, StreamARN: meta.arn, StreamStatus: 'ACTIVE',
        StreamModeDetails: { StreamMode: meta.mode }, StreamCreationTimestamp: new AwsTimestamp(meta.createdAt),
      });
    }
    return {
      StreamNames: page,
      HasMoreStreams: more,
      NextToken: more ? Buffer.from(page[page.length - 1], 'utf8').toString('base64url') : undefined,
      StreamSummaries: summaries,
    };
  }

  async listShards(b: Body): Promise<Body> {
    const token = str(b, 'NextToken', { min: 1, max: 1048576 });
    const max = int(b, 'MaxResults', { min: 1, max: 10000 }) ?? 1000;
    let name: string;
    let after: number;
    let filter = b.ShardFilter as { Type?: string; ShardId?: string; Timestamp?: unknown } | undefined;
    if (token !== undefined) {
      if (b.StreamName !== undefined || b.ExclusiveStartShardId !== undefined || b.StreamCreationTimestamp !== undefined) {
        throw new KinesisError('InvalidArgumentException', 'NextToken and StreamName cannot be provided together.');
      }
      let t: { s: string; a: number; f?: typeof filter; exp: number };
      try {
        t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as typeof t;
      } catch {
        throw new KinesisError('InvalidArgumentException', 'Invalid NextToken.');
      }
      if (typeof t?.s !== 'string' || typeof t.a !== 'number') throw new KinesisError('InvalidArgumentException', 'Invalid NextToken.');
      if (Date.now() > t.exp) throw new KinesisError('ExpiredNextTokenException', 'The NextToken has expired.');
      name = t.s;
      after = t.a;
      filter = t.f;
    } else {
      name = this.streamNameOf(b);
      const ex = str(b, 'ExclusiveStartShardId', { min: 1, max: 128 });
      after = ex === undefined ? -1 : (partitionOfShardId(ex) ?? -1);
    }
    const s = await this.stream(name);
    let shards = [...s.meta.shards].sort((x, y) => x.partition - y.partition).filter((x) => x.partition > after);
    if (filter?.Type) shards = await this.#filterShards(s, shards, filter);
    const page = shards.slice(0, max);
    const more = shards.length > page.length;
    return {
      Shards: page.map((x) => this.#shardOut(x)),
      NextToken: more
        ? Buffer.from(JSON.stringify({ s: name, a: page[page.length - 1].partition, f: filter, exp: Date.now() + 300_000 })).toString('base64url')
        : undefined,
    };
  }

  async #filterShards(s: Stream, shards: ShardMeta[], f: { Type?: string; ShardId?: string; Timestamp?: unknown }): Promise<ShardMeta[]> {
    const open = (x: ShardMeta) => x.endOffset === undefined;
    switch (f.Type) {
      case 'AFTER_SHARD_ID': {
        if (!f.ShardId) throw new KinesisError('InvalidArgumentException', 'ShardId is required for ShardFilter type AFTER_SHARD_ID.');
        const p = partitionOfShardId(f.ShardId) ?? -1;
        return shards.filter((x) => x.partition > p);
      }
      case 'AT_LATEST':
        return shards.filter(open);
      case 'AT_TRIM_HORIZON':
      case 'FROM_TRIM_HORIZON': {
        // Shards still holding records within retention: open ones, and closed ones
        // that have not aged out. AT_TRIM_HORIZON keeps only the oldest generation.
        const horizon = Date.now() - s.meta.retentionHours * 3600_000;
        const live = shards.filter((x) => open(x) || (x.closedAt ?? 0) > horizon);
        if (f.Type === 'FROM_TRIM_HORIZON') return live;
        const liveSet = new Set(live.map((x) => x.partition));
        return live.filter((x) => !(x.parent !== undefined && liveSet.has(x.parent)) && !(x.adjacentParent !== undefined && liveSet.has(x.adjacentParent)));
      }
      case 'AT_TIMESTAMP':
      case 'FROM_TIMESTAMP': {
        if (f.Timestamp === undefined) throw new KinesisError('InvalidArgumentException', `Timestamp is required for ShardFilter type ${f.Type}.`);
        const t = timestampMs(f.Timestamp, 'ShardFilter.Timestamp');
        // Shards open at t (AT) or open at/after t (FROM).
        const openedAt = (x: ShardMeta) => {
          const parent = x.parent === undefined ? undefined : s.meta.shards.find((y) => y.partition === x.parent);
          return parent?.closedAt ?? s.meta.createdAt;
        };
        return shards.filter((x) => (x.closedAt === undefined || x.closedAt > t) && (f.Type === 'FROM_TIMESTAMP' || openedAt(x) <= t));
      }
      default:
        throw validation('shardFilter.type', 'Member must satisfy enum value set: [AFTER_SHARD_ID, AT_TRIM_HORIZON, FROM_TRIM_HORIZON, AT_LATEST, AT_TIMESTAMP, FROM_TIMESTAMP]', f.Type);
    }
  }

  // ---------------------------------------------------------------- writes

  /** Open shards' ranges as bigints, computed once per metadata object. */
  readonly #routes = new WeakMap<StreamMeta, Array<{ start: bigint; end: bigint; shard: ShardMeta }>>();

  #route(meta: StreamMeta, hash: bigint): ShardMeta {
    let table = this.#routes.get(meta);
    if (!table) {
      table = meta.shards.filter((sh) => sh.endOffset === undefined).map((sh) => ({ start: BigInt(sh.start), end: BigInt(sh.end), shard: sh }));
      this.#routes.set(meta, table);
    }
    for (const r of table) if (hash >= r.start && hash <= r.end) return r.shard;
    throw new KinesisError('InternalFailure', 'No open shard covers the hash key', 500);
  }

  #checkRecord(r: Body, where: string): { data: Buffer; key: string; hash: bigint } {
    const key = r.PartitionKey;
    if (key === undefined || key === null) throw validation(`${where}partitionKey`, 'Member must not be null');
    if (typeof key !== 'string') throw new KinesisError('SerializationException', 'PartitionKey: expected a string');
    if (key.length < 1 || key.length > 256) throw validation(`${where}partitionKey`, `Member must have length ${key.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 256'}`, key);
    const data = blob(r.Data, `${where}data`);
    if (data.length > MAX_RECORD) throw validation(`${where}data`, `Member must have length less than or equal to ${MAX_RECORD}`, `java.nio.HeapByteBuffer[pos=0 lim=${data.length} cap=${data.length}]`);
    const keyBytes = Buffer.byteLength(key, 'utf8');
    if (data.length + keyBytes > MAX_RECORD) throw new KinesisError('InvalidArgumentException', `Record size (data + partition key) of ${data.length + keyBytes} bytes exceeds the limit of ${MAX_RECORD} bytes.`);
    const ehk = r.ExplicitHashKey;
    let hash: bigint;
    if (ehk !== undefined && ehk !== null) {
      if (typeof ehk !== 'string') throw new KinesisError('SerializationException', 'ExplicitHashKey: expected a string');
      hash = parseExplicitHashKey(ehk);
    } else {
      hash = hashKeyOf(key);
    }
    return { data, key, hash };
  }

  async #produce(s: Stream, partition: number, msgs: Array<{ data: Buffer; key: string }>): Promise<bigint[]> {
    const k = `${s.meta.name}/${partition}`;
    let set = this.#inflight.get(k);
    if (!set) this.#inflight.set(k, (set = new Set()));
    const now = Date.now();
    const p = this.#log.produce(s.meta.name, partition, msgs.map((m) => ({ key: Buffer.from(m.key, 'utf8'), value: m.data, timestamp: now })));
    set.add(p);
    try {
      return await p;
    } finally {
      set.delete(p);
    }
  }

  async putRecord(b: Body): Promise<Body> {
    const s = await this.stream(this.streamNameOf(b), false);
    const rec = this.#checkRecord(b, '');
    const ord = str(b, 'SequenceNumberForOrdering', { pattern: /^0|([1-9]\d{0,128})$/ });
    if (ord !== undefined && !/^\d+$/.test(ord)) throw new KinesisError('InvalidArgumentException', 'SequenceNumberForOrdering is not a valid sequence number.');
    const sh = this.#route(s.meta, rec.hash);
    if (this.opts.enforceLimits && !this.#limiter.write(s.meta.name, sh.partition, 1, rec.data.length + Buffer.byteLength(rec.key))) {
      throw new KinesisError('ProvisionedThroughputExceededException', `Rate exceeded for shard ${shardIdOf(sh.partition)} in stream ${s.meta.name} under account ${this.opts.accountId}.`);
    }
    const [offset] = await this.#produce(s, sh.partition, [rec]);
    return { ShardId: shardIdOf(sh.partition), SequenceNumber: sequenceNumber(sh.partition, offset), EncryptionType: 'NONE' };
  }

  async putRecords(b: Body): Promise<Body> {
    const s = await this.stream(this.streamNameOf(b), false);
    const records = b.Records;
    if (!Array.isArray(records)) throw validation('records', 'Member must not be null');
    if (records.length < 1) throw validation('records', 'Member must have length greater than or equal to 1', '[]');
    if (records.length > 500) throw validation('records', 'Member must have length less than or equal to 500', `[${records.length} records]`);
    const checked = records.map((r, i) => {
      if (!r || typeof r !== 'object') throw new KinesisError('SerializationException', `Records.${i + 1}: expected a structure`);
      return this.#checkRecord(r as Body, `records.${i + 1}.member.`);
    });
    const total = checked.reduce((n, r) => n + r.data.length + Buffer.byteLength(r.key), 0);
    if (total > MAX_PUT_RECORDS_BYTES) throw new KinesisError('InvalidArgumentException', `Records size exceeds 5 MB limit`);
    const byShard = new Map<number, number[]>();
    for (let i = 0; i < checked.length; i++) {
      const sh = this.#route(s.meta, checked[i].hash);
      let l = byShard.get(sh.partition);
      if (!l) byShard.set(sh.partition, (l = []));
      l.push(i);
    }
    const out: Body[] = new Array(checked.length);
    let failed = 0;
    await Promise.all([...byShard].map(async ([partition, idx]) => {
      // With limits on, the records beyond the shard's budget fail individually.
      let admitted = idx;
      if (this.opts.enforceLimits) {
        admitted = [];
        for (const i of idx) {
          if (this.#limiter.write(s.meta.name, partition, 1, checked[i].data.length + Buffer.byteLength(checked[i].key))) admitted.push(i);
          else {
            failed++;
            out[i] = { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: `Rate exceeded for shard ${shardIdOf(partition)} in stream ${s.meta.name} under account ${this.opts.accountId}.` };
          }
        }
      }
      try {
        const offsets = await this.#produce(s, partition, admitted.map((i) => checked[i]));
        admitted.forEach((i, j) => {
          out[i] = { SequenceNumber: sequenceNumber(partition, offsets[j]), ShardId: shardIdOf(partition) };
        });
      } catch (err) {
        this.#logger.warn({ err, stream: s.meta.name, partition }, 'PutRecords: produce failed');
        for (const i of admitted) {
          failed++;
          out[i] = { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service failure.' };
        }
      }
    }));
    return { FailedRecordCount: failed, Records: out, EncryptionType: 'NONE' };
  }

  // ---------------------------------------------------------------- reads

  async getShardIterator(b: Body): Promise<Body> {
    const name = this.streamNameOf(b);
    const shardId = str(b, 'ShardId', { required: true, min: 1, max: 128 })!;
    const type = str(b, 'ShardIteratorType', { required: true })!;
    const s = await this.stream(name, false);
    const sh = this.#shard(s, shardId);
    const p = sh.partition;
    let offset: bigint;
    switch (type) {
      case 'TRIM_HORIZON':
        offset = (await this.#log.offsets(name, 'earliest', [p])).get(p) ?? 0n;
        break;
      case 'LATEST':
        offset = sh.endOffset !== undefined ? BigInt(sh.endOffset) : ((await this.#log.offsets(name, 'latest', [p])).get(p) ?? 0n);
        break;
      case 'AT_SEQUENCE_NUMBER':
      case 'AFTER_SEQUENCE_NUMBER': {
        const seq = str(b, 'StartingSequenceNumber', { pattern: /^\d+$/ });
        if (seq === undefined) throw new KinesisError('InvalidArgumentException', `StartingSequenceNumber is required for ShardIteratorType ${type}.`);
        const parsed = parseSequenceNumber(seq);
        if (!parsed || parsed.partition !== p) {
          throw new KinesisError('InvalidArgumentException', `Invalid StartingSequenceNumber. It encodes ${shardId === shardIdOf(parsed?.partition ?? -1) ? 'an unknown position' : 'a different shard'}, it must be a sequence number of ${shardIdOf(p)} in stream ${name}.`);
        }
        offset = parsed.offset + (type === 'AFTER_SEQUENCE_NUMBER' ? 1n : 0n);
        if (offset < 0n) offset = 0n;
        break;
      }
      case 'AT_TIMESTAMP': {
        if (b.Timestamp === undefined || b.Timestamp === null) throw new KinesisError('InvalidArgumentException', 'Timestamp is required for ShardIteratorType AT_TIMESTAMP.');
        const t = timestampMs(b.Timestamp, 'Timestamp');
        if (t > Date.now()) throw new KinesisError('InvalidArgumentException', `The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: ${Math.round(t)}, currentTimestampInMillis: ${Date.now()}`);
        const at = (await this.#log.offsets(name, Math.floor(t), [p])).get(p) ?? -1n;
        offset = at >= 0n ? at : ((await this.#log.offsets(name, 'latest', [p])).get(p) ?? 0n);
        break;
      }
      default:
        throw validation('shardIteratorType', 'Member must satisfy enum value set: [AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, TRIM_HORIZON, LATEST, AT_TIMESTAMP]', type);
    }
    return { ShardIterator: this.#iterators.encode({ stream: name, partition: p, offset }) };
  }

  #childShards(s: Stream, sh: ShardMeta): Body[] {
    return s.meta.shards
      .filter((x) => x.parent === sh.partition || x.adjacentParent === sh.partition)
      .map((x) => ({
        ShardId: shardIdOf(x.partition),
        ParentShards: [x.parent, x.adjacentParent].filter((v) => v !== undefined).map((v) => shardIdOf(v!)),
        HashKeyRange: { StartingHashKey: x.start, EndingHashKey: x.end },
      }));
  }

  /** Reads up to `limit` records of a shard from `offset` (the engine of GetRecords and SubscribeToShard). */
  async readShard(s: Stream, sh: ShardMeta, offset: bigint, limit: number): Promise<{ records: LogRecord[]; next: bigint; closed: boolean; millisBehind: number }> {
    const end = sh.endOffset === undefined ? undefined : BigInt(sh.endOffset);
    if (end !== undefined && offset >= end) return { records: [], next: offset, closed: true, millisBehind: 0 };
    const max = end === undefined ? limit : Math.min(limit, Number(end - offset));
    let res;
    try {
      // Ask Kafka for about what `max` records need (decoding a 10 MB fetch to keep
      // 10,000 small records dominated GetRecords); Kafka still returns at least one
      // whole batch, so large records come through, and fewer than Limit is allowed.
      res = await this.#log.fetch(s.meta.name, sh.partition, offset, { maxRecords: max, maxBytes: Math.min(MAX_GET_BYTES, Math.max(64 * 1024, max * FETCH_BYTES_PER_RECORD)) });
    } catch (err) {
      if (!(err instanceof LogError) || err.code !== 'OFFSET_OUT_OF_RANGE') throw err;
      // Trimmed by retention: continue from the trim horizon (AWS does the same).
      const earliest = (await this.#log.offsets(s.meta.name, 'earliest', [sh.partition])).get(sh.partition) ?? 0n;
      if (earliest <= offset) return { records: [], next: offset, closed: false, millisBehind: 0 };
      return this.readShard(s, sh, earliest, limit);
    }
    let records = res.records;
    if (end !== undefined) records = records.filter((r) => r.offset < end);
    const next = records.length > 0 ? records[records.length - 1].offset + 1n : offset;
    const caughtUp = next >= res.highWatermark || (end !== undefined && next >= end);
    const last = records[records.length - 1];
    const millisBehind = caughtUp ? 0 : Math.max(0, Date.now() - (last?.timestamp ?? Date.now()));
    return { records, next, closed: end !== undefined && next >= end, millisBehind };
  }

  recordOut(partition: number, r: LogRecord): Body {
    return {
      SequenceNumber: sequenceNumber(partition, r.offset),
      ApproximateArrivalTimestamp: new AwsTimestamp(r.timestamp),
      Data: r.value ?? Buffer.alloc(0),
      PartitionKey: r.key ? r.key.toString('utf8') : '',
    };
  }

  async getRecords(b: Body): Promise<Body> {
    const token = str(b, 'ShardIterator', { required: true, min: 1, max: 512 })!;
    const limit = int(b, 'Limit', { min: 1, max: 10000 }) ?? 10000;
    const it = this.#iterators.decode(token);
    const s = await this.stream(it.stream, false);
    const sh = s.meta.shards.find((x) => x.partition === it.partition);
    if (!sh) throw new KinesisError('ResourceNotFoundException', `Shard ${shardIdOf(it.partition)} in stream ${it.stream} under account ${this.opts.accountId} does not exist`);
    if (this.opts.enforceLimits && !this.#limiter.read(it.stream, it.partition)) {
      throw new KinesisError('ProvisionedThroughputExceededException', `Rate exceeded for Shard - ${shardIdOf(it.partition)} in stream ${it.stream} under account ${this.opts.accountId}.`);
    }
    const r = await this.readShard(s, sh, it.offset, limit);
    if (this.opts.enforceLimits) this.#limiter.readBytes(it.stream, it.partition, r.records.reduce((n, x) => n + (x.value?.length ?? 0) + (x.key?.length ?? 0), 0));
    return {
      Records: r.records.map((x) => this.recordOut(sh.partition, x)),
      NextShardIterator: r.closed ? undefined : this.#iterators.encode({ stream: it.stream, partition: it.partition, offset: r.next }),
      MillisBehindLatest: r.millisBehind,
      ChildShards: r.closed ? this.#childShards(s, sh) : undefined,
    };
  }

  // ---------------------------------------------------------------- tags, retention, modes, limits

  #checkTags(tags: unknown): Record<string, string> {
    if (!tags || typeof tags !== 'object' || Array.isArray(tags)) throw validation('tags', 'Member must not be null');
    const t = tags as Record<string, unknown>;
    const keys = Object.keys(t);
    if (keys.length < 1 || keys.length > 50) throw validation('tags', `Member must have length ${keys.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 50'}`);
    for (const k of keys) {
      if (k.length < 1 || k.length > 128) throw new KinesisError('InvalidArgumentException', `Tag key ${k} must be between 1 and 128 characters.`);
      if (typeof t[k] !== 'string' || (t[k] as string).length > 256) throw new KinesisError('InvalidArgumentException', `Tag value for ${k} must be a string of at most 256 characters.`);
    }
    return t as Record<string, string>;
  }

  async #addTags(name: string, tags: Record<string, string>): Promise<void> {
    const s = await this.stream(name);
    const merged = { ...s.meta.tags, ...tags };
    if (Object.keys(merged).length > 50) throw new KinesisError('LimitExceededException', `Failed to add tags to stream ${name} under account ${this.opts.accountId} because a given stream cannot have more than 50 tags associated with it.`);
    await this.#save({ ...s.meta, tags: merged });
  }

  async #removeTags(name: string, keys: unknown): Promise<void> {
    if (!Array.isArray(keys) || keys.length < 1 || keys.length > 50) throw validation('tagKeys', 'Member must have length between 1 and 50');
    const s = await this.stream(name);
    const tags = { ...s.meta.tags };
    for (const k of keys) delete tags[String(k)];
    await this.#save({ ...s.meta, tags });
  }

  async addTags(b: Body): Promise<Body> {
    const tags = this.#checkTags(b.Tags);
    if (Object.keys(tags).length > 10) throw validation('tags', 'Member must have length less than or equal to 10');
    await this.#addTags(this.streamNameOf(b), tags);
    return {};
  }

  async removeTags(b: Body): Promise<Body> {
    await this.#removeTags(this.streamNameOf(b), b.TagKeys);
    return {};
  }

  async listTags(b: Body): Promise<Body> {
    const s = await this.stream(this.streamNameOf(b));
    const after = str(b, 'ExclusiveStartTagKey', { min: 1, max: 128 });
    const limit = int(b, 'Limit', { min: 1, max: 50 }) ?? 50;
    const keys = Object.keys(s.meta.tags).sort().filter((k) => after === undefined || k > after);
    const page = keys.slice(0, limit);
    return { Tags: page.map((k) => ({ Key: k, Value: s.meta.tags[k] })), HasMoreTags: keys.length > page.length };
  }

  #nameFromResourceArn(b: Body): string {
    const arn = str(b, 'ResourceARN', { required: true, min: 1, max: 2048 })!;
    return this.streamNameOf({ StreamARN: arn });
  }

  async tagResource(b: Body): Promise<Body> {
    await this.#addTags(this.#nameFromResourceArn(b), this.#checkTags(b.Tags));
    return {};
  }

  async untagResource(b: Body): Promise<Body> {
    await this.#removeTags(this.#nameFromResourceArn(b), b.TagKeys);
    return {};
  }

  async listTagsForResource(b: Body): Promise<Body> {
    const s = await this.stream(this.#nameFromResourceArn(b));
    return { Tags: Object.keys(s.meta.tags).sort().map((k) => ({ Key: k, Value: s.meta.tags[k] })) };
  }

  async changeRetention(b: Body, dir: 'increase' | 'decrease'): Promise<Body> {
    const hours = int(b, 'RetentionPeriodHours', { required: true, min: 1 })!;
    const s = await this.stream(this.streamNameOf(b));
    const cur = s.meta.retentionHours;
    if (hours < DEFAULT_RETENTION_HOURS || hours > MAX_RETENTION_HOURS) {
      throw new KinesisError('InvalidArgumentException', `Minimum allowed retention period is ${DEFAULT_RETENTION_HOURS} hours. Maximum allowed retention period is ${MAX_RETENTION_HOURS} hours. Requested retention period (${hours} hours) is too ${hours < DEFAULT_RETENTION_HOURS ? 'short' : 'long'}.`);
    }
    if (dir === 'increase' && hours < cur) {
      throw new KinesisError('InvalidArgumentException', `Requested retention period (${hours} hours) for stream ${s.meta.name} can not be shorter than existing retention period (${cur} hours). Use DecreaseRetentionPeriod API.`);
    }
    if (dir === 'decrease' && hours > cur) {
      throw new KinesisError('InvalidArgumentException', `Requested retention period (${hours} hours) for stream ${s.meta.name} can not be longer than existing retention period (${cur} hours). Use IncreaseRetentionPeriod API.`);
    }
    await this.#log.setTopicConfig(s.meta.name, { 'retention.ms': String(hours * 3600_000) });
    await this.#save({ ...s.meta, retentionHours: hours });
    return {};
  }

  async describeLimits(): Promise<Body> {
    await this.#meta.refresh(0);
    return {
      ShardLimit: this.opts.shardLimit,
      OpenShardCount: await this.#totalOpenShards(),
      OnDemandStreamCount: this.#meta.all().filter((m) => m.mode === 'ON_DEMAND').length,
      OnDemandStreamCountLimit: this.opts.onDemandStreamLimit,
    };
  }

  async updateStreamMode(b: Body): Promise<Body> {
    const arn = str(b, 'StreamARN', { required: true, min: 1, max: 2048 })!;
    const mode = (b.StreamModeDetails as { StreamMode?: string } | undefined)?.StreamMode;
    if (mode !== 'PROVISIONED' && mode !== 'ON_DEMAND') throw validation('streamModeDetails.streamMode', 'Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]', mode);
    const s = await this.stream(this.streamNameOf({ StreamARN: arn }));
    if (s.meta.mode === mode) throw new KinesisError('InvalidArgumentException', `Stream ${s.meta.name} is already in ${mode} mode.`);
    await this.#save({ ...s.meta, mode });
    return {};
  }

  async enhancedMonitoring(b: Body): Promise<Body> {
    const s = await this.stream(this.streamNameOf(b));
    return { StreamName: s.meta.name, StreamARN: s.meta.arn, CurrentShardLevelMetrics: [], DesiredShardLevelMetrics: [] };
  }

  // ---------------------------------------------------------------- resharding

  /**
   * Closes `parents` and opens `children` (new partitions). Routing switches at
   * once; produces already in flight to a parent finish first, then the parent's
   * end offset is taken, so every record is in exactly one shard.
   */
  async #reshard(s: Stream, parents: ShardMeta[], children: Array<Omit<ShardMeta, 'partition'>>): Promise<void> {
    if (s.derived) await this.#save(s.meta);
    const first = Math.max(s.partitions, ...s.meta.shards.map((x) => x.partition + 1));
    await this.#log.addPartitions(s.meta.name, first + children.length);
    this.#topicCache.delete(s.meta.name);
    const now = Date.now();
    const newShards = children.map((c, i) => ({ ...c, partition: first + i }));
    // Switch routing in this process first (parents marked closing), then settle.
    const closing = s.meta.shards.map((x) => (parents.includes(x) ? { ...x, endOffset: '18446744073709551615', closedAt: now } : x));
    const interim: StreamMeta = { ...s.meta, shards: [...closing, ...newShards] };
    this.#meta.setLocal(interim);
    for (const p of parents) await Promise.allSettled([...(this.#inflight.get(`${s.meta.name}/${p.partition}`) ?? [])]);
    const ends = await this.#log.offsets(s.meta.name, 'latest', parents.map((p) => p.partition));
    const final: StreamMeta = {
      ...interim,
      shards: interim.shards.map((x) => (parents.some((p) => p.partition === x.partition) ? { ...x, endOffset: String(ends.get(x.partition) ?? 0n) } : x)),
    };
    await this.#save(final);
  }

  #checkShardLimit(add: number): Promise<void> {
    return this.#totalOpenShards().then((n) => {
      if (n + add > this.opts.shardLimit) throw new KinesisError('LimitExceededException', `This request would exceed the shard limit for the account ${this.opts.accountId} in ${this.opts.region}. Current shard limit is ${this.opts.shardLimit}.`);
    });
  }

  async splitShard(b: Body): Promise<Body> {
    const s = await this.stream(this.streamNameOf(b));
    const shardId = str(b, 'ShardToSplit', { required: true, min: 1, max: 128 })!;
    const nsk = str(b, 'NewStartingHashKey', { required: true, pattern: /^0|([1-9]\d{0,38})$/ })!;
    const sh = this.#shard(s, shardId);
    if (sh.endOffset !== undefined) throw new KinesisError('ResourceInUseException', `Shard ${shardId} in stream ${s.meta.name} under account ${this.opts.accountId} has already been merged or split, and thus is not eligible for merging or splitting.`);
    if (!/^\d+$/.test(nsk)) throw new KinesisError('InvalidArgumentException', `NewStartingHashKey ${nsk} is not a valid hash key.`);
    const k = BigInt(nsk);
    if (k <= BigInt(sh.start) || k > BigInt(sh.end)) {
      throw new KinesisError('InvalidArgumentException', `NewStartingHashKey ${nsk} used in SplitShard() on shard ${shardId} in stream ${s.meta.name} under account ${this.opts.accountId} is not both greater than one plus the shard's StartingHashKey ${sh.start} and less than the shard's EndingHashKey ${sh.end}.`);
    }
    await this.#checkShardLimit(1);
    await this.#reshard(s, [sh], [
      { start: sh.start, end: (k - 1n).toString(), parent: sh.partition },
      { start: k.toString(), end: sh.end, parent: sh.partition },
    ]);
    return {};
  }

  async mergeShards(b: Body): Promise<Body> {
    const s = await this.stream(this.streamNameOf(b));
    const a = this.#shard(s, str(b, 'ShardToMerge', { required: true, min: 1, max: 128 })!);
    const c = this.#shard(s, str(b, 'AdjacentShardToMerge', { required: true, min: 1, max: 128 })!);
    for (const x of [a, c]) {
      if (x.endOffset !== undefined) throw new KinesisError('ResourceInUseException', `Shard ${shardIdOf(x.partition)} in stream ${s.meta.name} under account ${this.opts.accountId} has already been merged or split, and thus is not eligible for merging or splitting.`);
    }
    const [lo, hi] = BigInt(a.start) < BigInt(c.start) ? [a, c] : [c, a];
    if (BigInt(lo.end) + 1n !== BigInt(hi.start)) {
      throw new KinesisError('InvalidArgumentException', `Shards ${shardIdOf(a.partition)} and ${shardIdOf(c.partition)} in stream ${s.meta.name} under account ${this.opts.accountId} are not an adjacent pair of shards eligible for merging`);
    }
    await this.#reshard(s, [a, c], [{ start: lo.start, end: hi.end, parent: a.partition, adjacentParent: c.partition }]);
    return {};
  }

  async updateShardCount(b: Body): Promise<Body> {
    const target = int(b, 'TargetShardCount', { required: true, min: 1, max: 100000 })!;
    const scaling = str(b, 'ScalingType', { required: true })!;
    if (scaling !== 'UNIFORM_SCALING') throw validation('scalingType', 'Member must satisfy enum value set: [UNIFORM_SCALING]', scaling);
    const s = await this.stream(this.streamNameOf(b));
    const open = this.#openShards(s.meta).sort((x, y) => (BigInt(x.start) < BigInt(y.start) ? -1 : 1));
    const cur = open.length;
    if (target > cur * 2 || target * 2 < cur) {
      throw new KinesisError('ValidationException', `UpdateShardCount cannot scale up over double your current open shard count (${cur}) or scale down below half your current open shard count. Requested ${target}.`);
    }
    if (target === cur) return { StreamName: s.meta.name, StreamARN: s.meta.arn, CurrentShardCount: cur, TargetShardCount: target };
    await this.#checkShardLimit(target);
    // Uniform scaling: close every open shard and open `target` evenly split children;
    // each child's parents are the (one or two) old shards its range starts in / overlaps.
    const ranges = evenRanges(target);
    const children = ranges.map(([st, en]) => {
      const overlapping = open.filter((x) => BigInt(x.start) <= en && BigInt(x.end) >= st);
      return { start: st.toString(), end: en.toString(), parent: overlapping[0]?.partition, adjacentParent: overlapping[1]?.partition };
    });
    await this.#reshard(s, open, children);
    return { StreamName: s.meta.name, StreamARN: s.meta.arn, CurrentShardCount: cur, TargetShardCount: target };
  }

  // ---------------------------------------------------------------- enhanced fan-out consumers

  async #consumerTarget(b: Body): Promise<{ s: Stream; name?: string }> {
    const carn = str(b, 'ConsumerARN', { min: 1, max: 2048 });
    if (carn !== undefined) {
      const m = /^(arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/[a-zA-Z0-9_.-]+)\/consumer\/([a-zA-Z0-9_.-]+):\d+$/.exec(carn);
      if (!m) throw new KinesisError('InvalidArgumentException', `ConsumerARN ${carn} is not valid.`);
      const s = await this.stream(this.streamNameOf({ StreamARN: m[1] }));
      const c = s.meta.consumers.find((x) => x.arn === carn);
      if (!c) throw new KinesisError('ResourceNotFoundException', `Consumer ${carn} not found.`);
      return { s, name: c.name };
    }
    const arn = str(b, 'StreamARN', { required: true, min: 1, max: 2048 })!;
    const s = await this.stream(this.streamNameOf({ StreamARN: arn }));
    return { s, name: str(b, 'ConsumerName', { min: 1, max: 128, pattern: STREAM_NAME }) };
  }

  #consumerOut(s: Stream, c: { name: string; arn: string; createdAt: number }): Body {
    return { ConsumerName: c.name, ConsumerARN: c.arn, ConsumerStatus: 'ACTIVE', ConsumerCreationTimestamp: new AwsTimestamp(c.createdAt), StreamARN: s.meta.arn };
  }

  async registerConsumer(b: Body): Promise<Body> {
    const name = str(b, 'ConsumerName', { required: true, min: 1, max: 128, pattern: STREAM_NAME })!;
    const arn = str(b, 'StreamARN', { required: true, min: 1, max: 2048 })!;
    const s = await this.stream(this.streamNameOf({ StreamARN: arn }));
    if (s.meta.consumers.some((c) => c.name === name)) throw new KinesisError('ResourceInUseException', `Consumer ${name} under stream ${s.meta.name} already exists for account ${this.opts.accountId}.`);
    if (s.meta.consumers.length >= 20) throw new KinesisError('LimitExceededException', `Stream ${s.meta.name} already has 20 registered consumers.`);
    const createdAt = Date.now();
    const c = { name, arn: `${s.meta.arn}/consumer/${name}:${Math.floor(createdAt / 1000)}`, createdAt };
    await this.#save({ ...s.meta, consumers: [...s.meta.consumers, c] });
    return { Consumer: this.#consumerOut(s, c) };
  }

  async describeConsumer(b: Body): Promise<Body> {
    const { s, name } = await this.#consumerTarget(b);
    const c = s.meta.consumers.find((x) => x.name === name);
    if (!c) throw new KinesisError('ResourceNotFoundException', `Consumer ${name} under stream ${s.meta.name} not found.`);
    return { ConsumerDescription: this.#consumerOut(s, c) };
  }

  async listConsumers(b: Body): Promise<Body> {
    const arn = str(b, 'StreamARN', { required: true, min: 1, max: 2048 })!;
    const s = await this.stream(this.streamNameOf({ StreamARN: arn }));
    return { Consumers: s.meta.consumers.map((c) => this.#consumerOut(s, c)) };
  }

  async deregisterConsumer(b: Body): Promise<Body> {
    const { s, name } = await this.#consumerTarget(b);
    if (!s.meta.consumers.some((x) => x.name === name)) throw new KinesisError('ResourceNotFoundException', `Consumer ${name} under stream ${s.meta.name} not found.`);
    await this.#save({ ...s.meta, consumers: s.meta.consumers.filter((x) => x.name !== name) });
    return {};
  }

  /** For SubscribeToShard: the consumer (by ARN), its stream and a shard. */
  async subscription(consumerArn: string, shardId: string): Promise<{ s: Stream; sh: ShardMeta }> {
    const { s } = await this.#consumerTarget({ ConsumerARN: consumerArn });
    return { s, sh: this.#shard(s, shardId) };
  }

  async startingOffset(s: Stream, sh: ShardMeta, pos: Body): Promise<bigint> {
    const res = (await this.getShardIterator({ StreamName: s.meta.name, ShardId: shardIdOf(sh.partition), ShardIteratorType: pos.Type, StartingSequenceNumber: pos.SequenceNumber, Timestamp: pos.Timestamp })) as { ShardIterator: string };
    return this.#iterators.decode(res.ShardIterator).offset;
  }

  childShardsOf(s: Stream, sh: ShardMeta): Body[] {
    return this.#childShards(s, sh);
  }

  async refreshStream(name: string): Promise<Stream> {
    return this.stream(name, false);
  }
}

export const _internal = { MAX_HASH_KEY };
