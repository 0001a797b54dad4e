import { field, structArray, type ApiSpec } from '../schema/types.ts';

/** LeaveGroup (13). v3+ removes a batch of members identified by member id and/or instance id. */
export const leaveGroup: ApiSpec = {
  apiKey: 13,
  name: 'LeaveGroup',
  request: {
    name: 'LeaveGroupRequest',
    validVersions: '0-5',
    flexibleVersions: '4+',
    fields: [
      field('groupId', 'string', '0+'),
      field('memberId', 'string', '0-2'),
      structArray('members', '3+', [
        field('memberId', 'string', '3+'),
        field('groupInstanceId', 'string', '3+', { nullableVersions: '3+', default: null }),
        field('reason', 'string', '5+', { nullableVersions: '5+', default: null }),
      ]),
    ],
  },
  response: {
    name: 'LeaveGroupResponse',
    validVersions: '0-5',
    flexibleVersions: '4+',
    fields: [
      field('throttleTimeMs', 'int32', '1+'),
      field('errorCode', 'int16', '0+'),
      structArray('members', '3+', [
        field('memberId', 'string', '3+'),
        field('groupInstanceId', 'string', '3+', { nullableVersions: '3+', default: null }),
        field('errorCode', 'int16', '3+'),
      ]),
    ],
  },
};
