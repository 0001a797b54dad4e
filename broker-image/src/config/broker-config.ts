// The broker's configuration: Kafka's server.properties keys, then environment
// overrides (TRIBUTARY_LOG_RETENTION_HOURS=24 sets log.retention.hours), then
// command-line `--override key=value`, later winning. Unknown keys are kept
// (so DescribeConfigs can show them) but only the keys below change behaviour.

import { readFileSync } from 'node:fs';
import { parseProperties } from './properties.ts';

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
const SECURITY_PROTOCOLS: readonly string[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

export interface Listener {
  name: string;
  securityProtocol: SecurityProtocol;
  host: string;
  port: number;
}

export interface BrokerConfig {
  nodeId: number;
  clusterId: string | null;
  listeners: Listener[];
  advertisedListeners: Listener[];
  logDirs: string[];
  numPartitions: number;
  defaultReplicationFactor: number;
  autoCreateTopics: boolean;
  deleteTopicEnable: boolean;
  messageMaxBytes: number;
  socketRequestMaxBytes: number;
  connectionsMaxIdleMs: number;
  logRetentionCheckIntervalMs: number;
  logCleanerBackoffMs: number;
  groupInitialRebalanceDelayMs: number;
  groupMinSessionTimeoutMs: number;
  groupMaxSessionTimeoutMs: number;
  offsetsTopicNumPartitions: number;
  offsetsRetentionMinutes: number;
  /** `host:port` for /metrics, /healthz and /readyz; null disables it. */
  httpListener: { host: string; port: number } | null;
  logLevel: string;
  /** Every key as given (file, env, overrides), for DescribeConfigs and topic defaults. */
  raw: Map<string, string>;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const ENV_PREFIX = 'TRIBUTARY_';

export function envOverrides(env: NodeJS.ProcessEnv): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith(ENV_PREFIX) || v === undefined) continue;
    out.set(k.slice(ENV_PREFIX.length).toLowerCase().replaceAll('_', '.'), v);
  }
  return out;
}

export function loadBrokerConfig(opts: {
  file?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: Map<string, string>;
}): BrokerConfig {
  const raw = new Map<string, string>();
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${opts.file}: ${(err as Error).message}`);
    }
    for (const [k, v] of parseProperties(text)) raw.set(k, v);
  }
  for (const [k, v] of envOverrides(opts.env ?? {})) raw.set(k, v);
  for (const [k, v] of opts.overrides ?? []) raw.set(k, v);
  return brokerConfigFrom(raw);
}

export function brokerConfigFrom(raw: Map<string, string>): BrokerConfig {
  const get = (key: string) => raw.get(key);
  const int = (key: string, dflt: number, min = Number.MIN_SAFE_INTEGER) => {
    const v = get(key);
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new ConfigError(`${key}: '${v}' is not an integer`);
    if (n < min) throw new ConfigError(`${key}: ${n} is below the minimum ${min}`);
    return n;
  };
  const bool = (key: string, dflt: boolean) => {
    const v = get(key)?.toLowerCase();
    if (v === undefined || v === '') return dflt;
    if (v !== 'true' && v !== 'false') throw new ConfigError(`${key}: '${v}' is not true or false`);
    return v === 'true';
  };

  const nodeId = int('node.id', int('broker.id', 1), 0);
  const protocolMap = parseProtocolMap(get('listener.security.protocol.map'));
  const listeners = parseListeners('listeners', get('listeners') ?? 'PLAINTEXT://127.0.0.1:9092', protocolMap);
  const advertisedListeners = get('advertised.listeners')
    ? parseListeners('advertised.listeners', get('advertised.listeners')!, protocolMap)
    : listeners.map((l) => ({ ...l }));
  for (const a of advertisedListeners) {
    if (!listeners.some((l) => l.name === a.name)) {
      throw new ConfigError(`advertised.listeners: ${a.name} is not among listeners`);
    }
  }
  const dirs = (get('log.dirs') ?? get('log.dir') ?? './data').split(',').map((s) => s.trim()).filter(Boolean);
  if (dirs.length === 0) throw new ConfigError('log.dirs: no directory given');

  const http = get('http.listener');
  let httpListener: BrokerConfig['httpListener'] = null;
  if (http) {
    const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(http);
    if (!m) throw new ConfigError(`http.listener: '${http}' is not host:port`);
    httpListener = { host: m[1], port: Number(m[2]) };
  }

  return {
    nodeId,
    clusterId: get('cluster.id') ?? null,
    listeners,
    advertisedListeners,
    logDirs: dirs,
    numPartitions: int('num.partitions', 1, 1),
    defaultReplicationFactor: int('default.replication.factor', 1, 1),
    autoCreateTopics: bool('auto.create.topics.enable', true),
    deleteTopicEnable: bool('delete.topic.enable', true),
    messageMaxBytes: int('message.max.bytes', 1048588, 0),
    socketRequestMaxBytes: int('socket.request.max.bytes', 104857600, 1),
    connectionsMaxIdleMs: int('connections.max.idle.ms', 600000, -1),
    logRetentionCheckIntervalMs: int('log.retention.check.interval.ms', 300000, 1),
    logCleanerBackoffMs: int('log.cleaner.backoff.ms', 15000, 0),
    groupInitialRebalanceDelayMs: int('group.initial.rebalance.delay.ms', 3000, 0),
    groupMinSessionTimeoutMs: int('group.min.session.timeout.ms', 6000, 0),
    groupMaxSessionTimeoutMs: int('group.max.session.timeout.ms', 1800000, 0),
    offsetsTopicNumPartitions: int('offsets.topic.num.partitions', 50, 1),
    offsetsRetentionMinutes: int('offsets.retention.minutes', 10080, 1),
    httpListener,
    logLevel: get('log.level') ?? 'info',
    raw,
  };
}

/** `listener.security.protocol.map=INTERNAL:SASL_SSL,EXTERNAL:SSL`: listener name → security protocol. */
function parseProtocolMap(value: string | undefined): Map<string, SecurityProtocol> {
  const out = new Map<string, SecurityProtocol>();
  for (const part of (value ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9_]+):([A-Za-z_]+)$/.exec(part);
    const protocol = m?.[2].toUpperCase();
    if (!m || !SECURITY_PROTOCOLS.includes(protocol!)) {
      throw new ConfigError(`listener.security.protocol.map: '${part}' is not NAME:PROTOCOL (PROTOCOL one of ${SECURITY_PROTOCOLS.join(', ')})`);
    }
    out.set(m[1].toUpperCase(), protocol as SecurityProtocol);
  }
  return out;
}

function parseListeners(key: string, value: string, protocolMap: Map<string, SecurityProtocol>): Listener[] {
  const out: Listener[] = [];
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(part);
    if (!m) throw new ConfigError(`${key}: '${part}' is not NAME://host:port`);
    const name = m[1].toUpperCase();
    const securityProtocol = protocolMap.get(name) ?? (SECURITY_PROTOCOLS.includes(name) ? name as SecurityProtocol : undefined);
    if (!securityProtocol) {
      throw new ConfigError(`${key}: listener ${name} has no security protocol (add it to listener.security.protocol.map, e.g. ${name}:SASL_SSL)`);
    }
    if (out.some((l) => l.name === name)) throw new ConfigError(`${key}: listener ${name} given twice`);
    const port = Number(m[3]);
    if (port > 65535) throw new ConfigError(`${key}: port ${port} out of range`);
    out.push({ name, securityProtocol, host: m[2].replace(/^\[|\]$/g, ''), port });
  }
  if (out.length === 0) throw new ConfigError(`${key}: no listener given`);
  return out;
}
