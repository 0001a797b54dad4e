import { field, structArray, type ApiSpec } from '../schema/types.ts';

/** ListGroups (16). v4 filters by group state. */
export const listGroups: ApiSpec = {
  apiKey: 16,
  name: 'ListGroups',
  request: {
    name: 'ListGroupsRequest',
    validVersions: '0-4',
    flexibleVersions: '3+',
    fields: [field('statesFilter', '[]string', '4+')],
  },
  response: {
    name: 'ListGroupsResponse',
    validVersions: '0-4',
    flexibleVersions: '3+',
    fields: [
      field('throttleTimeMs', 'int32', '1+'),
      field('errorCode', 'int16', '0+'),
      structArray('groups', '0+', [
        field('groupId', 'string', '0+'),
        field('protocolType', 'string', '0+'),
        field('groupState', 'string', '4+'),
      ]),
    ],
  },
};
