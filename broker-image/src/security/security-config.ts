// The security and connection-limit keys of server.properties, read from the
// raw config map with Kafka's precedence: `listener.name.<listener>.<key>`
// (listener name lower-cased, as Kafka writes it) over the plain `<key>`.

import { readFileSync } from 'node:fs';
import { ConfigError, type BrokerConfig, type Listener } from '../config/broker-config.ts';
import { parseJaasUsers } from './jaas.ts';
import { pemProperty } from './pem.ts';
import { parsePrincipalRules, type PrincipalRule } from './principal-mapping.ts';
import { SCRAM_MECHANISMS } from './scram.ts';

export type ClientAuth = 'none' | 'requested' | 'required';

export interface TlsSettings {
  /** PEM (or, from a PKCS12 keystore, pfx) material for node:tls. */
  key?: string;
  cert?: string;
  pfx?: Buffer;
  passphrase?: string;
  ca?: string;
  clientAuth: ClientAuth;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  ciphers?: string;
  /** ssl.principal.mapping.rules: certificate subject → user name. */
  principalRules: PrincipalRule[];
}

export interface SaslSettings {
  mechanisms: string[];
  /** PLAIN users from the listener's JAAS config (`user_<name>="password"`). */
  plainUsers: Map<string, string>;
}

export interface ListenerSecurity {
  tls: TlsSettings | null;
  sasl: SaslSettings | null;
}

export interface ConnectionLimits {
  maxConnections: number;
  maxConnectionsPerIp: number;
  perIpOverrides: Map<string, number>;
  /** From accept until authenticated (TLS handshake, SASL exchange); 0 disables. */
  authenticationTimeoutMs: number;
  /** Largest frame accepted before a SASL client has authenticated. */
  saslMaxReceiveSize: number;
  /** KIP-368: 0 = sessions do not expire. */
  maxReauthMs: number;
}

export const SUPPORTED_MECHANISMS = ['PLAIN', ...SCRAM_MECHANISMS] as const;

/** The value of `key` for a listener: `listener.name.<name>.<key>` first, then `<key>`. */
export function listenerValue(raw: Map<string, string>, listenerName: string, key: string): string | undefined {
  return raw.get(`listener.name.${listenerName.toLowerCase()}.${key}`) ?? raw.get(key);
}

export function listenerSecurity(config: BrokerConfig, listener: Listener): ListenerSecurity {
  const p = listener.securityProtocol;
  return {
    tls: p === 'SSL' || p === 'SASL_SSL' ? tlsSettings(config.raw, listener.name) : null,
    sasl: p === 'SASL_PLAINTEXT' || p === 'SASL_SSL' ? saslSettings(config.raw, listener.name) : null,
  };
}

function saslSettings(raw: Map<string, string>, name: string): SaslSettings {
  const listed = listenerValue(raw, name, 'sasl.enabled.mechanisms') ?? 'PLAIN';
  const mechanisms = listed.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  if (mechanisms.length === 0) throw new ConfigError(`sasl.enabled.mechanisms for listener ${name}: none given`);
  for (const m of mechanisms) {
    if (!(SUPPORTED_MECHANISMS as readonly string[]).includes(m)) {
      throw new ConfigError(`sasl.enabled.mechanisms for listener ${name}: ${m} is not supported (${SUPPORTED_MECHANISMS.join(', ')})`);
    }
  }
  const jaas = listenerValue(raw, name, 'plain.sasl.jaas.config') ?? raw.get('sasl.jaas.config');
  let plainUsers = new Map<string, string>();
  if (jaas) {
    try {
      plainUsers = parseJaasUsers(jaas);
    } catch (err) {
      throw new ConfigError(`sasl.jaas.config for listener ${name}: ${(err as Error).message}`);
    }
  }
  return { mechanisms, plainUsers };
}

