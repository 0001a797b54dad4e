import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSchema } from './codec.ts';

const rejects = (f: () => void) => assert.throws(f, (e: Error & { code?: number }) => e.code === 3);

test('Avro: JSON and BINARY messages checked against the definition; bad definitions refused', () => {
  const c = compileSchema('AVRO', JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }, { name: 'o', type: ['null', 'int'], default: null }] }));
  c.check(Buffer.from(JSON.stringify({ a: 'x', o: null })), 'JSON');
  c.check(Buffer.from(JSON.stringify({ a: 'x', o: { int: 4 } })), 'JSON');
  rejects(() => c.check(Buffer.from(JSON.stringify({ o: null })), 'JSON'));
  rejects(() => c.check(Buffer.from('not json'), 'JSON'));
  c.check(Buffer.from([0x02, 0x78, 0x00]), 'BINARY'); // "x", null branch
  rejects(() => c.check(Buffer.from([0x02]), 'BINARY'));
  rejects(() => c.check(Buffer.from([0x02, 0x78, 0x00, 0x00]), 'BINARY')); // trailing bytes
  rejects(() => compileSchema('AVRO', '{"type":"nope"}'));
  rejects(() => compileSchema('AVRO', 'not json'));
});

test('Protocol Buffers: one top-level message; proto3 JSON with unknown fields refused; wire format decoded', () => {
  const c = compileSchema('PROTOCOL_BUFFER', 'syntax = "proto3";\nmessage M { string name = 1; int32 n = 2; Inner inner = 3; message Inner { bool ok = 1; } }');
  c.check(Buffer.from(JSON.stringify({ name: 'a', n: 3, inner: { ok: true } })), 'JSON');
  rejects(() => c.check(Buffer.from(JSON.stringify({ name: 'a', other: 1 })), 'JSON'));
  rejects(() => c.check(Buffer.from(JSON.stringify({ inner: { nope: true } })), 'JSON'));
  rejects(() => c.check(Buffer.from(JSON.stringify({ n: 'three' })), 'JSON'));
  c.check(Buffer.from([0x0a, 0x01, 0x61, 0x10, 0x03]), 'BINARY');
  rejects(() => c.check(Buffer.from([0x0a, 0x05, 0x61]), 'BINARY'));
  rejects(() => compileSchema('PROTOCOL_BUFFER', 'syntax = "proto3";\nmessage A { string x = 1; }\nmessage B { string y = 1; }'));
  rejects(() => compileSchema('PROTOCOL_BUFFER', 'message {'));
  rejects(() => compileSchema('TYPE_UNSPECIFIED', ''));
});
