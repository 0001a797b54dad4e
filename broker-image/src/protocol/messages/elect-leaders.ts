import { field, structArray, type ApiSpec } from '../schema/types.ts';

/** ElectLeaders (43). electionType 0 = preferred, 1 = unclean; null partitions = all. */
export const electLeaders: ApiSpec = {
  apiKey: 43,
  name: 'ElectLeaders',
  request: {
    name: 'ElectLeadersRequest',
    validVersions: '0-2',
    flexibleVersions: '2+',
    fields: [
      field('electionType', 'int8', '1+', { default: 0 }),
      structArray('topicPartitions', '0+', [
        field('topic', 'string', '0+', { mapKey: true }),
        field('partitionId', '[]int32', '0+'),
      ], { nullableVersions: '0+' }),
      field('timeoutMs', 'int32', '0+', { default: 60000 }),
    ],
  },
  response: {
    name: 'ElectLeadersResponse',
    validVersions: '0-2',
    flexibleVersions: '2+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      field('errorCode', 'int16', '1+'),
      structArray('replicaElectionResults', '0+', [
        field('topic', 'string', '0+'),
        structArray('partitionResult', '0+', [
          field('partitionId', 'int32', '0+'),
          field('errorCode', 'int16', '0+'),
          field('errorMessage', 'string', '0+', { nullableVersions: '0+' }),
        ]),
      ]),
    ],
  },
};
