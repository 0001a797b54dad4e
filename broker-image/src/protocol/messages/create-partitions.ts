import { field, structArray, type ApiSpec } from '../schema/types.ts';

/** CreatePartitions (37). v2 is the first flexible version. */
export const createPartitions: ApiSpec = {
  apiKey: 37,
  name: 'CreatePartitions',
  request: {
    name: 'CreatePartitionsRequest',
    validVersions: '0-3',
    flexibleVersions: '2+',
    fields: [
      structArray('topics', '0+', [
        field('name', 'string', '0+', { mapKey: true }),
        field('count', 'int32', '0+'),
        structArray('assignments', '0+', [
          field('brokerIds', '[]int32', '0+'),
        ], { nullableVersions: '0+' }),
      ]),
      field('timeoutMs', 'int32', '0+'),
      field('validateOnly', 'bool', '0+'),
    ],
  },
  response: {
    name: 'CreatePartitionsResponse',
    validVersions: '0-3',
    flexibleVersions: '2+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      structArray('results', '0+', [
        field('name', 'string', '0+', { mapKey: true }),
        field('errorCode', 'int16', '0+'),
        field('errorMessage', 'string', '0+', { nullableVersions: '0+', default: null }),
      ]),
    ],
  },
};
