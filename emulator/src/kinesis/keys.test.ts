import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { IteratorCodec, ITERATOR_TTL_MS, evenRanges, hashKeyOf, sequenceNumber, parseSequenceNumber, shardIdOf, partitionOfShardId, MAX_HASH_KEY } from './keys.ts';
import { KinesisError } from './wire.ts';

test('sequence numbers: 56 digits, increase per shard, decode to (partition, offset)', () => {
  const a = sequenceNumber(3, 0n);
  const b = sequenceNumber(3, 1n);
  assert.match(a, /^\d{56}$/);
  assert.ok(BigInt(b) > BigInt(a));
  assert.deepEqual(parseSequenceNumber(sequenceNumber(7, 123456789n)), { partition: 7, offset: 123456789n });
  assert.deepEqual(parseSequenceNumber(sequenceNumber(0, -1n)), { partition: 0, offset: -1n });
  assert.equal(parseSequenceNumber('123'), null);
  assert.equal(parseSequenceNumber('abc'), null);
});

test('hash keys and shard ids', () => {
  assert.equal(hashKeyOf(''), 0xd41d8cd98f00b204e9800998ecf8427en);
  const r = evenRanges(3);
  assert.equal(r[0][0], 0n);
  assert.equal(r[2][1], MAX_HASH_KEY);
  assert.equal(r[1][0], r[0][1] + 1n);
  assert.equal(shardIdOf(12), 'shardId-000000000012');
  assert.equal(partitionOfShardId('shardId-000000000012'), 12);
  assert.equal(partitionOfShardId('nope'), null);
});

test('iterators: round trip, tamper-proof, expire after 5 minutes', () => {
  const c = new IteratorCodec(randomBytes(32));
  const t0 = 1_700_000_000_000;
  const it = c.encode({ stream: 'orders', partition: 2, offset: 42n }, t0);
  assert.ok(it.length <= 512);
  assert.deepEqual(c.decode(it, t0 + 1000), { stream: 'orders', partition: 2, offset: 42n, issuedAt: t0 });
  assert.throws(() => c.decode(it, t0 + ITERATOR_TTL_MS + 1), (e: unknown) => e instanceof KinesisError && e.type === 'ExpiredIteratorException');
  assert.throws(() => new IteratorCodec(randomBytes(32)).decode(it, t0), (e: unknown) => e instanceof KinesisError && e.type === 'InvalidArgumentException');
  assert.throws(() => c.decode('!!!', t0), (e: unknown) => e instanceof KinesisError && e.type === 'InvalidArgumentException');
});
