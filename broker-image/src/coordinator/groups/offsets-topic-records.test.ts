import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeGroupMetadataValue, decodeOffsetCommitValue, decodeOffsetsTopicKey, groupMetadataKey,
  groupMetadataValue, offsetCommitKey, offsetCommitValue,
} from './offsets-topic-records.ts';

test('offset commit key is Kafka\'s v1 layout: version, group, topic, partition', () => {
  const key = offsetCommitKey('g', 'tp', 3);
  // int16 1 | int16 1 'g' | int16 2 'tp' | int32 3
  assert.deepEqual(key, Buffer.from([0, 1, 0, 1, 0x67, 0, 2, 0x74, 0x70, 0, 0, 0, 3]));
  assert.deepEqual(decodeOffsetsTopicKey(key), { kind: 'offset', group: 'g', topic: 'tp', partition: 3 });
});

test('offset commit value v3 round-trips and starts with its version', () => {
  const value = { offset: 42n, leaderEpoch: 7, metadata: 'meta', commitTimestamp: 1700000000000n };
  const buf = offsetCommitValue(value);
  assert.equal(buf.readInt16BE(0), 3);
  assert.equal(buf.readBigInt64BE(2), 42n);
  assert.equal(buf.readInt32BE(10), 7);
  assert.deepEqual(decodeOffsetCommitValue(buf), value);
});

test('offset commit value v1 (with expire timestamp) written by old Kafka decodes', () => {
  const body = Buffer.alloc(2 + 8 + 2 + 8 + 8);
  body.writeInt16BE(1, 0);
  body.writeBigInt64BE(5n, 2);
  body.writeInt16BE(0, 10);
  body.writeBigInt64BE(99n, 12);
  body.writeBigInt64BE(123n, 20);
  assert.deepEqual(decodeOffsetCommitValue(body), { offset: 5n, leaderEpoch: -1, metadata: '', commitTimestamp: 99n });
});

test('group metadata key v2 and value v3 round-trip', () => {
  const key = groupMetadataKey('grp');
  assert.deepEqual(key, Buffer.from([0, 2, 0, 3, 0x67, 0x72, 0x70]));
  assert.deepEqual(decodeOffsetsTopicKey(key), { kind: 'group', group: 'grp' });
  const value = {
    protocolType: 'consumer', generation: 4, protocol: 'range', leader: 'm1', currentStateTimestamp: 10n,
    members: [{
      memberId: 'm1', groupInstanceId: 'i1', clientId: 'c', clientHost: '/1.2.3.4', rebalanceTimeout: 1000,
      sessionTimeout: 6000, subscription: Buffer.from([1, 2]), assignment: Buffer.from([3]),
    }],
  };
  const buf = groupMetadataValue(value);
  assert.equal(buf.readInt16BE(0), 3);
  assert.deepEqual(decodeGroupMetadataValue(buf), value);
});

test('keys of record types we do not own decode to null', () => {
  assert.equal(decodeOffsetsTopicKey(Buffer.from([0, 5, 0, 0])), null);
});
