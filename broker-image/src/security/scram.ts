// SCRAM (RFC 5802, RFC 7677 for SHA-256; Kafka adds SHA-512): the credential
// math and the server side of the exchange. The broker keeps only salt,
// iterations, StoredKey and ServerKey: enough to check a proof and to prove
// itself, never enough to log in as the user.

import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { SaslAuthenticationError, type SaslServer } from './sasl-server.ts';

export const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type ScramMechanism = (typeof SCRAM_MECHANISMS)[number];

/** Kafka's mechanism numbers in Describe/AlterUserScramCredentials. */
export const SCRAM_MECHANISM_IDS: Record<ScramMechanism, number> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };
export const MIN_ITERATIONS = 4096;
export const MAX_ITERATIONS = 16384;

export type ScramHash = 'sha1' | 'sha256' | 'sha512';

export function hashOf(mechanism: string): ScramHash {
  switch (mechanism) {
    case 'SCRAM-SHA-256': return 'sha256';
    case 'SCRAM-SHA-512': return 'sha512';
    case 'SCRAM-SHA-1': return 'sha1';
    default: throw new Error(`not a SCRAM mechanism: ${mechanism}`);
  }
}

export function isScramMechanism(m: string): m is ScramMechanism {
  return (SCRAM_MECHANISMS as readonly string[]).includes(m);
}

export function scramMechanismById(id: number): ScramMechanism | null {
  return (Object.entries(SCRAM_MECHANISM_IDS).find(([, v]) => v === id)?.[0] as ScramMechanism | undefined) ?? null;
}

export interface ScramCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

const hashLength: Record<ScramHash, number> = { sha1: 20, sha256: 32, sha512: 64 };

const hmac = (hash: ScramHash, key: Buffer, data: string | Buffer) => createHmac(hash, key).update(data).digest();
const h = (hash: ScramHash, data: Buffer) => createHash(hash).update(data).digest();

/** Hi(password, salt, i): PBKDF2 with HMAC-H, one block. */
export function saltedPassword(hash: ScramHash, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, hashLength[hash], hash);
}

export function clientKey(hash: ScramHash, salted: Buffer): Buffer {
  return hmac(hash, salted, 'Client Key');
}

/** The stored form of a salted password (what AlterUserScramCredentials receives). */
export function credentialFromSaltedPassword(hash: ScramHash, salted: Buffer, salt: Buffer, iterations: number): ScramCredential {
  return {
    salt, iterations,
    storedKey: h(hash, clientKey(hash, salted)),
    serverKey: hmac(hash, salted, 'Server Key'),
  };
}

export function credentialFromPassword(hash: ScramHash, password: string, iterations: number, salt = randomBytes(32)): ScramCredential {
  return credentialFromSaltedPassword(hash, saltedPassword(hash, password, salt, iterations), salt, iterations);
}

/** ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage) (the client's side; tests and the CLI). */
export function clientProof(hash: ScramHash, salted: Buffer, authMessage: string): Buffer {
  const key = clientKey(hash, salted);
  const signature = hmac(hash, h(hash, key), authMessage);
  return xor(key, signature);
}

export function serverSignature(hash: ScramHash, serverKey: Buffer, authMessage: string): Buffer {
  return hmac(hash, serverKey, authMessage);
}

/** Whether a proof was made from the password behind `cred`: H(proof XOR ClientSignature) = StoredKey. */
export function verifyClientProof(hash: ScramHash, cred: ScramCredential, authMessage: string, proof: Buffer): boolean {
  if (proof.length !== cred.storedKey.length) return false;
  const signature = hmac(hash, cred.storedKey, authMessage);
  return timingSafeEqual(h(hash, xor(proof, signature)), cred.storedKey);
}

/**
 * Checks a password against a stored credential (PLAIN logins for SCRAM users).
 * PBKDF2 runs on libuv's thread pool: thousands of iterations per attempt must
 * not stall every other connection's event loop.
 */
export async function passwordMatches(hash: ScramHash, cred: ScramCredential, password: string): Promise<boolean> {
  const salted = await pbkdf2Async(Buffer.from(password, 'utf8'), cred.salt, cred.iterations, hashLength[hash], hash);
  return timingSafeEqual(h(hash, clientKey(hash, salted)), cred.storedKey);
}

const pbkdf2Async = promisify(pbkdf2);

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** `a=1,b=2` attributes of a SCRAM message, in order. */
export function parseAttributes(msg: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of msg.split(',')) {
    if (part.length < 2 || part[1] !== '=' || !/[a-zA-Z]/.test(part[0]!)) throw new SaslAuthenticationError(`Invalid SCRAM message attribute '${part.slice(0, 20)}'`);
    if (!out.has(part[0]!)) out.set(part[0]!, part.slice(2));
  }
  return out;
}

