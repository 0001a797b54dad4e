import { field, structArray, type ApiSpec } from '../schema/types.ts';

/**
 * DescribeLogDirs (35). A null topic list means all topics. v2 is flexible,
 * v3 adds the top-level error code, v4 total and usable bytes (KIP-827).
 */
export const describeLogDirs: ApiSpec = {
  apiKey: 35,
  name: 'DescribeLogDirs',
  request: {
    name: 'DescribeLogDirsRequest',
    validVersions: '0-4',
    flexibleVersions: '2+',
    fields: [
      structArray('topics', '0+', [
        field('topic', 'string', '0+', { mapKey: true }),
        field('partitions', '[]int32', '0+'),
      ], { nullableVersions: '0+' }),
    ],
  },
  response: {
    name: 'DescribeLogDirsResponse',
    validVersions: '0-4',
    flexibleVersions: '2+',
    fields: [
      field('throttleTimeMs', 'int32', '0+'),
      field('errorCode', 'int16', '3+'),
      structArray('results', '0+', [
        field('errorCode', 'int16', '0+'),
        field('logDir', 'string', '0+'),
        structArray('topics', '0+', [
          field('name', 'string', '0+'),
          structArray('partitions', '0+', [
            field('partitionIndex', 'int32', '0+'),
            field('partitionSize', 'int64', '0+'),
            field('offsetLag', 'int64', '0+'),
            field('isFutureKey', 'bool', '0+'),
          ]),
        ]),
        field('totalBytes', 'int64', '4+', { default: -1 }),
        field('usableBytes', 'int64', '4+', { default: -1 }),
      ]),
    ],
  },
};
