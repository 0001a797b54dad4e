// The client side, for the project's own tools: Kafka's client properties (the
// `--command-config` file of Kafka's bin/ tools) → a TLS or plain socket, then
// a SASL login (SaslHandshake v1 + SaslAuthenticate) with PLAIN or SCRAM.
//
//   security.protocol=SASL_SSL
//   sasl.mechanism=SCRAM-SHA-512
//   sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-secret";
//   ssl.truststore.location=/etc/tributary/ca.crt        (PEM)
//   ssl.keystore.location=/etc/tributary/client.pem      (PEM key + certificate, for ssl.client.auth)

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { SecurityProtocol } from '../config/broker-config.ts';
import { parseProperties } from '../config/properties.ts';
import { parseJaas } from './jaas.ts';
import { pemProperty } from './pem.ts';
import { clientProof, credentialFromSaltedPassword, encodeSaslName, hashOf, isScramMechanism, parseAttributes, saltedPassword, serverSignature } from './scram.ts';

export interface ClientSecurity {
  protocol: SecurityProtocol;
  tls: ConnectionOptions | null;
  sasl: { mechanism: string; username: string; password: string } | null;
}

export const PLAINTEXT_CLIENT: ClientSecurity = { protocol: 'PLAINTEXT', tls: null, sasl: null };

const PROTOCOLS: readonly string[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

const pem = pemProperty;

export function clientSecurity(props: Map<string, string>): ClientSecurity {
  const protocol = (props.get('security.protocol') ?? 'PLAINTEXT').toUpperCase();
  if (!PROTOCOLS.includes(protocol)) throw new Error(`security.protocol: '${protocol}' is not one of ${PROTOCOLS.join(', ')}`);
  const out: ClientSecurity = { protocol: protocol as SecurityProtocol, tls: null, sasl: null };
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const o: ConnectionOptions = {};
    const trust = props.get('ssl.truststore.certificates') ?? props.get('ssl.truststore.location');
    if (trust) o.ca = pem('ssl.truststore.location', trust);
    const chain = props.get('ssl.keystore.certificate.chain');
    const key = props.get('ssl.keystore.key');
    const location = props.get('ssl.keystore.location');
    if (chain && key) {
      o.cert = pem('ssl.keystore.certificate.chain', chain);
      o.key = pem('ssl.keystore.key', key);
    } else if (location) {
      o.cert = o.key = pem('ssl.keystore.location', location);
    }
    const password = props.get('ssl.key.password');
    if (password) o.passphrase = password;
    // Kafka's default (https) checks the broker's name; an empty value turns that off.
    if (props.get('ssl.endpoint.identification.algorithm') === '') o.checkServerIdentity = () => undefined;
    out.tls = o;
  }
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const mechanism = (props.get('sasl.mechanism') ?? 'GSSAPI').toUpperCase();
    if (mechanism !== 'PLAIN' && !isScramMechanism(mechanism)) throw new Error(`sasl.mechanism: ${mechanism} is not supported (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)`);
    const jaas = props.get('sasl.jaas.config');
    if (!jaas) throw new Error('sasl.jaas.config is required for SASL (username="..." password="...")');
    const options = parseJaas(jaas)[0]?.options;
    const username = options?.get('username');
    const password = options?.get('password');
    if (!username || password === undefined) throw new Error('sasl.jaas.config needs username="..." and password="..."');
    out.sasl = { mechanism, username, password };
  }
  return out;
}

/** The tools' `--command-config FILE`: Kafka client properties; PLAINTEXT without one. */
export function commandConfig(path: string | undefined): ClientSecurity {
  if (!path) return PLAINTEXT_CLIENT;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`--command-config: cannot read ${path}: ${(err as Error).message}`);
  }
  return clientSecurity(parseProperties(text));
}

/** A connected socket to host:port, through TLS when the protocol says so. */
export function connectTransport(host: string, port: number, security: ClientSecurity): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => reject(new Error(`cannot connect to ${host}:${port}: ${err.message}`));
    if (security.tls) {
      const s = tlsConnect({ host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host, ...security.tls });
      s.once('secureConnect', () => { s.off('error', fail); resolve(s); });
      s.once('error', fail);
    } else {
      const s = netConnect({ host, port });
      s.once('connect', () => { s.off('error', fail); resolve(s); });
      s.once('error', fail);
    }
  });
}

export type SendRequest = (apiKey: number, apiVersion: number, body: object) => Promise<any>;

