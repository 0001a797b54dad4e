import { field, structArray, type ApiSpec } from '../schema/types.ts';

/** SyncGroup (14). */
export const syncGroup: ApiSpec = {
  apiKey: 14,
  name: 'SyncGroup',
  request: {
    name: 'SyncGroupRequest',
    validVersions: '0-5',
    flexibleVersions: '4+',
    fields: [
      field('groupId', 'string', '0+'),
      field('generationId', 'int32', '0+'),
      field('memberId', 'string', '0+'),
      field('groupInstanceId', 'string', '3+', { nullableVersions: '3+', default: null }),
      field('protocolType', 'string', '5+', { nullableVersions: '5+', default: null }),
      field('protocolName', 'string', '5+', { nullableVersions: '5+', default: null }),
      structArray('assignments', '0+', [
        field('memberId', 'string', '0+'),
        field('assignment', 'bytes', '0+'),
      ]),
    ],
  },
  response: {
    name: 'SyncGroupResponse',
    validVersions: '0-5',
    flexibleVersions: '4+',
    fields: [
      field('throttleTimeMs', 'int32', '1+'),
      field('errorCode', 'int16', '0+'),
      field('protocolType', 'string', '5+', { nullableVersions: '5+', default: null }),
      field('protocolName', 'string', '5+', { nullableVersions: '5+', default: null }),
      field('assignment', 'bytes', '0+'),
    ],
  },
};
