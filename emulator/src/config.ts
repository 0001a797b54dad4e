// The emulator's settings: which Kafka cluster holds the log, and where the
// Pub/Sub and Kinesis front-ends listen. Flags win over environment variables,
// which win over the defaults (Google's emulator port 8085, kinesis-mock 4567).

import { parseArgs } from 'node:util';

export interface Endpoint {
  host: string;
  port: number;
}

export interface EmulatorConfig {
  /** Kafka bootstrap servers, `host:port[,host:port]`. */
  bootstrapServers: string[];
  /** Pub/Sub gRPC + REST listener, or null to disable the Pub/Sub front-end. */
  pubsub: Endpoint | null;
  /** Kinesis HTTP/1.1 + h2c listener, or null to disable the Kinesis front-end. */
  kinesis: Endpoint | null;
  logLevel: string;
  /** Kinesis front-end behaviour (see kinesis/service.ts). */
  kinesisOptions: KinesisConfig;
  /** Pub/Sub replicas sharing the work (see pubsub/replicas/). */
  pubsubReplica?: PubsubReplicaConfig;
}

export interface PubsubReplicaConfig {
  /** Static group member ID; '' = the advertised address. */
  id: string;
  /** host:port the other replicas forward to; '' = the bound listener address. */
  advertise: string;
  /** The consumer group the replicas share. */
  group: string;
  sessionTimeoutMs: number;
}

export interface KinesisConfig {
  /** Region and account that appear in stream ARNs. */
  region: string;
  accountId: string;
  /** Max open shards per account (DescribeLimits, CreateStream checks). */
  shardLimit: number;
  /** Enforce AWS's per-shard throughput limits (on in the `faithful` profile). */
  enforceLimits: boolean;
}

export class EmulatorConfigError extends Error {
  override name = 'EmulatorConfigError';
}

export function parseEndpoint(value: string, what: string): Endpoint | null {
  if (value === '' || value === 'off') return null;
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new EmulatorConfigError(`${what}: '${value}' is not host:port (or 'off')`);
  return { host: m[1], port: Number(m[2]) };
}

export function loadEmulatorConfig(args: string[], env: NodeJS.ProcessEnv): EmulatorConfig {
  let flags;
  try {
    flags = parseArgs({
      args, strict: true, allowPositionals: false,
      options: {
        'bootstrap-server': { type: 'string' },
        pubsub: { type: 'string' },
        kinesis: { type: 'string' },
        'log-level': { type: 'string' },
        profile: { type: 'string' },
        'kinesis-region': { type: 'string' },
        'kinesis-account': { type: 'string' },
        'kinesis-shard-limit': { type: 'string' },
        'kinesis-enforce-limits': { type: 'string' },
        'pubsub-replica-id': { type: 'string' },
        'pubsub-advertise': { type: 'string' },
        'pubsub-group': { type: 'string' },
        'pubsub-session-timeout-ms': { type: 'string' },
      },
    }).values;
  } catch (err) {
    throw new EmulatorConfigError((err as Error).message);
  }
  const bootstrap = flags['bootstrap-server'] ?? env.TRIBUTARY_BOOTSTRAP_SERVERS ?? '127.0.0.1:9092';
  const bootstrapServers = bootstrap.split(',').map((s) => s.trim()).filter(Boolean);
  for (const b of bootstrapServers) {
    if (!parseEndpoint(b, '--bootstrap-server')) throw new EmulatorConfigError(`--bootstrap-server: '${b}' is not host:port`);
  }
  if (bootstrapServers.length === 0) throw new EmulatorConfigError('--bootstrap-server: no server given');
  // `--profile faithful` turns on what AWS enforces and emulators usually don't.
  const profile = flags.profile ?? env.TRIBUTARY_PROFILE ?? 'default';
  if (profile !== 'default' && profile !== 'faithful') throw new EmulatorConfigError(`--profile: '${profile}' is not default or faithful`);
  const bool = (v: string | undefined, what: string, dflt: boolean): boolean => {
    if (v === undefined || v === '') return dflt;
    if (/^(true|1|yes|on)$/i.test(v)) return true;
    if (/^(false|0|no|off)$/i.test(v)) return false;
    throw new EmulatorConfigError(`${what}: '${v}' is not true or false`);
  };
  const account = flags['kinesis-account'] ?? env.TRIBUTARY_KINESIS_ACCOUNT ?? '000000000000';
  if (!/^\d{12}$/.test(account)) throw new EmulatorConfigError(`--kinesis-account: '${account}' is not 12 digits`);
  const region = flags['kinesis-region'] ?? env.TRIBUTARY_KINESIS_REGION ?? env.AWS_REGION ?? 'us-east-1';
  if (!/^[a-z0-9-]+$/.test(region)) throw new EmulatorConfigError(`--kinesis-region: '${region}' is not a region name`);
  const shardLimit = Number(flags['kinesis-shard-limit'] ?? env.TRIBUTARY_KINESIS_SHARD_LIMIT ?? 500);
  if (!Number.isInteger(shardLimit) || shardLimit < 1) throw new EmulatorConfigError('--kinesis-shard-limit: not a positive integer');
  const sessionTimeoutMs = Number(flags['pubsub-session-timeout-ms'] ?? env.TRIBUTARY_PUBSUB_SESSION_TIMEOUT_MS ?? 10_000);
  if (!Number.isInteger(sessionTimeoutMs) || sessionTimeoutMs < 1000) throw new EmulatorConfigError('--pubsub-session-timeout-ms: not an integer ≥ 1000');
  const advertise = flags['pubsub-advertise'] ?? env.TRIBUTARY_PUBSUB_ADVERTISE ?? '';
  if (advertise && !parseEndpoint(advertise, '--pubsub-advertise')) throw new EmulatorConfigError('--pubsub-advertise: not host:port');
  return {
    pubsubReplica: {
      id: flags['pubsub-replica-id'] ?? env.TRIBUTARY_PUBSUB_REPLICA_ID ?? '',
      advertise,
      group: flags['pubsub-group'] ?? env.TRIBUTARY_PUBSUB_GROUP ?? 'tributary-pubsub',
      sessionTimeoutMs,
    },
    bootstrapServers,
    pubsub: parseEndpoint(flags.pubsub ?? env.TRIBUTARY_PUBSUB_LISTENER ?? '127.0.0.1:8085', '--pubsub'),
    kinesis: parseEndpoint(flags.kinesis ?? env.TRIBUTARY_KINESIS_LISTENER ?? '127.0.0.1:4567', '--kinesis'),
    logLevel: flags['log-level'] ?? env.TRIBUTARY_LOG_LEVEL ?? 'info',
    kinesisOptions: {
      region,
      accountId: account,
      shardLimit,
      enforceLimits: bool(flags['kinesis-enforce-limits'] ?? env.TRIBUTARY_KINESIS_ENFORCE_LIMITS, '--kinesis-enforce-limits', profile === 'faithful'),
    },
  };
}
