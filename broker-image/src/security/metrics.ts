// Prometheus counters for the security layer, read from BrokerSecurity's
// counts at scrape time: refused connections by limit, failed TLS handshakes,
// SASL authentications by mechanism and result, connections closed for
// requests sent before authenticating.

import { Counter, type Registry } from 'prom-client';
import type { BrokerSecurity } from './broker-security.ts';

export function registerSecurityMetrics(registry: Registry, security: BrokerSecurity): void {
  new Counter({
    name: 'tributary_connections_refused_total', help: 'Connections closed at accept by max.connections or max.connections.per.ip',
    labelNames: ['limit'], registers: [registry],
    collect() {
      this.reset();
      this.inc({ limit: 'max.connections' }, security.limiter.refused.maxConnections);
      this.inc({ limit: 'max.connections.per.ip' }, security.limiter.refused.maxConnectionsPerIp);
    },
  });
  new Counter({
    name: 'tributary_tls_handshake_failures_total', help: 'TLS handshakes that failed or timed out (connections.authentication.timeout.ms)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(security.stats.tlsHandshakeFailures);
    },
  });
  new Counter({
    name: 'tributary_sasl_authentications_total', help: 'SASL authentications (and re-authentications) by mechanism and result',
    labelNames: ['mechanism', 'result'], registers: [registry],
    collect() {
      this.reset();
      for (const [key, n] of security.stats.authentications) {
        const [mechanism, result] = key.split('/');
        this.inc({ mechanism, result }, n);
      }
    },
  });
  new Counter({
    name: 'tributary_connections_unauthenticated_closed_total', help: 'SASL connections closed for a request before authenticating, or for not authenticating in time',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(security.stats.closedBeforeAuthentication);
    },
  });
}
