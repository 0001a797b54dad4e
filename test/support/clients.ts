// Wrappers around the real Kafka clients the compatibility tests drive:
// kcat (librdkafka), python confluent-kafka (Debian's, run with /usr/bin/python3),
// kafkajs and @platformatic/kafka. Plus the record generator and the checks every
// client test makes on what it read back.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { REPO_ROOT, BROKER_CLI } from './broker.ts';
import { partitionBatches } from './wire.ts';

export const PYTHON = process.env.TRIBUTARY_PYTHON ?? '/usr/bin/python3';
export const KCAT = process.env.TRIBUTARY_KCAT ?? 'kcat';
export const PY_DIR = join(REPO_ROOT, 'test', 'clients', 'python');

export const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Codec = (typeof CODECS)[number];
/** The codec number in a record batch's attributes (bits 0-2). */
export const CODEC_ID: Record<Codec, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

// ---------------------------------------------------------------------------
// Processes

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
}

/** Runs a program to completion (killed by pid after timeoutMs). Never throws on exit code. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, ...(opts.env ?? {}) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      rejectRun(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8') + (timedOut ? `\n[killed after ${opts.timeoutMs ?? 120_000} ms]` : '');
      resolveRun({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
    child.stdin.on('error', () => {}); // EPIPE if the program exits early
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** Like run() but asserts exit code 0, with the output in the message. */
export async function runOk(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')} exited ${r.code ?? r.signal}\nstderr: ${r.stderr.slice(-4000)}\nstdout: ${r.stdout.slice(-2000)}`);
  return r;
}

// ---------------------------------------------------------------------------
// kcat

export interface KcatProduceOptions {
  codec?: Codec;
  keySeparator?: string;
  partition?: number;
  extra?: string[]; // e.g. ['-X', 'acks=all']
}

/** kcat -P: one record per line of `lines` ("key<sep>value" with -K). */
export function kcatProduce(bootstrap: string, topic: string, lines: string[], o: KcatProduceOptions = {}): Promise<RunResult> {
  const args = ['-b', bootstrap, '-P', '-t', topic, '-X', 'broker.address.family=v4'];
  if (o.keySeparator !== undefined) args.push('-K', o.keySeparator);
  if (o.codec) args.push('-z', o.codec);
  if (o.partition !== undefined) args.push('-p', String(o.partition));
  args.push(...(o.extra ?? []));
  return runOk(KCAT, args, { input: lines.join('\n') + '\n', timeoutMs: 180_000 });
}

export interface ConsumedRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
}

const KCAT_FORMAT = '%p\t%o\t%K\t%k\t%S\t%s\n';

/** kcat -C -o beginning -e over every partition (no group): records in arrival order. */
export async function kcatConsume(bootstrap: string, topic: string, extra: string[] = []): Promise<ConsumedRecord[]> {
  const r = await runOk(KCAT, ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'broker.address.family=v4', '-f', KCAT_FORMAT, ...extra], {
    timeoutMs: 180_000,
  });
  return parseKcatFormat(r.stdout);
}

/** Parses KCAT_FORMAT output: partition, offset, key length, key, value length, value. */
export function parseKcatFormat(s: string): ConsumedRecord[] {
  const recs: ConsumedRecord[] = [];
  for (const line of s.split('\n')) {
    if (line === '') continue;
    const [p, o, kl, k, vl, v] = line.split('\t');
    assert.ok(v !== undefined, `unexpected kcat line: ${JSON.stringify(line)}`);
    recs.push({ partition: Number(p), offset: Number(o), key: kl === '-1' ? null : k, value: vl === '-1' ? null : v });
  }
  return recs;
}

/** kcat -L -J: metadata as JSON. */
export async function kcatMetadata(bootstrap: string, topic?: string): Promise<KcatMetadata> {
  const args = ['-b', bootstrap, '-L', '-J', '-X', 'broker.address.family=v4', '-m', '15'];
  if (topic) args.push('-t', topic);
  const r = await runOk(KCAT, args, { timeoutMs: 30_000 });
  return JSON.parse(r.stdout) as KcatMetadata;
}

export interface KcatMetadata {
  originating_broker: { id: number; name: string };
  brokers: { id: number; name: string }[];
  topics: { topic: string; error?: string; partitions: { partition: number; leader: number; replicas: { id: number }[]; isrs: { id: number }[] }[] }[];
}

// ---------------------------------------------------------------------------
// The project's own CLI (Kafka-tools style)

export function cli(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(process.execPath, [BROKER_CLI, ...args], { timeoutMs: 60_000, ...opts });
}

export function cliOk(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runOk(process.execPath, [BROKER_CLI, ...args], { timeoutMs: 60_000, ...opts });
}

// ---------------------------------------------------------------------------
// python confluent-kafka

/** Runs test/clients/python/<script> with Debian's python3 (confluent-kafka 1.x, librdkafka 2.0). */
export function python(script: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(PYTHON, [join(PY_DIR, script), ...args], { timeoutMs: 300_000, ...opts, env: { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...(opts.env ?? {}) } });
}

