#!/usr/bin/env node
// `tributary compare` / `make compare`: one workload through the Kafka protocol, the
// Pub/Sub API and the Kinesis API over one Tributary broker (and through Google's
// Pub/Sub emulator and kinesis-mock when present), every record checked, then a
// report (Markdown, SVG charts, one HTML page, JSON) in --out. The Markdown table
// also goes to stdout. `node bench/compare/main.ts --help` lists the options.
import { parseArgs } from 'node:util';
import { join, relative, resolve } from 'node:path';
import { REPO_ROOT } from '../../test/support/broker.ts';
import { runKafka } from './drivers/kafka.ts';
import { runKinesis } from './drivers/kinesis.ts';
import { runPubsub } from './drivers/pubsub.ts';
import { runPubsubV1 } from './drivers/pubsub-v1.ts';
import type { DriverOptions } from './drivers/options.ts';
import { runPerfTools, type PerfToolsResult } from './perf-tools.ts';
import { describeMachine } from './report/machine.ts';
import { writeReport, type Report } from './report/write.ts';
import type { PathResult } from './result.ts';
import { hasGooglePubsubEmulator, hasKinesisMock, startBroker, startEmulator, startGoogle, startKinesisMock } from './stack.ts';
import { makeWorkload, type KeyDistribution, type WorkloadSpec } from './workload.ts';

const HELP = `usage: node bench/compare/main.ts [options]   (or: tributary compare [options])

  --records N            records per path (default 1000000, or $RECORDS)
  --record-size B        bytes per record, ≥ 16 (default 100)
  --keys N               distinct keys (default 1000)
  --key-distribution D   uniform | zipf (default uniform); --zipf-exponent S (default 1)
  --rate R               target records/s over all producers, 0 = unthrottled (default 0)
  --producers N          producers per path (default 2); --consumers N (default 2)
  --partitions N         Kafka partitions and Kinesis shards (default 4)
  --paths LIST           any of kafka,pubsub,kinesis (default all three)
  --peers auto|on|off    also run Google's Pub/Sub emulator and kinesis-mock (default auto: when present)
  --peer-records N       records per peer path (default min(records, 10000): both are far slower)
  --ordering on|off      Pub/Sub ordering keys (default on)
  --pubsub-client C      high (the high-level client) | v1 (generated clients: 1,000-message Publish
                         requests, raw StreamingPull) | both (default high)
  --restart              restart the broker (SIGTERM, same port and data) once a third is produced
  --perf-tools on|off    also run tributary producer-perf-test / consumer-perf-test (default on)
  --batch N              records per produce/publish/PutRecords call (default 500)
  --inflight N           calls in flight per Kafka/Pub/Sub producer (default 4)
  --kinesis-read MODE    get (GetRecords loops) | subscribe (SubscribeToShard, enhanced fan-out; kinesis-mock
                         always uses get: its HTTP/2 breaks under the SDK) (default get)
  --poll-ms N            Kinesis pause after an empty GetRecords (default 50)
  --idle-ms N            give up on missing records after N ms without progress (default 30000)
  --seed N               key sequence seed (default 1)
  --out DIR              report folder (default bench/compare/out)
`;

const { values: a } = parseArgs({
  args: process.argv.slice(2), strict: true, allowPositionals: false,
  options: {
    records: { type: 'string' }, 'record-size': { type: 'string' }, keys: { type: 'string' },
    'key-distribution': { type: 'string' }, 'zipf-exponent': { type: 'string' }, rate: { type: 'string' },
    producers: { type: 'string' }, consumers: { type: 'string' }, partitions: { type: 'string' },
    paths: { type: 'string' }, peers: { type: 'string' }, 'peer-records': { type: 'string' },
    ordering: { type: 'string' }, 'pubsub-client': { type: 'string' }, restart: { type: 'boolean' }, 'perf-tools': { type: 'string' },
    batch: { type: 'string' }, 'kinesis-read': { type: 'string' }, inflight: { type: 'string' }, 'poll-ms': { type: 'string' }, 'idle-ms': { type: 'string' },
    seed: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  },
});
if (a.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

function num(v: string | undefined, name: string, dflt: number, min = 0): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) {
    process.stderr.write(`compare: --${name} expects a number ≥ ${min}, got '${v}'\n`);
    process.exit(2);
  }
  return n;
}
function choice<T extends string>(v: string | undefined, name: string, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!allowed.includes(v as T)) {
    process.stderr.write(`compare: --${name} expects one of ${allowed.join(', ')}, got '${v}'\n`);
    process.exit(2);
  }
  return v as T;
}

