import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from './queue.ts';

test('a key is handed to one worker at a time and re-queued if added meanwhile', async () => {
  const q = new WorkQueue();
  q.add('a');
  q.add('a');
  q.add('b');
  assert.equal(q.length, 2, 'duplicates collapse');
  const k1 = await q.get();
  assert.equal(k1, 'a');
  q.add('a'); // while processing: not handed out again yet
  assert.equal(await q.get(), 'b');
  let got: string | undefined;
  const p = q.get().then((k) => { got = k; });
  await new Promise((r) => setImmediate(r));
  assert.equal(got, undefined);
  q.done('a');
  await p;
  assert.equal(got, 'a');
  q.shutDown();
  assert.equal(await q.get(), undefined);
});

test('failures back off exponentially per key; forget resets', () => {
  const q = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 250 });
  assert.equal(q.addRateLimited('x'), 100);
  assert.equal(q.addRateLimited('x'), 200);
  assert.equal(q.addRateLimited('x'), 250);
  assert.equal(q.retries('x'), 3);
  q.forget('x');
  assert.equal(q.addRateLimited('x'), 100);
  q.shutDown();
});
