// kcat (librdkafka 2.0.2), python confluent-kafka (Debian's 1.7 on the same
// librdkafka) and kafkajs 2.2.4 over every security protocol: SSL, SASL_PLAINTEXT
// with PLAIN, SASL_SSL with SCRAM-SHA-256 and SCRAM-SHA-512 (users made with
// `tributary users --add-scram`), and SSL with a required client certificate.
// Each produces a few records and reads them back. Then the refusals: wrong
// passwords and unknown users (SASL_AUTHENTICATION_FAILED with its message), a
// client certificate from a foreign CA, an expired one, and no certificate at all.
// Certificates are made by openssl in a temp dir (test/support/tls.ts). Last,
// the project's own client side (for the tools' --command-config) the same way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startBroker, tempDir, type Broker } from '../support/broker.ts';
import { KCAT, PYTHON, cliOk, jsonLines, kafkajs, run, runOk, uniqueTopic } from '../support/clients.ts';
import { listenerPorts, makePki, secureBrokerOverrides, SECURE_LISTENERS, type KeyPair, type SecureListener, type TestPki } from '../support/tls.ts';
import { subjectDn } from '../../broker-image/src/security/principal.ts';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { Socket } from 'node:net';
import { clientSecurity, connectTransport, interBrokerClientSecurity, saslLogin, type SendRequest } from '../../broker-image/src/security/client-security.ts';
import { decodeResponse, encodeRequest } from '../../broker-image/src/protocol/codec.ts';
import { FrameDecoder } from '../../broker-image/src/protocol/framing.ts';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const PLAIN_USERS = { alice: 'alice-secret' };
const SCRAM_USER = { name: 'bob', password: 'bob-secret' };
const N = 5;

let dir: ReturnType<typeof tempDir>;
let pki: TestPki;
let broker: Broker;
let ports: Record<string, number>;
let aliceCert: KeyPair;

before(async () => {
  dir = tempDir('tributary-pki-');
  pki = makePki(dir.path);
  aliceCert = pki.client('alice');
  broker = await startBroker({ overrides: { ...secureBrokerOverrides(pki, PLAIN_USERS), 'group.initial.rebalance.delay.ms': 0 } });
  ports = await listenerPorts(broker, [...SECURE_LISTENERS]);
  await cliOk(['users', '--bootstrap-server', broker.bootstrap, '--entity-name', SCRAM_USER.name,
    '--add-scram', `SCRAM-SHA-256=[iterations=8192,password=${SCRAM_USER.password}],SCRAM-SHA-512=[password=${SCRAM_USER.password}]`]);
});
after(async () => {
  await broker?.cleanup();
  dir?.remove();
});

const addr = (l: SecureListener) => `127.0.0.1:${ports[l]}`;

/** A client setup in librdkafka's property names (kcat -X, confluent-kafka). */
interface Setup {
  name: string;
  listener: SecureListener;
  props: Record<string, string>;
}

const setups = (): Setup[] => [
  { name: 'SSL', listener: 'SSL', props: { 'security.protocol': 'SSL', 'ssl.ca.location': pki.ca } },
  {
    name: 'SASL_PLAINTEXT/PLAIN', listener: 'SASL_PLAINTEXT',
    props: { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'PLAIN', 'sasl.username': 'alice', 'sasl.password': PLAIN_USERS.alice },
  },
  ...(['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const).map((m): Setup => ({
    name: `SASL_SSL/${m}`, listener: 'SASL_SSL',
    props: { 'security.protocol': 'SASL_SSL', 'ssl.ca.location': pki.ca, 'sasl.mechanisms': m, 'sasl.username': SCRAM_USER.name, 'sasl.password': SCRAM_USER.password },
  })),
  {
    name: 'SSL with a client certificate (ssl.client.auth=required)', listener: 'MTLS',
    props: { 'security.protocol': 'SSL', 'ssl.ca.location': pki.ca, 'ssl.certificate.location': aliceCert.cert, 'ssl.key.location': aliceCert.key },
  },
];

const xArgs = (props: Record<string, string>) => Object.entries(props).flatMap(([k, v]) => ['-X', `${k}=${v}`]);
const values = (tag: string) => Array.from({ length: N }, (_, i) => `${tag}-${i}`);

