import { field, structArray, type ApiSpec } from '../schema/types.ts';

/** DeleteGroups (42). */
export const deleteGroups: ApiSpec = {
  apiKey: 42,
  name: 'DeleteGroups',
  request: {
    name: 'DeleteGroupsRequest',
    validVersions: '0-2',
    flexibleVersions: '2+',
    fields: [field('groupsNames', '[]string', '0+')],
  },
  response: {
    name: 'DeleteGroupsResponse',
    validVersions: '0-2',
    flexibleVersions: '2+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      structArray('results', '0+', [
        field('groupId', 'string', '0+', { mapKey: true }),
        field('errorCode', 'int16', '0+'),
      ]),
    ],
  },
};
