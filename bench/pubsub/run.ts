// make bench-pubsub: the official Node client (@google-cloud/pubsub) publishes
// BENCH_PUBSUB_N messages (default 100,000) of 100 bytes while a StreamingPull
// subscriber (subscription.on('message'), ack each) receives them — once against
// Google's emulator, once against ours (over a broker started for the run), side by
// side. Figures: publish msgs/s (first publish → last publish resolved), end-to-end
// msgs/s (first publish → last message received), p50/p99 publish-to-receive latency
// (send time stamped in an attribute), duplicates (redeliveries) seen.
//
// Then the same with the generated v1 clients (1,000-message Publish requests, acks
// on the stream), which takes the high-level client's per-message cost out. Last, that
// raw run against two replicas of ours, the stream opened on the replica that does NOT
// serve the topic's partition (so every message and ack is forwarded): the price of
// the forwarding hop.
//
// A benchmark, not a test: figures are printed (and written as JSON to
// bench/pubsub/last-run.json), nothing is asserted.

import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Message } from '@google-cloud/pubsub';
import { startBroker } from '../../test/support/broker.ts';
import { startOurs, startGoogle, clientFor, publisherClientFor, subscriberClientFor, unique, type Emulator } from '../../test/emulator/pubsub-support.ts';

const N = Number(process.env.BENCH_PUBSUB_N ?? 100_000);
const SIZE = 100;
const TIMEOUT_MS = Number(process.env.BENCH_PUBSUB_TIMEOUT_MS ?? 600_000);
const t0 = Date.now();
const log = (s: string) => process.stderr.write(`[bench-pubsub +${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}\n`);

