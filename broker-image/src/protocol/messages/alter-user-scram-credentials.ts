import { field, structArray, type ApiSpec } from '../schema/types.ts';

/** AlterUserScramCredentials (51). Mechanism 1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512. */
export const alterUserScramCredentials: ApiSpec = {
  apiKey: 51,
  name: 'AlterUserScramCredentials',
  request: {
    name: 'AlterUserScramCredentialsRequest',
    validVersions: '0',
    flexibleVersions: '0+',
    fields: [
      structArray('deletions', '0+', [
        field('name', 'string', '0+'),
        field('mechanism', 'int8', '0+'),
      ]),
      structArray('upsertions', '0+', [
        field('name', 'string', '0+'),
        field('mechanism', 'int8', '0+'),
        field('iterations', 'int32', '0+'),
        field('salt', 'bytes', '0+'),
        field('saltedPassword', 'bytes', '0+'),
      ]),
    ],
  },
  response: {
    name: 'AlterUserScramCredentialsResponse',
    validVersions: '0',
    flexibleVersions: '0+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      structArray('results', '0+', [
        field('user', 'string', '0+'),
        field('errorCode', 'int16', '0+'),
        field('errorMessage', 'string', '0+', { nullableVersions: '0+' }),
      ]),
    ],
  },
};
