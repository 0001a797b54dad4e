import { field, structArray, type ApiSpec } from '../schema/types.ts';

/**
 * DescribeCluster (60, KIP-700). Flexible from v0; v1 adds endpointType
 * (1 = brokers, 2 = controllers).
 */
export const describeCluster: ApiSpec = {
  apiKey: 60,
  name: 'DescribeCluster',
  request: {
    name: 'DescribeClusterRequest',
    validVersions: '0-1',
    flexibleVersions: '0+',
    fields: [
      field('includeClusterAuthorizedOperations', 'bool', '0+'),
      field('endpointType', 'int8', '1+', { default: 1 }),
    ],
  },
  response: {
    name: 'DescribeClusterResponse',
    validVersions: '0-1',
    flexibleVersions: '0+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
      field('errorMessage', 'string', '0+', { nullableVersions: '0+', default: null }),
      field('endpointType', 'int8', '1+', { default: 1 }),
      field('clusterId', 'string', '0+'),
      field('controllerId', 'int32', '0+', { default: -1 }),
      structArray('brokers', '0+', [
        field('brokerId', 'int32', '0+', { mapKey: true }),
        field('host', 'string', '0+'),
        field('port', 'int32', '0+'),
        field('rack', 'string', '0+', { nullableVersions: '0+', default: null }),
      ]),
      field('clusterAuthorizedOperations', 'int32', '0+', { default: -2147483648 }),
    ],
  },
};
