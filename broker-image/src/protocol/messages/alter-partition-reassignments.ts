import { field, structArray, type ApiSpec } from '../schema/types.ts';

/** AlterPartitionReassignments (45). Null replicas cancel a pending reassignment. */
export const alterPartitionReassignments: ApiSpec = {
  apiKey: 45,
  name: 'AlterPartitionReassignments',
  request: {
    name: 'AlterPartitionReassignmentsRequest',
    validVersions: '0',
    flexibleVersions: '0+',
    fields: [
      field('timeoutMs', 'int32', '0+', { default: 60000 }),
      structArray('topics', '0+', [
        field('name', 'string', '0+'),
        structArray('partitions', '0+', [
          field('partitionIndex', 'int32', '0+'),
          field('replicas', '[]int32', '0+', { nullableVersions: '0+', default: null }),
        ]),
      ]),
    ],
  },
  response: {
    name: 'AlterPartitionReassignmentsResponse',
    validVersions: '0',
    flexibleVersions: '0+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
      field('errorMessage', 'string', '0+', { nullableVersions: '0+' }),
      structArray('responses', '0+', [
        field('name', 'string', '0+'),
        structArray('partitions', '0+', [
          field('partitionIndex', 'int32', '0+'),
          field('errorCode', 'int16', '0+'),
          field('errorMessage', 'string', '0+', { nullableVersions: '0+' }),
        ]),
      ]),
    ],
  },
};
