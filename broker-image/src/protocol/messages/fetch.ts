import { field, struct, structArray, type ApiSpec } from '../schema/types.ts';

/**
 * Fetch (1). v12 is the first flexible version (tagged clusterId, lastFetchedEpoch,
 * divergingEpoch/currentLeader/snapshotId); v13 replaces topic names by topic
 * ids; v15 moves replicaId into the tagged replicaState (KIP-903); v16 adds the
 * tagged nodeEndpoints of new leaders (KIP-951).
 */
export const fetch: ApiSpec = {
  apiKey: 1,
  name: 'Fetch',
  request: {
    name: 'FetchRequest',
    validVersions: '0-16',
    flexibleVersions: '12+',
    fields: [
      field('clusterId', 'string', '12+', { nullableVersions: '12+', default: null, taggedVersions: '12+', tag: 0 }),
      field('replicaId', 'int32', '0-14', { default: -1 }),
      struct('replicaState', '15+', [
        field('replicaId', 'int32', '15+', { default: -1 }),
        field('replicaEpoch', 'int64', '15+', { default: -1 }),
      ], { taggedVersions: '15+', tag: 1 }),
      field('maxWaitMs', 'int32', '0+'),
      field('minBytes', 'int32', '0+'),
      field('maxBytes', 'int32', '3+', { default: 0x7fffffff }),
      field('isolationLevel', 'int8', '4+', { default: 0 }),
      field('sessionId', 'int32', '7+', { default: 0 }),
      field('sessionEpoch', 'int32', '7+', { default: -1 }),
      structArray('topics', '0+', [
        field('topic', 'string', '0-12'),
        field('topicId', 'uuid', '13+'),
        structArray('partitions', '0+', [
          field('partition', 'int32', '0+'),
          field('currentLeaderEpoch', 'int32', '9+', { default: -1 }),
          field('fetchOffset', 'int64', '0+'),
          field('lastFetchedEpoch', 'int32', '12+', { default: -1 }),
          field('logStartOffset', 'int64', '5+', { default: -1 }),
          field('partitionMaxBytes', 'int32', '0+'),
        ]),
      ]),
      structArray('forgottenTopicsData', '7+', [
        field('topic', 'string', '7-12'),
        field('topicId', 'uuid', '13+'),
        field('partitions', '[]int32', '7+'),
      ]),
      field('rackId', 'string', '11+', { default: '' }),
    ],
  },
  response: {
    name: 'FetchResponse',
    validVersions: '0-16',
    flexibleVersions: '12+',
    fields: [
      field('throttleTimeMs', 'int32', '1+'),
      field('errorCode', 'int16', '7+'),
      field('sessionId', 'int32', '7+', { default: 0 }),
      structArray('responses', '0+', [
        field('topic', 'string', '0-12'),
        field('topicId', 'uuid', '13+'),
        structArray('partitions', '0+', [
          field('partitionIndex', 'int32', '0+'),
          field('errorCode', 'int16', '0+'),
          field('highWatermark', 'int64', '0+'),
          field('lastStableOffset', 'int64', '4+', { default: -1 }),
          field('logStartOffset', 'int64', '5+', { default: -1 }),
          struct('divergingEpoch', '12+', [
            field('epoch', 'int32', '12+', { default: -1 }),
            field('endOffset', 'int64', '12+', { default: -1 }),
          ], { taggedVersions: '12+', tag: 0 }),
          struct('currentLeader', '12+', [
            field('leaderId', 'int32', '12+', { default: -1 }),
            field('leaderEpoch', 'int32', '12+', { default: -1 }),
          ], { taggedVersions: '12+', tag: 1 }),
          struct('snapshotId', '12+', [
            field('endOffset', 'int64', '12+', { default: -1 }),
            field('epoch', 'int32', '12+', { default: -1 }),
          ], { taggedVersions: '12+', tag: 2 }),
          structArray('abortedTransactions', '4+', [
            field('producerId', 'int64', '4+'),
            field('firstOffset', 'int64', '4+'),
          ], { nullableVersions: '4+' }),
          field('preferredReadReplica', 'int32', '11+', { default: -1 }),
          field('records', 'records', '0+', { nullableVersions: '0+' }),
        ]),
      ]),
      structArray('nodeEndpoints', '16+', [
        field('nodeId', 'int32', '16+', { mapKey: true }),
        field('host', 'string', '16+'),
        field('port', 'int32', '16+'),
        field('rack', 'string', '16+', { nullableVersions: '16+', default: null }),
      ], { taggedVersions: '16+', tag: 0 }),
    ],
  },
};
