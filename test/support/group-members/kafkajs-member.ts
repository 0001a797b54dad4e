// One kafkajs consumer-group member as its own process, so a test can stop it
// gracefully ("stop" on stdin: disconnect, which commits and sends LeaveGroup) or
// kill it by pid (no LeaveGroup). Prints one JSON line per record:
// {"m": clientId, "p": partition, "o": offset, "v": value}; commits each record's
// next offset before taking the next one.
//
// usage: node kafkajs-member.ts BOOTSTRAP GROUP TOPIC CLIENT_ID SESSION_TIMEOUT_MS
import { createInterface } from 'node:readline';
import { kafkajs } from '../clients.ts';

const [bootstrap, groupId, topic, clientId, sessionTimeout] = process.argv.slice(2);
const { Kafka, logLevel } = await kafkajs();
const kafka = new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.ERROR, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
const consumer = kafka.consumer({
  groupId,
  sessionTimeout: Number(sessionTimeout),
  rebalanceTimeout: Number(sessionTimeout) * 2,
  heartbeatInterval: Math.max(100, Math.floor(Number(sessionTimeout) / 10)),
  maxWaitTimeInMs: 200,
  retry: { retries: 50, initialRetryTime: 100, maxRetryTime: 1000 },
});
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  autoCommit: false,
  eachMessage: async ({ partition, message }) => {
    process.stdout.write(JSON.stringify({ m: clientId, p: partition, o: Number(message.offset), v: message.value?.toString() ?? null }) + '\n');
    await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
  },
});
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'stop') return;
  consumer.disconnect().then(() => process.exit(0), (e: unknown) => {
    process.stderr.write(`disconnect failed: ${String(e)}\n`);
    process.exit(1);
  });
});
