// The group side of the CLI against a real broker: `console-consumer --group`
// (two at once split a topic, a rerun resumes at the commits), `consumer-groups
// --reset-offsets --to-datetime / --shift-by`, and `consumer-groups --describe`
// lag against kafkajs' admin API (fetchOffsets + fetchTopicOffsets) and the backlog
// the test itself produced.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startBroker, BROKER_CLI, REPO_ROOT, type Broker } from '../support/broker.ts';
import { cliOk, kafkajs, uniqueTopic, waitFor, type RunResult } from '../support/clients.ts';
import { GROUP_BROKER_OVERRIDES, GroupProbe, TopicLedger } from '../support/groups.ts';
import { BrokerConnection } from '../../broker-image/src/client/connection.ts';
import { produceBatch } from '../../broker-image/src/client/topic-client.ts';

let broker: Broker;
let probe: GroupProbe;
let producer: BrokerConnection;

before(async () => {
  broker = await startBroker({ overrides: GROUP_BROKER_OVERRIDES });
  probe = await GroupProbe.open(broker.bootstrap);
  producer = await BrokerConnection.open(broker.bootstrap, 'cli-test-producer');
});
after(async () => {
  probe?.close();
  producer?.close();
  await broker?.cleanup();
});

/** console-consumer --group as a background process; resolves when it exits by itself. */
function groupConsumer(group: string, topic: string, extra: string[]): { pid: number; done: Promise<RunResult> } {
  const child = spawn(process.execPath, [BROKER_CLI, 'console-consumer', '--bootstrap-server', broker.bootstrap, '--topic', topic, '--group', group,
    '--property', 'print.partition=true', '--property', 'print.offset=true', '--property', 'session.timeout.ms=3000', ...extra], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const done = new Promise<RunResult>((res) => child.once('close', (code, signal) => {
    clearTimeout(killer);
    res({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
  }));
  return { pid: child.pid ?? -1, done };
}

/** "Partition:P\tOffset:O\tvalue" lines → {p, o, v}. */
function parseConsole(stdout: string): { p: number; o: number; v: string }[] {
  return stdout.split('\n').filter(Boolean).map((l) => {
    const [p, o, v] = l.split('\t');
    return { p: Number(p!.replace('Partition:', '')), o: Number(o!.replace('Offset:', '')), v: v! };
  });
}

function checkAgainst(ledger: TopicLedger, got: { p: number; o: number; v: string }[], from: number[]): void {
  const seen = new Set<string>();
  for (const r of got) {
    const key = `${r.p}/${r.o}`;
    assert.ok(!seen.has(key), `${key} read twice`);
    seen.add(key);
    assert.equal(r.v, ledger.values[r.p]![r.o], key);
    assert.ok(r.o >= from[r.p]!, `${key} is before the start ${from[r.p]}`);
  }
  const expected = ledger.values.reduce((n, v, p) => n + v.length - from[p]!, 0);
  assert.equal(seen.size, expected, `read ${seen.size} records, expected ${expected}`);
}

test('console-consumer --group: two consumers split the topic, commit as they go, a rerun resumes at the commits', async () => {
  const ledger = new TopicLedger(uniqueTopic('cli-grp'), 4);
  const group = uniqueTopic('cli-g');
  await ledger.createTopic(producer);
  const a = groupConsumer(group, ledger.topic, ['--from-beginning', '--timeout-ms', '6000']);
  const b = groupConsumer(group, ledger.topic, ['--from-beginning', '--timeout-ms', '6000']);
  await waitFor('two console consumers in the group', async () => {
    const { state, members } = await probe.describe(group, ledger.topic);
    return state === 'Stable' && members.length === 2 && members.every((p) => p.length === 2);
  }, 60_000, 100);
  await ledger.produce(producer, 'x', 60);
  const [ra, rb] = await Promise.all([a.done, b.done]);
  assert.equal(ra.code, 0, ra.stderr);
  assert.equal(rb.code, 0, rb.stderr);
  const gotA = parseConsole(ra.stdout);
  const gotB = parseConsole(rb.stdout);
  assert.ok(gotA.length > 0 && gotB.length > 0, `both consumers read: ${gotA.length} + ${gotB.length}`);
  const partsA = new Set(gotA.map((r) => r.p));
  for (const r of gotB) assert.ok(!partsA.has(r.p), `partition ${r.p} read by both`);
  checkAgainst(ledger, [...gotA, ...gotB], [0, 0, 0, 0]);
  assert.deepEqual(await probe.committed(group, ledger.topic, 4), [60, 60, 60, 60]);
  assert.equal((await probe.describe(group, ledger.topic)).state, 'Empty', 'both left the group');

  // A rerun reads only what came after the commits; --max-messages commits exactly what it printed.
  await ledger.produce(producer, 'y', 5);
  const c = await groupConsumer(group, ledger.topic, ['--max-messages', '12']).done;
  assert.equal(c.code, 0, c.stderr);
  const gotC = parseConsole(c.stdout);
  assert.equal(gotC.length, 12);
  const committed = await probe.committed(group, ledger.topic, 4);
  const perPartition = [0, 0, 0, 0];
  for (const r of gotC) {
    assert.ok(ledger.values[r.p]![r.o]!.startsWith('y|'), `rerun re-read ${r.p}/${r.o}`);
    perPartition[r.p]!++;
  }
  assert.deepEqual(committed, perPartition.map((n) => 60 + n), 'commits follow the printed records');
  const d = await groupConsumer(group, ledger.topic, ['--timeout-ms', '2000']).done;
  checkAgainst(ledger, [...gotA, ...gotB, ...gotC, ...parseConsole(d.stdout)], [0, 0, 0, 0]);
});

test('consumer-groups --reset-offsets --to-datetime and --shift-by, then the group resumes there', async () => {
  const ledger = new TopicLedger(uniqueTopic('cli-reset'), 3);
  const group = uniqueTopic('cli-reset-g');
  await ledger.createTopic(producer);
  await ledger.produce(producer, 'old', 20);
  await new Promise((r) => setTimeout(r, 50));
  const between = new Date();
  await new Promise((r) => setTimeout(r, 50));
  await ledger.produce(producer, 'new', 10);
  const reset = (...args: string[]) => cliOk(['consumer-groups', '--bootstrap-server', broker.bootstrap, '--reset-offsets', '--group', group, '--topic', ledger.topic, ...args]);

  await reset('--to-latest', '--execute');
  assert.deepEqual(await probe.committed(group, ledger.topic, 3), [30, 30, 30]);

  const dry = await reset('--to-datetime', between.toISOString());
  assert.match(dry.stdout, /NEW-OFFSET/);
  assert.deepEqual(await probe.committed(group, ledger.topic, 3), [30, 30, 30], 'a dry run changes nothing');

  await reset('--to-datetime', between.toISOString(), '--execute');
  assert.deepEqual(await probe.committed(group, ledger.topic, 3), [20, 20, 20], 'the first record at or after the datetime');
  await reset('--to-datetime', new Date(between.getTime() - 3_600_000).toISOString(), '--execute');
  assert.deepEqual(await probe.committed(group, ledger.topic, 3), [0, 0, 0], 'before everything: the earliest offset');

  await reset('--shift-by', '7', '--execute');
  assert.deepEqual(await probe.committed(group, ledger.topic, 3), [7, 7, 7]);
  await reset('--shift-by', '-3', '--execute');
  assert.deepEqual(await probe.committed(group, ledger.topic, 3), [4, 4, 4]);
  await reset('--shift-by', '-100', '--execute');
  assert.deepEqual(await probe.committed(group, ledger.topic, 3), [0, 0, 0], 'clamped to the earliest offset');
  await reset('--shift-by', '1000', '--execute');
  assert.deepEqual(await probe.committed(group, ledger.topic, 3), [30, 30, 30], 'clamped to the log end');

  await reset('--to-datetime', between.toISOString(), '--execute');
  const r = await groupConsumer(group, ledger.topic, ['--timeout-ms', '2000']).done;
  assert.equal(r.code, 0, r.stderr);
  const got = parseConsole(r.stdout);
  for (const x of got) assert.ok(x.v.startsWith('new|'), `read ${x.v}`);
  checkAgainst(ledger, got, [20, 20, 20]);
});

interface DescribeRow { partition: number; current: string; end: number; lag: string; consumerId: string; clientId: string }

async function describeRows(group: string, topic: string): Promise<{ stdout: string; rows: DescribeRow[] }> {
  const r = await cliOk(['consumer-groups', '--bootstrap-server', broker.bootstrap, '--describe', '--group', group]);
  const rows = r.stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter((c) => c[0] === group && c[1] === topic)
    .map((c) => ({ partition: Number(c[2]), current: c[3]!, end: Number(c[4]), lag: c[5]!, consumerId: c[6]!, clientId: c[8] ?? '-' }))
    .sort((a, b) => a.partition - b.partition);
  return { stdout: r.stdout, rows };
}

test('consumer-groups --describe: lag matches kafkajs admin fetchOffsets + fetchTopicOffsets and the real backlog', async () => {
  const PARTITIONS = 6;
  const ledger = new TopicLedger(uniqueTopic('cli-lag'), PARTITIONS);
  const group = uniqueTopic('cli-lag-g');
  await ledger.createTopic(producer);
  await ledger.produce(producer, 'r1', 40);
  const k = await kafkajs();
  const kafka = new k.Kafka({ clientId: 'lag-kafkajs', brokers: [broker.bootstrap], logLevel: k.logLevel.ERROR });
  const admin = kafka.admin();
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  await admin.connect();
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: ledger.topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: async ({ partition, message }) => {
      await consumer.commitOffsets([{ topic: ledger.topic, partition, offset: String(Number(message.offset) + 1) }]);
    } });
    await waitFor('round 1 consumed and committed', async () => (await probe.committed(group, ledger.topic, PARTITIONS)).every((c) => c === 40), 60_000, 100);
    consumer.pause([{ topic: ledger.topic }]);
    await new Promise((r) => setTimeout(r, 1000)); // let a fetch already in flight land before the backlog is made
    assert.deepEqual(await probe.committed(group, ledger.topic, PARTITIONS), Array(PARTITIONS).fill(40));

    // An uneven backlog: partition p gets 5·(p+1) more records nobody reads.
    const backlog = [...Array(PARTITIONS).keys()].map((p) => 5 * (p + 1));
    for (let p = 0; p < PARTITIONS; p++) {
      const batch = Array.from({ length: backlog[p]! }, (_, i) => ({ key: `k${p}`, value: `r2|${p}|${i}` }));
      const base = await produceBatch(producer, ledger.topic, p, batch, { acks: -1, compression: 0 });
      assert.equal(Number(base), ledger.values[p]!.length);
      ledger.values[p]!.push(...batch.map((b) => b.value));
    }

    const [fetched] = await admin.fetchOffsets({ groupId: group, topics: [ledger.topic] });
    const topicOffsets = await admin.fetchTopicOffsets(ledger.topic);
    const described = (await admin.describeGroups([group])).groups[0]!;
    assert.equal(described.state, 'Stable');
    const memberId = described.members[0]!.memberId;
    const { stdout, rows } = await describeRows(group, ledger.topic);
    assert.equal(rows.length, PARTITIONS, stdout);
    for (const row of rows) {
      const p = row.partition;
      const committed = Number(fetched!.partitions.find((x) => x.partition === p)!.offset);
      const high = Number(topicOffsets.find((x) => x.partition === p)!.high);
      assert.equal(Number(row.current), committed, `partition ${p} CURRENT-OFFSET vs kafkajs fetchOffsets\n${stdout}`);
      assert.equal(row.end, high, `partition ${p} LOG-END-OFFSET vs kafkajs fetchTopicOffsets\n${stdout}`);
      assert.equal(Number(row.lag), high - committed, `partition ${p} LAG vs kafkajs\n${stdout}`);
      assert.equal(Number(row.lag), backlog[p], `partition ${p} LAG vs the records produced after the last commit\n${stdout}`);
      assert.equal(row.end, ledger.values[p]!.length);
      assert.equal(row.consumerId, memberId, `partition ${p} owner\n${stdout}`);
      assert.equal(row.clientId, 'lag-kafkajs');
    }

    // Resumed, the consumer drains the backlog; the CLI shows lag 0 everywhere.
    consumer.resume([{ topic: ledger.topic }]);
    await waitFor('lag 0 in the CLI', async () => (await describeRows(group, ledger.topic)).rows.every((r) => r.lag === '0'), 60_000, 200);
    await consumer.disconnect();
    const idle = await describeRows(group, ledger.topic);
    assert.match(idle.stdout, /has no active members/);
    for (const row of idle.rows) {
      assert.equal(Number(row.current), ledger.values[row.partition]!.length);
      assert.equal(row.consumerId, '-');
    }
  } finally {
    await consumer.disconnect().catch(() => {});
    await admin.disconnect();
  }
});
