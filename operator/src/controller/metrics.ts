// Prometheus metrics and the operator's HTTP endpoints (/metrics, /healthz, /readyz).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({ name: 'tributary_operator_reconcile_total', help: 'Reconciles by controller and result', labelNames: ['controller', 'result'] as const, registers: [this.registry] });
  readonly reconcileSeconds = new Histogram({ name: 'tributary_operator_reconcile_duration_seconds', help: 'Reconcile duration', labelNames: ['controller'] as const, buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [this.registry] });
  readonly queueDepth = new Gauge({ name: 'tributary_operator_workqueue_depth', help: 'Keys waiting in the work queue', labelNames: ['controller'] as const, registers: [this.registry] });
  readonly leader = new Gauge({ name: 'tributary_operator_leader', help: '1 while this replica holds the leader Lease', registers: [this.registry] });
  readonly brokerRestarts = new Counter({ name: 'tributary_operator_broker_restarts_total', help: 'Broker pods deleted by rolling updates', labelNames: ['namespace', 'cluster'] as const, registers: [this.registry] });
  readonly clustersReady = new Gauge({ name: 'tributary_operator_clusters_ready', help: 'KafkaClusters with Ready=True', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tributary_operator_' });
  }
}

export async function serveHttp(address: string, metrics: OperatorMetrics, ready: () => boolean): Promise<http.Server> {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(address);
  if (!m) throw new Error(`metrics address '${address}' is not host:port`);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    if (path === '/readyz') {
      const ok = ready();
      return void res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ready\n' : 'not ready\n');
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then((text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text), (e: Error) => res.writeHead(500).end(e.message));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(m[2]), m[1] || '0.0.0.0', () => resolve());
  });
  return server;
}

export function boundPort(s: http.Server): number {
  return (s.address() as AddressInfo).port;
}
