// The listener sockets on their own (server/listeners.ts with the broker's
// config parsing, no broker): max.connections and per-IP overrides counted at
// accept and released on close; ssl.client.auth=requested (no certificate:
// ANONYMOUS; a trusted one: its subject; an untrusted one: refused);
// ssl.principal.mapping.rules; and
// configuration mistakes refused before anything listens.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net, { type Server, type Socket } from 'node:net';
import tls, { TLSSocket } from 'node:tls';
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseProperties } from '../../broker-image/src/config/properties.ts';
import { commandConfig } from '../../broker-image/src/security/client-security.ts';
import { BrokerSecurity } from '../../broker-image/src/security/broker-security.ts';
import { registerSecurityMetrics } from '../../broker-image/src/security/metrics.ts';
import { Registry } from 'prom-client';
import { brokerConfigFrom, ConfigError } from '../../broker-image/src/config/broker-config.ts';
import { createListenerServer } from '../../broker-image/src/server/listeners.ts';
import { tlsPrincipal } from '../../broker-image/src/security/tls.ts';
import { parsePrincipalRules } from '../../broker-image/src/security/principal-mapping.ts';
import { tempDir } from '../support/broker.ts';
import { makePki } from '../support/tls.ts';
import { waitFor } from '../support/clients.ts';

const dir = tempDir('tributary-listeners-');
const pki = makePki(dir.path);
after(() => dir.remove());

async function listen(props: Record<string, string>, onSocket: (s: Socket) => void, config = brokerConfigFrom(new Map(Object.entries(props))), index = 0): Promise<{ server: Server; port: number }> {
  const server = createListenerServer(config.listeners[index]!, config, onSocket);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** Connects and reports whether the server kept the connection (it echoes one byte to those it accepted). */
function probe(port: number, localAddress: string): Promise<{ socket: net.Socket; accepted: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    socket.on('error', () => {});
    socket.once('data', () => resolve({ socket, accepted: true }));
    socket.once('close', () => resolve({ socket, accepted: false }));
  });
}

test('max.connections and max.connections.per.ip(.overrides) refuse at accept and free a slot on close; the inter-broker listener is exempt from max.connections', async () => {
  const config = brokerConfigFrom(new Map(Object.entries({
    listeners: 'INTERNAL://127.0.0.1:0,PLAINTEXT://127.0.0.1:0', 'listener.security.protocol.map': 'INTERNAL:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'inter.broker.listener.name': 'INTERNAL',
    'max.connections': '5', 'max.connections.per.ip': '2', 'max.connections.per.ip.overrides': '127.0.0.9:4,127.0.0.11:100',
  })));
  const { server, port } = await listen({}, (s) => s.write('x'), config, 1);
  const internal = await listen({}, (s) => s.write('x'), config, 0);
  try {
    const a = [await probe(port, '127.0.0.8'), await probe(port, '127.0.0.8'), await probe(port, '127.0.0.8')];
    assert.deepEqual(a.map((p) => p.accepted), [true, true, false], 'per-IP limit 2');
    const b = [];
    for (let i = 0; i < 4; i++) b.push(await probe(port, '127.0.0.9'));
    assert.deepEqual(b.map((p) => p.accepted), [true, true, true, false], 'override: 4 for 127.0.0.9, but max.connections=5 in all');
    a[0]!.socket.destroy();
    // Full (5 of 5): clients are refused, a broker on the inter-broker listener is not.
    assert.equal((await probe(port, '127.0.0.11')).accepted, false);
    const replica = await probe(internal.port, '127.0.0.11');
    assert.equal(replica.accepted, true);
    replica.socket.destroy();
    // The refusals as the broker's metrics report them.
    const registry = new Registry();
    registerSecurityMetrics(registry, BrokerSecurity.for(config));
    const text = await registry.metrics();
    assert.match(text, /tributary_connections_refused_total\{limit="max.connections.per.ip"\} 1\n/);
    assert.match(text, /tributary_connections_refused_total\{limit="max.connections"\} 2\n/);
    a[0]!.socket.destroy();
    await waitFor('the freed slot', async () => {
      const p = await probe(port, '127.0.0.10');
      p.socket.destroy();
      return p.accepted;
    }, 10_000, 50);
    for (const p of [...a, ...b]) p.socket.destroy();
  } finally {
    server.close();
    internal.server.close();
  }
});

function tlsConnect(port: number, cert?: { cert: string; key: string }): Promise<{ ok: boolean; error?: string; socket: tls.TLSSocket }> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: '127.0.0.1', port, ca: readFileSync(pki.ca), servername: 'localhost',
      ...(cert ? { cert: readFileSync(cert.cert), key: readFileSync(cert.key) } : {}),
    });
    socket.on('error', (e) => resolve({ ok: false, error: e.message, socket }));
    socket.once('data', () => resolve({ ok: true, socket }));
    socket.once('close', () => resolve({ ok: false, socket }));
  });
}

test('ssl.client.auth=requested: no certificate is ANONYMOUS, a trusted one gives its subject, an untrusted one is refused', async () => {
  const principals: (string | null)[] = [];
  const { server, port } = await listen({
    listeners: 'SSL://127.0.0.1:0',
    'ssl.keystore.location': pki.server.bundle, // key + chain in one PEM file
    'ssl.truststore.location': pki.ca, 'ssl.client.auth': 'requested',
  }, (s) => {
    assert.ok(s instanceof TLSSocket);
    principals.push(tlsPrincipal(s));
    s.write('x');
  });
  try {
    const none = await tlsConnect(port);
    assert.equal(none.ok, true, none.error);
    const good = await tlsConnect(port, pki.client('carol'));
    assert.equal(good.ok, true, good.error);
    const foreign = await tlsConnect(port, pki.client('mallory', { foreign: true }));
    assert.equal(foreign.ok, false);
    assert.deepEqual(principals, ['User:ANONYMOUS', 'User:CN=carol,OU=tests,O=Tributary']);
    for (const c of [none, good, foreign]) c.socket.destroy();
  } finally {
    server.close();
  }
});

