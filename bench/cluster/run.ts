// make bench-cluster (issue 7): what replication costs and how fast a partition fails
// over, beside a single broker measured in the same run.
//
//   single broker: one process, local coordination store, topic rf=1.
//   3 brokers:     three processes on 127.0.0.1..3 over a real etcd (test/support/cluster.ts),
//                  topic rf=3, min.insync.replicas=2.
//
//   1. throughput and latency: `tributary producer-perf-test` (the project's Kafka-style
//      tool; it writes to the broker it is given, so it is given the partition's leader),
//      100-byte records to one partition, acks=1 and acks=all: records/s and p99 when
//      unthrottled, and p99 at a fixed rate.
//   2. failover: a probe writes one record with acks=all every 10 ms, rediscovering the
//      leader through Metadata after an error; the leader is killed with kill -9 (and,
//      separately, stopped with SIGTERM: controlled shutdown) and the time to the
//      probe's first successful produce is measured. A single broker has no failover:
//      its figure is kill -9 → restarted → first successful produce.
//
// A benchmark, not a test: figures are printed, nothing is asserted.
// Env: BENCH_RECORDS (per unthrottled run, default 200000), BENCH_RATE (paced run records/s,
//      default 2000), BENCH_PACED_SECONDS (default 10), BENCH_KILLS (failovers per kind, default 3),
//      BENCH_SESSION_TIMEOUT_MS (coordination.session.timeout.ms, default 6000).
import { startBroker, BROKER_CLI, type Broker } from '../../test/support/broker.ts';
import { TestCluster, sleep, within } from '../../test/support/cluster.ts';
import { run } from '../../test/support/clients.ts';
import { BrokerConnection } from '../../broker-image/src/client/connection.ts';
import { produceBatch } from '../../broker-image/src/client/topic-client.ts';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000);
const RATE = Number(process.env.BENCH_RATE ?? 2000);
const PACED_SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 10);
const KILLS = Number(process.env.BENCH_KILLS ?? 3);
const SESSION_TIMEOUT_MS = Number(process.env.BENCH_SESSION_TIMEOUT_MS ?? 6000);
const LAG_MS = 3000;
const log = (s: string) => process.stderr.write(`[bench-cluster] ${s}\n`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Perf { recordsPerSec: number; p50: number; p99: number; max: number }

/** Runs producer-perf-test and parses Kafka's summary line; null when it did not finish in 3 minutes. */
async function perfTest(bootstrap: string, topic: string, acks: string, records: number, throughput: number): Promise<Perf | null> {
  const r = await run(process.execPath, [BROKER_CLI, 'producer-perf-test', '--topic', topic, '--num-records', String(records), '--record-size', '100',
    '--throughput', String(throughput), '--producer-props', `bootstrap.servers=${bootstrap}`, `acks=${acks}`], { timeoutMs: 180_000 });
  if (r.signal === 'SIGKILL') {
    log(`producer-perf-test did not finish in 180 s (killed): ${r.stdout.trim().split('\n').at(-1) ?? ''}`);
    return null;
  }
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  const m = /records sent, ([\d.]+) records\/sec .*?([\d.]+) ms max latency, (\d+) ms 50th, \d+ ms 95th, (\d+) ms 99th/.exec(line);
  if (r.code !== 0 || !m) throw new Error(`producer-perf-test exited ${r.code}: ${line}\n${r.stderr.slice(-2000)}`);
  return { recordsPerSec: Number(m[1]), max: Number(m[2]), p50: Number(m[3]), p99: Number(m[4]) };
}

/** Retries a one-record acks=all produce until the new partition takes it (its replicas are made asynchronously). */
async function writable(bootstrap: string, topic: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const conn = await BrokerConnection.open(bootstrap, 'bench-warmup');
    try {
      await within(produceBatch(conn, topic, 0, [{ value: Buffer.from('warm-up') }], { acks: -1, compression: 0, timeoutMs: 5000 }), 6000, 'warm-up produce');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    } finally {
      conn.close();
    }
    await sleep(100);
  }
}