// ---------------------------------------------------------------------------
// kcat

test('kcat produces and consumes over SSL, SASL/PLAIN, SASL_SSL/SCRAM-SHA-256 and -512, and mutual TLS', async () => {
  for (const s of setups()) {
    const topic = uniqueTopic('sec-kcat');
    const sent = values(`kcat-${s.listener}`);
    await runOk(KCAT, ['-b', addr(s.listener), '-P', '-t', topic, ...xArgs(s.props)], { input: sent.join('\n') + '\n', timeoutMs: 60_000 });
    const r = await runOk(KCAT, ['-b', addr(s.listener), '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\n', ...xArgs(s.props)], { timeoutMs: 60_000 });
    assert.deepEqual(r.stdout.split('\n').filter(Boolean), sent, s.name);
  }
});

async function kcatRefused(listener: SecureListener, props: Record<string, string>): Promise<string> {
  const r = await run(KCAT, ['-b', addr(listener), '-L', '-m', '3', ...xArgs(props)], { timeoutMs: 60_000 });
  assert.notEqual(r.code, 0, `kcat was let in:\n${r.stdout}`);
  return r.stderr;
}

test('kcat: wrong passwords and unknown users get SASL_AUTHENTICATION_FAILED with its message', async () => {
  const plain = { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'PLAIN' };
  for (const creds of [{ 'sasl.username': 'alice', 'sasl.password': 'wrong' }, { 'sasl.username': 'nobody', 'sasl.password': 'x' }]) {
    assert.match(await kcatRefused('SASL_PLAINTEXT', { ...plain, ...creds }), /SASL authentication error: Authentication failed: Invalid username or password/);
  }
  for (const m of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) {
    const scram = { 'security.protocol': 'SASL_SSL', 'ssl.ca.location': pki.ca, 'sasl.mechanisms': m };
    for (const creds of [{ 'sasl.username': 'bob', 'sasl.password': 'wrong' }, { 'sasl.username': 'nobody', 'sasl.password': 'x' }]) {
      const stderr = await kcatRefused('SASL_SSL', { ...scram, ...creds });
      assert.match(stderr, new RegExp(`SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism ${m}`));
    }
  }
  // A mechanism the listener does not offer.
  assert.match(await kcatRefused('SASL_PLAINTEXT', { ...plain, 'sasl.mechanisms': 'SCRAM-SHA-1', 'sasl.username': 'a', 'sasl.password': 'b' }),
    /unsupported|not supported|SCRAM-SHA-1/i);
});

test('kcat: mutual TLS refuses a foreign-CA certificate, an expired one and none; the server is checked too', async () => {
  const base = { 'security.protocol': 'SSL', 'ssl.ca.location': pki.ca };
  const withCert = (c: KeyPair) => ({ ...base, 'ssl.certificate.location': c.cert, 'ssl.key.location': c.key });
  // TLS 1.3: the client learns of the refusal when it first reads. A missing certificate gets
  // OpenSSL's alert; an untrusted one is cut without an alert (node:tls checks it after the handshake).
  const refused = /Receive failed: .*(unexpected eof|alert)/;
  assert.match(await kcatRefused('MTLS', withCert(pki.client('eve', { foreign: true }))), refused);
  assert.match(await kcatRefused('MTLS', withCert(pki.client('old', { expired: true }))), refused);
  assert.match(await kcatRefused('MTLS', base), /tlsv13 alert certificate required/);
  // And the client refuses a broker whose certificate it cannot trust.
  const foreignTrust = pki.client('x', { foreign: true });
  assert.match(await kcatRefused('SSL', { 'security.protocol': 'SSL', 'ssl.ca.location': foreignTrust.cert }), /certificate verify failed|SSL handshake failed/);
});

test('the principal of a certificate client is its subject in Kafka\'s form', () => {
  assert.equal(subjectDn(new X509Certificate(readFileSync(aliceCert.cert))), 'CN=alice,OU=tests,O=Tributary');
});

// ---------------------------------------------------------------------------
// python confluent-kafka

