// The replication tests' writer and the check of what it was told: acked_producer.py
// (librdkafka, idempotent, acks=all) runs as its own process and reports every
// acknowledgement; verifyAcknowledged() then reads every partition back through the
// Kafka Fetch API from its leader and checks that each acknowledged record is at the
// offset it was acknowledged with, and that no record of the run is stored twice or
// out of order.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTHON, spawnLines, type LineProcess } from '../../support/clients.ts';
import { eventually, within, type TestCluster } from '../../support/cluster.ts';
import { BrokerConnection } from '../../../broker-image/src/client/connection.ts';
import { fetchOnce } from '../../../broker-image/src/client/topic-client.ts';

const SCRIPT = fileURLToPath(new URL('./acked_producer.py', import.meta.url));

export interface Ack { p: number; s: number; o: number; t: number }
export interface Failure { p: number; s: number; err: string }

export interface AckedProducer {
  readonly tag: string;
  acks(): Ack[];
  failures(): Failure[];
  /** A fatal producer error (librdkafka's idempotence state lost), if any. */
  fatal(): string | undefined;
  /** Resolves once `n` more acknowledgements than now have arrived (of `partition` only, when given). */
  moreAcks(n: number, o?: { partition?: number; timeoutMs?: number }): Promise<void>;
  /** Stops producing, waits for every outstanding record's fate, returns the stderr summary. */
  stop(): Promise<string>;
  kill(): void;
}

export function startAckedProducer(bootstrap: string, topic: string, partitions: number, o: { rate?: number; tag?: string; settings?: Record<string, string | number> } = {}): AckedProducer {
  const tag = o.tag ?? `r${Math.random().toString(36).slice(2, 8)}`;
  const extra = Object.entries(o.settings ?? {}).map(([k, v]) => `${k}=${v}`);
  const proc: LineProcess = spawnLines(PYTHON, [SCRIPT, bootstrap, topic, String(partitions), String(o.rate ?? 300), tag, ...extra], {
    PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1',
  });
  let parsed = 0;
  const acks: Ack[] = [];
  const failures: Failure[] = [];
  let fatal: string | undefined;
  const drain = () => {
    for (; parsed < proc.lines.length; parsed++) {
      const m = JSON.parse(proc.lines[parsed]!) as Partial<Ack & Failure & { fatal: string }>;
      if (m.fatal !== undefined) fatal ??= m.fatal;
      else if (m.err !== undefined) failures.push(m as Failure);
      else acks.push(m as Ack);
    }
  };
  let stopped: Promise<string> | undefined;
  return {
    tag,
    acks: () => { drain(); return acks; },
    failures: () => { drain(); return failures; },
    fatal: () => { drain(); return fatal; },
    moreAcks: async (n, { partition, timeoutMs = 60_000 } = {}) => {
      const count = () => {
        drain();
        return partition === undefined ? acks.length : acks.filter((a) => a.p === partition).length;
      };
      const want = count() + n;
      const what = `${n} more acknowledgements${partition === undefined ? '' : ` from partition ${partition}`}`;
      await eventually(what, async () => {
        const have = count();
        if (fatal) throw new Error(`producer fatal error: ${fatal}`);
        if (have < want) throw new Error(`${have} of ${want}; last failures: ${JSON.stringify(failures.slice(-3))}; producer stderr: ${proc.stderr().slice(-500)}`);
        return true;
      }, timeoutMs, 50);
    },
    stop: () => {
      stopped ??= (async () => {
        proc.write('stop\n');
        const code = await proc.wait(200_000);
        drain();
        assert.equal(code, 0, `acked_producer.py exited ${code}: ${proc.stderr().slice(-2000)}`);
        return proc.stderr().trim().split('\n').at(-1) ?? '';
      })();
      return stopped;
    },
    kill: () => proc.kill(),
  };
}

