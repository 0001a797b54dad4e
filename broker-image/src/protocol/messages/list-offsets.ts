import { field, structArray, type ApiSpec } from '../schema/types.ts';

/**
 * ListOffsets (2). v0 returns a list of old-style offsets; from v1 one
 * timestamp/offset pair. v6 is the first flexible version; v7 adds the -3
 * max-timestamp query (KIP-734), v8 the -4/-5 local-log queries (KIP-405/1005).
 */
export const listOffsets: ApiSpec = {
  apiKey: 2,
  name: 'ListOffsets',
  request: {
    name: 'ListOffsetsRequest',
    validVersions: '0-8',
    flexibleVersions: '6+',
    fields: [
      field('replicaId', 'int32', '0+'),
      field('isolationLevel', 'int8', '2+'),
      structArray('topics', '0+', [
        field('name', 'string', '0+'),
        structArray('partitions', '0+', [
          field('partitionIndex', 'int32', '0+'),
          field('currentLeaderEpoch', 'int32', '4+', { default: -1 }),
          field('timestamp', 'int64', '0+'),
          field('maxNumOffsets', 'int32', '0', { default: 1 }),
        ]),
      ]),
    ],
  },
  response: {
    name: 'ListOffsetsResponse',
    validVersions: '0-8',
    flexibleVersions: '6+',
    fields: [
      field('throttleTimeMs', 'int32', '2+'),
      structArray('topics', '0+', [
        field('name', 'string', '0+'),
        structArray('partitions', '0+', [
          field('partitionIndex', 'int32', '0+'),
          field('errorCode', 'int16', '0+'),
          field('oldStyleOffsets', '[]int64', '0'),
          field('timestamp', 'int64', '1+', { default: -1 }),
          field('offset', 'int64', '1+', { default: -1 }),
          field('leaderEpoch', 'int32', '4+', { default: -1 }),
        ]),
      ]),
    ],
  },
};
