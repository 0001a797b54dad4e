// Restarts under load: a python confluent-kafka producer (acks=all) runs a produce
// loop while the broker is stopped gracefully, and, in a second broker, killed with
// SIGKILL. Every record the producer was told is acknowledged must be in the log
// after the restart, at the offset it was acknowledged with, and the broker keeps
// serving (the loop goes on; a new client reads and writes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type Broker } from '../support/broker.ts';
import {
  pythonOk, pythonProduceLoop, jsonLines, seqOf, waitFor, uniqueTopic, kcatProduce, kcatConsume,
  type ConsumedRecord, type LineProcess,
} from '../support/clients.ts';

const PARTITIONS = 3;

interface Ack {
  p?: number;
  o?: number;
  seq: number;
  err?: string;
}

function acks(loop: LineProcess): Ack[] {
  return loop.lines.map((l) => JSON.parse(l) as Ack).filter((a) => a.err === undefined);
}

async function ackCountReaches(loop: LineProcess, n: number, what: string): Promise<void> {
  await waitFor(`${what}: ${n} acknowledged records (have ${acks(loop).length}; producer stderr: ${loop.stderr().slice(-500)})`, async () => acks(loop).length >= n, 120_000, 100);
}

/** Every acknowledged record is at its acknowledged partition/offset; no offset was handed out twice. */
function assertAllAckedPresent(acked: Ack[], got: ConsumedRecord[], tag: string): void {
  const at = new Map<string, ConsumedRecord>();
  for (const g of got) at.set(`${g.partition}/${g.offset}`, g);
  const used = new Map<string, number>();
  for (const a of acked) {
    const where = `${a.p}/${a.o}`;
    const prev = used.get(where);
    assert.equal(prev, undefined, `offset ${where} acknowledged twice (seq ${prev} and ${a.seq}): an acked record was overwritten`);
    used.set(where, a.seq);
    const g = at.get(where);
    assert.ok(g, `acknowledged record seq ${a.seq} at ${where} is missing after restart (${got.length} records read)`);
    assert.ok(g.value?.startsWith(`${tag}|`) && seqOf(g.value) === a.seq, `at ${where}: expected seq ${a.seq}, found ${g.value}`);
  }
  // offsets per partition still contiguous
  const per = new Map<number, number[]>();
  for (const g of got) (per.get(g.partition) ?? per.set(g.partition, []).get(g.partition)!).push(g.offset);
  for (const [p, offs] of per) {
    offs.sort((a, b) => a - b);
    offs.forEach((o, i) => assert.equal(o, offs[0] + i, `partition ${p}: gap at ${o}`));
  }
}

async function scenario(t: { after(fn: () => Promise<void> | void): void }, how: 'graceful' | 'kill9'): Promise<void> {
  const broker: Broker = await startBroker(); // auto-create on: the last check writes a new topic
  t.after(() => broker.cleanup());
  const topic = uniqueTopic(`restart-${how}`);
  await pythonOk('admin.py', [broker.bootstrap, 'create', topic, String(PARTITIONS)]);
  const tag = `restart-${how}`;
  const loop = pythonProduceLoop(broker.bootstrap, topic, tag, 'all');
  t.after(() => loop.kill());

  await ackCountReaches(loop, 2000, 'before the restart');
  if (how === 'graceful') {
    const code = await broker.stop('SIGTERM');
    assert.equal(code, 0, `graceful stop exited ${code}\n${broker.tail()}`);
  } else {
    await broker.kill9();
  }
  const ackedBefore = acks(loop).length;
  await broker.restart();
  await ackCountReaches(loop, ackedBefore + 2000, 'after the restart');

  // second round, same kind, so recovery of a recovered log is covered too
  if (how === 'graceful') assert.equal(await broker.stop('SIGTERM'), 0);
  else await broker.kill9();
  const ackedBefore2 = acks(loop).length;
  await broker.restart();
  await ackCountReaches(loop, ackedBefore2 + 1000, 'after the second restart');

  loop.write('stop\n');
  const code = await loop.wait(150_000);
  assert.equal(code, 0, `produce loop exited ${code}: ${loop.stderr().slice(-2000)}`);
  const acked = acks(loop);

  const got = jsonLines<ConsumedRecord>((await pythonOk('consume.py', [broker.bootstrap, topic])).stdout);
  assertAllAckedPresent(acked, got, tag);

  // and once more after a clean restart: the recovered log is durable as such
  await broker.restart();
  const again = jsonLines<ConsumedRecord>((await pythonOk('consume.py', [broker.bootstrap, topic])).stdout);
  assertAllAckedPresent(acked, again, tag);

  // the broker keeps serving another client
  const fresh = uniqueTopic('after-restart');
  await kcatProduce(broker.bootstrap, topic, ['k1\tafter-1', 'k2\tafter-2'], { keySeparator: '\t' });
  await kcatProduce(broker.bootstrap, fresh, ['k\tv'], { keySeparator: '\t' });
  const freshRead = await kcatConsume(broker.bootstrap, fresh);
  assert.deepEqual(freshRead.map((r) => [r.key, r.value]), [['k', 'v']]);
}

test('graceful restart (SIGTERM, exit 0) twice during an acks=all produce loop loses nothing acknowledged', async (t) => {
  await scenario(t, 'graceful');
});

test('kill -9 twice during an acks=all produce loop loses nothing acknowledged; the log keeps serving', async (t) => {
  await scenario(t, 'kill9');
});
