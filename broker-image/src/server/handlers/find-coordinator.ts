// FindCoordinator (10): groups are coordinated by this broker; transactions
// are not served yet. v4+ asks for several keys at once.

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler, Body, RequestContext } from '../handler.ts';

const GROUP = 0;

export const findCoordinator: ApiHandler = {
  apiKey: 10,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, req) {
    if (ctx.apiVersion >= 4) {
      const coordinators = (req.coordinatorKeys as string[]).map((key) => ({ key, ...coordinatorFor(ctx, req.keyType) }));
      return { throttleTimeMs: 0, coordinators };
    }
    return { throttleTimeMs: 0, ...coordinatorFor(ctx, req.keyType ?? GROUP) };
  },
};

function coordinatorFor(ctx: RequestContext, keyType: number): Body {
  if (keyType !== GROUP) {
    return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'only group coordinators are served (no transactions)', nodeId: -1, host: '', port: -1 };
  }
  const self = ctx.broker.advertisedFor(ctx.listener.name);
  return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: ctx.broker.nodeId, host: self.host, port: self.port };
}
