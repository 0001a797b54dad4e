// make bench-groups: consumer-group figures against a broker started for the run.
//
//   1. failover: a member of a 3-member group on 6 partitions is killed (SIGKILL, no
//      LeaveGroup) or leaves (LeaveGroup) while a producer keeps writing to every
//      partition; measured from the kill/leave to the first record of one of its
//      partitions consumed by a survivor. kafkajs and librdkafka (python) members
//      (test/support/group-members, group_member.py), session.timeout.ms as printed.
//   2. rebalance: a 10-member group (the CLI's own GroupMember, range assignor,
//      heartbeat 100 ms) gets an 11th member, then loses it again; measured from the
//      JoinGroup/LeaveGroup to every member synced on the new generation. Also 10
//      kafkajs member processes: one leaves, until DescribeGroups shows Stable with 9.
//   3. commits: 100 groups, one member each, each committing 6 partitions back to back
//      (one OffsetCommit in flight per group) for BENCH_COMMIT_SECONDS; commits/s.
//
// A benchmark, not a test: figures are printed, nothing is asserted.
// Env: BENCH_COMMIT_SECONDS (default 5), BENCH_REPEAT (rebalance rounds, default 5),
//      BENCH_ONLY=failover|rebalance|commits (one section).
import { startBroker, type Broker } from '../../test/support/broker.ts';
import { GroupProbe, startMember, TopicLedger, type Family, type Member } from '../../test/support/groups.ts';
import { waitFor } from '../../test/support/clients.ts';
import { BrokerConnection } from '../../broker-image/src/client/connection.ts';
import { GroupMember } from '../../broker-image/src/client/group-member.ts';
import { produceBatch } from '../../broker-image/src/client/topic-client.ts';

const COMMIT_SECONDS = Number(process.env.BENCH_COMMIT_SECONDS ?? 5);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const ONLY = process.env.BENCH_ONLY;
const run = (section: string) => ONLY === undefined || ONLY === section;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => process.stderr.write(`[bench-groups] ${s}\n`);
const rows: [string, string, string][] = [];
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

let seq = 0;
async function createTopic(conn: BrokerConnection, partitions: number): Promise<string> {
  const topic = `bench-${process.pid}-${seq++}`;
  await new TopicLedger(topic, partitions).createTopic(conn);
  return topic;
}

/** Writes one record to every partition every `everyMs` until stopped. */
function producerLoop(conn: BrokerConnection, topic: string, partitions: number, everyMs: number): { stop(): Promise<void> } {
  let running = true;
  const done = (async () => {
    while (running) {
      await Promise.all([...Array(partitions).keys()].map((p) => produceBatch(conn, topic, p, [{ key: null, value: `${Date.now()}` }], { acks: 1, compression: 0 })));
      await sleep(everyMs);
    }
  })();
  return { stop: async () => { running = false; await done; } };
}

async function failover(broker: Broker, family: Family, how: 'kill' | 'leave', sessionTimeoutMs: number): Promise<number> {
  const conn = await BrokerConnection.open(broker.bootstrap, 'bench');
  const probe = await GroupProbe.open(broker.bootstrap);
  const topic = await createTopic(conn, 6);
  const group = `bench-failover-${seq++}`;
  const members: Member[] = ['a', 'b', 'c'].map((id) => startMember(family, broker.bootstrap, group, topic, `${family}-${id}`, { sessionTimeoutMs }));
  const producer = producerLoop(conn, topic, 6, 10);
  try {
    const owners = await probe.waitStable(group, topic, members.map((m) => m.clientId), 6, 120_000);
    await sleep(1000);
    const victim = members[2]!;
    const lost = new Set(owners.get(victim.clientId)!);
    const survivors = members.slice(0, 2);
    const seen = survivors.map((m) => m.records().length);
    const t0 = performance.now();
    if (how === 'kill') await victim.kill();
    else await victim.stop();
    const t1 = await waitFor('a survivor consuming a lost partition', async () => {
      for (const [i, m] of survivors.entries()) {
        if (m.records().slice(seen[i]).some((r) => lost.has(r.p))) return performance.now();
      }
      return null;
    }, 120_000, 5);
    return t1 - t0;
  } finally {
    await producer.stop();
    for (const m of members) m.proc.kill();
    await Promise.all(members.map((m) => m.proc.wait(10_000)));
    probe.close();
    conn.close();
  }
}

