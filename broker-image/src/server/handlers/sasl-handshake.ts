// SaslHandshake (17): the client names its mechanism. v0 means the tokens then
// travel raw (length-prefixed, no request header); v1 means in SaslAuthenticate.
// On a listener without SASL, or out of turn, the answer is ILLEGAL_SASL_STATE.

import type { ApiHandler } from '../handler.ts';

export const saslHandshake: ApiHandler = {
  apiKey: 17,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    return ctx.auth.handshake(ctx.apiVersion, String(req.mechanism ?? ''));
  },
};
