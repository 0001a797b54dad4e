// Lease-based leader election (coordination.k8s.io/v1), client-go's algorithm:
// take the Lease when it is free or expired, renew it every `retryPeriod`,
// give up leadership when a renewal has not succeeded for `renewDeadline`.
// Released on graceful shutdown so the standby takes over at once.
import type { Logger } from 'pino';
import { KubeError, microTime } from './kube.ts';
import type { Kube, Obj } from './kube.ts';

export interface LeaderOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export class LeaderElector {
  private readonly kube: Kube;
  private readonly log: Logger;
  private readonly o: Required<LeaderOptions>;
  private leading = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private lastRenew = 0;

  constructor(kube: Kube, log: Logger, opts: LeaderOptions) {
    this.kube = kube;
    this.log = log.child({ lease: `${opts.namespace}/${opts.name}` });
    this.o = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...opts };
  }

  isLeader(): boolean {
    return this.leading;
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.o.namespace}/leases/${this.o.name}`;
  }

  /** Resolves once this process holds the Lease; then keeps renewing it, calling onLost if it lapses. */
  async acquire(onLost: () => void): Promise<void> {
    while (!this.stopped) {
      try {
        if (await this.tryAcquireOrRenew()) {
          this.leading = true;
          this.lastRenew = Date.now();
          this.log.info({ identity: this.o.identity }, 'became leader');
          this.renewLoop(onLost);
          return;
        }
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'leader election attempt failed');
      }
      await new Promise((r) => setTimeout(r, this.o.retryPeriodMs));
    }
  }

  private renewLoop(onLost: () => void): void {
    const tick = async () => {
      if (this.stopped || !this.leading) return;
      try {
        if (await this.tryAcquireOrRenew()) this.lastRenew = Date.now();
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'lease renewal failed');
      }
      if (Date.now() - this.lastRenew > this.o.renewDeadlineMs) {
        this.leading = false;
        this.log.error('lost leadership (renew deadline passed)');
        onLost();
        return;
      }
      this.timer = setTimeout(tick, this.o.retryPeriodMs);
    };
    this.timer = setTimeout(tick, this.o.retryPeriodMs);
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = microTime();
    const lease: Obj | undefined = await this.kube.find(this.path);
    const durationS = Math.ceil(this.o.leaseDurationMs / 1000);
    if (!lease) {
      try {
        await this.kube.create(this.path.slice(0, this.path.lastIndexOf('/')), {
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
          metadata: { name: this.o.name, namespace: this.o.namespace },
          spec: { holderIdentity: this.o.identity, leaseDurationSeconds: durationS, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        });
        return true;
      } catch (e) {
        if (e instanceof KubeError && e.status === 409) return false;
        throw e;
      }
    }
    const s = lease.spec ?? {};
    const holder: string | undefined = s.holderIdentity || undefined;
    const renewed = s.renewTime ? Date.parse(s.renewTime) : 0;
    const expired = renewed + (s.leaseDurationSeconds ?? durationS) * 1000 < Date.now();
    if (holder && holder !== this.o.identity && !expired) return false;
    const takeover = holder !== this.o.identity;
    const spec = {
      holderIdentity: this.o.identity, leaseDurationSeconds: durationS,
      acquireTime: takeover ? now : (s.acquireTime ?? now), renewTime: now,
      leaseTransitions: (s.leaseTransitions ?? 0) + (takeover && holder ? 1 : 0),
    };
    try {
      await this.kube.update(this.path, { ...lease, spec });
      return true;
    } catch (e) {
      if (e instanceof KubeError && e.status === 409) return false;
      throw e;
    }
  }

  /** Stops renewing and frees the Lease if held (the standby takes over without waiting for expiry). */
  async release(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.kube.find(this.path);
      if (lease?.spec?.holderIdentity === this.o.identity) {
        await this.kube.update(this.path, { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime() } });
      }
      this.log.info('released leadership');
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'could not release the lease');
    }
  }
}
