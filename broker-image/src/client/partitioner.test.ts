import { test } from 'node:test';
import assert from 'node:assert/strict';
import { murmur2, partitionForKey } from './partitioner.ts';

// Values from Kafka's UtilsTest.testMurmur2.
test('murmur2 matches the Java client', () => {
  const cases: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];
  for (const [input, expected] of cases) assert.equal(murmur2(Buffer.from(input)), expected, input);
});

test('the partition is non-negative and stable', () => {
  for (let i = 0; i < 1000; i++) {
    const p = partitionForKey(Buffer.from(`key-${i}`), 6);
    assert.ok(p >= 0 && p < 6);
    assert.equal(partitionForKey(Buffer.from(`key-${i}`), 6), p);
  }
});
