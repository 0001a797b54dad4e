import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupIdOfKey, javaStringHash, offsetsPartitionFor } from './offsets-topic.ts';

test("Java's String.hashCode", () => {
  assert.equal(javaStringHash(''), 0);
  assert.equal(javaStringHash('a'), 97);
  assert.equal(javaStringHash('hello'), 99162322);
  assert.equal(javaStringHash('Aa'), 2112);
  assert.equal(javaStringHash('BB'), 2112);
});

test('a group always maps to the same partition in range', () => {
  for (const g of ['g', 'my-group', 'console-consumer-12345', 'ü-group']) {
    const p = offsetsPartitionFor(g, 50);
    assert.ok(p >= 0 && p < 50);
    assert.equal(offsetsPartitionFor(g, 50), p);
  }
});

test('the group id is read from both key layouts', () => {
  const key = Buffer.alloc(2 + 2 + 5 + 2 + 1 + 4);
  key.writeInt16BE(1, 0);
  key.writeInt16BE(5, 2);
  key.write('group', 4);
  assert.equal(groupIdOfKey(key), 'group');
  assert.throws(() => groupIdOfKey(Buffer.from([0, 1, 0, 9, 65])), /bad group id length/);
});