const records = Math.floor(num(a.records ?? process.env.RECORDS, 'records', 1_000_000, 1));
const spec: WorkloadSpec = {
  records,
  recordSize: Math.floor(num(a['record-size'], 'record-size', 100, 16)),
  keys: Math.floor(num(a.keys, 'keys', 1000, 1)),
  keyDistribution: choice<KeyDistribution>(a['key-distribution'], 'key-distribution', ['uniform', 'zipf'], 'uniform'),
  zipfExponent: num(a['zipf-exponent'], 'zipf-exponent', 1),
  rate: num(a.rate, 'rate', 0),
  producers: Math.floor(num(a.producers, 'producers', 2, 1)),
  consumers: Math.floor(num(a.consumers, 'consumers', 2, 1)),
  partitions: Math.floor(num(a.partitions, 'partitions', 4, 1)),
  seed: Math.floor(num(a.seed, 'seed', 1)),
};
const paths = (a.paths ?? 'kafka,pubsub,kinesis').split(',').map((p) => p.trim()).filter(Boolean);
for (const p of paths) if (!['kafka', 'pubsub', 'kinesis'].includes(p)) {
  process.stderr.write(`compare: unknown path '${p}' (kafka, pubsub, kinesis)\n`);
  process.exit(2);
}
const peers = choice(a.peers, 'peers', ['auto', 'on', 'off'] as const, 'auto');
const peerRecords = Math.floor(num(a['peer-records'], 'peer-records', Math.min(records, 10_000), 1));
const ordering = choice(a.ordering, 'ordering', ['on', 'off'] as const, 'on') === 'on';
const pubsubClients = choice(a['pubsub-client'], 'pubsub-client', ['high', 'v1', 'both'] as const, 'high');
const perfTools = choice(a['perf-tools'], 'perf-tools', ['on', 'off'] as const, 'on') === 'on';
const outDir = resolve(a.out ?? join(REPO_ROOT, 'bench', 'compare', 'out'));
const idleMs = num(a['idle-ms'], 'idle-ms', 30_000);
const pollMs = num(a['poll-ms'], 'poll-ms', 50);
const kinesisRead = choice(a['kinesis-read'], 'kinesis-read', ['get', 'subscribe'] as const, 'get');

// The Google client probes for a GCE metadata server (and warns when there is none);
// against an emulator there is nothing to find.
process.env.METADATA_SERVER_DETECTION ??= 'none';
const t0 = performance.now();
const log = (s: string) => process.stderr.write(`[compare +${((performance.now() - t0) / 1000).toFixed(1)}s] ${s}\n`);
const driver = (n: number): DriverOptions => ({
  idleMs, deadlineMs: 120_000 + n * 5, batch: Math.floor(num(a.batch, 'batch', 500, 1)), inflight: Math.floor(num(a.inflight, 'inflight', 4, 1)), log,
});

const startedAt = new Date().toISOString();
const machine = describeMachine();
const results: PathResult[] = [];
const skipped: string[] = [];
let perf: PerfToolsResult | null = null;
const workload = makeWorkload(spec);
const peerWorkload = peerRecords === records ? workload : makeWorkload({ ...spec, records: peerRecords });
const wantGoogle = paths.includes('pubsub') && (peers === 'on' || (peers === 'auto' && hasGooglePubsubEmulator()));
const wantMock = paths.includes('kinesis') && (peers === 'on' || (peers === 'auto' && hasKinesisMock()));

