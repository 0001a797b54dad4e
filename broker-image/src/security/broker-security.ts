// The security state a broker shares across its listeners and connections:
// parsed listener settings, the connection limiter, and a per-process secret
// (fake SCRAM salts for unknown users). Keyed by the broker's config object, so
// the broker itself needs no field for it.

import { randomBytes } from 'node:crypto';
import type { BrokerConfig, Listener } from '../config/broker-config.ts';
import { ConnectionLimiter } from './connection-limits.ts';
import { connectionLimits, listenerSecurity, type ConnectionLimits, type ListenerSecurity } from './security-config.ts';

const contexts = new WeakMap<BrokerConfig, BrokerSecurity>();

export class BrokerSecurity {
  readonly limits: ConnectionLimits;
  readonly limiter: ConnectionLimiter;
  readonly secret = randomBytes(32);
  /** Counts for the broker's metrics (security/metrics.ts reads them at scrape time). */
  readonly stats = {
    tlsHandshakeFailures: 0,
    /** `${mechanism}/${'ok'|'failed'}` → count */
    authentications: new Map<string, number>(),
    closedBeforeAuthentication: 0,
  };
  private readonly config: BrokerConfig;
  private readonly listeners = new Map<string, ListenerSecurity>();

  private constructor(config: BrokerConfig) {
    this.config = config;
    this.limits = connectionLimits(config);
    this.limiter = new ConnectionLimiter(this.limits);
  }

  static for(config: BrokerConfig): BrokerSecurity {
    let s = contexts.get(config);
    if (!s) {
      s = new BrokerSecurity(config);
      contexts.set(config, s);
    }
    return s;
  }

  countAuthentication(mechanism: string, ok: boolean): void {
    const key = `${mechanism}/${ok ? 'ok' : 'failed'}`;
    this.stats.authentications.set(key, (this.stats.authentications.get(key) ?? 0) + 1);
  }

  listener(l: Listener): ListenerSecurity {
    let s = this.listeners.get(l.name);
    if (!s) {
      s = listenerSecurity(this.config, l);
      this.listeners.set(l.name, s);
    }
    return s;
  }
}
