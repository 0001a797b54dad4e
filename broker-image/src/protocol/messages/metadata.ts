import { field, structArray, type ApiSpec } from '../schema/types.ts';

/**
 * Metadata (3). Request topics: in v0 an empty array means all topics; from v1
 * null means all and empty means none. v10 adds topic ids, v11 drops
 * includeClusterAuthorizedOperations (moved to DescribeCluster), v12 makes the
 * response topic name nullable (lookup by id).
 */
export const metadata: ApiSpec = {
  apiKey: 3,
  name: 'Metadata',
  request: {
    name: 'MetadataRequest',
    validVersions: '0-12',
    flexibleVersions: '9+',
    fields: [
      structArray('topics', '0+', [
        field('topicId', 'uuid', '10+'),
        field('name', 'string', '0+', { nullableVersions: '10+' }),
      ], { nullableVersions: '1+' }),
      field('allowAutoTopicCreation', 'bool', '4+', { default: true }),
      field('includeClusterAuthorizedOperations', 'bool', '8-10'),
      field('includeTopicAuthorizedOperations', 'bool', '8+'),
    ],
  },
  response: {
    name: 'MetadataResponse',
    validVersions: '0-12',
    flexibleVersions: '9+',
    fields: [
      field('throttleTimeMs', 'int32', '3+'),
      structArray('brokers', '0+', [
        field('nodeId', 'int32', '0+', { mapKey: true }),
        field('host', 'string', '0+'),
        field('port', 'int32', '0+'),
        field('rack', 'string', '1+', { nullableVersions: '1+', default: null }),
      ]),
      field('clusterId', 'string', '2+', { nullableVersions: '2+', default: null }),
      field('controllerId', 'int32', '1+', { default: -1 }),
      structArray('topics', '0+', [
        field('errorCode', 'int16', '0+'),
        field('name', 'string', '0+', { nullableVersions: '12+', mapKey: true }),
        field('topicId', 'uuid', '10+'),
        field('isInternal', 'bool', '1+', { default: false }),
        structArray('partitions', '0+', [
          field('errorCode', 'int16', '0+'),
          field('partitionIndex', 'int32', '0+'),
          field('leaderId', 'int32', '0+'),
          field('leaderEpoch', 'int32', '7+', { default: -1 }),
          field('replicaNodes', '[]int32', '0+'),
          field('isrNodes', '[]int32', '0+'),
          field('offlineReplicas', '[]int32', '5+'),
        ]),
        field('topicAuthorizedOperations', 'int32', '8+', { default: -2147483648 }),
      ]),
      field('clusterAuthorizedOperations', 'int32', '8-10', { default: -2147483648 }),
    ],
  },
};
