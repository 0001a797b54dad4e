// `tributary broker start --config FILE [--override key=value ...]`, like
// kafka-server-start.sh. SIGINT/SIGTERM shut down cleanly (logs flushed and
// closed, so the next start skips recovery).

import pino from 'pino';
import { ConfigError, loadBrokerConfig } from '../../config/broker-config.ts';
import { Broker } from '../../server/broker.ts';
import { keyValues, parseFlags, UsageError } from '../usage.ts';

export async function brokerStart(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'start') throw new UsageError(`expected 'broker start', got 'broker ${sub ?? ''}'`);
  const flags = parseFlags(rest, {
    config: { type: 'string' },
    override: { type: 'string', multiple: true },
  });
  let config;
  try {
    config = loadBrokerConfig({ file: flags.config, env: process.env, overrides: keyValues(flags.override, '--override') });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`configuration: ${err.message}`);
    throw err;
  }
  const logger = pino({ level: config.logLevel, base: { nodeId: config.nodeId } });
  const broker = await Broker.start(config, logger);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without a clean shutdown');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'shutting down');
      broker.stop().then(() => resolve(0), (err) => {
        logger.error({ err }, 'shutdown failed');
        resolve(1);
      });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}
