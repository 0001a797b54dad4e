import { field, type ApiSpec } from '../schema/types.ts';

/** Heartbeat (12). */
export const heartbeat: ApiSpec = {
  apiKey: 12,
  name: 'Heartbeat',
  request: {
    name: 'HeartbeatRequest',
    validVersions: '0-4',
    flexibleVersions: '4+',
    fields: [
      field('groupId', 'string', '0+'),
      field('generationId', 'int32', '0+'),
      field('memberId', 'string', '0+'),
      field('groupInstanceId', 'string', '3+', { nullableVersions: '3+', default: null }),
    ],
  },
  response: {
    name: 'HeartbeatResponse',
    validVersions: '0-4',
    flexibleVersions: '4+',
    fields: [
      field('throttleTimeMs', 'int32', '1+'),
      field('errorCode', 'int16', '0+'),
    ],
  },
};
