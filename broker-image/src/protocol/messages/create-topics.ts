import { field, structArray, type ApiSpec } from '../schema/types.ts';

/**
 * CreateTopics (19). v5 is the first flexible version and returns the created
 * topic's configs, partitions and replication factor; v7 adds the topic id.
 */
export const createTopics: ApiSpec = {
  apiKey: 19,
  name: 'CreateTopics',
  request: {
    name: 'CreateTopicsRequest',
    validVersions: '0-7',
    flexibleVersions: '5+',
    fields: [
      structArray('topics', '0+', [
        field('name', 'string', '0+', { mapKey: true }),
        field('numPartitions', 'int32', '0+'),
        field('replicationFactor', 'int16', '0+'),
        structArray('assignments', '0+', [
          field('partitionIndex', 'int32', '0+', { mapKey: true }),
          field('brokerIds', '[]int32', '0+'),
        ]),
        structArray('configs', '0+', [
          field('name', 'string', '0+', { mapKey: true }),
          field('value', 'string', '0+', { nullableVersions: '0+' }),
        ]),
      ]),
      field('timeoutMs', 'int32', '0+', { default: 60000 }),
      field('validateOnly', 'bool', '1+', { default: false }),
    ],
  },
  response: {
    name: 'CreateTopicsResponse',
    validVersions: '0-7',
    flexibleVersions: '5+',
    fields: [
      field('throttleTimeMs', 'int32', '2+'),
      structArray('topics', '0+', [
        field('name', 'string', '0+', { mapKey: true }),
        field('topicId', 'uuid', '7+'),
        field('errorCode', 'int16', '0+'),
        field('errorMessage', 'string', '1+', { nullableVersions: '0+', default: null }),
        field('topicConfigErrorCode', 'int16', '5+', { taggedVersions: '5+', tag: 0 }),
        field('numPartitions', 'int32', '5+', { default: -1 }),
        field('replicationFactor', 'int16', '5+', { default: -1 }),
        structArray('configs', '5+', [
          field('name', 'string', '5+', { mapKey: true }),
          field('value', 'string', '5+', { nullableVersions: '5+' }),
          field('readOnly', 'bool', '5+'),
          field('configSource', 'int8', '5+', { default: -1 }),
          field('isSensitive', 'bool', '5+'),
        ], { nullableVersions: '5+' }),
      ]),
    ],
  },
};
