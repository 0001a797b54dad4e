import { field, structArray, type ApiSpec } from '../schema/types.ts';

/**
 * OffsetFetch (9). v2+ accepts null topics (all committed offsets of the group);
 * v8+ asks for several groups at once; v9 adds the KIP-848 member id and epoch.
 */
export const offsetFetch: ApiSpec = {
  apiKey: 9,
  name: 'OffsetFetch',
  request: {
    name: 'OffsetFetchRequest',
    validVersions: '0-9',
    flexibleVersions: '6+',
    fields: [
      field('groupId', 'string', '0-7'),
      structArray('topics', '0-7', [
        field('name', 'string', '0-7'),
        field('partitionIndexes', '[]int32', '0-7'),
      ], { nullableVersions: '2-7' }),
      structArray('groups', '8+', [
        field('groupId', 'string', '8+'),
        field('memberId', 'string', '9+', { nullableVersions: '9+', default: null }),
        field('memberEpoch', 'int32', '9+', { default: -1 }),
        structArray('topics', '8+', [
          field('name', 'string', '8+'),
          field('partitionIndexes', '[]int32', '8+'),
        ], { nullableVersions: '8+' }),
      ]),
      field('requireStable', 'bool', '7+', { default: false }),
    ],
  },
  response: {
    name: 'OffsetFetchResponse',
    validVersions: '0-9',
    flexibleVersions: '6+',
    fields: [
      field('throttleTimeMs', 'int32', '3+'),
      structArray('topics', '0-7', [
        field('name', 'string', '0-7'),
        structArray('partitions', '0-7', [
          field('partitionIndex', 'int32', '0-7'),
          field('committedOffset', 'int64', '0-7'),
          field('committedLeaderEpoch', 'int32', '5-7', { default: -1 }),
          field('metadata', 'string', '0-7', { nullableVersions: '0-7' }),
          field('errorCode', 'int16', '0-7'),
        ]),
      ]),
      field('errorCode', 'int16', '2-7', { default: 0 }),
      structArray('groups', '8+', [
        field('groupId', 'string', '8+'),
        structArray('topics', '8+', [
          field('name', 'string', '8+'),
          structArray('partitions', '8+', [
            field('partitionIndex', 'int32', '8+'),
            field('committedOffset', 'int64', '8+'),
            field('committedLeaderEpoch', 'int32', '8+', { default: -1 }),
            field('metadata', 'string', '8+', { nullableVersions: '8+' }),
            field('errorCode', 'int16', '8+'),
          ]),
        ]),
        field('errorCode', 'int16', '8+', { default: 0 }),
      ]),
    ],
  },
};
