#!/usr/bin/env node
// `tributary <command>`: the broker, and the tools of Kafka's bin/ folder.

import { brokerStart } from './commands/broker-start.ts';
import { topics } from './commands/topics.ts';
import { consoleProducer } from './commands/console-producer.ts';
import { consoleConsumer } from './commands/console-consumer.ts';
import { producerPerfTest } from './commands/producer-perf-test.ts';
import { consumerGroups } from './commands/consumer-groups.ts';
import { consumerPerfTest } from './commands/consumer-perf-test.ts';
import { compare } from './commands/compare.ts';
import { users } from './commands/users.ts';
import { UsageError } from './usage.ts';

const commands: Record<string, { run: (args: string[]) => Promise<number>; summary: string }> = {
  'broker': { run: brokerStart, summary: 'broker start --config FILE [--override key=value ...]' },
  'topics': { run: topics, summary: 'topics --bootstrap-server H:P --create|--list|--describe|--alter|--delete ...' },
  'console-producer': { run: consoleProducer, summary: 'console-producer --bootstrap-server H:P --topic T [--property parse.key=true --property key.separator=:]' },
  'console-consumer': { run: consoleConsumer, summary: 'console-consumer --bootstrap-server H:P --topic T [--group G] [--from-beginning] [--max-messages N] [--timeout-ms N]' },
  'consumer-groups': { run: consumerGroups, summary: 'consumer-groups --bootstrap-server H:P --list|--describe --group G|--reset-offsets --group G --topic T --to-earliest [--execute]|--delete --group G' },
  'producer-perf-test': { run: producerPerfTest, summary: 'producer-perf-test --topic T --num-records N --record-size B --throughput R --producer-props bootstrap.servers=H:P' },
  'consumer-perf-test': { run: consumerPerfTest, summary: 'consumer-perf-test --bootstrap-server H:P --topic T --messages N [--timeout MS] [--show-detailed-stats]' },
  'users': { run: users, summary: "users --bootstrap-server H:P --entity-name U --add-scram 'SCRAM-SHA-256=[iterations=8192,password=P]'|--delete-scram SCRAM-SHA-256|--describe" },
  'compare': { run: compare, summary: 'compare [--records N] [--paths kafka,pubsub,kinesis] [--out DIR] ... (bench/compare/main.ts --help)' },
};

function usage(): string {
  return ['usage: tributary <command> [options]', '', 'commands:', ...Object.values(commands).map((c) => `  ${c.summary}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const command = commands[name];
  if (!command) {
    console.error(`tributary: unknown command '${name}'\n\n${usage()}`);
    return 1;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`tributary ${name}: ${err.message}`);
      return 1;
    }
    console.error(`tributary ${name}: ${(err as Error).message}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
