// The broker: opens the data dir and metadata, recovers the logs, listens on
// its Kafka listeners and the HTTP listener, and shuts down cleanly.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import type { BrokerConfig, Listener } from '../config/broker-config.ts';
import { validateTopicConfig } from '../config/topic-config.ts';
import { PartitionManager } from '../cluster/partition-manager.ts';
import { LocalStore } from '../cluster/store/local-store.ts';
import type { CoordinationStore } from '../cluster/store/coordination-store.ts';
import { INTERNAL_TOPICS, TopicRegistry, type TopicInfo } from '../cluster/topic-registry.ts';
import { ErrorCode, KafkaError } from '../protocol/errors.ts';
import { ProducerIdManager } from '../coordinator/producers/producer-id-manager.ts';
import { GroupCoordinator } from '../coordinator/groups/group-coordinator.ts';
import { OffsetsTopicStore } from '../coordinator/offsets-topic.ts';
import { parseProperties } from '../config/properties.ts';
import { Connection } from './connection.ts';
import { allHandlers } from './handlers/index.ts';
import { startHttpServer } from './http.ts';
import { BrokerMetrics } from './metrics.ts';
import { Router } from './router.ts';
import { createListenerServer } from './listeners.ts';

export interface NewTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

export class Broker {
  readonly config: BrokerConfig;
  readonly logger: Logger;
  readonly metrics = new BrokerMetrics();
  readonly router = new Router(allHandlers);
  readonly dataDir: string;
  clusterId = '';
  store!: CoordinationStore;
  topics!: TopicRegistry;
  partitions!: PartitionManager;
  producerIds!: ProducerIdManager;
  groups!: GroupCoordinator;
  /** The listeners with their bound ports, and the addresses clients are told. */
  boundListeners: Listener[] = [];
  advertisedListeners: Listener[] = [];
  httpPort: number | null = null;
  private servers: Server[] = [];
  private httpServer: HttpServer | null = null;
  private readonly connections = new Set<Connection>();
  private accepting = false;

  private constructor(config: BrokerConfig, logger: Logger) {
    this.config = config;
    this.logger = logger;
    if (config.logDirs.length > 1) {
      throw new Error(`log.dirs: one directory is supported (got ${config.logDirs.length})`);
    }
    this.dataDir = resolve(config.logDirs[0]);
  }

  static async start(config: BrokerConfig, logger: Logger): Promise<Broker> {
    const broker = new Broker(config, logger);
    await broker.open();
    return broker;
  }

  get nodeId(): number {
    return this.config.nodeId;
  }

  isReady(): boolean {
    return this.accepting;
  }

  /** The address clients are given for the listener a request came in on. */
  advertisedFor(listenerName: string): { host: string; port: number } {
    const l = this.advertisedListeners.find((a) => a.name === listenerName) ?? this.advertisedListeners[0];
    return { host: l.host, port: l.port };
  }