const HANDSHAKE = 17;
const AUTHENTICATE = 36;

/** SaslHandshake v1 and the SaslAuthenticate exchange; throws with the broker's message when refused. */
export async function saslLogin(send: SendRequest, sasl: NonNullable<ClientSecurity['sasl']>): Promise<void> {
  const hs = await send(HANDSHAKE, 1, { mechanism: sasl.mechanism });
  if (hs.errorCode !== 0) throw new Error(`SASL mechanism ${sasl.mechanism} not enabled on this listener (it offers ${hs.mechanisms.join(', ')})`);
  const step = async (token: Buffer): Promise<Buffer> => {
    const r = await send(AUTHENTICATE, 1, { authBytes: token });
    if (r.errorCode !== 0) throw new Error(`SASL authentication failed: ${r.errorMessage ?? `error ${r.errorCode}`}`);
    return Buffer.from(r.authBytes);
  };
  if (sasl.mechanism === 'PLAIN') {
    await step(Buffer.from(`\u0000${sasl.username}\u0000${sasl.password}`, 'utf8'));
    return;
  }
  const hash = hashOf(sasl.mechanism);
  const bare = `n=${encodeSaslName(sasl.username)},r=${randomBytes(24).toString('base64')}`;
  const serverFirst = (await step(Buffer.from(`n,,${bare}`, 'utf8'))).toString('utf8');
  const a = parseAttributes(serverFirst);
  const nonce = a.get('r');
  const iterations = Number(a.get('i'));
  if (!nonce?.startsWith(bare.slice(bare.indexOf(',r=') + 3)) || !a.get('s') || !Number.isInteger(iterations)) {
    throw new Error('SASL authentication failed: malformed SCRAM server-first message');
  }
  const salted = saltedPassword(hash, sasl.password, Buffer.from(a.get('s')!, 'base64'), iterations);
  const withoutProof = `c=biws,r=${nonce}`;
  const authMessage = `${bare},${serverFirst},${withoutProof}`;
  const serverFinal = (await step(Buffer.from(`${withoutProof},p=${clientProof(hash, salted, authMessage).toString('base64')}`, 'utf8'))).toString('utf8');
  // The broker proves it knows the credential too.
  const expected = serverSignature(hash, credentialFromSaltedPassword(hash, salted, Buffer.alloc(0), iterations).serverKey, authMessage);
  if (serverFinal !== `v=${expected.toString('base64')}`) throw new Error('SASL authentication failed: the broker\'s SCRAM signature does not match');
}

/**
 * How this broker connects to another broker's inter-broker listener, from its
 * own config, as Kafka does: TLS trusting ssl.truststore.*, presenting its own
 * keystore (for ssl.client.auth); SASL with sasl.mechanism.inter.broker.protocol
 * (default PLAIN here; GSSAPI in Kafka) and the username/password options of
 * the listener's JAAS line for that mechanism.
 */
export function interBrokerClientSecurity(raw: Map<string, string>, listener: { name: string; securityProtocol: SecurityProtocol }): ClientSecurity {
  const get = (key: string) => raw.get(`listener.name.${listener.name.toLowerCase()}.${key}`) ?? raw.get(key);
  const props = new Map<string, string>([['security.protocol', listener.securityProtocol]]);
  const copy = (from: string, to = from) => {
    const v = get(from);
    if (v) props.set(to, v);
  };
  for (const k of ['ssl.truststore.location', 'ssl.truststore.certificates', 'ssl.keystore.location', 'ssl.keystore.certificate.chain', 'ssl.keystore.key', 'ssl.key.password']) copy(k);
  if (get('ssl.keystore.type')?.toUpperCase() === 'PKCS12') props.delete('ssl.keystore.location');
  if (listener.securityProtocol === 'SASL_PLAINTEXT' || listener.securityProtocol === 'SASL_SSL') {
    const mechanism = (raw.get('sasl.mechanism.inter.broker.protocol') ?? 'PLAIN').toUpperCase();
    props.set('sasl.mechanism', mechanism);
    const jaas = get(`${mechanism.toLowerCase()}.sasl.jaas.config`) ?? raw.get('sasl.jaas.config');
    if (!jaas) throw new Error(`inter-broker listener ${listener.name}: no JAAS config with username/password for ${mechanism} (listener.name.${listener.name.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config)`);
    props.set('sasl.jaas.config', jaas);
  }
  return clientSecurity(props);
}
