import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode, Tag } from 'cbor-x';
import { AwsTimestamp, KinesisError, blob, decodeRequest, encodeError, encodeResponse, timestampMs } from './wire.ts';
import { encodeEventMessage, decodeEventMessage } from './subscribe.ts';

test('JSON: blobs as base64, timestamps as epoch seconds, undefined fields dropped', () => {
  const out = JSON.parse(encodeResponse({ Data: Buffer.from('hi'), At: new AwsTimestamp(1_700_000_000_123), Gone: undefined, L: [{ X: 1 }] }, 'json').toString());
  assert.deepEqual(out, { Data: 'aGk=', At: 1_700_000_000.123, L: [{ X: 1 }] });
  assert.deepEqual(JSON.parse(encodeError(new KinesisError('ResourceNotFoundException', 'nope'), 'json').toString()), { __type: 'ResourceNotFoundException', message: 'nope' });
});

test('CBOR: byte strings, tag 1 with integer milliseconds out; tag 1 seconds or millis in', () => {
  const bytes = encodeResponse({ At: new AwsTimestamp(1_700_000_000_123), D: Buffer.from([1, 2]) }, 'cbor');
  assert.ok(bytes.includes(Buffer.from([0xc1, 0x1b])), 'tag 1 + uint64');
  const back = decodeRequest(bytes, 'cbor');
  assert.equal((back.At as AwsTimestamp).ms, 1_700_000_000_123);
  assert.deepEqual(Buffer.from(back.D as Uint8Array), Buffer.from([1, 2]));
  const secs = decodeRequest(Buffer.from(encode({ T: new Tag(1_700_000_000.5, 1) })), 'cbor');
  assert.equal(timestampMs(secs.T, 'T'), 1_700_000_000_500);
});

test('input helpers and malformed bodies', () => {
  assert.deepEqual(blob('aGk=', 'Data'), Buffer.from('hi'));
  assert.throws(() => blob('***', 'Data'), (e: unknown) => e instanceof KinesisError && e.type === 'SerializationException');
  assert.throws(() => blob(undefined, 'data'), (e: unknown) => e instanceof KinesisError && e.type === 'ValidationException');
  assert.equal(timestampMs(1.5, 'T'), 1500);
  assert.equal(timestampMs('2024-01-01T00:00:00Z', 'T'), Date.UTC(2024, 0, 1));
  assert.throws(() => decodeRequest(Buffer.from('{'), 'json'), (e: unknown) => e instanceof KinesisError && e.type === 'SerializationException');
  assert.throws(() => decodeRequest(Buffer.from('[1]'), 'json'), (e: unknown) => e instanceof KinesisError && e.type === 'SerializationException');
  assert.throws(() => decodeRequest(Buffer.from([0xff]), 'cbor'), (e: unknown) => e instanceof KinesisError && e.type === 'SerializationException');
  assert.deepEqual(decodeRequest(Buffer.alloc(0), 'json'), {});
});

test('event-stream messages: round trip with CRCs checked', () => {
  const msg = encodeEventMessage({ ':event-type': 'SubscribeToShardEvent', ':message-type': 'event' }, Buffer.from('{"a":1}'));
  const d = decodeEventMessage(msg);
  assert.equal(d.length, msg.length);
  assert.deepEqual(d.headers, { ':event-type': 'SubscribeToShardEvent', ':message-type': 'event' });
  assert.equal(d.payload.toString(), '{"a":1}');
  msg[msg.length - 6] ^= 1;
  assert.throws(() => decodeEventMessage(msg), /CRC/);
});
