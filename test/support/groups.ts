// Consumer-group scenarios shared by test/clients/groups-*.test.ts: members of one
// client family run as separate processes (test/support/group-members/, python's
// group_member.py) so that a test can stop one gracefully (LeaveGroup) or kill it by
// pid (no LeaveGroup). The group's state is read independently of the clients, over
// the broker's own protocol client (DescribeGroups, OffsetFetch, ListOffsets).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BrokerConnection } from '../../broker-image/src/client/connection.ts';
import { listOffset, produceBatch } from '../../broker-image/src/client/topic-client.ts';
import { assignedPartitions } from '../../broker-image/src/coordinator/groups/consumer-protocol.ts';
import { REPO_ROOT, type Broker } from './broker.ts';
import { PYTHON, PY_DIR, spawnLines, waitFor, type LineProcess } from './clients.ts';

export type Family = 'kafkajs' | 'python' | 'platformatic';

/** Session timeout the members ask for; the broker must allow it (group.min.session.timeout.ms). */
export const MEMBER_SESSION_TIMEOUT_MS = 3000;

/**
 * Broker overrides for fast group tests (short sessions allowed). The initial
 * rebalance delay (applied whenever an Empty group starts rebalancing) is long enough
 * for member processes started together to join in one rebalance: otherwise the first
 * one starts reading alone and, at the next rebalance, @platformatic/kafka delivers
 * records of a fetch sent under the old assignment (client-side at-least-once).
 */
export const GROUP_BROKER_OVERRIDES = {
  'group.initial.rebalance.delay.ms': '2000',
  'group.min.session.timeout.ms': '1000',
  'auto.create.topics.enable': 'false',
  'offsets.topic.num.partitions': '3',
};

export interface Delivered {
  m: string;
  p: number;
  o: number;
  v: string | null;
}

export interface Member {
  clientId: string;
  group: string;
  proc: LineProcess;
  /** Records printed so far (parsed lazily from proc.lines). */
  records(): Delivered[];
  /** Assignments the client reported, in order (python members; empty for the others). */
  assignments(): number[][];
  /** "stop" on stdin: the client closes (commit + LeaveGroup); resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL by pid: no LeaveGroup. */
  kill(): Promise<void>;
}

export interface MemberOptions {
  sessionTimeoutMs?: number;
  /** The client's assignment strategy where the member script takes one (python: partition.assignment.strategy). */
  assignor?: string;
  /** Static membership (group.instance.id; python members). */
  instanceId?: string;
}

export function startMember(family: Family, bootstrap: string, group: string, topic: string, clientId: string, o: MemberOptions = {}): Member {
  const args = [bootstrap, group, topic, clientId, String(o.sessionTimeoutMs ?? MEMBER_SESSION_TIMEOUT_MS), ...(o.assignor ? [o.assignor] : [])];
  const env: Record<string, string> = o.instanceId ? { GROUP_INSTANCE_ID: o.instanceId } : {};
  const proc = family === 'python'
    ? spawnLines(PYTHON, [join(PY_DIR, 'group_member.py'), ...args], { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...env })
    : spawnLines(process.execPath, [join(REPO_ROOT, 'test', 'support', 'group-members', `${family}-member.ts`), ...args], env);
  let parsed = 0;
  const recs: Delivered[] = [];
  const assigned: number[][] = [];
  let done: Promise<number | null> | null = null;
  const ret: Member = {
    clientId,
    group,
    proc,
    records: () => {
      for (; parsed < proc.lines.length; parsed++) {
        const line = JSON.parse(proc.lines[parsed]!) as Delivered | { m: string; assigned: number[] };
        if ('assigned' in line) assigned.push(line.assigned);
        else recs.push(line);
      }
      return recs;
    },
    assignments: () => {
      void ret.records();
      return assigned;
    },
    stop: () => {
      if (!done) {
        proc.write('stop\n');
        done = proc.wait(30_000);
      }
      return done;
    },
    kill: async () => {
      proc.kill();
      done ??= proc.wait(10_000);
      await done;
    },
  };
  return ret;
}

