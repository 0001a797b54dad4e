// SASL PLAIN (RFC 4616): one token, `authzid NUL authcid NUL password`,
// checked against the listener's JAAS users, else against the user's SCRAM
// credential (the password re-derived with its salt and iterations).

import { timingSafeEqual, createHash } from 'node:crypto';
import { SaslAuthenticationError, type SaslServer } from './sasl-server.ts';

export type PasswordCheck = (user: string, password: string) => Promise<boolean>;

export class PlainServer implements SaslServer {
  readonly mechanism = 'PLAIN';
  private done = false;
  private user = '';
  private readonly check: PasswordCheck;

  constructor(check: PasswordCheck) {
    this.check = check;
  }

  get complete(): boolean {
    return this.done;
  }

  get authorizationId(): string {
    return this.user;
  }

  async evaluate(token: Buffer): Promise<Buffer> {
    if (this.done) throw new SaslAuthenticationError('PLAIN exchange already complete');
    const parts = token.toString('utf8').split('\u0000');
    if (parts.length !== 3) throw new SaslAuthenticationError('Invalid SASL/PLAIN response: expected 3 tokens');
    const [authzid, user, password] = parts as [string, string, string];
    if (user === '') throw new SaslAuthenticationError('Authentication failed: username not specified');
    if (password === '') throw new SaslAuthenticationError('Authentication failed: password not specified');
    if (authzid !== '' && authzid !== user) {
      throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    }
    if (!(await this.check(user, password))) throw new SaslAuthenticationError('Authentication failed: Invalid username or password');
    this.user = user;
    this.done = true;
    return Buffer.alloc(0);
  }
}

/** Constant-time comparison of two passwords of any length. */
export function samePassword(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}
