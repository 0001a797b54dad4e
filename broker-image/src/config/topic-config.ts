// Topic-level configuration: the keys Kafka users set with `--config` or the
// admin APIs, each with its broker-level default key, its type and its check.
// Only keys that change the broker's behaviour are accepted; the rest are
// refused with INVALID_CONFIG rather than stored and silently ignored.

import { ErrorCode, KafkaError } from '../protocol/errors.ts';
import type { LogConfig } from '../log/partition-log.ts';

type ConfigType = 'long' | 'int' | 'string' | 'list' | 'boolean';

interface TopicConfigKey {
  type: ConfigType;
  /** The broker key whose value is the default (Kafka's synonyms), first wins. */
  brokerKeys: { key: string; scale?: number }[];
  defaultValue: string;
  check?: (v: string) => string | null;
  doc: string;
}

const oneOf = (...allowed: string[]) => (v: string) =>
  allowed.includes(v) ? null : `must be one of ${allowed.join(', ')}`;
const atLeast = (min: number) => (v: string) => (Number(v) >= min ? null : `must be at least ${min}`);

const HOUR = 3_600_000;
const LONG_MAX = '9223372036854775807';
const MINUTE = 60_000;

export const topicConfigKeys: Record<string, TopicConfigKey> = {
  'cleanup.policy': {
    type: 'list', brokerKeys: [{ key: 'log.cleanup.policy' }], defaultValue: 'delete',
    check: (v) => v.split(',').every((p) => ['delete', 'compact'].includes(p.trim())) ? null : 'must be a list of delete, compact',
    doc: 'delete old segments, compact to the latest value per key, or both',
  },
  'compression.type': {
    type: 'string', brokerKeys: [{ key: 'compression.type' }], defaultValue: 'producer',
    check: (v) => v === 'producer' ? null : 'only "producer" is supported: batches are stored as the producer compressed them',
    doc: 'the codec of stored batches',
  },
  'delete.retention.ms': {
    type: 'long', brokerKeys: [{ key: 'log.cleaner.delete.retention.ms' }], defaultValue: String(24 * HOUR),
    check: atLeast(0), doc: 'how long tombstones are kept on compacted topics',
  },
  'file.delete.delay.ms': {
    type: 'long', brokerKeys: [{ key: 'log.segment.delete.delay.ms' }], defaultValue: String(MINUTE),
    check: atLeast(0), doc: 'delay before a deleted segment file is removed',
  },
  'flush.messages': {
    type: 'long', brokerKeys: [{ key: 'log.flush.interval.messages' }], defaultValue: LONG_MAX,
    check: atLeast(1), doc: 'fsync the log after this many messages (default: never; durability comes from replication)',
  },
  'flush.ms': {
    type: 'long', brokerKeys: [{ key: 'log.flush.interval.ms' }], defaultValue: LONG_MAX,
    check: atLeast(0), doc: 'fsync the log when this long has passed since the last fsync (default: never)',
  },
  'index.interval.bytes': {
    type: 'int', brokerKeys: [{ key: 'log.index.interval.bytes' }], defaultValue: '4096',
    check: atLeast(0), doc: 'bytes between offset index entries',
  },
  'max.message.bytes': {
    type: 'int', brokerKeys: [{ key: 'message.max.bytes' }], defaultValue: '1048588',
    check: atLeast(0), doc: 'largest record batch accepted',
  },
  'message.timestamp.type': {
    type: 'string', brokerKeys: [{ key: 'log.message.timestamp.type' }], defaultValue: 'CreateTime',
    check: oneOf('CreateTime', 'LogAppendTime'), doc: 'producer timestamps or the broker append time',
  },
  'min.compaction.lag.ms': {
    type: 'long', brokerKeys: [{ key: 'log.cleaner.min.compaction.lag.ms' }], defaultValue: '0',
    check: atLeast(0), doc: 'minimum age of a record before compaction may remove it',
  },
  'min.insync.replicas': {
    type: 'int', brokerKeys: [{ key: 'min.insync.replicas' }], defaultValue: '1',
    check: atLeast(1), doc: 'replicas that must have a write for acks=all to succeed',
  },
  'retention.bytes': {
    type: 'long', brokerKeys: [{ key: 'log.retention.bytes' }], defaultValue: '-1',
    check: atLeast(-1), doc: 'partition size above which old segments are deleted (-1: no limit)',
  },
  'retention.ms': {
    type: 'long',
    brokerKeys: [{ key: 'log.retention.ms' }, { key: 'log.retention.minutes', scale: MINUTE }, { key: 'log.retention.hours', scale: HOUR }],
    defaultValue: String(168 * HOUR), check: atLeast(-1), doc: 'age after which old segments are deleted (-1: forever)',
  },
  'segment.bytes': {
    type: 'int', brokerKeys: [{ key: 'log.segment.bytes' }], defaultValue: String(1024 * 1024 * 1024),
    check: atLeast(14), doc: 'segment file size at which a new segment is rolled',
  },
  'segment.ms': {
    type: 'long', brokerKeys: [{ key: 'log.roll.ms' }, { key: 'log.roll.hours', scale: HOUR }],
    defaultValue: String(168 * HOUR), check: atLeast(1), doc: 'segment age at which a new segment is rolled',
  },
  'unclean.leader.election.enable': {
    type: 'boolean', brokerKeys: [{ key: 'unclean.leader.election.enable' }], defaultValue: 'false',
    check: oneOf('true', 'false'), doc: 'whether an out-of-sync replica may become leader',
  },
};

