// A connection's authentication state (Kafka's SaslServerAuthenticator):
//
//   handshake ──SaslHandshake v0──▶ raw tokens (length-prefixed, no request header)
//       │                              │
//       └──SaslHandshake v1──▶ authenticate (SaslAuthenticate requests)
//                                      │
//                                  complete ──SaslHandshake v1──▶ re-authentication (KIP-368)
//
// Before completion only ApiVersions, SaslHandshake and SaslAuthenticate are
// served; anything else closes the connection, as Kafka does. PLAINTEXT and
// SSL connections start complete (principal ANONYMOUS or the certificate's).

import { ErrorCode } from '../protocol/errors.ts';
import type { CoordinationStore } from '../cluster/store/coordination-store.ts';
import { PlainServer, samePassword } from './plain.ts';
import { ANONYMOUS, userPrincipal } from './principal.ts';
import { SaslAuthenticationError, type SaslServer } from './sasl-server.ts';
import { ScramCredentials } from './scram-credentials.ts';
import { hashOf, isScramMechanism, passwordMatches, ScramServer, SCRAM_MECHANISMS } from './scram.ts';
import type { SaslSettings } from './security-config.ts';

export const API_SASL_HANDSHAKE = 17;
export const API_SASL_AUTHENTICATE = 36;
export const API_VERSIONS = 18;

type State = 'handshake' | 'raw-tokens' | 'authenticate' | 'complete' | 'failed';

export interface AuthenticatorOptions {
  sasl: SaslSettings | null;
  /** The principal before SASL: the TLS certificate's, or ANONYMOUS. */
  transportPrincipal: string;
  store: CoordinationStore;
  secret: Buffer;
  /** connections.max.reauth.ms; 0: sessions do not expire. */
  maxReauthMs: number;
}

export interface HandshakeResult {
  errorCode: number;
  mechanisms: string[];
}

export interface AuthenticateResult {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  sessionLifetimeMs: bigint;
}

export class Authenticator {
  private readonly opts: AuthenticatorOptions;
  private state: State;
  private server: SaslServer | null = null;
  private mechanism: string | null = null;
  private reauthenticating = false;
  private expiresAt = 0;
  principal: string;
  /** Set when the response being sent must be the last on this connection. */
  closeAfterResponse = false;
  /** Why authentication failed (for the broker's log), once it has. */
  failure: string | null = null;
  /** Completed SASL authentications on this connection (more than one: re-authentications). */
  authentications = 0;

  constructor(opts: AuthenticatorOptions) {
    this.opts = opts;
    this.principal = opts.sasl ? ANONYMOUS : opts.transportPrincipal;
    this.state = opts.sasl ? 'handshake' : 'complete';
  }

  get isSasl(): boolean {
    return this.opts.sasl !== null;
  }

  get saslMechanism(): string | null {
    return this.mechanism;
  }

  /** Whether the connection may send requests other than the SASL ones. */
  get authenticated(): boolean {
    return this.state === 'complete' || (this.state === 'authenticate' && this.reauthenticating);
  }

  /** The next frame is a raw SASL token, not a request (after a v0 handshake). */
  get expectsRawToken(): boolean {
    return this.state === 'raw-tokens';
  }

  /** Whether a request with this API key may be handled now; false closes the connection. */
  allows(apiKey: number): boolean {
    switch (this.state) {
      case 'complete': return true;
      case 'handshake': return apiKey === API_VERSIONS || apiKey === API_SASL_HANDSHAKE;
      case 'authenticate': return this.reauthenticating || apiKey === API_SASL_AUTHENTICATE || apiKey === API_SASL_HANDSHAKE;
      default: return false;
    }
  }

  /** KIP-368: the session ran out and the client did not re-authenticate. */
  sessionExpired(now = Date.now()): boolean {
    return this.expiresAt > 0 && now > this.expiresAt && !this.reauthenticating;
  }