/** saslname: '=2C' is ',' and '=3D' is '='; any other '=' is invalid. */
export function decodeSaslName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new SaslAuthenticationError('Invalid username encoding in SCRAM message');
  return name.replaceAll('=2C', ',').replaceAll('=3D', '=');
}

export function encodeSaslName(name: string): string {
  return name.replaceAll('=', '=3D').replaceAll(',', '=2C');
}

const PRINTABLE_NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;

export interface ScramServerOptions {
  mechanism: string;
  /** The user's credential, or null when there is none. */
  lookup: (user: string) => Promise<ScramCredential | null>;
  /** A server secret: unknown users get a stable fake salt, so they cannot be told from wrong passwords. */
  secret: Buffer;
  /** For test vectors only. */
  serverNonce?: string;
}

type ScramState = 'client-first' | 'client-final' | 'done';

/** The server side of one SCRAM exchange: client-first → server-first, client-final → server-final. */
export class ScramServer implements SaslServer {
  readonly mechanism: string;
  private readonly hash: ScramHash;
  private readonly opts: ScramServerOptions;
  private state: ScramState = 'client-first';
  private user = '';
  private cred: ScramCredential | null = null;
  private fake = false;
  private nonce = '';
  private clientNonce = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private gs2Header = '';

  constructor(opts: ScramServerOptions) {
    this.mechanism = opts.mechanism;
    this.hash = hashOf(opts.mechanism);
    this.opts = opts;
  }

  get complete(): boolean {
    return this.state === 'done';
  }

  get authorizationId(): string {
    return this.user;
  }

  async evaluate(token: Buffer): Promise<Buffer> {
    const msg = token.toString('utf8');
    if (this.state === 'client-first') return Buffer.from(await this.clientFirst(msg), 'utf8');
    if (this.state === 'client-final') return Buffer.from(this.clientFinal(msg), 'utf8');
    throw new SaslAuthenticationError('SCRAM exchange already complete');
  }

  private async clientFirst(msg: string): Promise<string> {
    // gs2-header: "n,," / "y,," (no channel binding) or "n,a=<authzid>,"; "p=" asks for binding, which we do not offer.
    const m = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(msg);
    if (!m) throw new SaslAuthenticationError('Invalid SCRAM client first message (channel binding is not supported)');
    this.gs2Header = msg.slice(0, msg.length - m[3]!.length);
    this.clientFirstBare = m[3]!;
    const attrs = parseAttributes(this.clientFirstBare);
    const n = attrs.get('n');
    const r = attrs.get('r');
    if (n === undefined || r === undefined || !PRINTABLE_NONCE.test(r)) throw new SaslAuthenticationError('Invalid SCRAM client first message');
    this.user = decodeSaslName(n);
    const authzid = m[2] ? decodeSaslName(m[2].slice(2)) : '';
    if (authzid !== '' && authzid !== this.user) {
      throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    }
    this.cred = await this.opts.lookup(this.user);
    if (!this.cred) {
      this.fake = true;
      this.cred = {
        salt: createHmac('sha256', this.opts.secret).update(`${this.mechanism}/${this.user}`).digest(),
        iterations: MIN_ITERATIONS,
        storedKey: Buffer.alloc(hashLength[this.hash]),
        serverKey: Buffer.alloc(hashLength[this.hash]),
      };
    }
    this.clientNonce = r;
    this.nonce = r + (this.opts.serverNonce ?? randomBytes(18).toString('base64'));
    this.serverFirst = `r=${this.nonce},s=${this.cred.salt.toString('base64')},i=${this.cred.iterations}`;
    this.state = 'client-final';
    return this.serverFirst;
  }

  private clientFinal(msg: string): string {
    const proofAt = msg.lastIndexOf(',p=');
    if (proofAt < 0) throw new SaslAuthenticationError('Invalid SCRAM client final message: no proof');
    const withoutProof = msg.slice(0, proofAt);
    const attrs = parseAttributes(withoutProof);
    // librdkafka (≤ 2.x) sends its client nonce once more in front of the combined one; Kafka accepts
    // any suffix match, we accept exactly that form besides the RFC's.
    const r = attrs.get('r');
    if (r !== this.nonce && r !== this.clientNonce + this.nonce) throw new SaslAuthenticationError('Invalid client nonce in the final client message.');
    if (attrs.get('c') !== Buffer.from(this.gs2Header, 'utf8').toString('base64')) {
      throw new SaslAuthenticationError('Invalid channel binding in the final client message.');
    }
    const proof = Buffer.from(msg.slice(proofAt + 3), 'base64');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    if (this.fake || !verifyClientProof(this.hash, this.cred!, authMessage, proof)) {
      this.state = 'done';
      throw new SaslAuthenticationError(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.mechanism}`);
    }
    this.state = 'done';
    return `v=${serverSignature(this.hash, this.cred!.serverKey, authMessage).toString('base64')}`;
  }
}
