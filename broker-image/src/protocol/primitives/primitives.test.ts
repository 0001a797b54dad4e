import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtocolError } from './protocol-error.ts';
import { Reader } from './reader.ts';
import { REFERENCE_THRESHOLD, Writer } from './writer.ts';

function roundTrip<T>(write: (w: Writer) => void, read: (r: Reader) => T): { value: T; bytes: Buffer } {
  const w = new Writer(1); // start tiny so every test exercises growth
  write(w);
  const bytes = w.finish();
  const r = new Reader(bytes);
  const value = read(r);
  assert.equal(r.remaining(), 0, 'reader consumed every byte');
  return { value, bytes };
}

describe('fixed-width integers', () => {
  test('round-trip at their limits', () => {
    for (const v of [-128, -1, 0, 127]) assert.equal(roundTrip((w) => w.int8(v), (r) => r.int8()).value, v);
    for (const v of [-32768, -1, 0, 32767]) assert.equal(roundTrip((w) => w.int16(v), (r) => r.int16()).value, v);
    for (const v of [0, 65535]) assert.equal(roundTrip((w) => w.uint16(v), (r) => r.uint16()).value, v);
    for (const v of [-2147483648, -1, 0, 2147483647]) assert.equal(roundTrip((w) => w.int32(v), (r) => r.int32()).value, v);
    for (const v of [0, 4294967295]) assert.equal(roundTrip((w) => w.uint32(v), (r) => r.uint32()).value, v);
    for (const v of [-(2n ** 63n), -1n, 0n, 2n ** 63n - 1n]) assert.equal(roundTrip((w) => w.int64(v), (r) => r.int64()).value, v);
    for (const v of [0, -1.25, Number.MAX_VALUE]) assert.equal(roundTrip((w) => w.float64(v), (r) => r.float64()).value, v);
    assert.equal(roundTrip((w) => w.bool(true), (r) => r.bool()).value, true);
  });

  test('are big-endian', () => {
    assert.equal(roundTrip((w) => w.int32(0x01020304), (r) => r.int32()).bytes.toString('hex'), '01020304');
    assert.equal(roundTrip((w) => w.int16(-2), (r) => r.int16()).bytes.toString('hex'), 'fffe');
  });

  test('int64 accepts numbers', () => {
    assert.equal(roundTrip((w) => w.int64(-5), (r) => r.int64()).value, -5n);
  });
});

describe('varints', () => {
  test('zigzag varint encodings match the protocol guide', () => {
    const cases: [number, string][] = [[0, '00'], [-1, '01'], [1, '02'], [-2, '03'], [63, '7e'], [-64, '7f'], [64, '8001'],
      [2147483647, 'feffffff0f'], [-2147483648, 'ffffffff0f']];
    for (const [v, hex] of cases) {
      const { value, bytes } = roundTrip((w) => w.varint(v), (r) => r.varint());
      assert.equal(bytes.toString('hex'), hex, `varint ${v}`);
      assert.equal(value, v);
    }
  });

  test('unsigned varints', () => {
    for (const [v, hex] of [[0, '00'], [127, '7f'], [128, '8001'], [300, 'ac02'], [4294967295, 'ffffffff0f']] as const) {
      const { value, bytes } = roundTrip((w) => w.uvarint(v), (r) => r.uvarint());
      assert.equal(bytes.toString('hex'), hex);
      assert.equal(value, v);
    }
  });

  test('varlongs', () => {
    for (const v of [0n, -1n, 1n, 1234567890123n, -(2n ** 63n), 2n ** 63n - 1n]) {
      assert.equal(roundTrip((w) => w.varlong(v), (r) => r.varlong()).value, v);
    }
    assert.equal(roundTrip((w) => w.varlong(-1n), (r) => r.varlong()).bytes.toString('hex'), '01');
    assert.equal(roundTrip((w) => w.varlong(2n ** 63n - 1n), (r) => r.varlong()).bytes.length, 10);
  });

  test('over-long or unterminated varints are ProtocolErrors', () => {
    assert.throws(() => new Reader(Buffer.from('ffffffffff01', 'hex')).uvarint(), ProtocolError);
    assert.throws(() => new Reader(Buffer.from('ffffffff7f', 'hex')).uvarint(), ProtocolError); // > 32 bits
    assert.throws(() => new Reader(Buffer.from('8080', 'hex')).uvarint(), ProtocolError); // truncated
    assert.throws(() => new Reader(Buffer.from('ffffffffffffffffff7f', 'hex')).uvarlong(), ProtocolError);
    assert.throws(() => new Reader(Buffer.from('ff', 'hex')).varlong(), ProtocolError);
  });
});