const PY_ROUNDTRIP = `
import json, sys
from confluent_kafka import Consumer, Producer, TopicPartition, KafkaException
conf = json.loads(sys.argv[1]); topic = sys.argv[2]; values = json.loads(sys.argv[3])
errors = []
p = Producer(dict(conf, **{'error_cb': lambda e: errors.append(str(e))}))
delivered = []
for v in values:
    p.produce(topic, v.encode(), on_delivery=lambda err, m: delivered.append(str(err) if err else m.offset()))
left = p.flush(30)
if left or any(isinstance(d, str) for d in delivered):
    print(json.dumps({'error': 'produce', 'left': left, 'delivered': delivered, 'errors': errors})); sys.exit(0)
c = Consumer(dict(conf, **{'group.id': 'unused', 'enable.auto.commit': False, 'error_cb': lambda e: errors.append(str(e))}))
c.assign([TopicPartition(topic, 0, 0)])
got = []
for _ in range(300):
    m = c.poll(0.1)
    if m is not None and not m.error():
        got.append(m.value().decode())
    if len(got) >= len(values):
        break
c.close()
print(json.dumps({'consumed': got}))
`;

const PY_PROBE = `
import json, sys
from confluent_kafka.admin import AdminClient
from confluent_kafka import KafkaException
errors = []
conf = json.loads(sys.argv[1])
a = AdminClient(dict(conf, **{'error_cb': lambda e: errors.append(str(e))}))
try:
    md = a.list_topics(timeout=6)
    print(json.dumps({'ok': True, 'brokers': len(md.brokers), 'errors': errors}))
except KafkaException as e:
    for _ in range(10):
        a.poll(0.2)  # error_cb runs from poll()
    print(json.dumps({'ok': False, 'exception': str(e), 'errors': errors}))
`;

async function py<T>(script: string, args: string[]): Promise<T> {
  const r = await runOk(PYTHON, ['-c', script, ...args], { timeoutMs: 90_000 });
  return jsonLines<T>(r.stdout)[0]!;
}

test('python confluent-kafka produces and consumes over every protocol', async () => {
  for (const s of setups()) {
    const topic = uniqueTopic('sec-py');
    // librdkafka auto-creates the topic on the first produce (Metadata), so no admin step.
    const sent = values(`py-${s.listener}`);
    const conf = { 'bootstrap.servers': addr(s.listener), 'broker.address.family': 'v4', ...s.props };
    const res = await py<{ consumed?: string[]; error?: string }>(PY_ROUNDTRIP, [JSON.stringify(conf), topic, JSON.stringify(sent)]);
    assert.deepEqual(res.consumed, sent, `${s.name}: ${JSON.stringify(res)}`);
  }
});

test('python confluent-kafka: wrong password, unknown user and a foreign-CA certificate are refused', async () => {
  const probe = (listener: SecureListener, props: Record<string, string>) =>
    py<{ ok: boolean; errors: string[] }>(PY_PROBE, [JSON.stringify({ 'bootstrap.servers': addr(listener), 'broker.address.family': 'v4', ...props })]);
  const plain = { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'PLAIN', 'sasl.username': 'alice', 'sasl.password': 'wrong' };
  let r = await probe('SASL_PLAINTEXT', plain);
  assert.equal(r.ok, false);
  assert.match(r.errors.join('\n'), /Authentication failed: Invalid username or password/);
  r = await probe('SASL_SSL', { 'security.protocol': 'SASL_SSL', 'ssl.ca.location': pki.ca, 'sasl.mechanisms': 'SCRAM-SHA-256', 'sasl.username': 'nobody', 'sasl.password': 'x' });
  assert.equal(r.ok, false);
  assert.match(r.errors.join('\n'), /invalid credentials with SASL mechanism SCRAM-SHA-256/);
  const eve = pki.client('eve', { foreign: true });
  r = await probe('MTLS', { 'security.protocol': 'SSL', 'ssl.ca.location': pki.ca, 'ssl.certificate.location': eve.cert, 'ssl.key.location': eve.key });
  assert.equal(r.ok, false, JSON.stringify(r));
});

// ---------------------------------------------------------------------------
// kafkajs

