import { field, structArray, type ApiSpec } from '../schema/types.ts';

/** CreateAcls (30). Pattern type 3 = LITERAL, the only kind before v1. */
export const createAcls: ApiSpec = {
  apiKey: 30,
  name: 'CreateAcls',
  request: {
    name: 'CreateAclsRequest',
    validVersions: '0-3',
    flexibleVersions: '2+',
    fields: [
      structArray('creations', '0+', [
        field('resourceType', 'int8', '0+'),
        field('resourceName', 'string', '0+'),
        field('resourcePatternType', 'int8', '1+', { default: 3 }),
        field('principal', 'string', '0+'),
        field('host', 'string', '0+'),
        field('operation', 'int8', '0+'),
        field('permissionType', 'int8', '0+'),
      ]),
    ],
  },
  response: {
    name: 'CreateAclsResponse',
    validVersions: '0-3',
    flexibleVersions: '2+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      structArray('results', '0+', [
        field('errorCode', 'int16', '0+'),
        field('errorMessage', 'string', '0+', { nullableVersions: '0+' }),
      ]),
    ],
  },
};