describe('strings and bytes', () => {
  test('classic and compact strings, including multi-byte UTF-8', () => {
    for (const s of ['', 'topic', 'ünïcødé ✓ 🚀', 'x'.repeat(300)]) {
      const classic = roundTrip((w) => w.string(s), (r) => r.string());
      assert.equal(classic.value, s);
      assert.equal(classic.bytes.readInt16BE(0), Buffer.byteLength(s));
      const compact = roundTrip((w) => w.compactString(s), (r) => r.compactString());
      assert.equal(compact.value, s);
      assert.equal(new Reader(compact.bytes).uvarint(), Buffer.byteLength(s) + 1);
    }
  });

  test('compact string near the one-byte length boundary', () => {
    for (const n of [40, 42, 43, 126, 127, 128]) {
      const s = 'é'.repeat(n); // 2 bytes each
      assert.equal(roundTrip((w) => w.compactString(s), (r) => r.compactString()).value, s);
    }
  });

  test('nulls', () => {
    assert.equal(roundTrip((w) => w.nullableString(null), (r) => r.nullableString()).bytes.toString('hex'), 'ffff');
    assert.equal(roundTrip((w) => w.compactNullableString(null), (r) => r.compactNullableString()).bytes.toString('hex'), '00');
    assert.equal(roundTrip((w) => w.nullableBytes(null), (r) => r.nullableBytes()).value, null);
    assert.equal(roundTrip((w) => w.compactNullableBytes(null), (r) => r.compactNullableBytes()).value, null);
    assert.throws(() => new Reader(Buffer.from('ffff', 'hex')).string(), ProtocolError);
    assert.throws(() => new Reader(Buffer.from('00', 'hex')).compactString(), ProtocolError);
    assert.throws(() => new Reader(Buffer.from('ffffffff', 'hex')).bytes(), ProtocolError);
    assert.throws(() => new Reader(Buffer.from('00', 'hex')).compactBytes(), ProtocolError);
  });

  test('bytes are zero-copy views', () => {
    const { bytes } = roundTrip((w) => w.bytes(Buffer.from('hello')), (r) => r.bytes());
    const view = new Reader(bytes).bytes();
    assert.equal(view.toString(), 'hello');
    assert.equal(view.buffer, bytes.buffer);
    assert.equal(roundTrip((w) => w.compactBytes(Buffer.from('abc')), (r) => r.compactBytes()).value.toString(), 'abc');
  });

  test('uuid', () => {
    const id = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    assert.deepEqual(roundTrip((w) => w.uuid(id), (r) => r.uuid()).value, id);
    assert.deepEqual(roundTrip((w) => w.uuid(null), (r) => r.uuid()).value, Buffer.alloc(16));
    assert.throws(() => new Writer().uuid(Buffer.alloc(3)), ProtocolError);
  });
});

describe('bounds', () => {
  test('truncated fixed-width reads throw ProtocolError', () => {
    const r = new Reader(Buffer.from('010203', 'hex'));
    assert.throws(() => r.int32(), ProtocolError);
    assert.equal(r.offset, 0, 'a failed read consumes nothing');
    assert.throws(() => new Reader(Buffer.alloc(7)).int64(), ProtocolError);
    assert.throws(() => new Reader(Buffer.alloc(15)).uuid(), ProtocolError);
    assert.throws(() => new Reader(Buffer.alloc(0)).int8(), ProtocolError);
    assert.throws(() => new Reader(Buffer.alloc(1)).int16(), ProtocolError);
  });

  test('the end bound is honoured, not just the buffer length', () => {
    const r = new Reader(Buffer.from('0000000100000002', 'hex'), 0, 4);
    assert.equal(r.int32(), 1);
    assert.throws(() => r.int32(), ProtocolError);
  });

  test('lengths larger than the remaining bytes throw before allocating', () => {
    assert.throws(() => new Reader(Buffer.from('7fff61', 'hex')).string(), ProtocolError);
    assert.throws(() => new Reader(Buffer.from('7fffffff00', 'hex')).bytes(), ProtocolError);
    assert.throws(() => new Reader(Buffer.from('ffffffff07', 'hex')).compactBytes(), ProtocolError);
    // An array claiming 2^31-1 int32 elements in 8 bytes.
    assert.throws(() => new Reader(Buffer.from('7fffffff0000000000000000', 'hex')).array((r) => r.int32(), 4), /cannot fit/);
    assert.throws(() => new Reader(Buffer.from('ffffffff0f', 'hex')).compactArray((r) => r.int8()), ProtocolError);
    // Per-element minimum size: 3 int32 need 12 bytes, 8 are there.
    assert.throws(() => new Reader(Buffer.from('000000030000000100000002', 'hex')).array((r) => r.int32(), 4), ProtocolError);
  });

  test('negative lengths other than -1 throw', () => {
    assert.throws(() => new Reader(Buffer.from('fffe', 'hex')).nullableString(), ProtocolError);
    assert.throws(() => new Reader(Buffer.from('fffffffe', 'hex')).nullableBytes(), ProtocolError);
    assert.throws(() => new Reader(Buffer.from('fffffffe', 'hex')).nullableArray((r) => r.int8()), ProtocolError);
    assert.throws(() => new Reader(Buffer.from('ffffffff', 'hex')).array((r) => r.int8()), ProtocolError);
    assert.throws(() => new Reader(Buffer.alloc(4)).raw(-1), ProtocolError);
  });

  test('arrays round-trip, classic and compact, null included', () => {
    const items = [1, 2, 3];
    const classic = roundTrip((w) => { w.arrayLength(3, false); items.forEach((i) => w.int32(i)); }, (r) => r.array((x) => x.int32(), 4));
    assert.deepEqual(classic.value, items);
    const compact = roundTrip((w) => { w.arrayLength(3, true); items.forEach((i) => w.int32(i)); }, (r) => r.compactArray((x) => x.int32(), 4));
    assert.deepEqual(compact.value, items);
    assert.equal(compact.bytes[0], 4);
    assert.equal(roundTrip((w) => w.arrayLength(null, false), (r) => r.nullableArray((x) => x.int8())).value, null);
    assert.equal(roundTrip((w) => w.arrayLength(null, true), (r) => r.compactNullableArray((x) => x.int8())).value, null);
  });
});