  handshake(version: number, mechanism: string): HandshakeResult {
    const sasl = this.opts.sasl;
    if (!sasl) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    const enabled = sasl.mechanisms;
    if (this.state === 'complete' && version >= 1 && this.mechanism !== null) {
      // Re-authentication keeps the mechanism (and, checked at the end, the principal).
      if (mechanism !== this.mechanism) {
        this.closeAfterResponse = true;
        return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: [this.mechanism] };
      }
      this.reauthenticating = true;
      this.server = this.newServer(mechanism);
      this.state = 'authenticate';
      return { errorCode: ErrorCode.NONE, mechanisms: enabled };
    }
    if (this.state !== 'handshake') {
      this.closeAfterResponse = true;
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: enabled };
    }
    if (!enabled.includes(mechanism)) {
      this.state = 'failed';
      this.closeAfterResponse = true;
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: enabled };
    }
    this.mechanism = mechanism;
    this.server = this.newServer(mechanism);
    this.state = version === 0 ? 'raw-tokens' : 'authenticate';
    return { errorCode: ErrorCode.NONE, mechanisms: enabled };
  }

  async authenticate(version: number, token: Buffer): Promise<AuthenticateResult> {
    const none = Buffer.alloc(0);
    if (!this.opts.sasl || this.state !== 'authenticate' || !this.server) {
      // Out of turn on a SASL listener ends the connection; on others it is just refused, as in Kafka.
      if (this.opts.sasl) this.closeAfterResponse = true;
      const errorMessage = this.state === 'complete'
        ? 'SaslAuthenticate request received after successful authentication'
        : 'Unexpected SaslAuthenticate request: no SaslHandshake v1 before it';
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage, authBytes: none, sessionLifetimeMs: 0n };
    }
    try {
      const server = this.server;
      const authBytes = await server.evaluate(token);
      if (server.complete) this.completed();
      return {
        errorCode: ErrorCode.NONE, errorMessage: null, authBytes,
        sessionLifetimeMs: server.complete && version >= 1 ? BigInt(this.opts.maxReauthMs) : 0n,
      };
    } catch (err) {
      this.state = 'failed';
      this.closeAfterResponse = true;
      const message = err instanceof SaslAuthenticationError ? err.message : `Authentication failed: ${(err as Error).message}`;
      this.failure = `${this.mechanism ?? 'SASL'}: ${message}`;
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: message, authBytes: none, sessionLifetimeMs: 0n };
    }
  }

  /** A token after a v0 handshake: the response token, or throws (the connection then closes without a response). */
  async rawToken(token: Buffer): Promise<Buffer> {
    if (this.state !== 'raw-tokens' || !this.server) throw new SaslAuthenticationError('unexpected SASL token');
    try {
      const server = this.server;
      const response = await server.evaluate(token);
      if (server.complete) this.completed();
      return response;
    } catch (err) {
      this.state = 'failed';
      throw err;
    }
  }

  private completed(): void {
    const principal = userPrincipal(this.server!.authorizationId);
    if (this.reauthenticating && principal !== this.principal) {
      throw new SaslAuthenticationError(`Cannot change principals during re-authentication from ${this.principal}: ${principal}`);
    }
    this.principal = principal;
    this.authentications++;
    this.state = 'complete';
    this.reauthenticating = false;
    this.server = null;
    this.expiresAt = this.opts.maxReauthMs > 0 ? Date.now() + this.opts.maxReauthMs : 0;
  }

  private newServer(mechanism: string): SaslServer {
    const credentials = new ScramCredentials(this.opts.store);
    if (isScramMechanism(mechanism)) {
      return new ScramServer({ mechanism, secret: this.opts.secret, lookup: (user) => credentials.get(mechanism, user) });
    }
    const plainUsers = this.opts.sasl!.plainUsers;
    return new PlainServer(async (user, password) => {
      const configured = plainUsers.get(user);
      if (configured !== undefined) return samePassword(configured, password);
      for (const m of SCRAM_MECHANISMS) {
        const cred = await credentials.get(m, user);
        if (cred) return passwordMatches(hashOf(m), cred, password);
      }
      return false;
    });
  }
}
