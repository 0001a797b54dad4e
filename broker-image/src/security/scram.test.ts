// The SCRAM math and the server's side of the exchange against the RFCs' own
// test vectors (RFC 5802 §5 with SHA-1, RFC 7677 §3 with SHA-256), then a
// SHA-512 round trip and the refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  clientProof, credentialFromPassword, hashOf, passwordMatches, saltedPassword, ScramServer, type ScramCredential, type ScramHash,
} from './scram.ts';
import { SaslAuthenticationError } from './sasl-server.ts';
import { parseJaasUsers } from './jaas.ts';
import { PlainServer } from './plain.ts';

interface Vector {
  mechanism: string;
  hash: ScramHash;
  clientFirst: string;
  serverNonce: string;
  salt: string;
  serverFirst: string;
  clientFinal: string;
  serverFinal: string;
}

const rfc5802: Vector = {
  mechanism: 'SCRAM-SHA-1', hash: 'sha1',
  clientFirst: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
  serverNonce: '3rfcNHYJY1ZVvWVs7j',
  salt: 'QSXCR+Q6sek8bf92',
  serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
  clientFinal: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
  serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
};

const rfc7677: Vector = {
  mechanism: 'SCRAM-SHA-256', hash: 'sha256',
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  salt: 'W22ZaJ0SNY7soEsUEjb6gQ==',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

const secret = randomBytes(32);

for (const v of [rfc5802, rfc7677]) {
  test(`${v.mechanism}: the server reproduces the RFC's exchange for user/pencil`, async () => {
    const cred = credentialFromPassword(v.hash, 'pencil', 4096, Buffer.from(v.salt, 'base64'));
    const server = new ScramServer({ mechanism: v.mechanism, secret, serverNonce: v.serverNonce, lookup: async (u) => (u === 'user' ? cred : null) });
    assert.equal((await server.evaluate(Buffer.from(v.clientFirst))).toString(), v.serverFirst);
    assert.equal(server.complete, false);
    assert.equal((await server.evaluate(Buffer.from(v.clientFinal))).toString(), v.serverFinal);
    assert.equal(server.complete, true);
    assert.equal(server.authorizationId, 'user');
  });

  test(`${v.mechanism}: the client proof computed here is the RFC's`, () => {
    const salted = saltedPassword(v.hash, 'pencil', Buffer.from(v.salt, 'base64'), 4096);
    const withoutProof = v.clientFinal.slice(0, v.clientFinal.lastIndexOf(',p='));
    const authMessage = `${v.clientFirst.slice(3)},${v.serverFirst},${withoutProof}`;
    assert.equal(`${withoutProof},p=${clientProof(v.hash, salted, authMessage).toString('base64')}`, v.clientFinal);
  });
}

/** A client's side of one exchange, as a real client computes it. */
async function exchange(server: ScramServer, hash: ScramHash, user: string, password: string): Promise<string> {
  const bare = `n=${user},r=clientnonce123`;
  const serverFirst = (await server.evaluate(Buffer.from(`n,,${bare}`))).toString();
  const attrs = new Map(serverFirst.split(',').map((a) => [a[0], a.slice(2)]));
  const salted = saltedPassword(hash, password, Buffer.from(attrs.get('s')!, 'base64'), Number(attrs.get('i')));
  const withoutProof = `c=biws,r=${attrs.get('r')}`;
  const proof = clientProof(hash, salted, `${bare},${serverFirst},${withoutProof}`);
  return (await server.evaluate(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`))).toString();
}

test('SCRAM-SHA-512: a good password authenticates; a wrong one and an unknown user fail alike', async () => {
  const cred = credentialFromPassword(hashOf('SCRAM-SHA-512'), 'alice-secret', 8192);
  const users = new Map<string, ScramCredential>([['alice', cred]]);
  const mk = () => new ScramServer({ mechanism: 'SCRAM-SHA-512', secret, lookup: async (u) => users.get(u) ?? null });
  assert.match(await exchange(mk(), 'sha512', 'alice', 'alice-secret'), /^v=/);
  const wrong = /Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512/;
  await assert.rejects(exchange(mk(), 'sha512', 'alice', 'nope'), (e: Error) => e instanceof SaslAuthenticationError && wrong.test(e.message));
  await assert.rejects(exchange(mk(), 'sha512', 'mallory', 'x'), wrong);
  // The unknown user's salt is stable, so two attempts cannot tell it from a real one.
  const first = async () => (await mk().evaluate(Buffer.from('n,,n=mallory,r=abc'))).toString().split(',')[1];
  assert.equal(await first(), await first());
});

test('SCRAM refuses a changed nonce, channel binding it does not offer, and a bad username encoding', async () => {
  const cred = credentialFromPassword('sha256', 'pw', 4096);
  const mk = () => new ScramServer({ mechanism: 'SCRAM-SHA-256', secret, lookup: async () => cred });
  await assert.rejects(mk().evaluate(Buffer.from('p=tls-unique,,n=a,r=x')), SaslAuthenticationError);
  await assert.rejects(mk().evaluate(Buffer.from('n,,n=a=b,r=x')), /username encoding/);
  const s = mk();
  await s.evaluate(Buffer.from('n,,n=a,r=x'));
  await assert.rejects(s.evaluate(Buffer.from('c=biws,r=other,p=AAAA')), /nonce/);
});

test('a password is checked against a stored SCRAM credential (PLAIN logins of SCRAM users)', async () => {
  const cred = credentialFromPassword('sha256', 'right', 4096);
  assert.equal(await passwordMatches('sha256', cred, 'right'), true);
  assert.equal(await passwordMatches('sha256', cred, 'wrong'), false);
});

test('JAAS config: user_<name>="password" options, quoted values with escapes', () => {
  const users = parseJaasUsers('org.apache.kafka.common.security.plain.PlainLoginModule required\n  username="admin" password="admin-secret"\n  user_admin="admin-secret" user_alice="al\\"ice";');
  assert.deepEqual([...users], [['admin', 'admin-secret'], ['alice', 'al"ice']]);
  assert.throws(() => parseJaasUsers('PlainLoginModule required user_a="x"'), /;/);
});

test('PLAIN: authzid NUL user NUL password', async () => {
  const mk = () => new PlainServer(async (u, p) => u === 'alice' && p === 'pw');
  const ok = mk();
  assert.equal((await ok.evaluate(Buffer.from('\u0000alice\u0000pw'))).length, 0);
  assert.equal(ok.authorizationId, 'alice');
  await assert.rejects(mk().evaluate(Buffer.from('\u0000alice\u0000bad')), /Invalid username or password/);
  await assert.rejects(mk().evaluate(Buffer.from('bob\u0000alice\u0000pw')), /authorization id/);
  await assert.rejects(mk().evaluate(Buffer.from('alice')), /3 tokens/);
});
