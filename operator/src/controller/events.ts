// core/v1 Events on the custom resources (what `kubectl describe` shows):
// repeats of the same reason+message within a minute are folded into one.
import type { Logger } from 'pino';
import type { Kube, Obj } from './kube.ts';

export class Events {
  private readonly kube: Kube;
  private readonly log: Logger;
  private readonly instance: string;
  private readonly recent = new Map<string, number>();
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(kube: Kube, log: Logger, instance: string) {
    this.kube = kube;
    this.log = log;
    this.instance = instance;
  }

  emit(o: Obj, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const key = `${o.metadata.uid}|${reason}|${message}`;
    const now = Date.now();
    if ((this.recent.get(key) ?? 0) > now - 60_000) return;
    this.recent.set(key, now);
    if (this.recent.size > 5000) for (const [k, t] of this.recent) if (t < now - 60_000) this.recent.delete(k);
    this.log.info({ object: `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`, type, reason }, message);
    const ts = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const p = this.kube.create(`/api/v1/namespaces/${o.metadata.namespace}/events`, {
      apiVersion: 'v1', kind: 'Event',
      metadata: { generateName: `${o.metadata.name}.`, namespace: o.metadata.namespace },
      involvedObject: { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion },
      reason, message: message.slice(0, 1024), type,
      source: { component: 'tributary-operator' },
      firstTimestamp: ts, lastTimestamp: ts, count: 1,
      reportingComponent: 'tributary-operator', reportingInstance: this.instance,
    }).catch((e: Error) => this.log.warn({ err: e.message }, 'could not record event'));
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
  }
}