async function kafkajsClient(listener: SecureListener, o: Pick<KafkaConfig, 'ssl' | 'sasl'>) {
  const k = await kafkajs();
  return new k.Kafka({
    clientId: 'tributary-security-test', brokers: [addr(listener)], logLevel: k.logLevel.NOTHING,
    retry: { retries: 0 }, connectionTimeout: 10_000, authenticationTimeout: 10_000, ...o,
  });
}

const kafkajsSetups = (): { name: string; listener: SecureListener; o: Pick<KafkaConfig, 'ssl' | 'sasl'> }[] => [
  { name: 'SSL', listener: 'SSL' as const, o: { ssl: { ca: [readFileSync(pki.ca, 'utf8')] } } },
  { name: 'SASL_PLAINTEXT/PLAIN', listener: 'SASL_PLAINTEXT' as const, o: { sasl: { mechanism: 'plain', username: 'alice', password: PLAIN_USERS.alice } } },
  { name: 'SASL_SSL/SCRAM-SHA-256', listener: 'SASL_SSL' as const, o: { ssl: { ca: [readFileSync(pki.ca, 'utf8')] }, sasl: { mechanism: 'scram-sha-256', username: 'bob', password: SCRAM_USER.password } } },
  { name: 'SASL_SSL/SCRAM-SHA-512', listener: 'SASL_SSL' as const, o: { ssl: { ca: [readFileSync(pki.ca, 'utf8')] }, sasl: { mechanism: 'scram-sha-512', username: 'bob', password: SCRAM_USER.password } } },
  {
    name: 'mutual TLS', listener: 'MTLS' as const,
    o: { ssl: { ca: [readFileSync(pki.ca, 'utf8')], cert: readFileSync(aliceCert.cert, 'utf8'), key: readFileSync(aliceCert.key, 'utf8') } },
  },
];