/** Longest time between two consecutive acknowledgements (by the producer's clock), and when it began. */
export function longestAckGap(acks: Ack[]): { ms: number; after: number } {
  const ts = acks.map((a) => a.t).sort((a, b) => a - b);
  let best = { ms: 0, after: ts[0] ?? 0 };
  for (let i = 1; i < ts.length; i++) if (ts[i]! - ts[i - 1]! > best.ms) best = { ms: ts[i]! - ts[i - 1]!, after: ts[i - 1]! };
  return best;
}

/** A partition's records [0, hw) read through Fetch from its leader: offset → value. */
export async function readPartition(cluster: TestCluster, topic: string, partition: number, hw: bigint): Promise<{ offset: bigint; value: string }[]> {
  const leader = (await cluster.partitions(topic)).find((p) => p.partition === partition)!.leader;
  const conn = await within(BrokerConnection.open(cluster.broker(leader).bootstrap, 'replication-verify'), 10_000, `connect to broker ${leader}`);
  try {
    const out: { offset: bigint; value: string }[] = [];
    let next = 0n;
    while (next < hw) {
      const [r] = await within(fetchOnce(conn, topic, new Map([[partition, next]]), { maxWaitMs: 100 }), 10_000, `fetch ${topic}-${partition} at ${next}`);
      for (const rec of r!.records) if (rec.offset < hw) out.push({ offset: rec.offset, value: rec.value?.toString('utf8') ?? '' });
      if (r!.nextOffset <= next) throw new Error(`fetch of ${topic}-${partition} at ${next} from broker ${leader} made no progress (high watermark ${r!.highWatermark}, want ${hw})`);
      next = r!.nextOffset;
    }
    return out;
  } finally {
    conn.close();
  }
}

export interface Verified {
  acked: number;
  failed: number;
  /** Records of the run stored though their acknowledgement never came (a failed or lost ack: allowed). */
  storedUnacked: number;
  highWatermarks: Map<number, bigint>;
}

/**
 * After the producer stopped and every replica is back in sync: every acknowledged
 * record is stored exactly once, at its acknowledged offset, in order per partition,
 * and the committed range is byte-identical on every replica.
 */
export async function verifyAcknowledged(cluster: TestCluster, topic: string, partitions: number, producer: AckedProducer): Promise<Verified> {
  const hws = await cluster.assertReplicasIdentical(topic);
  const acks = producer.acks();
  const byPartition = new Map<number, Ack[]>();
  for (const a of acks) byPartition.set(a.p, [...(byPartition.get(a.p) ?? []), a]);
  let storedUnacked = 0;
  for (let p = 0; p < partitions; p++) {
    const hw = hws.get(p)!;
    const stored = await readPartition(cluster, topic, p, hw);
    const seqAt = new Map<bigint, number>();
    let prev = -1;
    for (const r of stored) {
      const [tag, part, seq] = r.value.split('|');
      assert.equal(tag, producer.tag, `${topic}-${p} offset ${r.offset}: a record not written by this run: ${r.value.slice(0, 60)}`);
      assert.equal(Number(part), p, `${topic}-${p} offset ${r.offset}: a record meant for partition ${part}`);
      const s = Number(seq);
      assert.ok(s > prev, `${topic}-${p} offset ${r.offset}: seq ${s} after seq ${prev}: ${s === prev ? 'stored twice' : 'out of order'}`);
      prev = s;
      seqAt.set(r.offset, s);
    }
    const partAcks = byPartition.get(p) ?? [];
    for (const a of partAcks) {
      assert.ok(BigInt(a.o) < hw, `${topic}-${p}: seq ${a.s} acknowledged at offset ${a.o}, beyond the high watermark ${hw}`);
      assert.equal(seqAt.get(BigInt(a.o)), a.s, `${topic}-${p}: seq ${a.s} acknowledged at offset ${a.o}, stored there: ${seqAt.get(BigInt(a.o)) ?? 'nothing'}`);
    }
    storedUnacked += stored.length - partAcks.length;
  }
  return { acked: acks.length, failed: producer.failures().length, storedUnacked, highWatermarks: hws };
}
