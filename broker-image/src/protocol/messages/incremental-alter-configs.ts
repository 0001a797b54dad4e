import { field, structArray, type ApiSpec } from '../schema/types.ts';

/**
 * IncrementalAlterConfigs (44): per-key SET (0), DELETE (1), APPEND (2),
 * SUBTRACT (3). v1 is flexible.
 */
export const incrementalAlterConfigs: ApiSpec = {
  apiKey: 44,
  name: 'IncrementalAlterConfigs',
  request: {
    name: 'IncrementalAlterConfigsRequest',
    validVersions: '0-1',
    flexibleVersions: '1+',
    fields: [
      structArray('resources', '0+', [
        field('resourceType', 'int8', '0+'),
        field('resourceName', 'string', '0+'),
        structArray('configs', '0+', [
          field('name', 'string', '0+', { mapKey: true }),
          field('configOperation', 'int8', '0+'),
          field('value', 'string', '0+', { nullableVersions: '0+' }),
        ]),
      ]),
      field('validateOnly', 'bool', '0+'),
    ],
  },
  response: {
    name: 'IncrementalAlterConfigsResponse',
    validVersions: '0-1',
    flexibleVersions: '1+',
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