interface Setup {
  name: string;
  /** host:port of the leader of partition 0 of `topic`. */
  leader(topic: string): Promise<string>;
  createTopic(topic: string): Promise<void>;
}

async function throughputRows(s: Setup): Promise<Map<string, string>> {
  const rows = new Map<string, string>();
  for (const acks of ['1', 'all']) {
    const topic = `perf-acks-${acks}`;
    // -1, not 'all': producer-perf-test reads acks with Number() and would send NaN (acks=0 on the wire).
    const wire = acks === 'all' ? '-1' : acks;
    await s.createTopic(topic);
    const leader = await s.leader(topic);
    await writable(leader, topic);
    log(`${s.name}: acks=${acks}, ${RECORDS} records unthrottled`);
    const full = await perfTest(leader, topic, wire, RECORDS, -1);
    log(`${s.name}: acks=${acks}, ${RATE} records/s for ${PACED_SECONDS} s`);
    const paced = await perfTest(leader, topic, wire, RATE * PACED_SECONDS, RATE);
    const hung = 'did not finish (see log)';
    rows.set(`acks=${acks}: records/s (unthrottled)`, full ? full.recordsPerSec.toFixed(0) : hung);
    rows.set(`acks=${acks}: p50 / p99 ms (unthrottled)`, full ? `${full.p50} / ${full.p99}` : hung);
    rows.set(`acks=${acks}: p50 / p99 / max ms at ${RATE}/s`, paced ? `${paced.p50} / ${paced.p99} / ${paced.max.toFixed(0)}` : hung);
  }
  return rows;
}

interface Success { sent: number; done: number; via: string }

/** Writes one acks=all record every 10 ms to partition 0, finding the leader again after any error. */
class Probe {
  readonly successes: Success[] = [];
  private running = true;
  private readonly done: Promise<void>;

  constructor(leader: () => Promise<string>, topic: string) {
    this.done = (async () => {
      let conn: BrokerConnection | null = null;
      let via = '';
      while (this.running) {
        try {
          if (!conn) {
            via = await within(leader(), 1000, 'leader lookup');
            conn = await within(BrokerConnection.open(via, 'failover-probe'), 1000, 'connect');
          }
          const sent = performance.now();
          await within(produceBatch(conn, topic, 0, [{ value: Buffer.from(String(Date.now())) }], { acks: -1, compression: 0, timeoutMs: 1000 }), 1500, 'produce');
          this.successes.push({ sent, done: performance.now(), via });
        } catch {
          conn?.close();
          conn = null;
        }
        await sleep(10);
      }
      conn?.close();
    })();
  }

  /** The first produce sent after `t` (and, if given, not served by `not`) that succeeded. */
  firstSuccessAfter(t: number, not?: string): Success | undefined {
    return this.successes.find((s) => s.sent > t && s.via !== not);
  }

