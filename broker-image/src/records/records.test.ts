import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from '@node-rs/crc32';
import { ErrorCode, KafkaError } from '../protocol/errors.ts';
import { RecordBatch, scanBatches, validateRecords, validateBatch } from './batch.ts';
import { buildBatch, decodeRecords, Reader, writeVarint, writeVarlong } from './record.ts';
import { compress, decompress, xerialCompress } from './compression/index.ts';
import { compressSync as snappyRaw } from 'snappy';

const rejectsWith = (fn: () => unknown, code: number) =>
  assert.throws(fn, (e: unknown) => e instanceof KafkaError && e.code === code);

test('varints round-trip, including negatives and 64-bit values', () => {
  const buf = Buffer.alloc(16);
  for (const v of [0, 1, -1, 63, -64, 64, 300, -300, 2 ** 30, -(2 ** 31), 2 ** 31 - 1]) {
    const end = writeVarint(buf, 0, v);
    const r = new Reader(buf, 0, end);
    assert.equal(r.varint(), v);
    assert.equal(r.pos, end);
  }
  for (const v of [0n, -1n, 1_700_000_000_000n, -1_700_000_000_000n, 2n ** 52n, -(2n ** 52n)]) {
    const end = writeVarlong(buf, 0, v);
    assert.equal(new Reader(buf, 0, end).varlong(), Number(v));
  }
});

test('builder → decode round-trips keys, values, headers, timestamps and nulls', () => {
  const batch = buildBatch([
    { key: 'k1', value: 'v1', headers: [{ key: 'h', value: 'x' }, { key: 'n', value: null }], timestamp: 1000 },
    { key: null, value: Buffer.alloc(300, 7), timestamp: 999 },
    { key: 'k3', value: null, timestamp: 1005 },
  ], { producerId: 42n, producerEpoch: 3, baseSequence: 7, baseOffset: 100n });
  const b = new RecordBatch(batch);
  assert.equal(b.magic, 2);
  assert.equal(b.recordCount, 3);
  assert.equal(b.lastOffsetDelta, 2);
  assert.equal(b.baseOffset, 100n);
  assert.equal(b.maxTimestamp, 1005n);
  assert.equal(b.producerId, 42n);
  assert.equal(b.producerEpoch, 3);
  assert.equal(b.baseSequence, 7);
  assert.ok(b.isValidCrc());
  validateBatch(b);
  const recs = decodeRecords(b);
  assert.equal(recs.length, 3);
  assert.equal(recs[0].key!.toString(), 'k1');
  assert.deepEqual(recs[0].headers.map((h) => [h.key, h.value?.toString() ?? null]), [['h', 'x'], ['n', null]]);
  assert.equal(recs[1].key, null);
  assert.equal(recs[1].value!.length, 300);
  assert.equal(recs[1].timestamp, 999n);
  assert.equal(recs[2].value, null);
  assert.equal(recs[2].offset, 102n);
});

test('every codec round-trips through a batch', () => {
  const records = Array.from({ length: 200 }, (_, i) => ({ key: `key-${i}`, value: `value-${i}-`.repeat(5), timestamp: 5000 + i }));
  for (const codec of [0, 1, 2, 3, 4]) {
    const batch = buildBatch(records, { compression: codec });
    const b = new RecordBatch(batch);
    assert.equal(b.compression, codec);
    validateBatch(b);
    const out = decodeRecords(b);
    assert.equal(out.length, 200, `codec ${codec}`);
    assert.equal(out[199].value!.toString(), 'value-199-'.repeat(5));
    if (codec !== 0) assert.ok(batch.length < 200 * 50, `codec ${codec} compresses`);
  }
});

test('snappy: raw and xerial-framed input both decompress', () => {
  const data = Buffer.from('hello snappy '.repeat(10_000));
  assert.deepEqual(decompress(2, snappyRaw(data)), data);
  const framed = xerialCompress(data);
  assert.equal(framed.subarray(0, 8).toString('latin1'), '\x82SNAPPY\0');
  assert.ok(framed.length > 16 + 8);
  assert.deepEqual(decompress(2, framed), data);
  assert.deepEqual(decompress(2, compress(2, data)), data);
});

