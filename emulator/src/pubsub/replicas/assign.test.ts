import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignPartitions, type Assignment } from './assign.ts';

const member = (replica: string, topics: string[]) => ({ topics, metadata: Buffer.from(replica) });
const flat = (as: Assignment[]) =>
  Object.fromEntries(as.map((a) => [a.memberId, [...a.assignments.values()].flatMap((x) => x.partitions.map((p) => `${x.topic}:${p}`)).sort()]));

test('assignment: balanced, every partition of every member\'s topics once', () => {
  const members = new Map([
    ['m1', member('r1', ['a'])],
    ['m2', member('r2', ['a', 'b'])],
    ['m3', member('r3', ['a'])],
  ]);
  const out = flat(assignPartitions(members, (t) => (t === 'a' ? 4 : 2), () => null));
  const all = Object.values(out).flat().sort();
  assert.deepEqual(all, ['a:0', 'a:1', 'a:2', 'a:3', 'b:0', 'b:1']);
  for (const ps of Object.values(out)) assert.equal(ps.length, 2);
});

test('assignment: sticky — partitions stay with the replica serving them, a dead one\'s are spread', () => {
  const owners: Record<string, string> = { 'a:0': 'r1', 'a:1': 'r2', 'a:2': 'r3', 'a:3': 'r3' };
  const members = new Map([
    ['m1', member('r1', ['a'])],
    ['m2', member('r2', ['a'])],
  ]);
  const out = flat(assignPartitions(members, () => 4, (t, p) => owners[`${t}:${p}`] ?? null));
  assert.ok(out.m1.includes('a:0'));
  assert.ok(out.m2.includes('a:1'));
  assert.equal(out.m1.length, 2);
  assert.equal(out.m2.length, 2);
});

test('assignment: an over-full replica gives partitions up to a new one', () => {
  const members = new Map([
    ['m1', member('r1', ['a'])],
    ['m2', member('r2', ['a'])],
  ]);
  const out = flat(assignPartitions(members, () => 4, () => 'r1'));
  assert.equal(out.m1.length, 2);
  assert.equal(out.m2.length, 2);
});
