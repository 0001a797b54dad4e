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
// A close that lands while the client is rejoining (another member just left) makes
// @platformatic/kafka reject its pending joinGroup with "Client closed while retrying
// joinGroup": expected while stopping, so it is logged, not fatal. Every record's
// offset was committed before the next was taken, so nothing is lost either way.
let stopping = false;
process.on('unhandledRejection', (e: unknown) => {
  process.stderr.write(`unhandled rejection${stopping ? ' while stopping' : ''}: ${String(e)}\n`);
  if (!stopping) process.exit(1);
});
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'stop' || stopping) return;
  stopping = true;
  (async () => {
    await chain;
    await stream.close().catch((e: unknown) => process.stderr.write(`stream close: ${String(e)}\n`));
    await consumer.close().catch(async (e: unknown) => {
      process.stderr.write(`close: ${String(e)}; forcing\n`);
      await consumer.close(true);
    });
  })().then(() => process.exit(0), (e: unknown) => {
    process.stderr.write(`close failed: ${String(e)}\n`);
    process.exit(1);
  });
});
