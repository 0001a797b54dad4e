import { field, structArray, type ApiSpec } from '../schema/types.ts';

/** ListPartitionReassignments (46). Null topics lists every ongoing reassignment. */
export const listPartitionReassignments: ApiSpec = {
  apiKey: 46,
  name: 'ListPartitionReassignments',
  request: {
    name: 'ListPartitionReassignmentsRequest',
    validVersions: '0',
    flexibleVersions: '0+',
    fields: [
      field('timeoutMs', 'int32', '0+', { default: 60000 }),
      structArray('topics', '0+', [
        field('name', 'string', '0+'),
        field('partitionIndexes', '[]int32', '0+'),
      ], { nullableVersions: '0+', default: null }),
    ],
  },
  response: {
    name: 'ListPartitionReassignmentsResponse',
    validVersions: '0',
    flexibleVersions: '0+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
      field('errorMessage', 'string', '0+', { nullableVersions: '0+' }),
      structArray('topics', '0+', [
        field('name', 'string', '0+'),
        structArray('partitions', '0+', [
          field('partitionIndex', 'int32', '0+'),
          field('replicas', '[]int32', '0+'),
          field('addingReplicas', '[]int32', '0+'),
          field('removingReplicas', '[]int32', '0+'),
        ]),
      ]),
    ],
  },
};