/** Reads group state and offsets over the broker's own client. */
export class GroupProbe {
  readonly conn: BrokerConnection;
  private constructor(conn: BrokerConnection) {
    this.conn = conn;
  }
  static async open(bootstrap: string): Promise<GroupProbe> {
    return new GroupProbe(await BrokerConnection.open(bootstrap, 'group-probe'));
  }
  close(): void {
    this.conn.close();
  }

  /** State, per member the partitions of `topic` it owns, and the same merged per client id. */
  async describe(group: string, topic: string): Promise<{ state: string; protocol: string; owners: Map<string, number[]>; members: number[][]; memberIds: Map<string, string> }> {
    const d = (await this.conn.request(15, 5, { groups: [group], includeAuthorizedOperations: false })).groups[0];
    assert.equal(d.errorCode, 0, `DescribeGroups ${group}: error ${d.errorCode}`);
    const owners = new Map<string, number[]>();
    const members: number[][] = [];
    const memberIds = new Map<string, string>();
    for (const m of d.members) {
      memberIds.set(m.clientId, m.memberId);
      const parts = (assignedPartitions(m.memberAssignment) ?? []).filter((a) => a.topic === topic).flatMap((a) => a.partitions);
      owners.set(m.clientId, [...(owners.get(m.clientId) ?? []), ...parts].sort((a, b) => a - b));
      members.push(parts);
    }
    return { state: d.groupState, protocol: d.protocolData, owners, members, memberIds };
  }

  /** Waits until the group is Stable with exactly these client ids, owning all partitions once between them. */
  async waitStable(group: string, topic: string, clientIds: string[], partitions: number, timeoutMs = 60_000): Promise<Map<string, number[]>> {
    return waitFor(`group ${group} Stable with members ${clientIds.join(',')}`, async () => {
      const { state, owners } = await this.describe(group, topic);
      if (state !== 'Stable') return null;
      if ([...owners.keys()].sort().join(',') !== [...clientIds].sort().join(',')) return null;
      const all = [...owners.values()].flat().sort((a, b) => a - b);
      if (all.join(',') !== [...Array(partitions).keys()].join(',')) return null;
      return owners;
    }, timeoutMs, 100);
  }

  /** Committed offset per partition (-1 when none). */
  async committed(group: string, topic: string, partitions: number): Promise<number[]> {
    const res = await this.conn.request(9, 7, { groupId: group, topics: [{ name: topic, partitionIndexes: [...Array(partitions).keys()] }], requireStable: false });
    assert.equal(res.errorCode, 0, `OffsetFetch ${group}: error ${res.errorCode}`);
    const out = new Array<number>(partitions).fill(-1);
    for (const p of res.topics[0].partitions) out[p.partitionIndex] = Number(p.committedOffset);
    return out;
  }

  async endOffsets(topic: string, partitions: number): Promise<number[]> {
    const out: number[] = [];
    for (let p = 0; p < partitions; p++) out.push(Number(await listOffset(this.conn, topic, p, -1n)));
    return out;
  }
}

/** What was produced to a topic: per partition, the value at each offset. */
export class TopicLedger {
  readonly topic: string;
  readonly partitions: number;
  readonly values: string[][];
  private seq = 0;
  constructor(topic: string, partitions: number) {
    this.topic = topic;
    this.partitions = partitions;
    this.values = [...Array(partitions)].map(() => []);
  }