/** Keeps a GroupMember joined: rejoins whenever its heartbeat says so. */
function keepJoined(m: GroupMember): { stop(): Promise<void> } {
  let running = true;
  const done = (async () => {
    while (running) {
      if (m.needsRejoin) await m.join();
      else await sleep(5);
    }
  })();
  return { stop: async () => { running = false; await done.catch(() => {}); } };
}

async function rebalanceOwnClient(broker: Broker): Promise<{ join: number[]; leave: number[] }> {
  const conn = await BrokerConnection.open(broker.bootstrap, 'bench');
  const topic = await createTopic(conn, 30);
  const groupId = `bench-rebalance-${seq++}`;
  const opts = { groupId, topics: [topic], sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, heartbeatIntervalMs: 100 };
  const members: GroupMember[] = [];
  const loops: { stop(): Promise<void> }[] = [];
  const joinTimes: number[] = [];
  const leaveTimes: number[] = [];
  const settled = (ms: GroupMember[], generation: number) => ms.every((m) => !m.needsRejoin && m.generationId >= generation);
  try {
    for (let i = 0; i < 10; i++) members.push(await GroupMember.connect(broker.bootstrap, opts));
    await Promise.all(members.map((m) => m.join().catch(() => {})));
    for (const m of members) loops.push(keepJoined(m));
    await waitFor('10 members settled', async () => settled(members, Math.max(...members.map((m) => m.generationId))) && new Set(members.map((m) => m.generationId)).size === 1, 60_000, 10);
    for (let r = 0; r < REPEAT; r++) {
      const extra = await GroupMember.connect(broker.bootstrap, opts);
      let t0 = performance.now();
      await extra.join();
      const generation = extra.generationId;
      await waitFor('all 11 on the new generation', async () => settled(members, generation), 60_000, 1);
      joinTimes.push(performance.now() - t0);
      const before = members[0]!.generationId;
      t0 = performance.now();
      await extra.leave();
      await waitFor('the 10 on the next generation', async () => settled(members, before + 1), 60_000, 1);
      leaveTimes.push(performance.now() - t0);
    }
  } finally {
    await Promise.all(loops.map((l) => l.stop()));
    for (const m of members) m.close();
    conn.close();
  }
  return { join: joinTimes, leave: leaveTimes };
}

async function rebalanceKafkajs(broker: Broker): Promise<number[]> {
  const conn = await BrokerConnection.open(broker.bootstrap, 'bench');
  const probe = await GroupProbe.open(broker.bootstrap);
  const topic = await createTopic(conn, 30);
  const group = `bench-kjs-rebalance-${seq++}`;
  const members: Member[] = [];
  const times: number[] = [];
  try {
    for (let i = 0; i < 10; i++) members.push(startMember('kafkajs', broker.bootstrap, group, topic, `kjs-${i}`, { sessionTimeoutMs: 10_000 }));
    await probe.waitStable(group, topic, members.map((m) => m.clientId), 30, 120_000);
    for (let r = 0; r < Math.min(REPEAT, 3); r++) {
      const leaving = members.pop()!;
      const t0 = performance.now();
      await leaving.stop();
      await probe.waitStable(group, topic, members.map((m) => m.clientId), 30, 60_000);
      times.push(performance.now() - t0);
    }
  } finally {
    for (const m of members) m.proc.kill();
    await Promise.all(members.map((m) => m.proc.wait(10_000)));
    probe.close();
    conn.close();
  }
  return times;
}