test('ssl.principal.mapping.rules: the listener maps subjects to names and refuses certificates no rule maps', async () => {
  const RULES = 'RULE:^CN=(carol),OU=tests,O=Tributary$/$1/U';
  const principals: (string | null)[] = [];
  const { server, port } = await listen({
    listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': pki.server.bundle,
    'ssl.truststore.location': pki.ca, 'ssl.client.auth': 'required', 'listener.name.ssl.ssl.principal.mapping.rules': RULES,
  }, (s) => {
    principals.push(tlsPrincipal(s as TLSSocket, parsePrincipalRules(RULES)));
    s.write('x');
  });
  try {
    const carol = await tlsConnect(port, pki.client('carol'));
    assert.equal(carol.ok, true, carol.error);
    const dave = await tlsConnect(port, pki.client('dave'));
    assert.equal(dave.ok, false, 'a subject without a rule got in');
    assert.deepEqual(principals, ['User:CAROL']);
    for (const c of [carol, dave]) c.socket.destroy();
  } finally {
    server.close();
  }
});

test('configuration mistakes are refused before listening', () => {
  const mk = (props: Record<string, string>) => () => createListenerServer(brokerConfigFrom(new Map(Object.entries(props))).listeners[0]!, brokerConfigFrom(new Map(Object.entries(props))), () => {});
  assert.throws(mk({ listeners: 'SSL://127.0.0.1:0' }), (e: Error) => e instanceof ConfigError && /ssl.keystore/.test(e.message));
  assert.throws(mk({ listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': '/nonexistent.pem' }), /cannot read/);
  assert.throws(mk({ listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': pki.server.bundle, 'ssl.client.auth': 'required' }), /truststore/);
  assert.throws(mk({ listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'JKS', 'ssl.keystore.location': 'x' }), /PEM or PKCS12/);
  assert.throws(mk({ listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'GSSAPI' }), /GSSAPI is not supported/);
  assert.throws(mk({ listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': pki.server.bundle, 'ssl.principal.mapping.rules': 'RULE:(/x/' }), /principal.mapping/);
  assert.throws(mk({ listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.jaas.config': 'PlainLoginModule required user_a="b"' }), /jaas/);
  assert.throws(() => brokerConfigFrom(new Map([['listeners', 'X://h:1'], ['listener.security.protocol.map', 'X:TLS']])), /NAME:PROTOCOL/);
});

test('keystore forms: PEM folded into server.properties lines (Kafka\'s inline way), PKCS12 with a password, an encrypted PEM key', async () => {
  const fold = (pem: string) => pem.trim().split('\n').join(' \\\n  ');
  const props = parseProperties([
    'listeners=SSL://127.0.0.1:0',
    `ssl.keystore.certificate.chain=${fold(readFileSync(pki.server.cert, 'utf8'))}`,
    `ssl.keystore.key=${fold(readFileSync(pki.server.key, 'utf8'))}`,
  ].join('\n'));
  const p12 = join(dir.path, 'server.p12');
  execFileSync('openssl', ['pkcs12', '-export', '-in', pki.server.cert, '-inkey', pki.server.key, '-out', p12, '-passout', 'pass:store-secret']);
  const encrypted = join(dir.path, 'server-encrypted.key');
  execFileSync('openssl', ['pkey', '-in', pki.server.key, '-aes256', '-passout', 'pass:key-secret', '-out', encrypted]);
  const configs = [
    Object.fromEntries(props),
    { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': p12, 'ssl.keystore.password': 'store-secret' },
    { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.certificate.chain': pki.server.cert, 'ssl.keystore.key': encrypted, 'ssl.key.password': 'key-secret' },
  ];
  for (const c of configs) {
    const { server, port } = await listen(c, (s) => s.write('x'));
    try {
      const r = await tlsConnect(port);
      assert.equal(r.ok, true, `${JSON.stringify(c).slice(0, 200)}: ${r.error}`);
      r.socket.destroy();
    } finally {
      server.close();
    }
  }
  // A wrong key password fails the start, not the first client.
  await assert.rejects(listen({ ...configs[2], 'ssl.key.password': 'wrong' }, () => {}), (e: Error) => e instanceof ConfigError && /TLS setup failed: .*bad decrypt/.test(e.message));
});

test('the tools\' --command-config: Kafka client properties', () => {
  const file = join(dir.path, 'client.properties');
  writeFileSync(file, [
    'security.protocol=SASL_SSL', 'sasl.mechanism=SCRAM-SHA-512',
    'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\',
    '  username="admin" password="admin-secret";',
    `ssl.truststore.location=${pki.ca}`,
  ].join('\n'));
  const sec = commandConfig(file);
  assert.equal(sec.protocol, 'SASL_SSL');
  assert.deepEqual(sec.sasl, { mechanism: 'SCRAM-SHA-512', username: 'admin', password: 'admin-secret' });
  assert.match(String(sec.tls?.ca), /BEGIN CERTIFICATE/);
  assert.equal(commandConfig(undefined).protocol, 'PLAINTEXT');
  writeFileSync(file, 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=GSSAPI\n');
  assert.throws(() => commandConfig(file), /GSSAPI is not supported/);
});
