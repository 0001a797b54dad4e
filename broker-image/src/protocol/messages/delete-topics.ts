import { field, structArray, type ApiSpec } from '../schema/types.ts';

/**
 * DeleteTopics (20). Up to v5 topics are named in topicNames; v6 replaces it by
 * `topics` (name or id). v4 is the first flexible version.
 */
export const deleteTopics: ApiSpec = {
  apiKey: 20,
  name: 'DeleteTopics',
  request: {
    name: 'DeleteTopicsRequest',
    validVersions: '0-6',
    flexibleVersions: '4+',
    fields: [
      structArray('topics', '6+', [
        field('name', 'string', '6+', { nullableVersions: '6+', default: null }),
        field('topicId', 'uuid', '6+'),
      ]),
      field('topicNames', '[]string', '0-5'),
      field('timeoutMs', 'int32', '0+'),
    ],
  },
  response: {
    name: 'DeleteTopicsResponse',
    validVersions: '0-6',
    flexibleVersions: '4+',
    fields: [
      field('throttleTimeMs', 'int32', '1+'),
      structArray('responses', '0+', [
        field('name', 'string', '0+', { nullableVersions: '6+', mapKey: true }),
        field('topicId', 'uuid', '6+'),
        field('errorCode', 'int16', '0+'),
        field('errorMessage', 'string', '5+', { nullableVersions: '5+', default: null }),
      ]),
    ],
  },
};
