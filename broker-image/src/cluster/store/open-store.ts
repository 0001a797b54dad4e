// Opens the coordination store a broker is configured with (`coordination.backend`).
// The shared backends are imported on demand: a single broker never loads gRPC
// or the Kubernetes client.

import { join } from 'node:path';
import type { Logger } from 'pino';
import type { CoordinationStore } from './coordination-store.ts';
import { LocalStore } from './local-store.ts';

export interface CoordinationStoreOptions {
  backend: 'local' | 'etcd' | 'kubernetes';
  /** The broker's data dir: `local` keeps its file there. */
  dataDir: string;
  etcd?: { endpoints: string[]; prefix: string };
  kubernetes?: { namespace?: string; namePrefix: string; kubeconfig?: string };
  logger?: Logger;
}

export async function openCoordinationStore(opts: CoordinationStoreOptions): Promise<CoordinationStore> {
  switch (opts.backend) {
    case 'local':
      return LocalStore.open(join(opts.dataDir, '__cluster_metadata.json'));
    case 'etcd': {
      const endpoints = opts.etcd?.endpoints.filter((e) => e.length > 0) ?? [];
      if (endpoints.length === 0) throw new Error('coordination.backend=etcd needs coordination.etcd.endpoints (a comma-separated list of URLs)');
      const prefix = opts.etcd?.prefix || '/tributary/';
      opts.logger?.info({ endpoints, prefix }, 'coordination store: etcd');
      const { EtcdStore } = await import('./etcd-store.ts');
      return EtcdStore.open({ endpoints, prefix, logger: opts.logger });
    }
    case 'kubernetes': {
      const k = opts.kubernetes ?? { namePrefix: 'tributary' };
      const { KubernetesStore } = await import('./kubernetes-store.ts');
      const store = await KubernetesStore.open({ ...k, namePrefix: k.namePrefix || 'tributary', logger: opts.logger });
      opts.logger?.info({ namespace: store.namespace, selector: store.selector }, 'coordination store: kubernetes');
      return store;
    }
    default:
      throw new Error(`unknown coordination.backend "${String(opts.backend)}" (local, etcd or kubernetes)`);
  }
}