  async createTopic(spec: NewTopic, opts: { validateOnly?: boolean } = {}): Promise<TopicInfo> {
    if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `number of partitions must be at least 1 (got ${spec.partitions})`);
    }
    if (spec.partitions > 100_000) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `number of partitions ${spec.partitions} exceeds the limit of 100000`);
    }
    if (spec.replicationFactor < 1 || spec.replicationFactor > 1) {
      throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor: ${spec.replicationFactor} larger than available brokers: 1`);
    }
    validateTopicConfig(spec.configs);
    if (opts.validateOnly) {
      const existing = this.topics.get(spec.name);
      if (existing) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${spec.name}' already exists`);
      return { ...spec, id: Buffer.alloc(16), internal: INTERNAL_TOPICS.has(spec.name) };
    }
    const info = await this.topics.create(spec);
    await this.partitions.openTopic(info);
    this.logger.info({ topic: info.name, partitions: info.partitions, configs: info.configs }, 'topic created');
    return info;
  }

  /** Metadata's auto-creation: the topic if it exists or may be created, else null. */
  async topicForMetadata(name: string, allowAutoCreate: boolean): Promise<TopicInfo | null> {
    const existing = this.topics.get(name);
    if (existing || !allowAutoCreate || !this.config.autoCreateTopics) return existing ?? null;
    try {
      return await this.createTopic({ name, partitions: this.config.numPartitions, replicationFactor: this.config.defaultReplicationFactor, configs: {} });
    } catch (err) {
      if (err instanceof KafkaError && err.code === ErrorCode.TOPIC_ALREADY_EXISTS) return this.topics.get(name) ?? null;
      throw err;
    }
  }

  async deleteTopic(name: string): Promise<TopicInfo> {
    if (!this.config.deleteTopicEnable) throw new KafkaError(ErrorCode.TOPIC_DELETION_DISABLED, 'topic deletion is disabled (delete.topic.enable=false)');
    const info = this.topics.get(name);
    if (!info) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`);
    if (info.internal) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `topic '${name}' is internal and cannot be deleted`);
    await this.topics.delete(name);
    await this.partitions.deleteTopic(name);
    this.logger.info({ topic: name }, 'topic deleted');
    return info;
  }

  async addPartitions(name: string, count: number, opts: { validateOnly?: boolean } = {}): Promise<TopicInfo> {
    const info = this.topics.get(name);
    if (!info) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`);
    if (count <= info.partitions) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `topic currently has ${info.partitions} partitions, ${count} would not be an increase`);
    }
    if (opts.validateOnly) return info;
    const updated = await this.topics.update(name, { partitions: count });
    await this.partitions.openTopic(updated);
    this.logger.info({ topic: name, partitions: count }, 'partitions added');
    return updated;
  }

  async setTopicConfig(name: string, configs: Record<string, string>, opts: { validateOnly?: boolean } = {}): Promise<TopicInfo> {
    const info = this.topics.get(name);
    if (!info) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`);
    validateTopicConfig(configs);
    if (opts.validateOnly) return info;
    const updated = await this.topics.update(name, { configs });
    this.partitions.updateConfig(updated);
    this.logger.info({ topic: name, configs }, 'topic config changed');
    return updated;
  }

  async stop(): Promise<void> {
    this.accepting = false;
    // A server's close callback waits for its connections, so stop accepting, then drop them.
    const closed = Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    for (const c of this.connections) c.close('shutdown');
    await closed;
    this.groups?.close();
    if (this.httpServer) await new Promise<void>((r) => this.httpServer!.close(() => r()));
    await this.partitions?.closeAll();
    await this.store?.close();
    await rm(join(this.dataDir, '.lock'), { force: true });
    this.logger.info('broker stopped');
  }

  private async open(): Promise<void> {
    await mkdir(this.dataDir, { recursive: true });
    await this.lockDataDir();
    this.clusterId = await this.loadOrCreateMetaProperties();
    this.store = await LocalStore.open(join(this.dataDir, '__cluster_metadata.json'));
    this.topics = new TopicRegistry(this.store);
    this.producerIds = new ProducerIdManager(this.store);
    await this.topics.load();
    this.partitions = new PartitionManager({ dataDir: this.dataDir, registry: this.topics, brokerConfig: this.config.raw, logger: this.logger });
    const started = Date.now();
    await this.partitions.openAll();
    this.logger.info({ topics: this.topics.all().length, ms: Date.now() - started }, 'logs loaded');
    await this.loadGroups();
    this.partitions.startCleaner(Math.min(this.config.logRetentionCheckIntervalMs, Math.max(this.config.logCleanerBackoffMs, 1)));
    await this.listen();
  }

  /** The group coordinator, with its state replayed from `__consumer_offsets`. */
  private async loadGroups(): Promise<void> {
    const store = new OffsetsTopicStore(this);
    const c = this.config;
    this.groups = new GroupCoordinator(store, {
      initialRebalanceDelayMs: c.groupInitialRebalanceDelayMs,
      minSessionTimeoutMs: c.groupMinSessionTimeoutMs,
      maxSessionTimeoutMs: c.groupMaxSessionTimeoutMs,
      offsetsRetentionMs: c.offsetsRetentionMinutes * 60_000,
    });
    const records = await store.replay((key, value) => this.groups.loadRecord(key, value));
    if (records > 0) this.logger.info({ records }, 'group coordinator loaded');
  }

  private async listen(): Promise<void> {
    for (const listener of this.config.listeners) {
      const server = createListenerServer(listener, this.config, (socket) => {
        const conn = new Connection(socket, this, listener, this.logger);
        this.connections.add(conn);
        socket.on('close', () => this.connections.delete(conn));
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listener.port, listener.host, () => resolve());
      });
      const port = (server.address() as AddressInfo).port;
      this.servers.push(server);
      this.boundListeners.push({ ...listener, port });
    }
    this.advertisedListeners = this.config.advertisedListeners.map((a) => {
      const bound = this.boundListeners.find((b) => b.name === a.name)!;
      const host = a.host === '' || a.host === '0.0.0.0' || a.host === '::' ? hostname() : a.host;
      return { ...a, host, port: a.port === 0 ? bound.port : a.port };
    });
    if (this.config.httpListener) {
      const { server, port } = await startHttpServer({ ...this.config.httpListener, metrics: this.metrics, ready: () => this.isReady() });
      this.httpServer = server;
      this.httpPort = port;
    }
    this.accepting = true;
    for (const l of this.boundListeners) {
      this.logger.info({ listener: l.name, host: l.host, port: l.port, httpPort: this.httpPort, clusterId: this.clusterId, nodeId: this.nodeId }, 'broker listening');
    }
  }

  /** Refuses to share a data dir with another live broker process. */
  private async lockDataDir(): Promise<void> {
    const lock = join(this.dataDir, '.lock');
    try {
      const pid = Number((await readFile(lock, 'utf8')).trim());
      if (pid && pid !== process.pid && processAlive(pid)) {
        throw new Error(`data dir ${this.dataDir} is in use by process ${pid}`);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await writeFile(lock, `${process.pid}\n`);
  }

  /** Kafka's meta.properties: the cluster id and node id this data dir belongs to. */
  private async loadOrCreateMetaProperties(): Promise<string> {
    const path = join(this.dataDir, 'meta.properties');
    let text: string | null = null;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== null) {
      const props = parseProperties(text);
      const nodeId = Number(props.get('node.id'));
      if (nodeId !== this.nodeId) {
        throw new Error(`data dir ${this.dataDir} belongs to node ${nodeId}, this broker is node ${this.nodeId}`);
      }
      const clusterId = props.get('cluster.id') ?? '';
      if (this.config.clusterId && this.config.clusterId !== clusterId) {
        throw new Error(`data dir ${this.dataDir} belongs to cluster ${clusterId}, configured cluster.id is ${this.config.clusterId}`);
      }
      return clusterId;
    }
    const clusterId = this.config.clusterId ?? randomBytes(16).toString('base64url');
    await writeFile(path, `#Written by Tributary\nversion=1\ncluster.id=${clusterId}\nnode.id=${this.nodeId}\n`);
    return clusterId;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
