import { field, structArray, type ApiSpec } from '../schema/types.ts';

/** DescribeAcls (29). */
export const describeAcls: ApiSpec = {
  apiKey: 29,
  name: 'DescribeAcls',
  request: {
    name: 'DescribeAclsRequest',
    validVersions: '0-3',
    flexibleVersions: '2+',
    fields: [
      field('resourceTypeFilter', 'int8', '0+'),
      field('resourceNameFilter', 'string', '0+', { nullableVersions: '0+' }),
      field('patternTypeFilter', 'int8', '1+', { default: 3 }),
      field('principalFilter', 'string', '0+', { nullableVersions: '0+' }),
      field('hostFilter', 'string', '0+', { nullableVersions: '0+' }),
      field('operation', 'int8', '0+'),
      field('permissionType', 'int8', '0+'),
    ],
  },
  response: {
    name: 'DescribeAclsResponse',
    validVersions: '0-3',
    flexibleVersions: '2+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
      field('errorMessage', 'string', '0+', { nullableVersions: '0+' }),
      structArray('resources', '0+', [
        field('resourceType', 'int8', '0+'),
        field('resourceName', 'string', '0+'),
        field('patternType', 'int8', '1+', { default: 3 }),
        structArray('acls', '0+', [
          field('principal', 'string', '0+'),
          field('host', 'string', '0+'),
          field('operation', 'int8', '0+'),
          field('permissionType', 'int8', '0+'),
        ]),
      ]),
    ],
  },
};
