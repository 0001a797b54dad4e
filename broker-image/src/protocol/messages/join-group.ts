import { field, structArray, type ApiSpec } from '../schema/types.ts';

/** JoinGroup (11). v4+ asks new members to rejoin with an assigned id; v5+ static membership. */
export const joinGroup: ApiSpec = {
  apiKey: 11,
  name: 'JoinGroup',
  request: {
    name: 'JoinGroupRequest',
    validVersions: '0-9',
    flexibleVersions: '6+',
    fields: [
      field('groupId', 'string', '0+'),
      field('sessionTimeoutMs', 'int32', '0+'),
      // Absent before v1: the coordinator then uses the session timeout.
      field('rebalanceTimeoutMs', 'int32', '1+', { default: -1 }),
      field('memberId', 'string', '0+'),
      field('groupInstanceId', 'string', '5+', { nullableVersions: '5+', default: null }),
      field('protocolType', 'string', '0+'),
      structArray('protocols', '0+', [
        field('name', 'string', '0+', { mapKey: true }),
        field('metadata', 'bytes', '0+'),
      ]),
      field('reason', 'string', '8+', { nullableVersions: '8+', default: null }),
    ],
  },
  response: {
    name: 'JoinGroupResponse',
    validVersions: '0-9',
    flexibleVersions: '6+',
    fields: [
      field('throttleTimeMs', 'int32', '2+'),
      field('errorCode', 'int16', '0+'),
      field('generationId', 'int32', '0+', { default: -1 }),
      field('protocolType', 'string', '7+', { nullableVersions: '7+', default: null }),
      field('protocolName', 'string', '0+', { nullableVersions: '7+' }),
      field('leader', 'string', '0+'),
      field('skipAssignment', 'bool', '9+', { default: false }),
      field('memberId', 'string', '0+'),
      structArray('members', '0+', [
        field('memberId', 'string', '0+'),
        field('groupInstanceId', 'string', '5+', { nullableVersions: '5+', default: null }),
        field('metadata', 'bytes', '0+'),
      ]),
    ],
  },
};
