// The SASL state machine on the wire, request by request (what the client
// libraries do not show): the v0 framing (raw length-prefixed tokens after a v0
// SaslHandshake), requests before authentication, out-of-turn SaslAuthenticate,
// unknown mechanisms, SaslHandshake on a PLAINTEXT listener, KIP-368 session
// lifetime with re-authentication and the close of an expired session, and the
// SCRAM credential APIs' errors. Requests are encoded with the broker's codec;
// the client side of SCRAM is computed here from the password.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startBroker, type Broker } from '../support/broker.ts';
import { cli, cliOk, kafkajs, uniqueTopic } from '../support/clients.ts';
import { listenerPorts } from '../support/tls.ts';
import { decodeResponse, encodeRequest } from '../../broker-image/src/protocol/codec.ts';
import { ErrorCode } from '../../broker-image/src/protocol/errors.ts';
import { BrokerConnection } from '../../broker-image/src/client/connection.ts';
import { clientProof, saltedPassword } from '../../broker-image/src/security/scram.ts';

const REAUTH_MS = 3000;
let broker: Broker;
let saslPort: number;

before(async () => {
  const listeners = 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0';
  broker = await startBroker({
    overrides: {
      listeners, 'advertised.listeners': listeners,
      'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";',
      'connections.max.reauth.ms': REAUTH_MS,
      // 'SASL authenticated' lines, one per (re-)authentication, for the kafkajs test.
      'log.level': 'debug',
    },
  });
  saslPort = (await listenerPorts(broker, ['SASL_PLAINTEXT'])).SASL_PLAINTEXT!;
  await cliOk(['users', '--bootstrap-server', broker.bootstrap, '--entity-name', 'carol', '--add-scram', 'SCRAM-SHA-256=[iterations=4096,password=carol-secret]']);
});
after(async () => {
  await broker?.cleanup();
});

/** One connection speaking requests (the broker's codec) or raw SASL tokens. */
class Wire {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private nextId = 1;
  closed = false;
  private readonly sock: net.Socket;

  private constructor(sock: net.Socket) {
    this.sock = sock;
    sock.on('data', (d: Buffer) => { this.buf = Buffer.concat([this.buf, d]); this.wake(); });
    sock.on('close', () => { this.closed = true; this.wake(); });
    sock.on('error', () => {});
  }

  static open(port: number): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new Wire(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** The next frame, or null when the broker closed the connection first. */
  private async frame(timeoutMs = 10_000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readInt32BE(0)) {
        const n = this.buf.readInt32BE(0);
        const f = this.buf.subarray(4, 4 + n);
        this.buf = this.buf.subarray(4 + n);
        return f;
      }
      if (this.closed) return null;
      if (Date.now() > deadline) throw new Error('no frame in time');
      await new Promise<void>((r) => { const t = setTimeout(r, 100); this.waiters.push(() => { clearTimeout(t); r(); }); });
    }
  }

  /** Sends a request; its decoded response body, or null when the connection closed instead. */
  async req(apiKey: number, apiVersion: number, body: object): Promise<any> {
    this.sock.write(encodeRequest({ apiKey, apiVersion, correlationId: this.nextId++, clientId: 'sasl-wire' }, body));
    const f = await this.frame();
    return f ? decodeResponse(apiKey, apiVersion, f).body : null;
  }

  /** A raw SASL token (v0 framing); the response token, or null when the connection closed. */
  async token(t: Buffer): Promise<Buffer | null> {
    const size = Buffer.alloc(4);
    size.writeInt32BE(t.length);
    this.sock.write(Buffer.concat([size, t]));
    return await this.frame();
  }

  async closedWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  close(): void {
    this.sock.destroy();
  }
}

const METADATA = 3;
const HANDSHAKE = 17;
const AUTHENTICATE = 36;
const metadataBody = { topics: [], allowAutoTopicCreation: false };
const plainToken = (user: string, password: string) => Buffer.from(`\u0000${user}\u0000${password}`);

