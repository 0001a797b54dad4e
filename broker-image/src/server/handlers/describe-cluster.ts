// DescribeCluster (60): the brokers clients may talk to, the cluster id and
// the controller (here, the single broker).

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';

const BROKERS_ENDPOINT = 1;

export const describeCluster: ApiHandler = {
  apiKey: 60,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    const { broker } = ctx;
    const self = broker.advertisedFor(ctx.listener.name);
    if (ctx.apiVersion >= 1 && req.endpointType !== BROKERS_ENDPOINT) {
      return {
        throttleTimeMs: 0, errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: 'only broker endpoints (1) are served',
        endpointType: req.endpointType, clusterId: broker.clusterId, controllerId: -1, brokers: [], clusterAuthorizedOperations: -2147483648,
      };
    }
    return {
      throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, endpointType: BROKERS_ENDPOINT,
      clusterId: broker.clusterId, controllerId: broker.nodeId,
      brokers: [{ brokerId: broker.nodeId, host: self.host, port: self.port, rack: null }],
      clusterAuthorizedOperations: -2147483648,
    };
  },
};
