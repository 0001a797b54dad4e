// The contract between the connection layer and the per-API handlers: each
// handler gets the decoded request body and returns the response body (or
// null when the client expects no response, as Produce with acks=0).

import type { Broker } from './broker.ts';
import type { Listener } from '../config/broker-config.ts';
import type { Authenticator } from '../security/authenticator.ts';

export interface RequestContext {
  broker: Broker;
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  clientHost: string;
  listener: Listener;
  /** `User:<name>`: the SASL user, the TLS client certificate's subject, or `User:ANONYMOUS`. */
  principal: string;
  /** The connection's authentication state (SaslHandshake and SaslAuthenticate drive it). */
  auth: Authenticator;
}

// Bodies are the codec's plain objects (field names from the message schemas).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Body = any;

export interface ApiHandler {
  apiKey: number;
  /** Versions this handler honours; the advertised range is this ∩ the schema's. */
  minVersion: number;
  maxVersion: number;
  handle(ctx: RequestContext, request: Body): Promise<Body | null> | Body | null;
}