export type ConfigSource = 'DYNAMIC_TOPIC_CONFIG' | 'STATIC_BROKER_CONFIG' | 'DEFAULT_CONFIG';

export interface ResolvedConfigEntry {
  name: string;
  value: string;
  source: ConfigSource;
  type: ConfigType;
  doc: string;
  /** The broker-level synonym and its value, when the broker file sets it. */
  brokerSynonym: { name: string; value: string } | null;
}

/** Checks a set of topic overrides; throws INVALID_CONFIG naming the first bad key. */
export function validateTopicConfig(overrides: Record<string, string>): void {
  for (const [name, value] of Object.entries(overrides)) {
    const spec = topicConfigKeys[name];
    if (!spec) throw new KafkaError(ErrorCode.INVALID_CONFIG, `unknown or unsupported topic config '${name}'`);
    if (value === null || value === undefined) throw new KafkaError(ErrorCode.INVALID_CONFIG, `${name}: value is null`);
    if ((spec.type === 'long' || spec.type === 'int') && !/^-?\d+$/.test(value)) {
      throw new KafkaError(ErrorCode.INVALID_CONFIG, `${name}: '${value}' is not an integer`);
    }
    if (spec.type === 'int' && Math.abs(Number(value)) > 2 ** 31 - 1) {
      throw new KafkaError(ErrorCode.INVALID_CONFIG, `${name}: '${value}' does not fit an int`);
    }
    const problem = spec.check?.(value);
    if (problem) throw new KafkaError(ErrorCode.INVALID_CONFIG, `${name}=${value}: ${problem}`);
  }
}

function brokerDefault(spec: TopicConfigKey, broker: Map<string, string>): { name: string; value: string } | null {
  for (const { key, scale } of spec.brokerKeys) {
    const v = broker.get(key);
    if (v === undefined || v === '') continue;
    return { name: key, value: scale ? String(Number(v) * scale) : v };
  }
  return null;
}

/** Every topic config key with its effective value and where it comes from. */
export function resolveTopicConfig(overrides: Record<string, string>, broker: Map<string, string>): ResolvedConfigEntry[] {
  return Object.entries(topicConfigKeys).map(([name, spec]) => {
    const fromBroker = brokerDefault(spec, broker);
    const override = overrides[name];
    if (override !== undefined) {
      return { name, value: override, source: 'DYNAMIC_TOPIC_CONFIG', type: spec.type, doc: spec.doc, brokerSynonym: fromBroker };
    }
    if (fromBroker) {
      return { name, value: fromBroker.value, source: 'STATIC_BROKER_CONFIG', type: spec.type, doc: spec.doc, brokerSynonym: fromBroker };
    }
    return { name, value: spec.defaultValue, source: 'DEFAULT_CONFIG', type: spec.type, doc: spec.doc, brokerSynonym: null };
  });
}

export function effectiveTopicConfig(overrides: Record<string, string>, broker: Map<string, string>): Record<string, string> {
  return Object.fromEntries(resolveTopicConfig(overrides, broker).map((e) => [e.name, e.value]));
}

/** The log's settings for a topic with these overrides. */
export function logConfigFor(overrides: Record<string, string>, broker: Map<string, string>): LogConfig {
  const c = effectiveTopicConfig(overrides, broker);
  const num = (k: string) => Number(c[k]);
  return {
    segmentBytes: num('segment.bytes'),
    segmentMs: num('segment.ms'),
    retentionMs: num('retention.ms'),
    retentionBytes: num('retention.bytes'),
    cleanupPolicy: c['cleanup.policy'].split(',').map((p) => p.trim()) as ('delete' | 'compact')[],
    deleteRetentionMs: num('delete.retention.ms'),
    minCompactionLagMs: num('min.compaction.lag.ms'),
    indexIntervalBytes: num('index.interval.bytes'),
    messageTimestampType: c['message.timestamp.type'] as LogConfig['messageTimestampType'],
    maxMessageBytes: num('max.message.bytes'),
    fileDeleteDelayMs: num('file.delete.delay.ms'),
    flushMessages: unlessNever(num('flush.messages')),
    flushMs: unlessNever(num('flush.ms')),
  };
}

/** Kafka spells "never" as Long.MAX_VALUE. */
function unlessNever(n: number): number | undefined {
  return n >= Number.MAX_SAFE_INTEGER ? undefined : n;
}
