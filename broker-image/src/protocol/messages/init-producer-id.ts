import { field, type ApiSpec } from '../schema/types.ts';

/** InitProducerId (22). v3+ lets a producer bump its epoch by passing its current id and epoch. */
export const initProducerId: ApiSpec = {
  apiKey: 22,
  name: 'InitProducerId',
  request: {
    name: 'InitProducerIdRequest',
    validVersions: '0-4',
    flexibleVersions: '2+',
    fields: [
      field('transactionalId', 'string', '0+', { nullableVersions: '0+' }),
      field('transactionTimeoutMs', 'int32', '0+'),
      field('producerId', 'int64', '3+', { default: -1n }),
      field('producerEpoch', 'int16', '3+', { default: -1 }),
    ],
  },
  response: {
    name: 'InitProducerIdResponse',
    validVersions: '0-4',
    flexibleVersions: '2+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
      field('producerId', 'int64', '0+', { default: -1n }),
      field('producerEpoch', 'int16', '0+'),
    ],
  },
};