const broker = await startBroker({ overrides: { 'auto.create.topics.enable': 'false', 'group.initial.rebalance.delay.ms': '0' } });
log(`broker on ${broker.bootstrap} (pid ${broker.pid})`);
let emulator: Awaited<ReturnType<typeof startEmulator>> | null = null;
let restarted: string | null = null;
const attempt = async (what: string, fn: () => Promise<PathResult>) => {
  try {
    restarted = null;
    const r = await fn();
    if (restarted) r.notes.push(restarted);
    results.push(r);
    log(`${r.label}: ${r.delivered}/${r.records} delivered, ${r.lost} lost, ${r.duplicates} duplicates, ${r.orderViolations} order violations, produce ${r.produceRate.toFixed(0)}/s, consume ${r.consumeRate.toFixed(0)}/s, p99 ${r.latency.p99.toFixed(1)} ms`);
  } catch (err) {
    log(`${what} failed: ${(err as Error).stack ?? String(err)}`);
    skipped.push(`${what}: failed: ${(err as Error).message.split('\n')[0]}`);
  }
};
const restartBroker = a.restart ? async () => {
  log('restart phase: stopping the broker (SIGTERM) and starting it again on the same port and data');
  const s = performance.now();
  await broker.restart();
  const secs = ((performance.now() - s) / 1000).toFixed(1);
  log(`restart phase: broker back after ${secs} s (pid ${broker.pid})`);
  restarted = `broker restarted (SIGTERM, same port and data) once a third was acknowledged; back after ${secs} s`;
} : undefined;
try {
  emulator = await startEmulator(broker.bootstrap);
  log(`emulator: Pub/Sub on ${emulator.pubsubHostPort}, Kinesis on 127.0.0.1:${emulator.kinesisPort} (pid ${emulator.pid})`);
  const emu = emulator;
  for (const p of paths) {
    if (p === 'kafka') await attempt('Kafka · Tributary', () => runKafka(broker.bootstrap, workload, { ...driver(records), midway: restartBroker }));
    if (p === 'pubsub') {
      const flavours = pubsubClients === 'both' ? (['high', 'v1'] as const) : [pubsubClients];
      for (const flavour of flavours) {
        const run = flavour === 'v1' ? runPubsubV1 : runPubsub;
        const suffix = flavour === 'v1' ? ' (v1)' : '';
        await attempt(`Pub/Sub · Tributary${suffix}`, async () => {
          const r = await run(emu.pubsubHostPort, 'Tributary', workload, { ...driver(records), ordering, midway: restartBroker });
          return { ...r, label: r.label + suffix };
        });
        if (wantGoogle) {
          await attempt(`Pub/Sub · Google's emulator${suffix}`, async () => {
            const g = await startGoogle();
            try {
              const r = await run(g.hostPort, "Google's emulator", peerWorkload, { ...driver(peerRecords), ordering });
              return { ...r, label: r.label + suffix };
            } finally {
              await g.stop();
            }
          });
        }
      }
      if (!wantGoogle && peers !== 'off') skipped.push("Pub/Sub · Google's emulator: gcloud not found");
    }
    if (p === 'kinesis') {
      await attempt('Kinesis · Tributary', () => runKinesis(emu.kinesisPort, 'Tributary', workload, { ...driver(records), http1: false, pollMs, read: kinesisRead, midway: restartBroker }));
      if (wantMock) {
        await attempt('Kinesis · kinesis-mock', async () => {
          const m = await startKinesisMock();
          try {
            // Its cleartext HTTP/2 breaks under the v3 SDK's PutRecords: HTTP/1.1 for it.
            return await runKinesis(m.port, 'kinesis-mock', peerWorkload, { ...driver(peerRecords), http1: true, pollMs, read: 'get' });
          } finally {
            await m.stop();
          }
        });
      } else if (peers !== 'off') skipped.push('Kinesis · kinesis-mock: node_modules/kinesis-local not found');
    }
  }
  if (perfTools) {
    try {
      log('perf tools: producer-perf-test, consumer-perf-test');
      perf = await runPerfTools(broker.bootstrap, records, spec.recordSize, spec.partitions);
      log(`perf tools: ${perf.producer.line} | ${perf.consumer.line}`);
    } catch (err) {
      skipped.push(`perf tools: ${(err as Error).message.split('\n')[0]}`);
    }
  }
} finally {
  await emulator?.stop();
  await broker.cleanup();
}

const options: Record<string, string | number | boolean> = {};
if (a.restart) options.restart = true;
if (!ordering) options['pubsub ordering keys'] = 'off';
if (kinesisRead !== 'get') options['kinesis read'] = kinesisRead;
if (pubsubClients !== 'high') options['pubsub client'] = pubsubClients;
if (peerRecords !== records && (wantGoogle || wantMock)) options['peer records'] = peerRecords;
const report: Report = {
  startedAt, seconds: (performance.now() - t0) / 1000,
  command: ['node', relative(REPO_ROOT, process.argv[1]) || 'bench/compare/main.ts', ...process.argv.slice(2)].join(' ') + (a.records === undefined ? ` --records ${records}` : ''),
  spec, options, machine, results, perf, skipped,
};
const { markdown, files } = writeReport(outDir, report);
process.stdout.write(markdown);
log(`report: ${files.join(', ')}`);
process.exitCode = skipped.some((s) => s.includes('failed')) ? 1 : 0;
