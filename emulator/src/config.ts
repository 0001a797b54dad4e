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
  return {
    bootstrapServers,
    pubsub: parseEndpoint(flags.pubsub ?? env.TRIBUTARY_PUBSUB_LISTENER ?? '127.0.0.1:8085', '--pubsub'),
    kinesis: parseEndpoint(flags.kinesis ?? env.TRIBUTARY_KINESIS_LISTENER ?? '127.0.0.1:4567', '--kinesis'),
    logLevel: flags['log-level'] ?? env.TRIBUTARY_LOG_LEVEL ?? 'info',
  };
}
