import { field, structArray, type ApiSpec } from '../schema/types.ts';

/** FindCoordinator (10). v4+ batches keys in `coordinatorKeys` (KIP-699). */
export const findCoordinator: ApiSpec = {
  apiKey: 10,
  name: 'FindCoordinator',
  request: {
    name: 'FindCoordinatorRequest',
    validVersions: '0-5',
    flexibleVersions: '3+',
    fields: [
      field('key', 'string', '0-3'),
      field('keyType', 'int8', '1+', { default: 0 }),
      field('coordinatorKeys', '[]string', '4+'),
    ],
  },
  response: {
    name: 'FindCoordinatorResponse',
    validVersions: '0-5',
    flexibleVersions: '3+',
    fields: [
      field('throttleTimeMs', 'int32', '1+'),
      field('errorCode', 'int16', '0-3'),
      field('errorMessage', 'string', '1-3', { nullableVersions: '1-3', default: null }),
      field('nodeId', 'int32', '0-3'),
      field('host', 'string', '0-3'),
      field('port', 'int32', '0-3'),
      structArray('coordinators', '4+', [
        field('key', 'string', '4+'),
        field('nodeId', 'int32', '4+'),
        field('host', 'string', '4+'),
        field('port', 'int32', '4+'),
        field('errorCode', 'int16', '4+'),
        field('errorMessage', 'string', '4+', { nullableVersions: '4+', default: null }),
      ]),
    ],
  },
};
