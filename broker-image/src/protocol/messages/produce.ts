import { field, struct, structArray, type ApiSpec } from '../schema/types.ts';

/**
 * Produce (0). Advertised from v0 (librdkafka turns compression off when the
 * minimum is above 0), though record format v2 arrives only from v3. v9 is the
 * first flexible version; v10 adds the tagged currentLeader/nodeEndpoints
 * (KIP-951); v11 is v10 for clients that implement KIP-890.
 */
export const produce: ApiSpec = {
  apiKey: 0,
  name: 'Produce',
  request: {
    name: 'ProduceRequest',
    validVersions: '0-11',
    flexibleVersions: '9+',
    fields: [
      field('transactionalId', 'string', '3+', { nullableVersions: '3+', default: null }),
      field('acks', 'int16', '0+'),
      field('timeoutMs', 'int32', '0+'),
      structArray('topicData', '0+', [
        field('name', 'string', '0+', { mapKey: true }),
        structArray('partitionData', '0+', [
          field('index', 'int32', '0+'),
          field('records', 'records', '0+', { nullableVersions: '0+' }),
        ]),
      ]),
    ],
  },
  response: {
    name: 'ProduceResponse',
    validVersions: '0-11',
    flexibleVersions: '9+',
    fields: [
      structArray('responses', '0+', [
        field('name', 'string', '0+', { mapKey: true }),
        structArray('partitionResponses', '0+', [
          field('index', 'int32', '0+'),
          field('errorCode', 'int16', '0+'),
          field('baseOffset', 'int64', '0+'),
          field('logAppendTimeMs', 'int64', '2+', { default: -1 }),
          field('logStartOffset', 'int64', '5+', { default: -1 }),
          structArray('recordErrors', '8+', [
            field('batchIndex', 'int32', '8+'),
            field('batchIndexErrorMessage', 'string', '8+', { nullableVersions: '8+', default: null }),
          ]),
          field('errorMessage', 'string', '8+', { nullableVersions: '8+', default: null }),
          struct('currentLeader', '10+', [
            field('leaderId', 'int32', '10+', { default: -1 }),
            field('leaderEpoch', 'int32', '10+', { default: -1 }),
          ], { taggedVersions: '10+', tag: 0 }),
        ]),
      ]),
      field('throttleTimeMs', 'int32', '1+'),
      structArray('nodeEndpoints', '10+', [
        field('nodeId', 'int32', '10+', { mapKey: true }),
        field('host', 'string', '10+'),
        field('port', 'int32', '10+'),
        field('rack', 'string', '10+', { nullableVersions: '10+', default: null }),
      ], { taggedVersions: '10+', tag: 0 }),
    ],
  },
};
