// Retention and compaction, observed through clients (python confluent-kafka):
// small per-topic segment.bytes and retention.ms / retention.bytes with a short
// log.retention.check.interval.ms → the earliest offset (ListOffsets) moves up and a
// consumer from the beginning starts there; cleanup.policy=compact → after cleaning,
// a consumer from the beginning sees only the latest value per key (tombstoned keys
// disappear after delete.retention.ms), plus whatever is in the active segment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type Broker } from '../support/broker.ts';
import { pythonOk, jsonLines, uniqueTopic, waitFor, type ConsumedRecord } from '../support/clients.ts';

let broker: Broker;

before(async () => {
  broker = await startBroker({
    overrides: {
      'auto.create.topics.enable': 'false',
      'log.retention.check.interval.ms': '500',
      'log.cleaner.backoff.ms': '200',
    },
  });
});
after(async () => {
  await broker?.cleanup();
});

type Offsets = Record<string, [number, number]>;

async function offsets(topic: string): Promise<Offsets> {
  return jsonLines<Offsets>((await pythonOk('offsets.py', [broker.bootstrap, topic])).stdout)[0];
}

async function consume(topic: string): Promise<ConsumedRecord[]> {
  return jsonLines<ConsumedRecord>((await pythonOk('consume.py', [broker.bootstrap, topic])).stdout);
}

async function produceKV(topic: string, recs: { k: string; v: string | null }[]): Promise<void> {
  // batches well under segment.bytes: a batch larger than a segment is refused (RECORD_LIST_TOO_LARGE), as in Kafka
  const r = await pythonOk('produce_kv.py', [broker.bootstrap, topic, 'batch.size=4096'], { input: recs.map((x) => JSON.stringify(x)).join('\n') + '\n' });
  assert.deepEqual(jsonLines(r.stdout), [{ acked: recs.length }]);
}

function numbered(n: number, prefix: string): { k: string; v: string }[] {
  return Array.from({ length: n }, (_, i) => ({ k: `${prefix}-${i % 50}`, v: `${prefix}|${i}|${'x'.repeat(80)}` }));
}

test('retention.ms: old segments are deleted, the earliest offset moves up, consumers start there', async () => {
  const topic = uniqueTopic('retain-ms');
  await pythonOk('admin.py', [broker.bootstrap, 'create', topic, '1', 'segment.bytes=16384', 'retention.ms=3000']);
  await produceKV(topic, numbered(2000, 'old'));
  const before = await offsets(topic);
  assert.deepEqual(before['0'], [0, 2000], 'before retention');

  const after = await waitFor('earliest offset to move up', async () => {
    const o = await offsets(topic);
    return o['0'][0] > 0 ? o : null;
  }, 60_000, 500);
  const [low, high] = after['0'];
  assert.equal(high, 2000, 'the latest offset must not change');
  assert.ok(low > 0 && low <= high, `low ${low}`);

  const got = await consume(topic);
  assert.ok(got.length > 0 || low === high);
  const first = got.length ? got[0].offset : high;
  assert.ok(first >= low, `consumer from the beginning started at ${first}, below the earliest offset ${low}`);
  // What is left is a contiguous tail with the right values.
  got.forEach((r, i) => {
    assert.equal(r.offset, first + i);
    assert.equal(r.value?.split('|')[1], String(r.offset));
  });
  assert.equal(first + got.length, 2000);

  // the partition still takes writes at the right offsets
  await produceKV(topic, [{ k: 'new', v: 'after-retention' }]);
  const o2 = await offsets(topic);
  assert.equal(o2['0'][1], 2001);
});

test('retention.bytes set through AlterConfigs: the log is trimmed to about that size', async () => {
  const topic = uniqueTopic('retain-bytes');
  await pythonOk('admin.py', [broker.bootstrap, 'create', topic, '1', 'segment.bytes=16384']);
  await produceKV(topic, numbered(3000, 'b')); // ~330 kB
  assert.deepEqual((await offsets(topic))['0'], [0, 3000]);
  await pythonOk('admin.py', [broker.bootstrap, 'alter', topic, 'segment.bytes=16384', 'retention.bytes=65536']);
  const o = await waitFor('earliest offset to move up', async () => {
    const x = await offsets(topic);
    return x['0'][0] > 0 ? x : null;
  }, 60_000, 500);
  const [low, high] = o['0'];
  assert.equal(high, 3000);
  // ~110 bytes a record on disk: 64 KiB retained + up to one segment → well under 1500 records
  assert.ok(high - low < 1500, `kept ${high - low} records, more than retention.bytes allows`);
  assert.ok(high - low >= 65536 / 200, `kept only ${high - low} records: more was deleted than retention.bytes asks`);
});

