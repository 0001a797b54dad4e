import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaError } from '../../protocol/errors.ts';
import { LocalStore } from '../../cluster/store/local-store.ts';
import { ProducerIdManager } from './producer-id-manager.ts';
import { ProducerStateTable, type ProducerBatch } from './producer-state.ts';

const batch = (seq: number, count: number, epoch = 0, pid = 7n): ProducerBatch =>
  ({ producerId: pid, producerEpoch: epoch, baseSequence: seq, lastOffsetDelta: count - 1 });

const code = (fn: () => unknown) => {
  try { fn(); } catch (e) { return (e as KafkaError).code; }
  return 0;
};

test('in-order batches append; a retried batch is a duplicate with its first offsets', () => {
  const t = new ProducerStateTable();
  assert.equal(t.check(batch(0, 10)).kind, 'append');
  t.update(batch(0, 10), 100n);
  assert.equal(t.check(batch(10, 5)).kind, 'append');
  t.update(batch(10, 5), 110n);
  assert.deepEqual(t.check(batch(0, 10)), { kind: 'duplicate', baseOffset: 100n, lastOffset: 109n, logAppendTime: -1n });
  assert.deepEqual(t.check(batch(10, 5)), { kind: 'duplicate', baseOffset: 110n, lastOffset: 114n, logAppendTime: -1n });
});

test('a gap or a reordering is OUT_OF_ORDER_SEQUENCE_NUMBER', () => {
  const t = new ProducerStateTable();
  t.update(batch(0, 10), 0n);
  assert.equal(code(() => t.check(batch(11, 1))), 45);
  assert.equal(code(() => t.check(batch(5, 5))), 45);
});

test('older epochs are fenced; a new epoch restarts at 0', () => {
  const t = new ProducerStateTable();
  t.update(batch(0, 3, 2), 0n);
  assert.equal(code(() => t.check(batch(3, 1, 1))), 47);
  assert.equal(code(() => t.check(batch(3, 1, 3))), 45);
  assert.equal(t.check(batch(0, 1, 3)).kind, 'append');
});

test('an unknown producer must start at sequence 0; non-idempotent batches pass', () => {
  const t = new ProducerStateTable();
  assert.equal(code(() => t.check(batch(4, 1))), 59);
  assert.equal(t.check({ producerId: -1n, producerEpoch: -1, baseSequence: -1, lastOffsetDelta: 0 }).kind, 'append');
});

test('sequences wrap after INT32_MAX', () => {
  const t = new ProducerStateTable();
  t.update({ ...batch(0, 2), baseSequence: 0x7ffffffe }, 0n);
  assert.equal(code(() => t.check(batch(1, 1))), 45);
  assert.equal(t.check(batch(0, 1)).kind, 'append');
});

test('only the last five batches are remembered', () => {
  const t = new ProducerStateTable();
  for (let i = 0; i < 6; i++) t.update(batch(i, 1), BigInt(i));
  assert.equal(code(() => t.check(batch(0, 1))), 45);
  assert.equal(t.check(batch(1, 1)).kind, 'duplicate');
});

test('producer ids are unique across restarts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-pid-'));
  try {
    const file = join(dir, 'm.json');
    const a = new ProducerIdManager(await LocalStore.open(file));
    const first = await Promise.all([a.nextId(), a.nextId(), a.nextId()]);
    assert.deepEqual(new Set(first).size, 3);
    const b = new ProducerIdManager(await LocalStore.open(file));
    const after = await b.nextId();
    assert.ok(first.every((id) => id < after), `${after} must be above ${first}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
