import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setConditions } from './conditions.ts';

test('lastTransitionTime changes only when the status changes', () => {
  const t0 = new Date('2026-01-01T00:00:00Z');
  const t1 = new Date('2026-01-01T00:01:00Z');
  const a = setConditions(undefined, [{ type: 'Ready', status: 'False', reason: 'Creating' }], 1, t0);
  assert.deepEqual(a, [{ type: 'Ready', status: 'False', reason: 'Creating', lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 1 }]);
  const b = setConditions(a, [{ type: 'Ready', status: 'False', reason: 'BrokersNotReady', message: 'x' }], 2, t1);
  assert.equal(b[0]!.lastTransitionTime, '2026-01-01T00:00:00Z');
  assert.equal(b[0]!.observedGeneration, 2);
  const c = setConditions(b, [{ type: 'Ready', status: 'True', reason: 'Ready' }], 2, t1);
  assert.equal(c[0]!.lastTransitionTime, '2026-01-01T00:01:00Z');
});
