import { field, structArray, type ApiSpec } from '../schema/types.ts';

/** AlterConfigs (33): replaces a resource's whole config set. v2 is flexible. */
export const alterConfigs: ApiSpec = {
  apiKey: 33,
  name: 'AlterConfigs',
  request: {
    name: 'AlterConfigsRequest',
    validVersions: '0-2',
    flexibleVersions: '2+',
    fields: [
      structArray('resources', '0+', [
        field('resourceType', 'int8', '0+'),
        field('resourceName', 'string', '0+'),
        structArray('configs', '0+', [
          field('name', 'string', '0+', { mapKey: true }),
          field('value', 'string', '0+', { nullableVersions: '0+' }),
        ]),
      ]),
      field('validateOnly', 'bool', '0+'),
    ],
  },
  response: {
    name: 'AlterConfigsResponse',
    validVersions: '0-2',
    flexibleVersions: '2+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      structArray('responses', '0+', [
        field('errorCode', 'int16', '0+'),
        field('errorMessage', 'string', '0+', { nullableVersions: '0+' }),
        field('resourceType', 'int8', '0+'),
        field('resourceName', 'string', '0+'),
      ]),
    ],
  },
};
