import { field, structArray, type ApiSpec } from '../schema/types.ts';

/**
 * OffsetForLeaderEpoch (23): the end offset of a leader epoch, for truncation
 * after leader changes. v3 adds replicaId, v4 is flexible.
 */
export const offsetForLeaderEpoch: ApiSpec = {
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  request: {
    name: 'OffsetForLeaderEpochRequest',
    validVersions: '0-4',
    flexibleVersions: '4+',
    fields: [
      field('replicaId', 'int32', '3+', { default: -2 }),
      structArray('topics', '0+', [
        field('topic', 'string', '0+', { mapKey: true }),
        structArray('partitions', '0+', [
          field('partition', 'int32', '0+'),
          field('currentLeaderEpoch', 'int32', '2+', { default: -1 }),
          field('leaderEpoch', 'int32', '0+'),
        ]),
      ]),
    ],
  },
  response: {
    name: 'OffsetForLeaderEpochResponse',
    validVersions: '0-4',
    flexibleVersions: '4+',
    fields: [
      field('throttleTimeMs', 'int32', '2+'),
      structArray('topics', '0+', [
        field('topic', 'string', '0+', { mapKey: true }),
        structArray('partitions', '0+', [
          field('errorCode', 'int16', '0+'),
          field('partition', 'int32', '0+'),
          field('leaderEpoch', 'int32', '1+', { default: -1 }),
          field('endOffset', 'int64', '0+', { default: -1 }),
        ]),
      ]),
    ],
  },
};