export async function pythonOk(script: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await python(script, args, opts);
  assert.equal(r.code, 0, `python ${script} ${args.join(' ')} exited ${r.code ?? r.signal}\nstderr: ${r.stderr.slice(-4000)}\nstdout: ${r.stdout.slice(-2000)}`);
  return r;
}

/** Parses one JSON object per line. */
export function jsonLines<T>(s: string): T[] {
  return s
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

// ---------------------------------------------------------------------------
// kafkajs (with codecs: snappy from kafkajs-snappy; lz4 frame and zstd here,
// because kafkajs-lz4 and @kafkajs/zstd are native addons that do not build on Node 24)

const require = createRequire(import.meta.url);
let kafkajsCodecsRegistered = false;

export async function kafkajs(): Promise<typeof import('kafkajs')> {
  const mod = (await import('kafkajs')) as unknown as { default?: typeof import('kafkajs') } & typeof import('kafkajs');
  const k = (mod.default ?? mod) as typeof import('kafkajs');
  const { CompressionTypes, CompressionCodecs } = k;
  // kafkajs ships placeholders for snappy/lz4/zstd that throw "not implemented"
  if (!kafkajsCodecsRegistered) {
    kafkajsCodecsRegistered = true;
    const snappy = require('kafkajs-snappy') as () => unknown;
    const { lz4Compress, lz4Decompress } = (await import('@platformatic/wasm-utils')) as unknown as {
      lz4Compress(b: Buffer): Buffer;
      lz4Decompress(b: Buffer): Buffer;
    };
    type Enc = { buffer: Buffer };
    const codecs = CompressionCodecs as unknown as Record<number, () => unknown>;
    codecs[CompressionTypes.Snappy] = snappy;
    codecs[CompressionTypes.LZ4] = () => ({
      compress: async (e: Enc) => Buffer.from(lz4Compress(e.buffer)),
      decompress: async (b: Buffer) => Buffer.from(lz4Decompress(b)),
    });
    codecs[CompressionTypes.ZSTD] = () => ({
      compress: async (e: Enc) => zlib.zstdCompressSync(e.buffer),
      decompress: async (b: Buffer) => zlib.zstdDecompressSync(b),
    });
  }
  return k;
}

export async function kafkajsCompression(codec: Codec): Promise<number> {
  const { CompressionTypes } = await kafkajs();
  return { none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD }[codec];
}

// ---------------------------------------------------------------------------
// Records the tests produce and the checks on what comes back

export interface ProducedRecord {
  seq: number;
  key: string;
  value: string;
}

/** n keyed records; `keys` distinct keys; values carry the sequence number and compressible padding. */
export function makeRecords(n: number, tag: string, keys = 997): ProducedRecord[] {
  const out: ProducedRecord[] = [];
  for (let i = 0; i < n; i++) {
    const key = `key-${i % keys}`;
    out.push({ seq: i, key, value: `${tag}|${i}|${key}|${'payload-'.repeat(1 + (i % 7))}` });
  }
  return out;
}

export function seqOf(value: string): number {
  return Number(value.split('|')[1]);
}

/**
 * What every client test asserts on a topic it produced `produced` to (one producer,
 * in order) and read back completely as `consumed`:
 * all records present exactly once with the same key and value; per partition the
 * offsets are contiguous from `startOffset` and the produce order is kept; every key
 * lives in one partition; more than one partition was used.
 */
export function verifyRoundTrip(produced: ProducedRecord[], consumed: ConsumedRecord[], partitions: number, startOffset = 0): void {
  const bySeq = new Map<number, ProducedRecord>();
  for (const p of produced) bySeq.set(p.seq, p);
  assert.equal(consumed.length, produced.length, `read ${consumed.length} records, produced ${produced.length}`);

  const seen = new Set<number>();
  const keyPartition = new Map<string, number>();
  const perPartition = new Map<number, ConsumedRecord[]>();
  for (const c of consumed) {
    assert.ok(c.value !== null, `null value at ${c.partition}/${c.offset}`);
    const seq = seqOf(c.value);
    const p = bySeq.get(seq);
    assert.ok(p, `unexpected record ${JSON.stringify(c)}`);
    assert.equal(c.value, p.value, `value differs at ${c.partition}/${c.offset}`);
    assert.equal(c.key, p.key, `key differs at ${c.partition}/${c.offset}`);
    assert.ok(!seen.has(seq), `record seq ${seq} read twice`);
    seen.add(seq);
    assert.ok(c.partition >= 0 && c.partition < partitions, `partition ${c.partition} out of range`);
    const kp = keyPartition.get(p.key);
    if (kp === undefined) keyPartition.set(p.key, c.partition);
    else assert.equal(c.partition, kp, `key ${p.key} found in partitions ${kp} and ${c.partition}`);
    let list = perPartition.get(c.partition);
    if (!list) perPartition.set(c.partition, (list = []));
    list.push(c);
  }
  assert.ok(perPartition.size > 1, `all records landed in ${perPartition.size} partition(s): keys were not spread`);
  for (const [part, list] of perPartition) {
    list.sort((a, b) => a.offset - b.offset);
    for (let i = 0; i < list.length; i++) {
      assert.equal(list[i].offset, startOffset + i, `partition ${part}: offsets not contiguous at index ${i} (got ${list[i].offset})`);
      if (i > 0) {
        const a = seqOf(list[i - 1].value!);
        const b = seqOf(list[i].value!);
        assert.ok(a < b, `partition ${part}: produce order broken at offset ${list[i].offset} (seq ${a} before ${b})`);
      }
    }
  }
}

/** Thrown inside a waitFor() callback to stop waiting at once. */
export class Fatal extends Error {}

/** Waits until fn() returns a truthy value, polling; throws with the last error after timeoutMs (a Fatal at once). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      if (e instanceof Fatal) throw e;
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String((last as Error).stack ?? last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function uniqueTopic(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

// ---------------------------------------------------------------------------
// What the broker stored, read with hand-built Fetch requests


/**
 * The codec really reached the log: every partition's batches carry the codec id the
 * client was asked for (librdkafka sends a batch uncompressed when compression would
 * not shrink it, so `none` batches are tolerated for librdkafka-based clients, but at
 * least one batch must carry the codec).
 */
export async function assertCodecStored(host: string, port: number, topic: string, partitions: number, codec: Codec, allowUncompressed = false): Promise<void> {
  const want = CODEC_ID[codec];
  let withCodec = 0;
  let total = 0;
  for (let p = 0; p < partitions; p++) {
    const batches = await partitionBatches(host, port, topic, p);
    for (const b of batches) {
      total++;
      assert.equal(b.magic, 2, `${topic}/${p}: batch at ${b.baseOffset} has magic ${b.magic}`);
      if (b.codec === want) withCodec++;
      else if (!(allowUncompressed && b.codec === 0)) assert.fail(`${topic}/${p}: batch at ${b.baseOffset} has codec ${b.codec}, expected ${want} (${codec})`);
    }
  }
  assert.ok(total > 0, `${topic}: no batches fetched`);
  assert.ok(withCodec > 0, `${topic}: none of ${total} batches carries codec ${codec}`);
}

/** `topics --list` through the project's CLI. */
export async function cliListTopics(bootstrap: string): Promise<string[]> {
  const r = await cliOk(['topics', '--bootstrap-server', bootstrap, '--list']);
  return r.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
}

/** `topics --describe --topic T`: asserts Kafka's shape (PartitionCount, one line per partition with Leader). */
export async function cliDescribeTopic(bootstrap: string, topic: string, partitions: number): Promise<string> {
  const r = await cliOk(['topics', '--bootstrap-server', bootstrap, '--describe', '--topic', topic]);
  assert.match(r.stdout, new RegExp(`Topic:\\s*${topic}\\b`), r.stdout);
  assert.match(r.stdout, new RegExp(`PartitionCount:\\s*${partitions}\\b`), r.stdout);
  const lines = r.stdout.split('\n').filter((l) => /Partition:\s*\d+\s+Leader:\s*1\b/.test(l));
  assert.equal(lines.length, partitions, `expected ${partitions} partition lines with Leader: 1\n${r.stdout}`);
  return r.stdout;
}

// ---------------------------------------------------------------------------
// Long-running client processes (produce loops)

export interface LineProcess {
  pid: number;
  lines: string[];
  stderr(): string;
  write(s: string): void;
  /** Resolves with the exit code (kills by pid with SIGKILL after timeoutMs). */
  wait(timeoutMs: number): Promise<number | null>;
  kill(): void;
}

/** Spawns a program whose stdout is one record per line, kept in `lines` as they come. */
export function spawnLines(cmd: string, args: string[], env: Record<string, string> = {}): LineProcess {
  const child = spawn(cmd, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    partial += d.toString('utf8');
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts) if (l.trim() !== '') lines.push(l);
  });
  child.stderr.on('data', (d: Buffer) => {
    err = (err + d.toString('utf8')).slice(-20_000);
  });
  child.stdin.on('error', () => {});
  const exited = new Promise<number | null>((res) => child.once('close', (code) => res(code)));
  return {
    pid: child.pid ?? -1,
    lines,
    stderr: () => err,
    write: (s) => child.stdin.write(s),
    wait: async (timeoutMs) => {
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** The python produce loop (produce.py with COUNT=0): say "stop" on stdin to end it. */
export function pythonProduceLoop(bootstrap: string, topic: string, tag: string, acks = 'all'): LineProcess {
  return spawnLines(PYTHON, [join(PY_DIR, 'produce.py'), bootstrap, topic, 'none', '0', tag, acks], { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' });
}