test('kafkajs produces and consumes (consumer group) over every protocol', async () => {
  for (const s of kafkajsSetups()) {
    const kafka = await kafkajsClient(s.listener, s.o);
    const topic = uniqueTopic('sec-kjs');
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const sent = values(`kjs-${s.listener}`);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: sent.map((value) => ({ value })) });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: uniqueTopic('sec-kjs-g'), maxWaitTimeInMs: 100 });
    const got: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${s.name}: consumed only ${got.length} of ${N}`)), 60_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            got.push(message.value!.toString());
            if (got.length >= N) {
              clearTimeout(timer);
              resolve();
            }
          },
        }).catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    assert.deepEqual(got, sent, s.name);
  }
});

test('kafkajs: wrong passwords and unknown users fail with the broker\'s message; a foreign-CA or expired certificate cannot connect', async () => {
  const attempt = async (listener: SecureListener, o: Pick<KafkaConfig, 'ssl' | 'sasl'>) => {
    const admin = (await kafkajsClient(listener, o)).admin();
    try {
      await admin.connect();
      await admin.listTopics();
      return null;
    } catch (err) {
      return err as Error & { type?: string };
    } finally {
      await admin.disconnect().catch(() => {});
    }
  };
  const ca = [readFileSync(pki.ca, 'utf8')];
  let err = await attempt('SASL_PLAINTEXT', { sasl: { mechanism: 'plain', username: 'alice', password: 'wrong' } });
  assert.ok(err, 'kafkajs was let in with a wrong password');
  assert.match(err.message, /Authentication failed: Invalid username or password/);
  for (const mechanism of ['scram-sha-256', 'scram-sha-512']) {
    for (const [username, password] of [['bob', 'wrong'], ['nobody', 'x']]) {
      err = await attempt('SASL_SSL', { ssl: { ca }, sasl: { mechanism, username, password } as SASLOptions });
      assert.ok(err, `kafkajs ${mechanism} ${username} was let in`);
      assert.match(err.message, /invalid credentials with SASL mechanism SCRAM-SHA-/);
    }
  }
  for (const c of [pki.client('eve', { foreign: true }), pki.client('old', { expired: true })]) {
    err = await attempt('MTLS', { ssl: { ca, cert: readFileSync(c.cert, 'utf8'), key: readFileSync(c.key, 'utf8') } });
    assert.ok(err, `kafkajs got in with ${c.cert}`);
  }
});

// ---------------------------------------------------------------------------
// The project's own client side (security/client-security.ts, for the CLI's --command-config)

/** Sends requests over a connected socket with the broker's codec; one at a time. */
function requester(socket: Socket): SendRequest {
  const decoder = new FrameDecoder();
  let id = 0;
  let waiting: ((f: Buffer | null) => void) | null = null;
  socket.on('data', (d: Buffer) => { for (const f of decoder.push(d)) waiting?.(f); });
  socket.on('close', () => waiting?.(null));
  return (apiKey, apiVersion, body) => new Promise((resolve, reject) => {
    waiting = (f) => (f ? resolve(decodeResponse(apiKey, apiVersion, f).body) : reject(new Error('connection closed')));
    socket.write(encodeRequest({ apiKey, apiVersion, correlationId: ++id, clientId: 'tool' }, body));
  });
}

test('the tools\' client: Kafka client properties → TLS and SASL login (PLAIN, SCRAM-SHA-256/512, client certificate); refusals carry the broker\'s message', async () => {
  const jaas = (module: string, u: string, p: string) => `org.apache.kafka.common.security.${module} required username="${u}" password="${p}";`;
  const cases: [SecureListener, Record<string, string>][] = [
    ['SSL', { 'security.protocol': 'SSL', 'ssl.truststore.location': pki.ca }],
    ['SASL_PLAINTEXT', { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': jaas('plain.PlainLoginModule', 'alice', PLAIN_USERS.alice) }],
    ...(['SCRAM-SHA-256', 'SCRAM-SHA-512'].map((m): [SecureListener, Record<string, string>] => ['SASL_SSL', {
      'security.protocol': 'SASL_SSL', 'ssl.truststore.location': pki.ca, 'sasl.mechanism': m, 'sasl.jaas.config': jaas('scram.ScramLoginModule', 'bob', SCRAM_USER.password),
    }])),
    ['MTLS', { 'security.protocol': 'SSL', 'ssl.truststore.location': pki.ca, 'ssl.keystore.location': aliceCert.bundle }],
  ];
  for (const [listener, props] of cases) {
    const sec = clientSecurity(new Map(Object.entries(props)));
    const socket = await connectTransport('127.0.0.1', ports[listener]!, sec);
    try {
      const send = requester(socket);
      if (sec.sasl) await saslLogin(send, sec.sasl);
      const md = await send(3, 12, { topics: [], allowAutoTopicCreation: false });
      assert.equal(md.brokers[0].port, ports[listener], `${listener}: the broker's address on this listener`);
    } finally {
      socket.destroy();
    }
  }
  // What a broker uses to reach another broker's listener, made from the broker's own config.
  const overrides = new Map(Object.entries(secureBrokerOverrides(pki, PLAIN_USERS)));
  // The broker's own certificate is server-only here; give its MTLS listener one it may also present as a client.
  overrides.set('listener.name.mtls.ssl.keystore.certificate.chain', aliceCert.cert);
  overrides.set('listener.name.mtls.ssl.keystore.key', aliceCert.key);
  for (const listener of ['SASL_SSL', 'MTLS'] as const) {
    const sec = interBrokerClientSecurity(overrides, { name: listener, securityProtocol: listener === 'MTLS' ? 'SSL' : listener });
    const socket = await connectTransport('127.0.0.1', ports[listener]!, sec);
    try {
      const send = requester(socket);
      if (sec.sasl) await saslLogin(send, sec.sasl);
      assert.ok((await send(3, 12, { topics: [], allowAutoTopicCreation: false })).brokers.length === 1, listener);
    } finally {
      socket.destroy();
    }
  }
  const bad = clientSecurity(new Map(Object.entries({ ...cases[2]![1], 'sasl.jaas.config': jaas('scram.ScramLoginModule', 'bob', 'wrong') })));
  const socket = await connectTransport('127.0.0.1', ports.SASL_SSL!, bad);
  await assert.rejects(saslLogin(requester(socket), bad.sasl!), /SASL authentication failed: Authentication failed during authentication due to invalid credentials/);
  socket.destroy();
  await assert.rejects(connectTransport('127.0.0.1', ports.SSL!, clientSecurity(new Map([['security.protocol', 'SSL']]))), /self-signed|unable to verify|certificate/);
});
