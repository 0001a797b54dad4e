import { field, structArray, type ApiSpec } from '../schema/types.ts';

/** DescribeGroups (15). */
export const describeGroups: ApiSpec = {
  apiKey: 15,
  name: 'DescribeGroups',
  request: {
    name: 'DescribeGroupsRequest',
    validVersions: '0-5',
    flexibleVersions: '5+',
    fields: [
      field('groups', '[]string', '0+'),
      field('includeAuthorizedOperations', 'bool', '3+', { default: false }),
    ],
  },
  response: {
    name: 'DescribeGroupsResponse',
    validVersions: '0-5',
    flexibleVersions: '5+',
    fields: [
      field('throttleTimeMs', 'int32', '1+'),
      structArray('groups', '0+', [
        field('errorCode', 'int16', '0+'),
        field('groupId', 'string', '0+'),
        field('groupState', 'string', '0+'),
        field('protocolType', 'string', '0+'),
        // Only filled in while the group is Stable.
        field('protocolData', 'string', '0+'),
        structArray('members', '0+', [
          field('memberId', 'string', '0+'),
          field('groupInstanceId', 'string', '4+', { nullableVersions: '4+', default: null }),
          field('clientId', 'string', '0+'),
          field('clientHost', 'string', '0+'),
          field('memberMetadata', 'bytes', '0+'),
          field('memberAssignment', 'bytes', '0+'),
        ]),
        field('authorizedOperations', 'int32', '3+', { default: -2147483648 }),
      ]),
    ],
  },
};
