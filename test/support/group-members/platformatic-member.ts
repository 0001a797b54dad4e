// One @platformatic/kafka consumer-group member as its own process (see
// kafkajs-member.ts for the contract): prints {"m","p","o","v"} per record and
// commits its next offset before taking the next; "stop" on stdin closes the
// stream and the consumer (LeaveGroup); a kill by pid sends nothing.
//
// usage: node platformatic-member.ts BOOTSTRAP GROUP TOPIC CLIENT_ID SESSION_TIMEOUT_MS
import { createInterface } from 'node:readline';
import { Consumer, stringDeserializers } from '@platformatic/kafka';

const [bootstrap, groupId, topic, clientId, sessionTimeout] = process.argv.slice(2);
const consumer = new Consumer({
  groupId,
  clientId,
  bootstrapBrokers: [bootstrap],
  deserializers: stringDeserializers,
  sessionTimeout: Number(sessionTimeout),
  rebalanceTimeout: Number(sessionTimeout) * 2,
  heartbeatInterval: Math.max(100, Math.floor(Number(sessionTimeout) / 10)),
  maxWaitTime: 200,
  retries: 50,
  retryDelay: 200,
});
const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
stream.on('error', (e: unknown) => process.stderr.write(`stream error: ${String(e)}\n`));
let chain = Promise.resolve();
stream.on('data', (m) => {
  stream.pause();
  chain = chain.then(async () => {
    process.stdout.write(JSON.stringify({ m: clientId, p: m.partition, o: Number(m.offset), v: m.value ?? null }) + '\n');
    await m.commit();
  }).catch((e: unknown) => {
    process.stderr.write(`commit failed: ${String(e)}\n`);
  }).finally(() => stream.resume());
});
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'stop') return;
  (async () => {
    await chain;
    await stream.close();
    await consumer.close();
  })().then(() => process.exit(0), (e: unknown) => {
    process.stderr.write(`close failed: ${String(e)}\n`);
    process.exit(1);
  });
});
