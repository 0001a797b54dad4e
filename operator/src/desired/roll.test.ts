import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseRollVictim } from './roll.ts';

const pods = (...ordinals: number[]) => ordinals.map((o) => ({ name: `c-broker-${o}`, ordinal: o }));
const inSync = (topic: string, partition: number, replicas: number[]) => ({ topic, partition, replicas, isr: replicas });

test('highest ordinal first', () => {
  const c = chooseRollVictim(pods(0, 1, 2), [inSync('t', 0, [0, 1, 2])], -1);
  assert.ok('victim' in c);
  assert.deepEqual(c.order.map((p) => p.ordinal), [2, 1, 0]);
});

test('the controller broker goes last', () => {
  const c = chooseRollVictim(pods(0, 1, 2, 3), [], 2);
  assert.ok('victim' in c);
  assert.deepEqual(c.order.map((p) => p.ordinal), [3, 1, 0, 2]);
  const only = chooseRollVictim(pods(2), [], 2);
  assert.ok('victim' in only && only.victim.ordinal === 2, 'the controller alone is restarted');
});

test('an under-replicated partition blocks the roll and is named', () => {
  const c = chooseRollVictim(pods(0, 1, 2), [inSync('a', 0, [0, 1, 2]), { topic: 'orders', partition: 3, replicas: [0, 1, 2], isr: [0, 2] }], 0);
  assert.ok('blocked' in c);
  assert.equal(c.blocked, 'rolling update paused: 1 under-replicated partition(s): orders-3 (isr 0,2 of 0,1,2)');
});
