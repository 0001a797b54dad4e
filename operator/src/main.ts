// The operator's entry point:
//   node operator/src/main.ts [--kubeconfig F] [--namespace NS] [--leader-elect]
//        [--lease-namespace NS] [--metrics-address host:port] [--log-level info]
// Environment: POD_NAMESPACE (lease namespace default), POD_NAME (identity).
// SIGTERM/SIGINT: finish in-flight reconciles, release the Lease, exit 0.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Kube } from './controller/kube.ts';
import { Manager } from './controller/manager.ts';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    namespace: { type: 'string' },
    'leader-elect': { type: 'boolean', default: false },
    'lease-namespace': { type: 'string' },
    'lease-name': { type: 'string', default: 'tributary-operator-leader' },
    'metrics-address': { type: 'string', default: '0.0.0.0:8080' },
    'log-level': { type: 'string', default: process.env.LOG_LEVEL ?? 'info' },
    workers: { type: 'string', default: '2' },
  },
});

const log = pino({ level: values['log-level'], base: { component: 'tributary-operator' } });
const kube = await Kube.load(values.kubeconfig);
const leaseNamespace = values['lease-namespace'] ?? process.env.POD_NAMESPACE ?? 'default';
const manager = new Manager({
  kube, log,
  namespace: values.namespace || undefined,
  metricsAddress: values['metrics-address'] || undefined,
  workers: Number(values.workers),
  leaderElection: values['leader-elect'] ? { namespace: leaseNamespace, name: values['lease-name']!, ...(process.env.POD_NAME ? { identity: process.env.POD_NAME } : {}) } : undefined,
  onLeadershipLost: () => {
    log.error('leadership lost: exiting so a fresh process can campaign again');
    process.exit(1);
  },
});

let stopping = false;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal: sig }, 'shutting down');
    manager.stop().then(() => {
      kube.close();
      process.exit(0);
    }, (e) => {
      log.error({ err: e }, 'shutdown failed');
      process.exit(1);
    });
  });
}
manager.start().catch((e) => {
  log.fatal({ err: e }, 'operator failed to start');
  process.exit(1);
});
