// max.connections and max.connections.per.ip (with overrides): counted at
// TCP accept, before any TLS handshake or request, over every listener.

import type { Socket } from 'node:net';
import type { ConnectionLimits } from './security-config.ts';

export class ConnectionLimiter {
  private readonly limits: ConnectionLimits;
  private readonly perIp = new Map<string, number>();
  private total = 0;
  /** Connections refused so far, by reason. */
  readonly refused = { maxConnections: 0, maxConnectionsPerIp: 0 };

  constructor(limits: ConnectionLimits) {
    this.limits = limits;
  }

  get open(): number {
    return this.total;
  }

  /**
   * Counts the socket in (until it closes), or returns why it is refused. As in
   * Kafka, the inter-broker listener is exempt from max.connections, so a flood
   * of clients cannot cut replication.
   */
  admit(socket: Socket, interBroker = false): 'max.connections' | 'max.connections.per.ip' | null {
    const ip = normalize(socket.remoteAddress ?? '');
    const n = this.perIp.get(ip) ?? 0;
    const limit = this.limits.perIpOverrides.get(ip) ?? this.limits.maxConnectionsPerIp;
    if (n >= limit) {
      this.refused.maxConnectionsPerIp++;
      return 'max.connections.per.ip';
    }
    if (!interBroker && this.total >= this.limits.maxConnections) {
      this.refused.maxConnections++;
      return 'max.connections';
    }
    this.perIp.set(ip, n + 1);
    this.total++;
    socket.once('close', () => {
      this.total--;
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, left);
    });
    return null;
  }
}

/** IPv4 clients of a dual-stack listener appear as ::ffff:a.b.c.d. */
function normalize(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
