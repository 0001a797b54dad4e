import { field, structArray, type ApiSpec } from '../schema/types.ts';

/** DescribeUserScramCredentials (50). Null users describes every user. */
export const describeUserScramCredentials: ApiSpec = {
  apiKey: 50,
  name: 'DescribeUserScramCredentials',
  request: {
    name: 'DescribeUserScramCredentialsRequest',
    validVersions: '0',
    flexibleVersions: '0+',
    fields: [
      structArray('users', '0+', [field('name', 'string', '0+')], { nullableVersions: '0+' }),
    ],
  },
  response: {
    name: 'DescribeUserScramCredentialsResponse',
    validVersions: '0',
    flexibleVersions: '0+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
      field('errorMessage', 'string', '0+', { nullableVersions: '0+' }),
      structArray('results', '0+', [
        field('user', 'string', '0+'),
        field('errorCode', 'int16', '0+'),
        field('errorMessage', 'string', '0+', { nullableVersions: '0+' }),
        structArray('credentialInfos', '0+', [
          field('mechanism', 'int8', '0+'),
          field('iterations', 'int32', '0+'),
        ]),
      ]),
    ],
  },
};
