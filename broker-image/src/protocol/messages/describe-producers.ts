import { field, structArray, type ApiSpec } from '../schema/types.ts';

/** DescribeProducers (61): the active idempotent/transactional producers of partitions. */
export const describeProducers: ApiSpec = {
  apiKey: 61,
  name: 'DescribeProducers',
  request: {
    name: 'DescribeProducersRequest',
    validVersions: '0',
    flexibleVersions: '0+',
    fields: [
      structArray('topics', '0+', [
        field('name', 'string', '0+'),
        field('partitionIndexes', '[]int32', '0+'),
      ]),
    ],
  },
  response: {
    name: 'DescribeProducersResponse',
    validVersions: '0',
    flexibleVersions: '0+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      structArray('topics', '0+', [
        field('name', 'string', '0+'),
        structArray('partitions', '0+', [
          field('partitionIndex', 'int32', '0+'),
          field('errorCode', 'int16', '0+'),
          field('errorMessage', 'string', '0+', { nullableVersions: '0+', default: null }),
          structArray('activeProducers', '0+', [
            field('producerId', 'int64', '0+'),
            field('producerEpoch', 'int32', '0+'),
            field('lastSequence', 'int32', '0+', { default: -1 }),
            field('lastTimestamp', 'int64', '0+', { default: -1n }),
            field('coordinatorEpoch', 'int32', '0+'),
            field('currentTxnStartOffset', 'int64', '0+', { default: -1n }),
          ]),
        ]),
      ]),
    ],
  },
};
