// Kafka principals: `User:<name>`. A TLS client's name is its certificate's
// subject in RFC 2253 form, most specific first (`CN=alice,OU=eng,O=acme,C=DE`),
// as Kafka's default principal builder gives it; without one, `User:ANONYMOUS`.

import type { X509Certificate } from 'node:crypto';

export const ANONYMOUS = 'User:ANONYMOUS';

export function userPrincipal(name: string): string {
  return `User:${name}`;
}

/**
 * Node prints a subject one RDN per line in certificate order (`C=DE\nO=acme\nCN=alice`),
 * values already escaped per RFC 2253; Kafka (Java's X500Principal) joins them reversed with ','.
 */
export function subjectDn(cert: X509Certificate): string {
  return cert.subject.split('\n').filter(Boolean).reverse().join(',');
}