/** SCRAM-SHA-256 through SaslAuthenticate v2; the final response. */
async function scramLogin(w: Wire, user: string, password: string): Promise<any> {
  const bare = `n=${user},r=wirenonce${Date.now()}`;
  const first = await w.req(AUTHENTICATE, 2, { authBytes: Buffer.from(`n,,${bare}`) });
  if (first.errorCode !== 0) return first;
  const serverFirst = Buffer.from(first.authBytes).toString();
  const a = new Map(serverFirst.split(',').map((p) => [p[0], p.slice(2)]));
  const salted = saltedPassword('sha256', password, Buffer.from(a.get('s')!, 'base64'), Number(a.get('i')));
  const withoutProof = `c=biws,r=${a.get('r')}`;
  const proof = clientProof('sha256', salted, `${bare},${serverFirst},${withoutProof}`);
  return await w.req(AUTHENTICATE, 2, { authBytes: Buffer.from(`${withoutProof},p=${proof.toString('base64')}`) });
}

test('v0 framing: after SaslHandshake v0 the PLAIN token travels raw, then requests are served', async () => {
  const w = await Wire.open(saslPort);
  const hs = await w.req(HANDSHAKE, 0, { mechanism: 'PLAIN' });
  assert.equal(hs.errorCode, ErrorCode.NONE);
  assert.deepEqual(hs.mechanisms, ['PLAIN', 'SCRAM-SHA-256']);
  const response = await w.token(plainToken('alice', 'alice-secret'));
  assert.ok(response, 'closed after a good PLAIN token');
  assert.equal(response.length, 0);
  const md = await w.req(METADATA, 12, metadataBody);
  assert.ok(md && md.brokers.length === 1, 'Metadata after v0 authentication');
  w.close();
});

test('v0 framing: a wrong password closes the connection without an answer', async () => {
  const w = await Wire.open(saslPort);
  assert.equal((await w.req(HANDSHAKE, 0, { mechanism: 'PLAIN' })).errorCode, ErrorCode.NONE);
  assert.equal(await w.token(plainToken('alice', 'wrong')), null);
});

