// SaslAuthenticate (36): one SASL token each way. A failed authentication is
// answered with SASL_AUTHENTICATION_FAILED and its message, then the connection
// closes; v1+ tells the client how long its session lasts (KIP-368).

import type { ApiHandler } from '../handler.ts';

export const saslAuthenticate: ApiHandler = {
  apiKey: 36,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    return await ctx.auth.authenticate(ctx.apiVersion, Buffer.from(req.authBytes ?? Buffer.alloc(0)));
  },
};