/** A PEM value is either the PEM text itself (Kafka's way) or a file path (convenient). */
function pemValue(key: string, value: string): string {
  try {
    return pemProperty(key, value);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

function tlsSettings(raw: Map<string, string>, name: string): TlsSettings {
  const get = (key: string) => listenerValue(raw, name, key) || undefined;
  const where = `listener ${name}`;
  const type = (get('ssl.keystore.type') ?? 'PEM').toUpperCase();
  const password = get('ssl.key.password') ?? get('ssl.keystore.password');
  let principalRules: PrincipalRule[];
  try {
    principalRules = parsePrincipalRules(get('ssl.principal.mapping.rules') ?? 'DEFAULT');
  } catch (err) {
    throw new ConfigError(`ssl.principal.mapping.rules for ${where}: ${(err as Error).message}`);
  }
  const out: TlsSettings = { clientAuth: 'none', principalRules };
  if (password) out.passphrase = password;
  if (type === 'PEM') {
    const chain = get('ssl.keystore.certificate.chain');
    const key = get('ssl.keystore.key');
    const location = get('ssl.keystore.location');
    if (chain && key) {
      out.cert = pemValue('ssl.keystore.certificate.chain', chain);
      out.key = pemValue('ssl.keystore.key', key);
    } else if (location) {
      // One PEM file holding the private key and the certificate chain.
      const pem = pemValue('ssl.keystore.location', location);
      out.cert = pem;
      out.key = pem;
    } else {
      throw new ConfigError(`${where}: TLS needs ssl.keystore.certificate.chain and ssl.keystore.key, or ssl.keystore.location`);
    }
  } else if (type === 'PKCS12') {
    const location = get('ssl.keystore.location');
    if (!location) throw new ConfigError(`${where}: ssl.keystore.type=PKCS12 needs ssl.keystore.location`);
    try {
      out.pfx = readFileSync(location);
    } catch (err) {
      throw new ConfigError(`ssl.keystore.location: cannot read ${location}: ${(err as Error).message}`);
    }
  } else {
    throw new ConfigError(`${where}: ssl.keystore.type=${type} is not supported (PEM or PKCS12)`);
  }
  const trustType = (get('ssl.truststore.type') ?? 'PEM').toUpperCase();
  const trustLocation = get('ssl.truststore.location');
  const trustPem = get('ssl.truststore.certificates');
  if ((trustLocation || trustPem) && trustType !== 'PEM') {
    throw new ConfigError(`${where}: ssl.truststore.type=${trustType} is not supported (PEM)`);
  }
  if (trustPem) out.ca = pemValue('ssl.truststore.certificates', trustPem);
  else if (trustLocation) out.ca = pemValue('ssl.truststore.location', trustLocation);
  const clientAuth = (get('ssl.client.auth') ?? 'none').toLowerCase();
  if (clientAuth !== 'none' && clientAuth !== 'requested' && clientAuth !== 'required') {
    throw new ConfigError(`ssl.client.auth: '${clientAuth}' is not none, requested or required`);
  }
  out.clientAuth = clientAuth;
  if (clientAuth !== 'none' && !out.ca) throw new ConfigError(`${where}: ssl.client.auth=${clientAuth} needs ssl.truststore.location (the CA bundle client certificates are checked against)`);
  const protocols = get('ssl.enabled.protocols');
  if (protocols) {
    const list = protocols.split(',').map((s) => s.trim());
    const unknown = list.filter((p) => p !== 'TLSv1.2' && p !== 'TLSv1.3');
    if (unknown.length > 0) throw new ConfigError(`ssl.enabled.protocols: ${unknown.join(', ')} not supported (TLSv1.2, TLSv1.3)`);
    out.minVersion = list.includes('TLSv1.2') ? 'TLSv1.2' : 'TLSv1.3';
  }
  const ciphers = get('ssl.cipher.suites');
  if (ciphers) out.ciphers = ciphers.split(',').map((s) => s.trim()).join(':');
  return out;
}

export function connectionLimits(config: BrokerConfig): ConnectionLimits {
  const raw = config.raw;
  const int = (key: string, dflt: number, min: number) => {
    const v = raw.get(key);
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min) throw new ConfigError(`${key}: '${v}' is not an integer ≥ ${min}`);
    return n;
  };
  const perIpOverrides = new Map<string, number>();
  for (const part of (raw.get('max.connections.per.ip.overrides') ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = part.lastIndexOf(':');
    const n = Number(part.slice(colon + 1));
    if (colon <= 0 || !Number.isSafeInteger(n) || n < 0) throw new ConfigError(`max.connections.per.ip.overrides: '${part}' is not host:count`);
    perIpOverrides.set(part.slice(0, colon), n);
  }
  return {
    maxConnections: int('max.connections', 2 ** 31 - 1, 0),
    maxConnectionsPerIp: int('max.connections.per.ip', 2 ** 31 - 1, 0),
    perIpOverrides,
    authenticationTimeoutMs: int('connections.authentication.timeout.ms', 30_000, 0),
    saslMaxReceiveSize: int('sasl.server.max.receive.size', 524_288, 1),
    maxReauthMs: int('connections.max.reauth.ms', 0, 0),
  };
}
