import { field, structArray, type ApiSpec } from '../schema/types.ts';

/** DeleteAcls (31). */
export const deleteAcls: ApiSpec = {
  apiKey: 31,
  name: 'DeleteAcls',
  request: {
    name: 'DeleteAclsRequest',
    validVersions: '0-3',
    flexibleVersions: '2+',
    fields: [
      structArray('filters', '0+', [
        field('resourceTypeFilter', 'int8', '0+'),
        field('resourceNameFilter', 'string', '0+', { nullableVersions: '0+' }),
        field('patternTypeFilter', 'int8', '1+', { default: 3 }),
        field('principalFilter', 'string', '0+', { nullableVersions: '0+' }),
        field('hostFilter', 'string', '0+', { nullableVersions: '0+' }),
        field('operation', 'int8', '0+'),
        field('permissionType', 'int8', '0+'),
      ]),
    ],
  },
  response: {
    name: 'DeleteAclsResponse',
    validVersions: '0-3',
    flexibleVersions: '2+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      structArray('filterResults', '0+', [
        field('errorCode', 'int16', '0+'),
        field('errorMessage', 'string', '0+', { nullableVersions: '0+', default: null }),
        structArray('matchingAcls', '0+', [
          field('errorCode', 'int16', '0+'),
          field('errorMessage', 'string', '0+', { nullableVersions: '0+', default: null }),
          field('resourceType', 'int8', '0+'),
          field('resourceName', 'string', '0+'),
          field('patternType', 'int8', '1+', { default: 3 }),
          field('principal', 'string', '0+'),
          field('host', 'string', '0+'),
          field('operation', 'int8', '0+'),
          field('permissionType', 'int8', '0+'),
        ]),
      ]),
    ],
  },
};
