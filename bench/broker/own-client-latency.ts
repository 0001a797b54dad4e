// End-to-end latency through the broker alone, without librdkafka: the
// project's own client produces 20 records every millisecond (20,000/s) with
// acks=1 and long-polls them back (Fetch maxWait 100 ms), each record carrying
// its send time. Producer and consumer share this one process.
//
//   node bench/broker/own-client-latency.ts HOST:PORT [TOPIC] [SECONDS]
//
// Compare with bench/broker/run.sh's librdkafka figure to tell the broker's
// share of the latency from the client's. Caveat: pacing, producing and
// consuming share this process's event loop, so its tail includes the probe's
// own timer jitter; the librdkafka run (C client, separate processes) is the
// figure to report. Both need an otherwise idle machine.

import { BrokerConnection } from '../../broker-image/src/client/connection.ts';
import { fetchOnce, produceBatch } from '../../broker-image/src/client/topic-client.ts';

const [bootstrap, topic = `latency-${Date.now()}`, seconds = '10'] = process.argv.slice(2);
if (!bootstrap) {
  console.error('usage: own-client-latency.ts HOST:PORT [TOPIC] [SECONDS]');
  process.exit(2);
}
const PER_MS = 20;
const ticks = Number(seconds) * 1000;
const total = ticks * PER_MS;
const wallMs = () => performance.timeOrigin + performance.now();

const producer = await BrokerConnection.open(bootstrap, 'latency-producer');
const consumer = await BrokerConnection.open(bootstrap, 'latency-consumer');
await producer.request(19, 7, {
  topics: [{ name: topic, numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false,
});

const latencies: number[] = [];
const reading = (async () => {
  let position = 0n;
  while (latencies.length < total) {
    const [p] = await fetchOnce(consumer, topic, new Map([[0, position]]), { maxWaitMs: 100 });
    const now = wallMs();
    for (const r of p.records) latencies.push(now - Number(r.value!.toString()));
    position = p.nextOffset;
  }
})();

const start = performance.now();
for (let tick = 0; tick < ticks; tick++) {
  const sentAt = String(wallMs());
  void produceBatch(producer, topic, 0, Array.from({ length: PER_MS }, () => ({ value: sentAt })), { acks: 1, compression: 0 });
  const wait = start + tick + 1 - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
await reading;
producer.close();
consumer.close();

latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(2);
console.log(`own client, ${PER_MS * 1000} records/s for ${seconds} s: n=${latencies.length} p50=${at(0.5)} ms p99=${at(0.99)} ms max=${latencies.at(-1)!.toFixed(2)} ms`);
