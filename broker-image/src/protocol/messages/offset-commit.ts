import { field, structArray, type ApiSpec } from '../schema/types.ts';

/**
 * OffsetCommit (8). v1 carries a per-partition commit timestamp, v2–4 a retention
 * time; from v5 retention is broker config only. v9 is v8 under the KIP-848 name
 * `generationIdOrMemberEpoch` (a classic group's generation id).
 */
export const offsetCommit: ApiSpec = {
  apiKey: 8,
  name: 'OffsetCommit',
  request: {
    name: 'OffsetCommitRequest',
    validVersions: '0-9',
    flexibleVersions: '8+',
    fields: [
      field('groupId', 'string', '0+'),
      field('generationIdOrMemberEpoch', 'int32', '1+', { default: -1 }),
      field('memberId', 'string', '1+', { default: '' }),
      field('groupInstanceId', 'string', '7+', { nullableVersions: '7+', default: null }),
      field('retentionTimeMs', 'int64', '2-4', { default: -1n }),
      structArray('topics', '0+', [
        field('name', 'string', '0+'),
        structArray('partitions', '0+', [
          field('partitionIndex', 'int32', '0+'),
          field('committedOffset', 'int64', '0+'),
          field('committedLeaderEpoch', 'int32', '6+', { default: -1 }),
          field('commitTimestamp', 'int64', '1', { default: -1n }),
          field('committedMetadata', 'string', '0+', { nullableVersions: '0+' }),
        ]),
      ]),
    ],
  },
  response: {
    name: 'OffsetCommitResponse',
    validVersions: '0-9',
    flexibleVersions: '8+',
    fields: [
      field('throttleTimeMs', 'int32', '3+'),
      structArray('topics', '0+', [
        field('name', 'string', '0+'),
        structArray('partitions', '0+', [
          field('partitionIndex', 'int32', '0+'),
          field('errorCode', 'int16', '0+'),
        ]),
      ]),
    ],
  },
};