async function commitThroughput(broker: Broker): Promise<{ commits: number; seconds: number }> {
  const conn = await BrokerConnection.open(broker.bootstrap, 'bench');
  const topic = await createTopic(conn, 6);
  const members: GroupMember[] = [];
  try {
    for (let g = 0; g < 100; g++) {
      const m = await GroupMember.connect(broker.bootstrap, { groupId: `bench-commit-${seq}-${g}`, topics: [topic], sessionTimeoutMs: 30_000, heartbeatIntervalMs: 1000 });
      members.push(m);
    }
    seq++;
    await Promise.all(members.map((m) => m.join()));
    let commits = 0;
    let running = true;
    const t0 = performance.now();
    const loops = members.map(async (m) => {
      let offset = 0n;
      while (running) {
        offset++;
        const ok = await m.commit([...Array(6).keys()].map((partition) => ({ topic, partition, offset })));
        if (!ok) await m.join();
        else commits++;
      }
    });
    await sleep(COMMIT_SECONDS * 1000);
    running = false;
    await Promise.all(loops);
    return { commits, seconds: (performance.now() - t0) / 1000 };
  } finally {
    for (const m of members) await m.leave().catch(() => m.close());
    conn.close();
  }
}

const broker = await startBroker({
  overrides: { 'group.initial.rebalance.delay.ms': '100', 'group.min.session.timeout.ms': '1000', 'offsets.topic.num.partitions': '10', 'auto.create.topics.enable': 'false' },
});
try {
  for (const family of run('failover') ? ['kafkajs', 'python'] as const : []) {
    for (const sessionTimeoutMs of [3000, 6000]) {
      log(`failover ${family} kill, session ${sessionTimeoutMs} ms`);
      const ms = await failover(broker, family, 'kill', sessionTimeoutMs);
      rows.push([`member killed → its partitions consumed again (${family === 'python' ? 'librdkafka' : family})`, `session.timeout.ms=${sessionTimeoutMs}`, `${ms.toFixed(0)} ms`]);
    }
    log(`failover ${family} leave`);
    const ms = await failover(broker, family, 'leave', 6000);
    rows.push([`member leaves → its partitions consumed again (${family === 'python' ? 'librdkafka' : family})`, 'LeaveGroup', `${ms.toFixed(0)} ms`]);
  }
  if (run('rebalance')) {
    log('rebalance, own client');
    const own = await rebalanceOwnClient(broker);
    rows.push(['10-member group + 1 joins → all 11 synced (own client)', `median of ${own.join.length}`, `${median(own.join).toFixed(0)} ms (min ${Math.min(...own.join).toFixed(0)}, max ${Math.max(...own.join).toFixed(0)})`]);
    rows.push(['11th leaves → the 10 synced again (own client)', `median of ${own.leave.length}`, `${median(own.leave).toFixed(0)} ms (min ${Math.min(...own.leave).toFixed(0)}, max ${Math.max(...own.leave).toFixed(0)})`]);
    log('rebalance, kafkajs');
    const kjs = await rebalanceKafkajs(broker);
    rows.push(['10 kafkajs members, one leaves → Stable with 9 (DescribeGroups)', `median of ${kjs.length}`, `${median(kjs).toFixed(0)} ms (min ${Math.min(...kjs).toFixed(0)}, max ${Math.max(...kjs).toFixed(0)})`]);
  }
  if (run('commits')) {
    log(`commit throughput, 100 groups, ${COMMIT_SECONDS} s`);
    const c = await commitThroughput(broker);
    rows.push(['OffsetCommit, 100 groups × 6 partitions, 1 in flight per group', `${c.seconds.toFixed(1)} s`, `${(c.commits / c.seconds).toFixed(0)} commits/s (${((c.commits * 6) / c.seconds).toFixed(0)} offsets/s)`]);
  }
} finally {
  await broker.cleanup();
}

const widths = [0, 1, 2].map((i) => Math.max(...[['metric', 'setting', 'result'], ...rows].map((r) => r[i]!.length)));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(line(['metric', 'setting', 'result']));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
