// Floods against the limits, while a real client (kcat, from 127.0.0.1)
// produces and consumes normally:
// - 300 idle sockets from 127.0.0.2 with max.connections.per.ip=200: each asks
//   ApiVersions; 200 are answered, 100 are closed unanswered at accept; the 200
//   are then closed by connections.max.idle.ms;
// - 50 TLS connections that never send a ClientHello: closed by the handshake
//   timeout (connections.authentication.timeout.ms);
// - 5 slow-loris sockets trickling a frame that never completes: idle counts in
//   complete frames, so they are closed too;
// - frame sizes of 2 GiB and of 200 MB (> socket.request.max.bytes): cut at the
//   size prefix;
// - an unauthenticated SASL client sending a 50 MB frame: cut at
//   sasl.server.max.receive.size, long before the broker has buffered it.
// The attackers come from other loopback addresses, so per-IP limits do not
// touch the real client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startBroker, tempDir, type Broker } from '../support/broker.ts';
import { KCAT, runOk, uniqueTopic, waitFor } from '../support/clients.ts';
import { listenerPorts, makePki } from '../support/tls.ts';

const IDLE_MS = 8000;
const AUTH_MS = 4000;
let broker: Broker;
let ports: Record<string, number>;
let dir: ReturnType<typeof tempDir>;

before(async () => {
  dir = tempDir('tributary-flood-');
  const pki = makePki(dir.path);
  const listeners = 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0';
  broker = await startBroker({
    overrides: {
      listeners, 'advertised.listeners': listeners,
      'ssl.keystore.certificate.chain': pki.server.cert, 'ssl.keystore.key': pki.server.key,
      'sasl.enabled.mechanisms': 'PLAIN',
      'connections.max.idle.ms': IDLE_MS,
      'connections.authentication.timeout.ms': AUTH_MS,
      'max.connections.per.ip': 200,
      'max.connections.per.ip.overrides': '127.0.0.1:1000',
      'max.connections': 1000,
    },
  });
  ports = await listenerPorts(broker, ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT']);
});
after(async () => {
  await broker?.cleanup();
  dir?.remove();
});

interface Attacker {
  socket: net.Socket;
  closed: boolean;
  /** Bytes received from the broker. */
  received: number;
}

function attack(port: number, from: string): Promise<Attacker> {
  return new Promise((resolve, reject) => {
    const a: Attacker = { socket: net.connect({ host: '127.0.0.1', port, localAddress: from }), closed: false, received: 0 };
    a.socket.on('data', (d: Buffer) => { a.received += d.length; });
    a.socket.on('close', () => { a.closed = true; });
    a.socket.on('error', () => {});
    a.socket.once('connect', () => resolve(a));
    a.socket.once('error', reject);
  });
}

/** ApiVersions v0, correlation id 1: the smallest request every listener answers. */
const API_VERSIONS = Buffer.from([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0, 0]);

/** Waits until the attacker got an answer or was closed; true if answered. */
async function answered(a: Attacker): Promise<boolean> {
  await waitFor('an answer or a close', async () => a.received > 0 || a.closed, 30_000, 20);
  return a.received > 0;
}

test('the limits close idle, half-open, trickling and oversize connections while a real client works', async (t) => {
  // 300 idle sockets from one address, each asking ApiVersions once.
  const idle = await Promise.all(Array.from({ length: 300 }, () => attack(ports.PLAINTEXT!, '127.0.0.2')));
  for (const a of idle) a.socket.write(API_VERSIONS);
  const answers = await Promise.all(idle.map(answered));
  assert.equal(answers.filter(Boolean).length, 200, 'max.connections.per.ip=200 should admit exactly 200');
  assert.ok(idle.filter((a, i) => !answers[i]).every((a) => a.closed), 'the refused ones are closed');

  // 50 TLS connections that never start the handshake.
  const halfOpen = await Promise.all(Array.from({ length: 50 }, () => attack(ports.SSL!, '127.0.0.3')));

  // Slow loris: admitted (answered), then a frame that promises 100 bytes and gets 1 byte at a time.
  const loris = await Promise.all(Array.from({ length: 5 }, () => attack(ports.PLAINTEXT!, '127.0.0.5')));
  for (const a of loris) a.socket.write(API_VERSIONS);
  for (const a of loris) assert.equal(await answered(a), true);
  const trickle = setInterval(() => {
    for (const a of loris) if (!a.closed) a.socket.write(Buffer.from([0]));
  }, 500);

  // Oversize size prefixes.
  const oversize = await Promise.all([attack(ports.PLAINTEXT!, '127.0.0.4'), attack(ports.PLAINTEXT!, '127.0.0.4')]);
  oversize[0]!.socket.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 18]));
  const big = Buffer.alloc(4);
  big.writeInt32BE(200 * 1024 * 1024);
  oversize[1]!.socket.write(big);

  // An unauthenticated SASL client announcing a 50 MB frame and streaming it.
  const sasl = await attack(ports.SASL_PLAINTEXT!, '127.0.0.6');
  const header = Buffer.alloc(4);
  header.writeInt32BE(50 * 1024 * 1024);
  sasl.socket.write(header);
  let streamed = 0;
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  while (!sasl.closed && streamed < 50 * 1024 * 1024) {
    const ok = sasl.socket.write(chunk);
    streamed += chunk.length;
    if (!ok) await new Promise((r) => { sasl.socket.once('drain', r); sasl.socket.once('close', r); });
  }

  try {
    // Meanwhile, a real client: 2,000 records in, all 2,000 back.
    const topic = uniqueTopic('flood');
    const lines = Array.from({ length: 2000 }, (_, i) => `record-${i}`);
    await runOk(KCAT, ['-b', broker.bootstrap, '-X', 'broker.address.family=v4', '-P', '-t', topic], { input: lines.join('\n') + '\n', timeoutMs: 120_000 });
    const consumed = await runOk(KCAT, ['-b', broker.bootstrap, '-X', 'broker.address.family=v4', '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%s\n'], { timeoutMs: 120_000 });
    assert.deepEqual(consumed.stdout.split('\n').filter(Boolean), lines);

    for (const a of oversize) await waitFor('an oversize frame header to be cut', async () => a.closed, 10_000, 20);
    await waitFor('the pre-authentication frame to be cut', async () => sasl.closed, 10_000, 20);
    assert.ok(streamed < 50 * 1024 * 1024, `the broker took all ${streamed} bytes of the unauthenticated frame`);
    await waitFor('the half-open TLS connections to be closed', async () => halfOpen.every((a) => a.closed), 60_000, 100);
    await waitFor('the idle connections to be closed', async () => idle.every((a) => a.closed), 60_000, 100);
    await waitFor('the slow-loris connections to be closed', async () => loris.every((a) => a.closed), 60_000, 100);
  } finally {
    clearInterval(trickle);
    for (const a of [...idle, ...halfOpen, ...loris, ...oversize, sasl]) a.socket.destroy();
  }

  t.diagnostic(`idle sockets answered/refused: ${answers.filter(Boolean).length}/${answers.filter((a) => !a).length}; ` +
    `unauthenticated frame cut after ${(streamed / 1024 / 1024).toFixed(1)} MiB sent (kernel buffers included); broker peak RSS ${broker.peakRssKb()} kB`);
  // And the broker still serves a new client after all of that.
  const r = await runOk(KCAT, ['-b', broker.bootstrap, '-X', 'broker.address.family=v4', '-L', '-J'], { timeoutMs: 30_000 });
  assert.equal(JSON.parse(r.stdout).brokers.length, 1);
});
