// ApiVersions (18): the API keys and version ranges this broker serves.
// Unsupported request versions never reach here: the connection answers them
// with the KIP-511 v0 fallback.

import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler } from '../handler.ts';

export const apiVersions: ApiHandler = {
  apiKey: 18,
  minVersion: 0,
  maxVersion: 3,
  handle(ctx) {
    return {
      errorCode: ErrorCode.NONE,
      apiKeys: ctx.broker.router.advertised(),
      throttleTimeMs: 0,
    };
  },
};
