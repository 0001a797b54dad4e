import { field, structArray, type ApiSpec } from '../schema/types.ts';

/** OffsetDelete (47): drop committed offsets of partitions the group no longer consumes. */
export const offsetDelete: ApiSpec = {
  apiKey: 47,
  name: 'OffsetDelete',
  request: {
    name: 'OffsetDeleteRequest',
    validVersions: '0',
    flexibleVersions: 'none',
    fields: [
      field('groupId', 'string', '0+'),
      structArray('topics', '0+', [
        field('name', 'string', '0+', { mapKey: true }),
        structArray('partitions', '0+', [field('partitionIndex', 'int32', '0+')]),
      ]),
    ],
  },
  response: {
    name: 'OffsetDeleteResponse',
    validVersions: '0',
    flexibleVersions: 'none',
    fields: [
      field('errorCode', 'int16', '0+'),
      field('throttleTimeMs', 'int32', '0+'),
      structArray('topics', '0+', [
        field('name', 'string', '0+', { mapKey: true }),
        structArray('partitions', '0+', [
          field('partitionIndex', 'int32', '0+', { mapKey: true }),
          field('errorCode', 'int16', '0+'),
        ]),
      ]),
    ],
  },
};
