// Kafka's own yardsticks on the same broker: `tributary producer-perf-test` then
// `tributary consumer-perf-test` over one topic, their summary lines parsed into
// figures for the report (they measure the broker with the project's small client,
// no per-record checks, so they bound what the checked paths can reach).
import { spawn } from 'node:child_process';
import { BROKER_CLI, REPO_ROOT } from '../../test/support/broker.ts';
import { uniqueName } from './drivers/options.ts';

export interface PerfToolsResult {
  producer: { line: string; recordsPerSec: number; mbPerSec: number; avgMs: number; p50: number; p95: number; p99: number; p999: number };
  consumer: { line: string; recordsPerSec: number; mbPerSec: number };
  commands: string[];
}

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BROKER_CLI, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`tributary ${args[0]} exited ${code}: ${err.slice(-2000)}`))));
  });
}

export async function runPerfTools(bootstrap: string, records: number, recordSize: number, partitions: number): Promise<PerfToolsResult> {
  const topic = uniqueName('compare-perf');
  const create = ['topics', '--bootstrap-server', bootstrap, '--create', '--topic', topic, '--partitions', String(partitions)];
  const produce = ['producer-perf-test', '--topic', topic, '--num-records', String(records), '--record-size', String(recordSize),
    '--throughput', '-1', '--producer-props', `bootstrap.servers=${bootstrap}`, 'acks=-1'];
  const consume = ['consumer-perf-test', '--bootstrap-server', bootstrap, '--topic', topic, '--messages', String(records)];
  await run(create);
  const pline = (await run(produce)).trim().split('\n').at(-1)!;
  const m = /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, [\d.]+ ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$/.exec(pline);
  if (!m) throw new Error(`unexpected producer-perf-test summary: ${pline}`);
  const cline = (await run(consume)).trim().split('\n').at(-1)!;
  const c = cline.split(', ');
  if (c.length !== 10) throw new Error(`unexpected consumer-perf-test summary: ${cline}`);
  return {
    producer: { line: pline, recordsPerSec: Number(m[2]), mbPerSec: Number(m[3]), avgMs: Number(m[4]), p50: Number(m[5]), p95: Number(m[6]), p99: Number(m[7]), p999: Number(m[8]) },
    consumer: { line: cline, recordsPerSec: Number(c[5]), mbPerSec: Number(c[3]) },
    commands: [create, produce, consume].map((a) => `tributary ${a.join(' ')}`),
  };
}
