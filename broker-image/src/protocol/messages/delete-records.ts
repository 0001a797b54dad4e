import { field, structArray, type ApiSpec } from '../schema/types.ts';

/** DeleteRecords (21): moves log start offsets forward. v2 is flexible. */
export const deleteRecords: ApiSpec = {
  apiKey: 21,
  name: 'DeleteRecords',
  request: {
    name: 'DeleteRecordsRequest',
    validVersions: '0-2',
    flexibleVersions: '2+',
    fields: [
      structArray('topics', '0+', [
        field('name', 'string', '0+'),
        structArray('partitions', '0+', [
          field('partitionIndex', 'int32', '0+'),
          field('offset', 'int64', '0+'),
        ]),
      ]),
      field('timeoutMs', 'int32', '0+'),
    ],
  },
  response: {
    name: 'DeleteRecordsResponse',
    validVersions: '0-2',
    flexibleVersions: '2+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      structArray('topics', '0+', [
        field('name', 'string', '0+', { mapKey: true }),
        structArray('partitions', '0+', [
          field('partitionIndex', 'int32', '0+', { mapKey: true }),
          field('lowWatermark', 'int64', '0+'),
          field('errorCode', 'int16', '0+'),
        ]),
      ]),
    ],
  },
};