  /** Longest time between two consecutive successful produces that ended in [from, to]. */
  longestGap(from: number, to: number): number {
    const done = this.successes.map((s) => s.done);
    let gap = 0;
    for (let i = 1; i < done.length; i++) if (done[i]! >= from && done[i - 1]! <= to) gap = Math.max(gap, done[i]! - done[i - 1]!);
    return gap;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function singleBroker(): Promise<Map<string, string>> {
  const broker: Broker = await startBroker({ overrides: { 'auto.create.topics.enable': false } });
  try {
    const setup: Setup = {
      name: 'single broker',
      leader: async () => broker.bootstrap,
      createTopic: async (topic) => {
        const conn = await BrokerConnection.open(broker.bootstrap, 'bench');
        try {
          await conn.request(19, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 30_000, validateOnly: false });
        } finally {
          conn.close();
        }
      },
    };
    const rows = await throughputRows(setup);
    await setup.createTopic('failover');
    const probe = new Probe(async () => broker.bootstrap, 'failover');
    const times: number[] = [];
    try {
      for (let i = 0; i < KILLS; i++) {
        await sleep(1000);
        const t0 = performance.now();
        await broker.kill9();
        await broker.restart();
        times.push((await waitFor('a produce after the restart', () => probe.firstSuccessAfter(t0))).done - t0);
        log(`single broker: kill -9 → restarted → produced in ${times.at(-1)!.toFixed(0)} ms`);
      }
    } finally {
      await probe.stop();
    }
    rows.set('kill -9 the leader → first acks=all produce, ms', `${median(times).toFixed(0)} (restart; ${times.map((x) => x.toFixed(0)).join(', ')})`);
    rows.set('kill -9 the leader: longest produce gap, ms', 'same as above');
    rows.set('SIGTERM the leader → first acks=all produce, ms', 'n/a (no other replica)');
    rows.set('SIGTERM the leader: longest produce gap, ms', 'n/a');
    return rows;
  } finally {
    await broker.cleanup();
  }
}

async function threeBrokers(): Promise<Map<string, string>> {
  const cluster = await TestCluster.start({
    overrides: { 'coordination.session.timeout.ms': SESSION_TIMEOUT_MS, 'replica.lag.time.max.ms': LAG_MS, 'min.insync.replicas': 2 },
  });
  try {
    const leaderOf = async (topic: string) => {
      const [p] = await cluster.partitions(topic);
      if (!p || !cluster.isRunning(p.leader)) throw new Error('no running leader');
      return cluster.broker(p.leader).bootstrap;
    };
    const setup: Setup = {
      name: '3 brokers',
      leader: leaderOf,
      createTopic: async (topic) => { await cluster.createTopic(topic, { partitions: 1, replicationFactor: 3 }); },
    };
    const rows = await throughputRows(setup);
    await setup.createTopic('failover');
    const probe = new Probe(() => leaderOf('failover'), 'failover');
    try {
      for (const how of ['kill -9', 'SIGTERM'] as const) {
        const times: number[] = [];
        const gaps: number[] = [];
        for (let i = 0; i < KILLS; i++) {
          await cluster.waitForFullIsr('failover');
          await sleep(1000);
          const [p] = await cluster.partitions('failover');
          const victim = p!.leader;
          const t0 = performance.now();
          // SIGTERM is not awaited: the broker hands its leaderships over while the probe goes on writing.
          const exited = how === 'kill -9' ? cluster.kill9(victim) : cluster.terminate(victim);
          const first = await waitFor('a produce served by the new leader', () => probe.firstSuccessAfter(t0, cluster.broker(victim).bootstrap));
          times.push(first.done - t0);
          gaps.push(probe.longestGap(t0, first.done));
          log(`3 brokers: ${how} broker ${victim} → new leader served a produce after ${times.at(-1)!.toFixed(0)} ms; longest gap between produces ${gaps.at(-1)!.toFixed(0)} ms`);
          await exited;
          await cluster.restart(victim);
        }
        const fmt = (xs: number[]) => `${median(xs).toFixed(0)} (${xs.map((x) => x.toFixed(0)).join(', ')})`;
        rows.set(`${how} the leader → first acks=all produce, ms`, fmt(times));
        rows.set(`${how} the leader: longest produce gap, ms`, fmt(gaps));
      }
    } finally {
      await probe.stop();
    }
    return rows;
  } finally {
    await cluster.stop();
  }
}

const single = await singleBroker();
const multi = await threeBrokers();
const keys = [...new Set([...single.keys(), ...multi.keys()])];
const w = Math.max(...keys.map((k) => k.length));
const col = (s: string) => s.padEnd(34);
console.log(`\nTributary cluster benchmark — producer-perf-test, 100-byte records, 1 partition; ${RECORDS} records unthrottled; ` +
  `coordination.session.timeout.ms=${SESSION_TIMEOUT_MS}, replica.lag.time.max.ms=${LAG_MS}; ${(await import('node:os')).cpus().length} cores\n`);
console.log(`${''.padEnd(w)}  ${col('single broker (rf=1)')}3 brokers (rf=3, min.insync.replicas=2, etcd)`);
for (const k of keys) console.log(`${k.padEnd(w)}  ${col(single.get(k) ?? '')}${multi.get(k) ?? ''}`);
