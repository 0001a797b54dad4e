// One SASL mechanism's server side: tokens in, tokens out, until complete.

export interface SaslServer {
  readonly mechanism: string;
  /** True once the client has proven who it is. */
  readonly complete: boolean;
  /** The authenticated user name (valid once complete). */
  readonly authorizationId: string;
  /** The response to one client token; throws SaslAuthenticationError when authentication fails. */
  evaluate(token: Buffer): Promise<Buffer>;
}

/** Authentication failed: answered with SASL_AUTHENTICATION_FAILED and this message, then the connection closes. */
export class SaslAuthenticationError extends Error {
  override name = 'SaslAuthenticationError';
}
