// The topics of the cluster: names, ids, partition counts, replication factor
// and config overrides, kept in the coordination store under `topics/<name>`
// and cached in memory for the request path.

import { randomBytes } from 'node:crypto';
import { ErrorCode, KafkaError } from '../protocol/errors.ts';
import type { CoordinationStore } from './store/coordination-store.ts';

export interface TopicInfo {
  name: string;
  /** 16 bytes, as Kafka's topic ids. */
  id: Buffer;
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
  internal: boolean;
}

interface StoredTopic {
  id: string; // base64url, Kafka's display form
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

const PREFIX = 'topics/';
/** Kafka's internal topics: clients may read them but not write or delete them. */
export const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);
export const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Kafka's rules for topic names; returns the problem or null. */
export function topicNameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'topic name is empty';
  if (name === '.' || name === '..') return `topic name cannot be '${name}'`;
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `topic name is longer than ${MAX_TOPIC_NAME_LENGTH} characters`;
  if (!LEGAL.test(name)) return `topic name '${name}' has characters other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}

export function topicIdString(id: Buffer): string {
  return id.toString('base64url');
}

export class TopicRegistry {
  private readonly store: CoordinationStore;
  private readonly byName = new Map<string, TopicInfo>();
  private readonly byId = new Map<string, TopicInfo>();

  constructor(store: CoordinationStore) {
    this.store = store;
  }

  async load(): Promise<void> {
    for (const [key, { value }] of await this.store.list(PREFIX)) {
      const name = key.slice(PREFIX.length);
      const s = JSON.parse(value) as StoredTopic;
      this.remember({
        name, id: Buffer.from(s.id, 'base64url'), partitions: s.partitions,
        replicationFactor: s.replicationFactor, configs: s.configs, internal: INTERNAL_TOPICS.has(name),
      });
    }
  }

  get(name: string): TopicInfo | undefined {
    return this.byName.get(name);
  }

  getById(id: Buffer): TopicInfo | undefined {
    return this.byId.get(id.toString('hex'));
  }

  all(): TopicInfo[] {
    return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async create(spec: { name: string; partitions: number; replicationFactor: number; configs: Record<string, string> }): Promise<TopicInfo> {
    const problem = topicNameProblem(spec.name);
    if (problem) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
    if (this.byName.has(spec.name)) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${spec.name}' already exists`);
    const collides = this.all().find((t) => t.name.replaceAll('.', '_') === spec.name.replaceAll('.', '_'));
    if (collides) {
      throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `topic '${spec.name}' collides with existing topic '${collides.name}' ('.' and '_' are alike in metric names)`);
    }
    const info: TopicInfo = { ...spec, id: newTopicId(), internal: INTERNAL_TOPICS.has(spec.name) };
    await this.save(info, 0);
    this.remember(info);
    return info;
  }

  async delete(name: string): Promise<TopicInfo> {
    const info = this.byName.get(name);
    if (!info) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`);
    await this.store.delete(PREFIX + name);
    this.byName.delete(name);
    this.byId.delete(info.id.toString('hex'));
    return info;
  }

  async update(name: string, change: { partitions?: number; configs?: Record<string, string> }): Promise<TopicInfo> {
    const info = this.byName.get(name);
    if (!info) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`);
    const next: TopicInfo = { ...info, ...change };
    await this.save(next);
    this.remember(next);
    return next;
  }

  private async save(info: TopicInfo, expectedVersion?: number): Promise<void> {
    const stored: StoredTopic = {
      id: topicIdString(info.id), partitions: info.partitions,
      replicationFactor: info.replicationFactor, configs: info.configs,
    };
    await this.store.put(PREFIX + info.name, JSON.stringify(stored), expectedVersion);
  }

  private remember(info: TopicInfo): void {
    this.byName.set(info.name, info);
    this.byId.set(info.id.toString('hex'), info);
  }
}

function newTopicId(): Buffer {
  // Kafka never hands out the all-zero id or one whose base64 starts with '-'.
  for (;;) {
    const id = randomBytes(16);
    if (!id.equals(Buffer.alloc(16)) && !topicIdString(id).startsWith('-')) return id;
  }
}