describe('tagged fields', () => {
  test('sized values: short and long (multi-byte size varint)', () => {
    for (const n of [0, 5, 127, 128, 20000]) {
      const payload = Buffer.alloc(n, 0xab);
      const w = new Writer(2);
      w.uvarint(1); // count
      w.uvarint(7); // tag
      w.sized(() => w.raw(payload));
      w.int8(42); // something after the section
      const r = new Reader(w.finish());
      let seen: Buffer | null = null;
      r.taggedFields((tag, sub) => { assert.equal(tag, 7); seen = sub.raw(sub.remaining()); });
      assert.deepEqual(seen, payload);
      assert.equal(r.int8(), 42);
    }
  });

  test('unknown tags are skipped; bad sections throw', () => {
    const r = new Reader(Buffer.from('02' + '01' + '02' + 'aaaa' + '05' + '00' + '2a', 'hex'));
    r.taggedFields(() => false);
    assert.equal(r.int8(), 42);
    assert.throws(() => new Reader(Buffer.from('010105aa', 'hex')).taggedFields(), ProtocolError); // size past end
    assert.throws(() => new Reader(Buffer.from('020300030000', 'hex')).taggedFields(), /out of order/);
    assert.throws(() => new Reader(Buffer.from('7f', 'hex')).taggedFields(), ProtocolError); // count cannot fit
    // A known tag whose decoder leaves bytes unread is malformed.
    assert.throws(() => new Reader(Buffer.from('01000200aa', 'hex')).taggedFields((_t, sub) => { sub.int8(); }), /left unread/);
  });
});

describe('writer', () => {
  test('grows from one byte to megabytes keeping earlier content', () => {
    const w = new Writer(1);
    for (let i = 0; i < 300000; i++) w.int32(i);
    const out = w.finish();
    assert.equal(out.length, 1200000);
    assert.equal(out.readInt32BE(4 * 299999), 299999);
    assert.equal(out.readInt32BE(4 * 1234), 1234);
  });

  test('classic strings longer than 32767 bytes are refused', () => {
    assert.throws(() => new Writer().string('x'.repeat(40000)), ProtocolError);
  });
});

describe('referenced byte fields', () => {
  test('large buffers are referenced, small ones copied; finish() joins them in order', () => {
    const big = Buffer.alloc(REFERENCE_THRESHOLD, 0xaa);
    const big2 = Buffer.alloc(REFERENCE_THRESHOLD + 1, 0xbb);
    const w = new Writer(8);
    w.int32(1);
    w.rawRef(big);
    w.int16(2);
    w.rawRef(Buffer.from('small'));
    w.rawRef(big2);
    w.rawRef(big2); // two references in a row
    w.int8(3);
    const chunks = w.finishChunks();
    assert.ok(chunks.includes(big), 'the large buffer itself is a chunk');
    assert.equal(w.length, 4 + big.length + 2 + 5 + 2 * big2.length + 1);
    const joined = w.finish();
    assert.deepEqual(Buffer.concat(chunks), joined);
    const r = new Reader(joined);
    assert.equal(r.int32(), 1);
    assert.deepEqual(r.raw(big.length), big);
    assert.equal(r.int16(), 2);
    assert.equal(r.raw(5).toString(), 'small');
    assert.deepEqual(r.raw(big2.length), big2);
    assert.deepEqual(r.raw(big2.length), big2);
    assert.equal(r.int8(), 3);
    assert.equal(r.remaining(), 0);
  });

  test('inside a sized (tagged) value large buffers are copied, keeping it contiguous', () => {
    const big = Buffer.alloc(REFERENCE_THRESHOLD * 2, 0xcc);
    const w = new Writer(4);
    w.int8(9);
    w.sized(() => w.rawRef(big));
    assert.equal(w.finishChunks().length, 1);
    const r = new Reader(w.finish());
    assert.equal(r.int8(), 9);
    assert.equal(r.uvarint(), big.length);
    assert.deepEqual(r.raw(big.length), big);
  });
});
