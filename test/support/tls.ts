// Test certificates made with Debian's `openssl` CLI in a temp dir (no private
// key is ever committed): a CA, a server certificate for 127.0.0.1 (IP
// subjectAltName), client certificates signed by it, one signed by a foreign
// CA, and an expired one (`x509 -days -1`: notAfter a day before notBefore).
// Also: the listener ports of a broker started with several listeners.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Broker } from './broker.ts';

export interface KeyPair {
  cert: string;
  key: string;
  /** key + cert in one PEM file (Kafka's PEM keystore location). */
  bundle: string;
}

export interface TestPki {
  dir: string;
  ca: string;
  caKey: string;
  server: KeyPair;
  /** A client certificate with subject O=Tributary,OU=tests,CN=<cn>. */
  client(cn: string, opts?: { expired?: boolean; foreign?: boolean }): KeyPair;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  openssl(['req', '-x509', ...EC, '-keyout', key, '-out', cert, '-days', '2', '-subj', `/O=Tributary/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return { cert, key };
}

function makeLeaf(dir: string, name: string, subject: string, ca: { cert: string; key: string }, ext: string, days: string): KeyPair {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  openssl(['req', '-new', ...EC, '-keyout', key, '-out', csr, '-subj', subject], dir);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', days, '-extfile', extFile], dir);
  const bundle = join(dir, `${name}.pem`);
  writeFileSync(bundle, readFileSync(key, 'utf8') + readFileSync(cert, 'utf8'));
  return { cert, key, bundle };
}

export function makePki(dir: string): TestPki {
  const ca = makeCa(dir, 'ca');
  let foreign: { cert: string; key: string } | null = null;
  const server = makeLeaf(dir, 'server', '/O=Tributary/CN=127.0.0.1', ca,
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n', '2');
  return {
    dir, ca: ca.cert, caKey: ca.key, server,
    client(cn, opts = {}) {
      const signer = opts.foreign ? (foreign ??= makeCa(dir, 'foreign-ca')) : ca;
      const name = `client-${cn}${opts.expired ? '-expired' : ''}${opts.foreign ? '-foreign' : ''}`;
      // -days -1: notAfter = a day before notBefore (now), so already expired.
      return makeLeaf(dir, name, `/O=Tributary/OU=tests/CN=${cn}`, signer, 'extendedKeyUsage=clientAuth\n', opts.expired ? '-1' : '2');
    },
  };
}

/** Waits for the broker's "broker listening" lines and returns listener name → bound port. */
export async function listenerPorts(broker: Broker, names: string[]): Promise<Record<string, number>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ports: Record<string, number> = {};
    for (const line of readFileSync(broker.logFile, 'utf8').split('\n')) {
      if (!line.includes('broker listening')) continue;
      try {
        const o = JSON.parse(line) as { listener?: string; port?: number };
        if (o.listener && typeof o.port === 'number') ports[o.listener] = o.port;
      } catch {
        /* not JSON */
      }
    }
    if (names.every((n) => n in ports)) return ports;
    if (Date.now() > deadline) throw new Error(`listeners ${names.join(', ')} not all reported; found ${JSON.stringify(ports)}\n${broker.tail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const SECURE_LISTENERS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL', 'MTLS'] as const;
export type SecureListener = (typeof SECURE_LISTENERS)[number];

/**
 * The overrides for a broker with every kind of listener on free ports:
 * PLAINTEXT, SSL (no client certificate), SASL_PLAINTEXT, SASL_SSL, and MTLS
 * (SSL with ssl.client.auth=required). PLAIN users come from the JAAS line.
 */
export function secureBrokerOverrides(pki: TestPki, plainUsers: Record<string, string>): Record<string, string> {
  const listeners = SECURE_LISTENERS.map((l) => `${l}://127.0.0.1:0`).join(',');
  // username/password: the broker's own credentials on the listener (inter-broker), as in Kafka.
  const [self, selfPassword] = Object.entries(plainUsers)[0] ?? ['', ''];
  const jaas = `org.apache.kafka.common.security.plain.PlainLoginModule required username="${self}" password="${selfPassword}" ` +
    Object.entries(plainUsers).map(([u, p]) => `user_${u}="${p}"`).join(' ') + ';';
  return {
    listeners,
    'advertised.listeners': listeners,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,MTLS:SSL',
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.certificate.chain': pki.server.cert,
    'ssl.keystore.key': pki.server.key,
    'ssl.truststore.location': pki.ca,
    'listener.name.mtls.ssl.client.auth': 'required',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': jaas,
    'listener.name.sasl_ssl.plain.sasl.jaas.config': jaas,
  };
}
