import { field, structArray, type ApiSpec } from '../schema/types.ts';

/**
 * DescribeConfigs (32). v0 has isDefault; v1 replaces it by configSource and
 * adds synonyms; v3 adds config types and documentation; v4 is flexible.
 */
export const describeConfigs: ApiSpec = {
  apiKey: 32,
  name: 'DescribeConfigs',
  request: {
    name: 'DescribeConfigsRequest',
    validVersions: '0-4',
    flexibleVersions: '4+',
    fields: [
      structArray('resources', '0+', [
        field('resourceType', 'int8', '0+'),
        field('resourceName', 'string', '0+'),
        field('configurationKeys', '[]string', '0+', { nullableVersions: '0+' }),
      ]),
      field('includeSynonyms', 'bool', '1+', { default: false }),
      field('includeDocumentation', 'bool', '3+', { default: false }),
    ],
  },
  response: {
    name: 'DescribeConfigsResponse',
    validVersions: '0-4',
    flexibleVersions: '4+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      structArray('results', '0+', [
        field('errorCode', 'int16', '0+'),
        field('errorMessage', 'string', '0+', { nullableVersions: '0+' }),
        field('resourceType', 'int8', '0+'),
        field('resourceName', 'string', '0+'),
        structArray('configs', '0+', [
          field('name', 'string', '0+'),
          field('value', 'string', '0+', { nullableVersions: '0+' }),
          field('readOnly', 'bool', '0+'),
          field('isDefault', 'bool', '0'),
          field('configSource', 'int8', '1+', { default: -1 }),
          field('isSensitive', 'bool', '0+'),
          structArray('synonyms', '1+', [
            field('name', 'string', '1+'),
            field('value', 'string', '1+', { nullableVersions: '0+' }),
            field('source', 'int8', '1+'),
          ]),
          field('configType', 'int8', '3+', { default: 0 }),
          field('documentation', 'string', '3+', { nullableVersions: '0+' }),
        ]),
      ]),
    ],
  },
};