test('unknown codec → UNSUPPORTED_COMPRESSION_TYPE; garbage → CORRUPT_MESSAGE', () => {
  rejectsWith(() => compress(6, Buffer.from('x')), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  rejectsWith(() => decompress(5, Buffer.from('x')), ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  for (const codec of [1, 2, 3, 4]) rejectsWith(() => decompress(codec, Buffer.from('not compressed at all, really')), ErrorCode.CORRUPT_MESSAGE);
});

test('decompression bomb guard caps the output size', () => {
  const big = Buffer.alloc(4 * 1024 * 1024);
  for (const codec of [1, 2, 3, 4]) {
    const c = compress(codec, big);
    assert.ok(c.length < big.length / 10);
    rejectsWith(() => decompress(codec, c, 1024 * 1024), ErrorCode.CORRUPT_MESSAGE);
    assert.equal(decompress(codec, c, 8 * 1024 * 1024).length, big.length);
  }
  rejectsWith(() => decompress(2, xerialCompress(big), 1024 * 1024), ErrorCode.CORRUPT_MESSAGE);
});

test('validation errors map to Kafka codes', () => {
  const good = buildBatch([{ key: 'a', value: 'b' }, { key: 'c', value: 'd' }]);
  assert.equal(validateRecords(Buffer.concat([good, good])).length, 2);
  // CRC
  const badCrc = Buffer.from(good);
  badCrc[badCrc.length - 1] ^= 0xff;
  rejectsWith(() => validateRecords(badCrc), ErrorCode.CORRUPT_MESSAGE);
  // magic 1
  const v1 = Buffer.from(good);
  v1.writeInt8(1, 16);
  rejectsWith(() => validateRecords(v1), ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
  // truncated
  rejectsWith(() => validateRecords(good.subarray(0, good.length - 3)), ErrorCode.CORRUPT_MESSAGE);
  rejectsWith(() => validateRecords(Buffer.concat([good, good.subarray(0, 20)])), ErrorCode.CORRUPT_MESSAGE);
  // oversized
  rejectsWith(() => validateRecords(good, { maxMessageBytes: good.length - 1 }), ErrorCode.MESSAGE_TOO_LARGE);
  // lastOffsetDelta inconsistent with the count (CRC fixed up so only the count check fails)
  const mism = Buffer.from(good);
  mism.writeInt32BE(5, 23);
  mism.writeUInt32BE(crc32c(mism.subarray(21)) >>> 0, 17);
  rejectsWith(() => validateRecords(mism), ErrorCode.INVALID_RECORD);
});

test('scanBatches reports a truncated tail instead of throwing; patches keep or fix the CRC', () => {
  const a = buildBatch([{ value: 'x' }]);
  const b = buildBatch([{ value: 'y' }, { value: 'z' }]);
  const buf = Buffer.concat([a, b.subarray(0, 30)]);
  const scan = scanBatches(buf);
  assert.equal(scan.batches.length, 1);
  assert.equal(scan.validBytes, a.length);
  assert.equal(scan.truncated, true);
  const full = Buffer.concat([a, b]);
  const batches = scanBatches(full).batches;
  batches[1].setBaseOffset(77n);
  batches[1].setPartitionLeaderEpoch(9);
  assert.ok(batches[1].isValidCrc());
  assert.equal(batches[1].baseOffset, 77n);
  assert.equal(batches[1].lastOffset, 78n);
  batches[0].setLogAppendTime(123456n);
  assert.ok(batches[0].isLogAppendTime);
  assert.equal(batches[0].maxTimestamp, 123456n);
  assert.ok(batches[0].isValidCrc());
  assert.equal(decodeRecords(batches[0])[0].timestamp, 123456n);
});

test('a batch whose snappy payload is xerial-framed (as the Java producer writes) decodes', async () => {
  const { setSnappyFraming } = await import('./compression/index.ts');
  setSnappyFraming('xerial');
  try {
    const batch = buildBatch(Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(100) })), { compression: 2 });
    const b = new RecordBatch(batch);
    assert.equal(b.recordsData.subarray(0, 8).toString('latin1'), '\x82SNAPPY\0');
    validateBatch(b);
    const recs = decodeRecords(b);
    assert.equal(recs.length, 50);
    assert.equal(recs[49].key!.toString(), 'k49');
  } finally {
    setSnappyFraming('raw');
  }
  const raw = new RecordBatch(buildBatch([{ value: 'x'.repeat(100) }], { compression: 2 }));
  assert.notEqual(raw.recordsData.subarray(0, 8).toString('latin1'), '\x82SNAPPY\0');
});
