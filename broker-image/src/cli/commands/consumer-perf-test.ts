// `tributary consumer-perf-test`, like kafka-consumer-perf-test.sh: reads --messages
// records of --topic from the earliest offset of every partition and prints Kafka's
// header and summary line (MB and records per second). It reads the partitions
// directly rather than through a consumer group, so rebalance.time.ms is always 0.
// Stops with exit code 1 when --timeout ms pass without a new record.

import { BrokerConnection } from '../../client/connection.ts';
import { fetchOnce, listOffset, partitionCount } from '../../client/topic-client.ts';
import { intFlag, parseFlags, requireFlag, UsageError } from '../usage.ts';

export async function consumerPerfTest(args: string[]): Promise<number> {
  const f = parseFlags(args, {
    'bootstrap-server': { type: 'string' }, topic: { type: 'string' }, messages: { type: 'string' },
    timeout: { type: 'string' }, 'hide-header': { type: 'boolean' }, 'fetch-size': { type: 'string' },
    'show-detailed-stats': { type: 'boolean' }, 'reporting-interval': { type: 'string' },
  });
  const bootstrap = requireFlag(f['bootstrap-server'], 'bootstrap-server');
  const topic = requireFlag(f.topic, 'topic');
  const messages = intFlag(f.messages, 'messages');
  if (messages <= 0) throw new UsageError('--messages must be positive');
  const timeoutMs = intFlag(f.timeout, 'timeout', 10_000);
  const fetchSize = intFlag(f['fetch-size'], 'fetch-size', 1048576);
  const detailed = f['show-detailed-stats'] === true;
  const reportingMs = intFlag(f['reporting-interval'], 'reporting-interval', 5000);

  const conn = await BrokerConnection.open(bootstrap, 'consumer-perf-test');
  try {
    const partitions = await partitionCount(conn, topic, false);
    const positions = new Map<number, bigint>();
    for (let p = 0; p < partitions; p++) positions.set(p, await listOffset(conn, topic, p, -2n));
    const start = Date.now();
    let count = 0;
    let bytes = 0;
    let lastRecordAt = Date.now();
    let windowStart = start;
    let windowCount = 0;
    let windowBytes = 0;
    if (detailed && !f['hide-header']) console.log('time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec');
    while (count < messages) {
      if (Date.now() - lastRecordAt > timeoutMs) {
        console.error(`WARNING: Exiting before consuming the expected number of messages: timeout (${timeoutMs} ms) exceeded. You can use the --timeout option to increase the timeout.`);
        break;
      }
      const results = await fetchOnce(conn, topic, positions, { maxWaitMs: 100, maxBytes: fetchSize * Math.max(partitions, 1) });
      for (const r of results) {
        for (const rec of r.records) {
          if (count >= messages) break;
          count++;
          const size = (rec.value?.length ?? 0) + (rec.key?.length ?? 0);
          bytes += size;
          windowCount++;
          windowBytes += size;
          lastRecordAt = Date.now();
        }
        positions.set(r.partition, r.nextOffset);
      }
      if (detailed && Date.now() - windowStart >= reportingMs) {
        const now = Date.now();
        console.log(summary(windowStart, now, windowBytes, windowCount, true));
        windowStart = now;
        windowCount = windowBytes = 0;
      }
    }
    const end = Date.now();
    if (!detailed && !f['hide-header']) console.log('start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec');
    if (!detailed) console.log(summary(start, end, bytes, count, false));
    return count >= messages ? 0 : 1;
  } finally {
    conn.close();
  }
}

function stamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}:${p(d.getMilliseconds(), 3)}`;
}

function summary(start: number, end: number, bytes: number, count: number, detailed: boolean): string {
  const secs = Math.max((end - start) / 1000, 0.001);
  const mb = bytes / (1024 * 1024);
  const fetchMs = end - start; // no group, so no rebalance time to take out
  const fetchSecs = Math.max(fetchMs / 1000, 0.001);
  const head = detailed ? [stamp(end), '0'] : [stamp(start), stamp(end)];
  return [...head, mb.toFixed(4), (mb / secs).toFixed(4), String(count), (count / secs).toFixed(4), '0', String(fetchMs),
    (mb / fetchSecs).toFixed(4), (count / fetchSecs).toFixed(4)].join(', ');
}
