// Runs only the Pub/Sub front-end (for tests and the benchmark; the emulator's own
// entry point, emulator/src/main.ts, starts it beside Kinesis):
//   node emulator/src/pubsub/standalone.ts --bootstrap-server HOST:PORT --pubsub HOST:PORT
// Prints the pino line {"msg":"pubsub listening","host","port"}; SIGTERM/SIGINT stop it.

import { pino } from 'pino';
import { loadEmulatorConfig } from '../config.ts';
import { startPubsub } from './server.ts';

const config = loadEmulatorConfig(process.argv.slice(2), process.env);
const logger = pino({ level: config.logLevel });
const server = await startPubsub(config, logger);
let stopping = false;
const stop = (sig: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal: sig }, 'pubsub stopping');
  server.close().then(
    () => process.exit(0),
    (err: Error) => {
      logger.error({ err: err.message }, 'pubsub close failed');
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
