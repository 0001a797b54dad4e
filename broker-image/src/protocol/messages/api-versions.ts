import { field, structArray, type ApiSpec } from '../schema/types.ts';

/**
 * ApiVersions (18). v3 is the first flexible version (request header v2);
 * the response header is always v0 (KIP-511). v4 only lifts a restriction on
 * SupportedFeatures.minVersion (KAFKA-17011), so it costs nothing to serve.
 */
export const apiVersions: ApiSpec = {
  apiKey: 18,
  name: 'ApiVersions',
  request: {
    name: 'ApiVersionsRequest',
    validVersions: '0-4',
    flexibleVersions: '3+',
    fields: [
      field('clientSoftwareName', 'string', '3+'),
      field('clientSoftwareVersion', 'string', '3+'),
    ],
  },
  response: {
    name: 'ApiVersionsResponse',
    validVersions: '0-4',
    flexibleVersions: '3+',
    fields: [
      field('errorCode', 'int16', '0+'),
      structArray('apiKeys', '0+', [
        field('apiKey', 'int16', '0+', { mapKey: true }),
        field('minVersion', 'int16', '0+'),
        field('maxVersion', 'int16', '0+'),
      ]),
      field('throttleTimeMs', 'int32', '1+'),
      structArray('supportedFeatures', '3+', [
        field('name', 'string', '3+', { mapKey: true }),
        field('minVersion', 'int16', '3+'),
        field('maxVersion', 'int16', '3+'),
      ], { taggedVersions: '3+', tag: 0 }),
      field('finalizedFeaturesEpoch', 'int64', '3+', { taggedVersions: '3+', tag: 1, default: -1 }),
      structArray('finalizedFeatures', '3+', [
        field('name', 'string', '3+', { mapKey: true }),
        field('maxVersionLevel', 'int16', '3+'),
        field('minVersionLevel', 'int16', '3+'),
      ], { taggedVersions: '3+', tag: 2 }),
      field('zkMigrationReady', 'bool', '3+', { taggedVersions: '3+', tag: 3, default: false }),
    ],
  },
};
