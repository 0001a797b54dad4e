// The records of `__consumer_offsets`, in Kafka's own formats so Kafka's tools can
// read the topic: every key and value is an int16 schema version followed by the
// struct of that version. Offset commits are keyed by OffsetCommitKey (v0/v1),
// group metadata by GroupMetadataKey (v2). We write OffsetCommitValue v3 and
// GroupMetadataValue v3, and read every version Kafka has written.

import { decodeMessage, encodeMessage } from '../../protocol/schema/codec.ts';
import { field, structArray, type MessageSpec } from '../../protocol/schema/types.ts';

const offsetCommitKeySpec: MessageSpec = {
  name: 'OffsetCommitKey',
  validVersions: '0-1',
  flexibleVersions: 'none',
  fields: [
    field('group', 'string', '0-1'),
    field('topic', 'string', '0-1'),
    field('partition', 'int32', '0-1'),
  ],
};

const offsetCommitValueSpec: MessageSpec = {
  name: 'OffsetCommitValue',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    field('offset', 'int64', '0+'),
    field('leaderEpoch', 'int32', '3+', { default: -1 }),
    field('metadata', 'string', '0+'),
    field('commitTimestamp', 'int64', '0+'),
    field('expireTimestamp', 'int64', '1', { default: -1n }),
  ],
};

const groupMetadataKeySpec: MessageSpec = {
  name: 'GroupMetadataKey',
  validVersions: '2',
  flexibleVersions: 'none',
  fields: [field('group', 'string', '2')],
};

const groupMetadataValueSpec: MessageSpec = {
  name: 'GroupMetadataValue',
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    field('protocolType', 'string', '0+'),
    field('generation', 'int32', '0+'),
    field('protocol', 'string', '0+', { nullableVersions: '0+' }),
    field('leader', 'string', '0+', { nullableVersions: '0+' }),
    field('currentStateTimestamp', 'int64', '2+', { default: -1n }),
    structArray('members', '0+', [
      field('memberId', 'string', '0+'),
      field('groupInstanceId', 'string', '3+', { nullableVersions: '3+', default: null }),
      field('clientId', 'string', '0+'),
      field('clientHost', 'string', '0+'),
      field('rebalanceTimeout', 'int32', '1+'),
      field('sessionTimeout', 'int32', '0+'),
      field('subscription', 'bytes', '0+'),
      field('assignment', 'bytes', '0+'),
    ]),
  ],
};

const OFFSET_COMMIT_KEY_VERSION = 1;
const OFFSET_COMMIT_VALUE_VERSION = 3;
const GROUP_METADATA_KEY_VERSION = 2;
const GROUP_METADATA_VALUE_VERSION = 3;

export interface OffsetCommitRecord {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
}

export interface GroupMetadataMemberRecord {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeout: number;
  sessionTimeout: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataRecord {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: bigint;
  members: GroupMetadataMemberRecord[];
}

export type OffsetsTopicKey =
  | { kind: 'offset'; group: string; topic: string; partition: number }
  | { kind: 'group'; group: string };

function versioned(spec: MessageSpec, version: number, body: unknown): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeInt16BE(version);
  return Buffer.concat([prefix, encodeMessage(spec, version, body)]);
}

export function offsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return versioned(offsetCommitKeySpec, OFFSET_COMMIT_KEY_VERSION, { group, topic, partition });
}

export function offsetCommitValue(value: OffsetCommitRecord): Buffer {
  return versioned(offsetCommitValueSpec, OFFSET_COMMIT_VALUE_VERSION, value);
}

export function groupMetadataKey(group: string): Buffer {
  return versioned(groupMetadataKeySpec, GROUP_METADATA_KEY_VERSION, { group });
}

export function groupMetadataValue(value: GroupMetadataRecord): Buffer {
  return versioned(groupMetadataValueSpec, GROUP_METADATA_VALUE_VERSION, value);
}

/**
 * The key of a `__consumer_offsets` record, or null for record types this
 * coordinator does not own (e.g. the KIP-848 consumer-group records, versions 3+).
 */
export function decodeOffsetsTopicKey(key: Buffer): OffsetsTopicKey | null {
  const version = key.readInt16BE(0);
  const body = key.subarray(2);
  if (version === 0 || version === 1) {
    const k = decodeMessage(offsetCommitKeySpec, version, body);
    return { kind: 'offset', group: k.group, topic: k.topic, partition: k.partition };
  }
  if (version === 2) {
    return { kind: 'group', group: decodeMessage(groupMetadataKeySpec, version, body).group };
  }
  return null;
}

export function decodeOffsetCommitValue(value: Buffer): OffsetCommitRecord {
  const v = decodeMessage(offsetCommitValueSpec, value.readInt16BE(0), value.subarray(2));
  return { offset: v.offset, leaderEpoch: v.leaderEpoch, metadata: v.metadata, commitTimestamp: v.commitTimestamp };
}

export function decodeGroupMetadataValue(value: Buffer): GroupMetadataRecord {
  return decodeMessage(groupMetadataValueSpec, value.readInt16BE(0), value.subarray(2));
}
