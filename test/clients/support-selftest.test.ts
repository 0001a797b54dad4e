// The checks the client tests rely on must be able to fail: feed them broken data.
// (No broker needed.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRecords, verifyRoundTrip, parseKcatFormat, type ConsumedRecord } from '../support/clients.ts';
import { crc32c, recordBatch, parseBatchHeaders } from '../support/wire.ts';

/** A perfect read-back of `recs` over 3 partitions by key hash. */
function perfect(n: number): { recs: ReturnType<typeof makeRecords>; got: ConsumedRecord[] } {
  const recs = makeRecords(n, 'self');
  const next = [0, 0, 0];
  const got = recs.map((r) => {
    const p = Number(r.key.slice(4)) % 3;
    return { partition: p, offset: next[p]++, key: r.key, value: r.value };
  });
  return { recs, got };
}

test('verifyRoundTrip accepts a correct read-back', () => {
  const { recs, got } = perfect(300);
  verifyRoundTrip(recs, got, 3);
});

test('verifyRoundTrip catches every kind of damage', () => {
  const cases: [string, (g: ConsumedRecord[]) => ConsumedRecord[], RegExp][] = [
    ['missing record', (g) => g.slice(1), /read 299 records/],
    ['duplicate', (g) => [...g.slice(1), g[5]], /read twice/],
    ['offset gap', (g) => g.map((r) => (r.partition === 1 && r.offset >= 10 ? { ...r, offset: r.offset + 1 } : r)), /not contiguous/],
    ['reordered', (g) => {
      const a = g.findIndex((r) => r.partition === 0 && r.offset === 3);
      const b = g.findIndex((r) => r.partition === 0 && r.offset === 4);
      const out = g.map((r) => ({ ...r }));
      [out[a].offset, out[b].offset] = [out[b].offset, out[a].offset];
      return out;
    }, /order broken/],
    ['key in two partitions', (g) => g.map((r, i) => (i === 200 ? { ...r, partition: (r.partition + 1) % 3 } : r)), /found in partitions|not contiguous/],
    ['value changed', (g) => g.map((r, i) => (i === 7 ? { ...r, value: r.value + 'x' } : r)), /value differs/],
    ['key changed', (g) => g.map((r, i) => (i === 8 ? { ...r, key: 'other' } : r)), /key differs/],
    ['one partition only', (g) => g.map((r, i) => ({ ...r, partition: 0, offset: i })), /found in partitions|landed in 1 partition/],
  ];
  for (const [name, damage, msg] of cases) {
    const { recs, got } = perfect(300);
    assert.throws(() => verifyRoundTrip(recs, damage(got), 3), msg, name);
  }
});

test('parseKcatFormat keeps null keys and values apart from empty ones', () => {
  const recs = parseKcatFormat('0\t5\t-1\t\t3\tabc\n2\t7\t0\t\t-1\t\n');
  assert.deepEqual(recs, [
    { partition: 0, offset: 5, key: null, value: 'abc' },
    { partition: 2, offset: 7, key: '', value: null },
  ]);
});

test('crc32c and the hand-built record batch', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  const b = recordBatch([{ key: Buffer.from('k'), value: Buffer.from('v') }]);
  const [h] = parseBatchHeaders(b);
  assert.equal(h.magic, 2);
  assert.equal(h.recordCount, 1);
  assert.equal(b.readUInt32BE(17), crc32c(b.subarray(21)));
  const bad = recordBatch([{ key: Buffer.from('k'), value: Buffer.from('v') }], { corruptCrc: true });
  assert.notEqual(bad.readUInt32BE(17), crc32c(bad.subarray(21)));
});