interface Result {
  emulator: string;
  messages: number;
  received: number;
  duplicates: number;
  publishSeconds: number;
  publishRate: number;
  endToEndSeconds: number;
  endToEndRate: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function run(emu: Emulator): Promise<Result> {
  const client = clientFor(emu);
  try {
    const [topic] = await client.createTopic(unique('bench'));
    const [sub] = await topic.createSubscription(unique('bench'), { ackDeadlineSeconds: 60 });
    const subscriber = client.subscription(sub.name, { flowControl: { maxMessages: 2000, allowExcessMessages: false } });
    const latencies: number[] = [];
    const seen = new Uint8Array(N);
    let received = 0;
    let duplicates = 0;
    let lastReceive = 0;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${emu.kind}: received ${received} of ${N} within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      subscriber.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      subscriber.on('message', (m: Message) => {
        const now = Date.now();
        const i = Number(m.attributes.i);
        m.ack();
        if (seen[i]) {
          duplicates++;
          return;
        }
        seen[i] = 1;
        received++;
        latencies.push(now - Number(m.attributes.t));
        lastReceive = now;
        if (received === N) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const pad = Buffer.alloc(SIZE, 'x');
    const publisher = client.topic(topic.name, { batching: { maxMessages: 100, maxMilliseconds: 10 } });
    const start = Date.now();
    const pending: Promise<string>[] = [];
    for (let i = 0; i < N; i++) {
      pending.push(publisher.publishMessage({ data: pad, attributes: { i: String(i), t: String(Date.now()) } }));
      if (pending.length >= 2000) {
        await Promise.all(pending);
        pending.length = 0;
      }
    }
    await Promise.all(pending);
    const published = Date.now();
    log(`${emu.kind}: published ${N} in ${published - start} ms`);
    await done;
    log(`${emu.kind}: received ${received}`);
    await subscriber.close();
    log(`${emu.kind}: subscriber closed`);
    latencies.sort((a, b) => a - b);
    return {
      emulator: emu.kind === 'ours' ? 'Tributary' : "Google's emulator",
      messages: N,
      received,
      duplicates,
      publishSeconds: (published - start) / 1000,
      publishRate: Math.round(N / ((published - start) / 1000)),
      endToEndSeconds: (lastReceive - start) / 1000,
      endToEndRate: Math.round(N / ((lastReceive - start) / 1000)),
      p50Ms: pct(latencies, 50),
      p99Ms: pct(latencies, 99),
      maxMs: latencies[latencies.length - 1],
    };
  } finally {
    await client.close().catch(() => {});
  }
}

/**
 * The same flow without the high-level client's per-message work: the generated v1
 * clients, Publish requests of 1,000 messages (4 in flight), one StreamingPull
 * stream acking on the stream. Shows what each server sustains.
 */
async function runRaw(emu: Emulator, others: Emulator[] = [], label = ''): Promise<Result> {
  const client = clientFor(emu);
  const pub = publisherClientFor(emu);
  let sc = subscriberClientFor(emu);
  try {
    const [topic] = await client.createTopic(unique('raw'));
    const [sub] = await topic.createSubscription(unique('raw'), { ackDeadlineSeconds: 60 });
    if (others.length) {
      // Subscribe through a replica whose last assignment does not include the topic.
      const id = topic.name.split('/').pop()!;
      const serves = (e: Emulator) => {
        const lines = e.output().split('\n').filter((l) => l.includes('pubsub partitions assigned'));
        return (lines[lines.length - 1] ?? '').includes(`"${id}:`);
      };
      const via = [emu, ...others].find((e) => !serves(e)) ?? emu;
      log(`raw${label}: subscribing through ${via.hostPort} (serves the topic: ${serves(via)})`);
      await sc.close();
      sc = subscriberClientFor(via);
    }
    const latencies: number[] = [];
    const seen = new Uint8Array(N);
    let received = 0;
    let duplicates = 0;
    let lastReceive = 0;
    const stream = sc.streamingPull();
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${emu.kind} raw: received ${received} of ${N}`)), TIMEOUT_MS);
      stream.on('error', (e: Error) => {
        clearTimeout(timer);
        reject(e);
      });
      stream.on('data', (res: { receivedMessages?: { ackId?: string | null; message?: { attributes?: Record<string, string> | null } | null }[] | null }) => {
        const now = Date.now();
        const acks: string[] = [];
        for (const m of res.receivedMessages ?? []) {
          acks.push(m.ackId!);
          const i = Number(m.message!.attributes!.i);
          if (seen[i]) {
            duplicates++;
            continue;
          }
          seen[i] = 1;
          received++;
          latencies.push(now - Number(m.message!.attributes!.t));
          lastReceive = now;
        }
        if (acks.length) stream.write({ ackIds: acks });
        if (received === N) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    stream.write({ subscription: sub.name, streamAckDeadlineSeconds: 60, maxOutstandingMessages: 10_000 });
    const pad = Buffer.alloc(SIZE, 'x');
    const start = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < N) {
        const from = next;
        next = Math.min(N, next + 1000);
        const messages = [];
        for (let i = from; i < next; i++) messages.push({ data: pad, attributes: { i: String(i), t: String(Date.now()) } });
        await pub.publish({ topic: topic.name, messages });
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    const published = Date.now();
    log(`${emu.kind} raw: published ${N} in ${published - start} ms`);
    await done;
    stream.end();
    stream.cancel();
    latencies.sort((a, b) => a - b);
    return {
      emulator: (emu.kind === 'ours' ? 'Tributary' : "Google's emulator") + ' (raw v1)' + label,
      messages: N,
      received,
      duplicates,
      publishSeconds: (published - start) / 1000,
      publishRate: Math.round(N / ((published - start) / 1000)),
      endToEndSeconds: (lastReceive - start) / 1000,
      endToEndRate: Math.round(N / ((lastReceive - start) / 1000)),
      p50Ms: pct(latencies, 50),
      p99Ms: pct(latencies, 99),
      maxMs: latencies[latencies.length - 1],
    };
  } finally {
    await Promise.allSettled([pub.close(), sc.close(), client.close()]);
  }
}

const results: Result[] = [];
const broker = await startBroker({ overrides: { 'auto.create.topics.enable': 'false' } });
try {
  for (const which of ['google', 'ours'] as const) {
    const emu = which === 'ours' ? await startOurs(broker.bootstrap) : await startGoogle();
    try {
      log(`${which}: running (${N} × ${SIZE} B)`);
      results.push(await run(emu));
      log(`${which}: raw v1 run`);
      results.push(await runRaw(emu));
      if (which === 'ours') {
        const second = await startOurs(broker.bootstrap);
        try {
          log('ours: raw v1 run, 2 replicas, stream on the non-owner');
          results.push(await runRaw(emu, [second], ', 2 replicas, forwarded'));
        } finally {
          await second.stop();
        }
      }
    } catch (err) {
      log(`${which}: failed: ${(err as Error).message}`);
    } finally {
      await emu.stop();
      log(`${which}: stopped`);
    }
  }
} finally {
  await broker.cleanup();
}

const rows: [string, (r: Result) => string][] = [
  ['messages received / sent', (r) => `${r.received} / ${r.messages}`],
  ['duplicates (redeliveries)', (r) => String(r.duplicates)],
  ['publish msgs/s', (r) => String(r.publishRate)],
  ['end-to-end msgs/s (publish+receive+ack)', (r) => String(r.endToEndRate)],
  ['publish→receive p50 ms', (r) => String(r.p50Ms)],
  ['publish→receive p99 ms', (r) => String(r.p99Ms)],
  ['publish→receive max ms', (r) => String(r.maxMs)],
];
const w0 = Math.max(...rows.map((r) => r[0].length));
const cols = results.map((r) => r.emulator);
const widths = cols.map((c, i) => Math.max(c.length, ...rows.map(([, f]) => f(results[i]).length)));
const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w0) : c.padStart(widths[i - 1]))).join('  ');
process.stdout.write(`\nPub/Sub: ${N} messages × ${SIZE} B, @google-cloud/pubsub publish + StreamingPull receive with acks\n`);
process.stdout.write(line(['', ...cols]) + '\n');
for (const [name, f] of rows) process.stdout.write(line([name, ...results.map(f)]) + '\n');
const pair = (suffix: string) => {
  const g = results.find((r) => r.emulator === "Google's emulator" + suffix);
  const o = results.find((r) => r.emulator === 'Tributary' + suffix);
  if (g && o) {
    process.stdout.write(`Tributary / Google${suffix}: end-to-end ${(o.endToEndRate / g.endToEndRate).toFixed(2)}×, publish ${(o.publishRate / g.publishRate).toFixed(2)}×, p99 ${o.p99Ms} vs ${g.p99Ms} ms\n`);
  }
};
process.stdout.write('\n');
pair('');
pair(' (raw v1)');
writeFileSync(join(dirname(fileURLToPath(import.meta.url)), 'last-run.json'), JSON.stringify({ date: new Date().toISOString(), n: N, size: SIZE, results }, null, 2) + '\n');
