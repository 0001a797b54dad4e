#!/usr/bin/env node
// The emulator process: a stateless Kafka client that serves the Pub/Sub and Kinesis
// front-ends that are configured (see config.ts for flags and environment).
//
//   node emulator/src/main.ts --bootstrap-server 127.0.0.1:9092 --kinesis 127.0.0.1:4567 --pubsub off
//
// Logs are pino JSON lines on stdout; each front-end logs "<name> listening" with
// its host and port once it accepts connections. SIGTERM/SIGINT stop it cleanly.

import pino from 'pino';
import { loadEmulatorConfig, EmulatorConfigError } from './config.ts';
import { KafkaLog } from './log/kafka-log.ts';
import { startKinesis } from './kinesis/server.ts';
import { startPubsub } from './pubsub/server.ts';

interface Running {
  name: string;
  close(): Promise<void>;
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadEmulatorConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof EmulatorConfigError) {
      process.stderr.write(`emulator: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = pino({ level: config.logLevel, base: { component: 'emulator' } });
  const log = new KafkaLog({ bootstrapServers: config.bootstrapServers, clientId: 'tributary-emulator' });
  const running: Running[] = [];

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const r of running.reverse()) await r.close().catch((err: unknown) => logger.warn({ err, frontEnd: r.name }, 'close failed'));
    await log.close();
    logger.info('emulator stopped');
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));

  try {
    if (config.kinesis) {
      const k = await startKinesis(config, log, logger.child({ api: 'kinesis' }));
      running.push({ name: 'kinesis', close: k.close });
    }
    if (config.pubsub) {
      const p = await startPubsub(config, log, logger.child({ api: 'pubsub' }));
      running.push({ name: 'pubsub', close: p.close });
    }
  } catch (err) {
    logger.error({ err }, 'emulator failed to start');
    await stop(1);
    return;
  }
  logger.info({ bootstrapServers: config.bootstrapServers }, 'emulator started');
}

void main();
