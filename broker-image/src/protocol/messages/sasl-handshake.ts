import { field, type ApiSpec } from '../schema/types.ts';

/** SaslHandshake (17). v1 means the SASL tokens then travel in SaslAuthenticate requests. */
export const saslHandshake: ApiSpec = {
  apiKey: 17,
  name: 'SaslHandshake',
  request: {
    name: 'SaslHandshakeRequest',
    validVersions: '0-1',
    flexibleVersions: 'none',
    fields: [field('mechanism', 'string', '0+')],
  },
  response: {
    name: 'SaslHandshakeResponse',
    validVersions: '0-1',
    flexibleVersions: 'none',
    fields: [
      field('errorCode', 'int16', '0+'),
      field('mechanisms', '[]string', '0+'),
    ],
  },
};