  async createTopic(conn: BrokerConnection): Promise<void> {
    const r = await conn.request(19, 5, { topics: [{ name: this.topic, numPartitions: this.partitions, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    assert.equal(r.topics[0].errorCode, 0, `create ${this.topic}: error ${r.topics[0].errorCode}`);
  }

  /** `perPartition` records to every partition, in batches of 50; offsets are checked against the ledger. */
  async produce(conn: BrokerConnection, tag: string, perPartition: number): Promise<void> {
    for (let p = 0; p < this.partitions; p++) {
      for (let i = 0; i < perPartition; i += 50) {
        const batch: { key: string; value: string }[] = [];
        for (let j = i; j < Math.min(perPartition, i + 50); j++) batch.push({ key: `k${p}`, value: `${tag}|${this.seq++}|p${p}` });
        const base = await produceBatch(conn, this.topic, p, batch, { acks: -1, compression: 0 });
        assert.equal(Number(base), this.values[p]!.length, `${this.topic}-${p}: appended at ${base}, expected ${this.values[p]!.length}`);
        this.values[p]!.push(...batch.map((r) => r.value));
      }
    }
  }

  get total(): number {
    return this.values.reduce((n, v) => n + v.length, 0);
  }
}

/**
 * Every produced record delivered exactly once across the members, with the value
 * produced at that offset, and each member saw each partition's offsets in increasing order.
 */
export function verifyExactlyOnce(ledger: TopicLedger, members: Member[], label: string): void {
  try {
    checkExactlyOnce(ledger, members, label);
  } catch (e) {
    (e as Error).message += `\n${members.map((m) => `${m.clientId} stderr: ${m.proc.stderr().slice(-800)}`).join('\n')}`;
    throw e;
  }
}

function checkExactlyOnce(ledger: TopicLedger, members: Member[], label: string): void {
  const seen = new Map<string, string>();
  for (const m of members) {
    const last = new Map<number, number>();
    for (const r of m.records()) {
      const key = `${r.p}/${r.o}`;
      assert.ok(!seen.has(key), `${label}: ${key} delivered twice (to ${seen.get(key)} and ${m.clientId})`);
      seen.set(key, m.clientId);
      assert.ok(r.p >= 0 && r.p < ledger.partitions, `${label}: partition ${r.p}`);
      assert.equal(r.v, ledger.values[r.p]![r.o], `${label}: value at ${key}`);
      const prev = last.get(r.p);
      assert.ok(prev === undefined || r.o > prev, `${label}: ${m.clientId} read ${r.p}/${r.o} after ${r.p}/${prev}`);
      last.set(r.p, r.o);
    }
  }
  for (let p = 0; p < ledger.partitions; p++) {
    for (let o = 0; o < ledger.values[p]!.length; o++) assert.ok(seen.has(`${p}/${o}`), `${label}: ${p}/${o} never delivered`);
  }
  assert.equal(seen.size, ledger.total, `${label}: delivered ${seen.size} of ${ledger.total}`);
}

/** Waits until every produced record was delivered to the group and the group committed the log end everywhere. */
export async function waitCaughtUp(probe: GroupProbe, ledger: TopicLedger, members: Member[], group: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(`${group} consumed and committed all ${ledger.total} records`, async () => {
    const got = new Set<string>();
    for (const m of members) for (const r of m.records()) got.add(`${r.p}/${r.o}`);
    if (got.size < ledger.total) return null;
    const committed = await probe.committed(group, ledger.topic, ledger.partitions);
    return committed.every((c, p) => c === ledger.values[p]!.length);
  }, timeoutMs, 100);
}

/**
 * After a rebalance the broker is Stable before every client has dropped a fetch it
 * sent under the old assignment (@platformatic/kafka delivers such a fetch's records
 * for a partition it just lost: client-side at-least-once, as with Kafka). New
 * records are produced only after those long polls (maxWait 200 ms) are over.
 */
const settle = () => new Promise((r) => setTimeout(r, 1000));

/**
 * The whole Must-show scenario for one client family on a 6-partition topic:
 * three members split it; one leaves, one is killed; the group restarts; the broker
 * restarts; a second group reads everything too. `log` receives timings (not asserted).
 */
export async function groupScenario(family: Family, broker: Broker, log: (s: string) => void, assignor?: string): Promise<void> {
  const PARTITIONS = 6;
  const tag = `${family}${assignor ? `-${assignor}` : ''}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
  const topic = `grp-${tag}`;
  const g1 = `g1-${tag}`;
  const g2 = `g2-${tag}`;
  const ledger = new TopicLedger(topic, PARTITIONS);
  let probe = await GroupProbe.open(broker.bootstrap);
  let producer = await BrokerConnection.open(broker.bootstrap, 'group-test-producer');
  const all: Member[] = [];
  const start = (group: string, id: string) => {
    const m = startMember(family, broker.bootstrap, group, topic, `${family}-${id}`, { assignor });
    all.push(m);
    return m;
  };
  const g1Members = () => all.filter((m) => m.group === g1);
  const diag = (m: Member) => `${m.clientId} stderr: ${m.proc.stderr().slice(-1500)}`;
  try {
    await ledger.createTopic(producer);

    // Three members share the six partitions, two each. The records come once the
    // group is Stable: a member that read while others were still joining may see a
    // commit refused by the rebalance and read a record again (at-least-once).
    const [m1, m2, m3] = [start(g1, 'm1'), start(g1, 'm2'), start(g1, 'm3')];
    let owners = await probe.waitStable(g1, topic, [m1.clientId, m2.clientId, m3.clientId], PARTITIONS, 90_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${[m1, m2, m3].map(diag).join('\n')}`);
    });
    for (const [id, parts] of owners) assert.equal(parts.length, 2, `${id} owns ${parts}`);
    if (assignor) assert.equal((await probe.describe(g1, topic)).protocol, assignor, 'the group runs the requested assignor');
    await settle();
    await ledger.produce(producer, 'a', 100);
    await waitCaughtUp(probe, ledger, g1Members(), g1);
    verifyExactlyOnce(ledger, g1Members(), 'three members');
    for (const m of [m1, m2, m3]) {
      const parts = new Set(m.records().map((r) => r.p));
      assert.deepEqual([...parts].sort(), owners.get(m.clientId), `${m.clientId} read exactly its own partitions`);
    }

    // m3 leaves (LeaveGroup): its partitions move to m1 and m2.
    const leftParts = owners.get(m3.clientId)!;
    const before3 = owners;
    let t0 = Date.now();
    assert.equal(await m3.stop(), 0, diag(m3));
    owners = await probe.waitStable(g1, topic, [m1.clientId, m2.clientId], PARTITIONS);
    log(`${family}: leave -> rebalanced without the member in ${Date.now() - t0} ms`);
    if (assignor?.includes('sticky')) {
      for (const m of [m1, m2]) {
        const kept = before3.get(m.clientId)!;
        assert.ok(kept.every((p) => owners.get(m.clientId)!.includes(p)), `${m.clientId} kept ${kept} (now ${owners.get(m.clientId)})`);
      }
    }
    await settle();
    await ledger.produce(producer, 'b', 50);
    await waitCaughtUp(probe, ledger, g1Members(), g1);
    verifyExactlyOnce(ledger, g1Members(), 'after a leave');
    const before = m1.records().length + m2.records().length;
    assert.ok(before > 0);
    for (const p of leftParts) {
      const readers = new Set([m1, m2].flatMap((m) => m.records().filter((r) => r.p === p && ledger.values[p]![r.o]!.startsWith('b|')).map(() => m.clientId)));
      assert.equal(readers.size, 1, `partition ${p} (left by m3) taken over by one member, got ${[...readers]}`);
    }

    // m4 joins, then m2 is killed (no LeaveGroup): its partitions move after the session timeout.
    const m4 = start(g1, 'm4');
    owners = await probe.waitStable(g1, topic, [m1.clientId, m2.clientId, m4.clientId], PARTITIONS, 60_000);
    await waitCaughtUp(probe, ledger, g1Members(), g1);
    const killedParts = owners.get(m2.clientId)!;
    t0 = Date.now();
    await m2.kill();
    owners = await probe.waitStable(g1, topic, [m1.clientId, m4.clientId], PARTITIONS, 60_000);
    log(`${family}: kill -9 -> rebalanced without the member in ${Date.now() - t0} ms (session timeout ${MEMBER_SESSION_TIMEOUT_MS} ms)`);
    await settle();
    await ledger.produce(producer, 'c', 50);
    await waitCaughtUp(probe, ledger, g1Members(), g1);
    verifyExactlyOnce(ledger, g1Members(), 'after a kill');
    for (const p of killedParts) {
      const readers = [m1, m4].filter((m) => m.records().some((r) => r.p === p && ledger.values[p]![r.o]!.startsWith('c|')));
      assert.equal(readers.length, 1, `partition ${p} (of the killed m2) taken over by one member`);
    }

    // The whole group restarts: it resumes exactly at the committed offsets.
    assert.equal(await m1.stop(), 0, diag(m1));
    assert.equal(await m4.stop(), 0, diag(m4));
    assert.deepEqual(await probe.committed(g1, topic, PARTITIONS), ledger.values.map((v) => v.length), 'commits after a clean stop');
    await ledger.produce(producer, 'd', 30);
    const [m5, m6, m7] = [start(g1, 'm5'), start(g1, 'm6'), start(g1, 'm7')];
    await probe.waitStable(g1, topic, [m5.clientId, m6.clientId, m7.clientId], PARTITIONS, 60_000);
    await waitCaughtUp(probe, ledger, g1Members(), g1);
    verifyExactlyOnce(ledger, g1Members(), 'after a consumer restart');
    for (const m of [m5, m6, m7]) for (const r of m.records()) assert.ok(ledger.values[r.p]![r.o]!.startsWith('d|'), `${m.clientId} re-read ${r.p}/${r.o}`);

    // The broker restarts: committed offsets are still there and the group resumes at them.
    for (const m of [m5, m6, m7]) assert.equal(await m.stop(), 0, diag(m));
    const committedBefore = await probe.committed(g1, topic, PARTITIONS);
    probe.close();
    producer.close();
    await broker.restart();
    probe = await GroupProbe.open(broker.bootstrap);
    producer = await BrokerConnection.open(broker.bootstrap, 'group-test-producer');
    assert.deepEqual(await probe.committed(g1, topic, PARTITIONS), committedBefore, 'commits survive a broker restart');
    await ledger.produce(producer, 'e', 30);
    const [m8, m9, m10] = [start(g1, 'm8'), start(g1, 'm9'), start(g1, 'm10')];
    await probe.waitStable(g1, topic, [m8.clientId, m9.clientId, m10.clientId], PARTITIONS, 60_000);
    await waitCaughtUp(probe, ledger, g1Members(), g1);
    verifyExactlyOnce(ledger, g1Members(), 'after a broker restart');
    for (const m of [m8, m9, m10]) for (const r of m.records()) assert.ok(ledger.values[r.p]![r.o]!.startsWith('e|'), `${m.clientId} re-read ${r.p}/${r.o}`);

    // A second group on the same topic receives every record too (fan-out).
    const g2Members = [start(g2, 'n1'), start(g2, 'n2')];
    await probe.waitStable(g2, topic, g2Members.map((m) => m.clientId), PARTITIONS, 60_000);
    await waitCaughtUp(probe, ledger, g2Members, g2);
    verifyExactlyOnce(ledger, g2Members, 'second group');
    verifyExactlyOnce(ledger, g1Members(), 'first group, unaffected by the second');
    for (const m of [m8, m9, m10, ...g2Members]) assert.equal(await m.stop(), 0, diag(m));
  } finally {
    for (const m of all) m.proc.kill();
    await Promise.all(all.map((m) => m.proc.wait(10_000)));
    probe.close();
    producer.close();
  }
}
