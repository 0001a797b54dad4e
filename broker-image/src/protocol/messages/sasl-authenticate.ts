import { field, type ApiSpec } from '../schema/types.ts';

/** SaslAuthenticate (36). */
export const saslAuthenticate: ApiSpec = {
  apiKey: 36,
  name: 'SaslAuthenticate',
  request: {
    name: 'SaslAuthenticateRequest',
    validVersions: '0-2',
    flexibleVersions: '2+',
    fields: [field('authBytes', 'bytes', '0+')],
  },
  response: {
    name: 'SaslAuthenticateResponse',
    validVersions: '0-2',
    flexibleVersions: '2+',
    fields: [
      field('errorCode', 'int16', '0+'),
      field('errorMessage', 'string', '0+', { nullableVersions: '0+' }),
      field('authBytes', 'bytes', '0+'),
      field('sessionLifetimeMs', 'int64', '1+', { default: 0n }),
    ],
  },
};