test('cleanup.policy=compact: only the latest value per key remains after cleaning; tombstones go', async () => {
  const topic = uniqueTopic('compact');
  await pythonOk('admin.py', [
    broker.bootstrap, 'create', topic, '1',
    // (min.cleanable.dirty.ratio=0.01 would make this faster, but the broker refuses that key: INVALID_CONFIG)
    'cleanup.policy=compact', 'segment.bytes=16384', 'delete.retention.ms=1000', 'segment.ms=1000',
  ]);
  const KEYS = 100;
  const ROUNDS = 30;
  const recs: { k: string; v: string | null }[] = [];
  for (let r = 0; r < ROUNDS; r++) for (let k = 0; k < KEYS; k++) recs.push({ k: `key-${k}`, v: `round-${r}|key-${k}|${'y'.repeat(60)}` });
  // tombstones for keys 0..9
  for (let k = 0; k < 10; k++) recs.push({ k: `key-${k}`, v: null });
  // fillers with their own keys push everything above into closed segments
  for (let i = 0; i < 400; i++) recs.push({ k: `filler-${i}`, v: `filler|${i}|${'z'.repeat(60)}` });
  await produceKV(topic, recs);

  const latest = new Map<string, string | null>();
  for (const r of recs) latest.set(r.k, r.v);

  // Each poll also appends a few fillers: a later segment roll (segment.ms) and dirty
  // data give the cleaner further passes, as tombstones go only in a pass that runs
  // delete.retention.ms after they were first cleaned.
  let fillers = 400;
  let total = recs.length;
  const more = async () => {
    const extra = Array.from({ length: 50 }, (_, i) => ({ k: `filler-${fillers + i}`, v: `filler|${fillers + i}|${'z'.repeat(60)}` }));
    await produceKV(topic, extra);
    fillers += extra.length;
    total += extra.length;
  };
  const cleaned = (c: ConsumedRecord[], tombstonesGone: boolean) => {
    const keyed = c.filter((r) => r.key?.startsWith('key-'));
    const live = keyed.filter((r) => r.value !== null);
    const liveKeys = new Set(live.map((r) => r.key));
    const oldForDeleted = keyed.filter((r) => Number(r.key!.slice(4)) < 10 && r.value !== null);
    const tombstones = keyed.filter((r) => r.value === null);
    return live.length === KEYS - 10 && liveKeys.size === KEYS - 10 && oldForDeleted.length === 0 && (!tombstonesGone || tombstones.length === 0);
  };

  const first = await waitFor('compaction to leave one value per key', async () => {
    const c = await consume(topic);
    if (cleaned(c, false)) return c;
    await more();
    return null;
  }, 90_000, 1000);
  const check = (got: ConsumedRecord[]) => {
    for (let i = 1; i < got.length; i++) assert.ok(got[i].offset > got[i - 1].offset, 'offsets must increase');
    for (const r of got) {
      assert.ok(r.key !== null, 'compacted topic record without key');
      if (r.key.startsWith('key-')) assert.equal(r.value, latest.get(r.key), `key ${r.key}: not the latest value`);
    }
    // every filler (unique keys) survives
    assert.equal(got.filter((r) => r.key?.startsWith('filler-')).length, fillers, 'a record with a unique key was removed');
  };
  check(first);

  const second = await waitFor('tombstones removed after delete.retention.ms', async () => {
    const c = await consume(topic);
    if (cleaned(c, true)) return c;
    await more();
    return null;
  }, 90_000, 1000);
  check(second);
  for (let k = 0; k < 10; k++) assert.ok(!second.some((r) => r.key === `key-${k}`), `tombstoned key-${k} still present`);
  // offsets are kept (not renumbered): the end offset is the number of records produced
  const o = await offsets(topic);
  assert.equal(o['0'][1], total, 'compaction must not change the end offset');
  assert.ok(second.length < total / 2, `only ${total - second.length} of ${total} records were compacted away`);
});