test('v1: PLAIN and SCRAM-SHA-256 in SaslAuthenticate; failures answer SASL_AUTHENTICATION_FAILED with a message, then close', async () => {
  let w = await Wire.open(saslPort);
  assert.equal((await w.req(HANDSHAKE, 1, { mechanism: 'PLAIN' })).errorCode, ErrorCode.NONE);
  const ok = await w.req(AUTHENTICATE, 2, { authBytes: plainToken('alice', 'alice-secret') });
  assert.equal(ok.errorCode, ErrorCode.NONE);
  assert.equal(ok.sessionLifetimeMs, BigInt(REAUTH_MS));
  assert.ok(await w.req(METADATA, 12, metadataBody));
  w.close();

  // PLAIN for a user with only a SCRAM credential: the password is checked against it.
  w = await Wire.open(saslPort);
  await w.req(HANDSHAKE, 1, { mechanism: 'PLAIN' });
  assert.equal((await w.req(AUTHENTICATE, 2, { authBytes: plainToken('carol', 'carol-secret') })).errorCode, ErrorCode.NONE);
  w.close();
  w = await Wire.open(saslPort);
  await w.req(HANDSHAKE, 1, { mechanism: 'PLAIN' });
  assert.equal((await w.req(AUTHENTICATE, 2, { authBytes: plainToken('carol', 'alice-secret') })).errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);

  w = await Wire.open(saslPort);
  await w.req(HANDSHAKE, 1, { mechanism: 'PLAIN' });
  const bad = await w.req(AUTHENTICATE, 1, { authBytes: plainToken('mallory', 'x') });
  assert.equal(bad.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  assert.equal(bad.errorMessage, 'Authentication failed: Invalid username or password');
  assert.ok(await w.closedWithin(5000), 'still open after a failed authentication');

  w = await Wire.open(saslPort);
  await w.req(HANDSHAKE, 1, { mechanism: 'SCRAM-SHA-256' });
  const final = await scramLogin(w, 'carol', 'carol-secret');
  assert.equal(final.errorCode, ErrorCode.NONE);
  assert.match(Buffer.from(final.authBytes).toString(), /^v=/);
  assert.ok(await w.req(METADATA, 12, metadataBody));
  w.close();

  w = await Wire.open(saslPort);
  await w.req(HANDSHAKE, 1, { mechanism: 'SCRAM-SHA-256' });
  const refused = await scramLogin(w, 'carol', 'not-carols');
  assert.equal(refused.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  assert.match(refused.errorMessage, /invalid credentials with SASL mechanism SCRAM-SHA-256/);
  assert.ok(await w.closedWithin(5000));
});

test('before authentication: other requests close the connection; ApiVersions is served', async () => {
  let w = await Wire.open(saslPort);
  const versions = await w.req(18, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
  assert.equal(versions.errorCode, ErrorCode.NONE);
  const keys = versions.apiKeys.map((k: { apiKey: number }) => k.apiKey);
  for (const k of [HANDSHAKE, AUTHENTICATE, 50, 51]) assert.ok(keys.includes(k), `ApiVersions lacks ${k}`);
  assert.equal(await w.req(METADATA, 12, metadataBody), null, 'Metadata answered before authentication');

  // After a v1 handshake, still nothing but SaslAuthenticate.
  w = await Wire.open(saslPort);
  await w.req(HANDSHAKE, 1, { mechanism: 'PLAIN' });
  assert.equal(await w.req(METADATA, 12, metadataBody), null);
});

test('out of turn: an unknown mechanism is UNSUPPORTED_SASL_MECHANISM with the list, then closed; SaslAuthenticate before SaslHandshake closes', async () => {
  let w = await Wire.open(saslPort);
  assert.equal((await w.req(HANDSHAKE, 1, { mechanism: 'GSSAPI' })).errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
  assert.ok(await w.closedWithin(5000));
  w = await Wire.open(saslPort);
  const hs = await w.req(HANDSHAKE, 1, { mechanism: 'GSSAPI' });
  assert.deepEqual(hs.mechanisms, ['PLAIN', 'SCRAM-SHA-256']);
  w = await Wire.open(saslPort);
  // As in Kafka: during the handshake phase only ApiVersions and SaslHandshake are requests it answers.
  assert.equal(await w.req(AUTHENTICATE, 2, { authBytes: plainToken('alice', 'alice-secret') }), null);
});

test('PLAINTEXT listener: SaslHandshake and SaslAuthenticate are ILLEGAL_SASL_STATE and the connection stays usable', async () => {
  const w = await Wire.open(broker.port);
  assert.equal((await w.req(HANDSHAKE, 1, { mechanism: 'PLAIN' })).errorCode, ErrorCode.ILLEGAL_SASL_STATE);
  assert.equal((await w.req(AUTHENTICATE, 2, { authBytes: Buffer.alloc(0) })).errorCode, ErrorCode.ILLEGAL_SASL_STATE);
  assert.ok(await w.req(METADATA, 12, metadataBody));
  w.close();
});

test('KIP-368: re-authentication within the session keeps the connection; an expired session is closed at its next request', async () => {
  const w = await Wire.open(saslPort);
  await w.req(HANDSHAKE, 1, { mechanism: 'PLAIN' });
  assert.equal((await w.req(AUTHENTICATE, 2, { authBytes: plainToken('alice', 'alice-secret') })).sessionLifetimeMs, BigInt(REAUTH_MS));
  // Re-authenticate (same mechanism, same user) before the session ends.
  assert.equal((await w.req(HANDSHAKE, 1, { mechanism: 'PLAIN' })).errorCode, ErrorCode.NONE);
  const again = await w.req(AUTHENTICATE, 2, { authBytes: plainToken('alice', 'alice-secret') });
  assert.equal(again.errorCode, ErrorCode.NONE);
  assert.equal(again.sessionLifetimeMs, BigInt(REAUTH_MS));
  assert.ok(await w.req(METADATA, 12, metadataBody));
  // Let it lapse: the next request closes the connection.
  await new Promise((r) => setTimeout(r, REAUTH_MS + 500));
  assert.equal(await w.req(METADATA, 12, metadataBody), null, 'served after the session expired');
});

test('SCRAM credential APIs: Kafka\'s errors, and the store holds no password', async () => {
  const conn = await BrokerConnection.open(broker.bootstrap);
  try {
    const alter = (body: object) => conn.request(51, 0, { deletions: [], upsertions: [], ...body });
    const salt = Buffer.from('salt');
    const up = (name: string, mechanism: number, iterations: number) => ({ name, mechanism, iterations, salt, saltedPassword: Buffer.alloc(32, 1) });
    let r = await alter({ upsertions: [up('dave', 1, 100)] });
    assert.deepEqual(r.results.map((x: any) => [x.user, x.errorCode]), [['dave', ErrorCode.UNACCEPTABLE_CREDENTIAL]]);
    assert.match(r.results[0].errorMessage, /less than the minimum 4096/);
    r = await alter({ upsertions: [up('dave', 9, 4096)] });
    assert.equal(r.results[0].errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    r = await alter({ deletions: [{ name: 'nobody', mechanism: 1 }] });
    assert.equal(r.results[0].errorCode, ErrorCode.RESOURCE_NOT_FOUND);
    r = await alter({ upsertions: [up('erin', 1, 4096)], deletions: [{ name: 'erin', mechanism: 1 }] });
    assert.equal(r.results[0].errorCode, ErrorCode.DUPLICATE_RESOURCE);
    r = await alter({ upsertions: [up('', 1, 4096)] });
    assert.equal(r.results[0].errorCode, ErrorCode.UNACCEPTABLE_CREDENTIAL);
    const d = await conn.request(50, 0, { users: [{ name: 'carol' }, { name: 'nobody' }] });
    assert.deepEqual(d.results.map((x: any) => [x.user, x.errorCode, x.credentialInfos]), [
      ['carol', ErrorCode.NONE, [{ mechanism: 1, iterations: 4096 }]],
      ['nobody', ErrorCode.RESOURCE_NOT_FOUND, []],
    ]);
  } finally {
    conn.close();
  }
  // The password itself is in none of the broker's files.
  const files = readdirSync(broker.dataDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
  assert.ok(files.length > 0);
  for (const f of files) assert.ok(!readFileSync(join(f.parentPath, f.name)).includes('carol-secret'), `password in ${f.name}`);
  // The CLI: describe all, delete, describe again.
  assert.match((await cliOk(['users', '--bootstrap-server', broker.bootstrap, '--describe'])).stdout, /user-principal 'carol' are SCRAM-SHA-256=iterations=4096/);
  await cliOk(['users', '--bootstrap-server', broker.bootstrap, '--entity-name', 'carol', '--delete-scram', 'SCRAM-SHA-256']);
  const gone = await cli(['users', '--bootstrap-server', broker.bootstrap, '--describe', '--entity-name', 'carol']);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /RESOURCE_NOT_FOUND/);
  const w = await Wire.open(saslPort);
  await w.req(HANDSHAKE, 1, { mechanism: 'SCRAM-SHA-256' });
  assert.equal((await scramLogin(w, 'carol', 'carol-secret')).errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED, 'a deleted credential still logs in');
});

test('KIP-368 with a real client: kafkajs re-authenticates on the same connection before its session ends, and keeps producing', async () => {
  const k = await kafkajs();
  const kafka = new k.Kafka({
    clientId: 'reauth-test', brokers: [`127.0.0.1:${saslPort}`], logLevel: k.logLevel.NOTHING,
    sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' },
    // Re-authenticate when less than 2 s of the 3 s session are left.
    reauthenticationThreshold: 2000,
  });
  const producer = kafka.producer();
  await producer.connect();
  const topic = uniqueTopic('reauth');
  try {
    // Sends over three session lifetimes.
    for (let i = 0; i < 20; i++) {
      await producer.send({ topic, messages: [{ value: `m${i}` }] });
      await new Promise((r) => setTimeout(r, REAUTH_MS / 6));
    }
  } finally {
    await producer.disconnect();
  }
  const lines = readFileSync(broker.logFile, 'utf8').split('\n').filter((l) => l.includes('"SASL authenticated"'))
    .map((l) => JSON.parse(l) as { client: string; principal: string; authentications: number });
  const most = Math.max(...lines.filter((l) => l.principal === 'User:alice').map((l) => l.authentications));
  assert.ok(most >= 3, `no connection re-authenticated twice (most authentications on one connection: ${most})`);
});
