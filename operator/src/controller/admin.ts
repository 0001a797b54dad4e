// Kafka admin calls the operator needs, over the broker's own client connection
// (broker-image/src/client/connection.ts), each bounded by a timeout.
import { BrokerConnection } from '../../../broker-image/src/client/connection.ts';
import { errorName } from '../../../broker-image/src/protocol/errors.ts';
import type { ActualTopic } from '../desired/topic.ts';

const TOPIC_RESOURCE = 2;
const DYNAMIC_TOPIC_CONFIG = 1;
const UNKNOWN_TOPIC = 3;
const TOPIC_EXISTS = 36;

export class KafkaAdminError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

export interface PartitionInfo {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  internal: boolean;
}

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  brokers: { nodeId: number; host: string; port: number }[];
  partitions: PartitionInfo[];
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, rej) => { t = setTimeout(() => rej(new Error(`${what}: no answer in ${ms} ms`)), ms); })]).finally(() => clearTimeout(t));
}

function check(code: number, message: string | null | undefined, what: string): void {
  if (code !== 0) throw new KafkaAdminError(code, `${what}: ${errorName(code)}${message ? ` (${message})` : ''}`);
}

export class KafkaAdmin {
  private readonly conn: BrokerConnection;
  private readonly timeoutMs: number;

  private constructor(conn: BrokerConnection, timeoutMs: number) {
    this.conn = conn;
    this.timeoutMs = timeoutMs;
  }

  static async connect(bootstrap: string, timeoutMs = 10_000): Promise<KafkaAdmin> {
    const conn = await withTimeout(BrokerConnection.open(bootstrap, 'tributary-operator'), timeoutMs, `connect ${bootstrap}`);
    return new KafkaAdmin(conn, timeoutMs);
  }

  /** Runs `fn` with a connection to `bootstrap`, always closing it. */
  static async with<T>(bootstrap: string, fn: (a: KafkaAdmin) => Promise<T>): Promise<T> {
    const a = await KafkaAdmin.connect(bootstrap);
    try {
      return await fn(a);
    } finally {
      a.close();
    }
  }

  close(): void {
    this.conn.close();
  }

  private req(apiKey: number, maxVersion: number, body: object, what: string): Promise<any> {
    return withTimeout(this.conn.request(apiKey, maxVersion, body), this.timeoutMs, what);
  }

  async metadata(topics: string[] | null = null): Promise<ClusterMetadata> {
    const md = await this.req(3, 12, { topics: topics ? topics.map((name) => ({ name })) : null, allowAutoTopicCreation: false }, 'Metadata');
    const partitions: PartitionInfo[] = [];
    for (const t of md.topics ?? []) {
      if (t.errorCode !== 0) continue;
      for (const p of t.partitions) {
        partitions.push({ topic: t.name, partition: p.partitionIndex, leader: p.leaderId, replicas: p.replicaNodes, isr: p.isrNodes, internal: !!t.isInternal });
      }
    }
    return {
      clusterId: md.clusterId ?? null,
      controllerId: md.controllerId ?? -1,
      brokers: (md.brokers ?? []).map((b: any) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
      partitions,
    };
  }

  /** The topic as the broker has it, or undefined if it does not exist. */
  async describeTopic(name: string): Promise<ActualTopic | undefined> {
    const md = await this.req(3, 12, { topics: [{ name }], allowAutoTopicCreation: false }, 'Metadata');
    const t = md.topics.find((x: any) => x.name === name);
    if (!t || t.errorCode === UNKNOWN_TOPIC) return undefined;
    check(t.errorCode, null, `Metadata ${name}`);
    const cfg = await this.req(32, 4, { resources: [{ resourceType: TOPIC_RESOURCE, resourceName: name, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }, 'DescribeConfigs');
    const r = cfg.results[0];
    check(r.errorCode, r.errorMessage, `DescribeConfigs ${name}`);
    const config: Record<string, string> = {};
    for (const c of r.configs ?? []) if (c.configSource === DYNAMIC_TOPIC_CONFIG && c.value !== null) config[c.name] = c.value;
    return {
      topicId: t.topicId ? Buffer.from(t.topicId).toString('base64url') : '',
      partitions: t.partitions.length,
      replicationFactor: t.partitions[0]?.replicaNodes.length ?? 0,
      config,
    };
  }

  async createTopic(name: string, partitions: number, replicationFactor: number, config: Record<string, string>): Promise<void> {
    const res = await this.req(19, 7, {
      topics: [{ name, numPartitions: partitions, replicationFactor, assignments: [], configs: Object.entries(config).map(([k, v]) => ({ name: k, value: v })) }],
      timeoutMs: 30000, validateOnly: false,
    }, 'CreateTopics');
    const t = res.topics[0];
    if (t.errorCode === TOPIC_EXISTS) return;
    check(t.errorCode, t.errorMessage, `CreateTopics ${name}`);
  }

  async createPartitions(name: string, count: number): Promise<void> {
    const res = await this.req(37, 3, { topics: [{ name, count, assignments: null }], timeoutMs: 30000, validateOnly: false }, 'CreatePartitions');
    const r = res.results[0];
    check(r.errorCode, r.errorMessage, `CreatePartitions ${name}`);
  }

  async alterConfigs(name: string, set: Record<string, string>, remove: string[]): Promise<void> {
    const res = await this.req(44, 1, {
      resources: [{
        resourceType: TOPIC_RESOURCE, resourceName: name,
        configs: [
          ...Object.entries(set).map(([k, v]) => ({ name: k, configOperation: 0, value: v })),
          ...remove.map((k) => ({ name: k, configOperation: 1, value: null })),
        ],
      }],
      validateOnly: false,
    }, 'IncrementalAlterConfigs');
    const r = res.responses[0];
    check(r.errorCode, r.errorMessage, `IncrementalAlterConfigs ${name}`);
  }

  async deleteTopic(name: string): Promise<void> {
    const res = await this.req(20, 6, { topics: [{ name, topicId: Buffer.alloc(16) }], topicNames: [name], timeoutMs: 30000 }, 'DeleteTopics');
    const r = res.responses[0];
    if (r.errorCode === UNKNOWN_TOPIC) return;
    check(r.errorCode, r.errorMessage, `DeleteTopics ${name}`);
  }
}
