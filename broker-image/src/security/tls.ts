// node:tls options for a listener, and the principal of a TLS client.

import type { TLSSocket, TlsOptions } from 'node:tls';
import type { TlsSettings } from './security-config.ts';
import { ANONYMOUS, subjectDn, userPrincipal } from './principal.ts';
import { mapPrincipal, type PrincipalRule } from './principal-mapping.ts';

export function tlsServerOptions(s: TlsSettings, handshakeTimeoutMs: number): TlsOptions {
  const o: TlsOptions = {
    requestCert: s.clientAuth !== 'none',
    // `requested`: a client without a certificate is let in; one with a bad certificate is refused (after the handshake).
    rejectUnauthorized: s.clientAuth === 'required',
    handshakeTimeout: handshakeTimeoutMs > 0 ? handshakeTimeoutMs : 120_000,
  };
  if (s.pfx) o.pfx = s.pfx;
  if (s.cert) o.cert = s.cert;
  if (s.key) o.key = s.key;
  if (s.passphrase) o.passphrase = s.passphrase;
  if (s.ca) o.ca = s.ca;
  if (s.minVersion) o.minVersion = s.minVersion;
  if (s.ciphers) o.ciphers = s.ciphers;
  return o;
}

/** Why a TLS client that completed the handshake must still be refused, or null. */
export function tlsRefusal(socket: TLSSocket): string | null {
  if (socket.getPeerX509Certificate() && !socket.authorized) return `client certificate not trusted: ${String(socket.authorizationError)}`;
  return null;
}

/** `User:<name>` from a trusted client certificate (mapped by the rules), ANONYMOUS without one, null when no rule maps it. */
export function tlsPrincipal(socket: TLSSocket, rules: PrincipalRule[] = [{ kind: 'default' }]): string | null {
  const cert = socket.authorized ? socket.getPeerX509Certificate() : undefined;
  if (!cert) return ANONYMOUS;
  const name = mapPrincipal(rules, subjectDn(cert));
  return name === null ? null : userPrincipal(name);
}
