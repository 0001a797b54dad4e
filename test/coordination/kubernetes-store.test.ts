// The coordination-store contract on a real kube-apiserver (1.20, built from
// Debian's source by test/cluster/build.sh; no kubelet needed): ConfigMaps and
// Leases with resourceVersion compare-and-swap, several stores side by side in
// one namespace, and the RBAC a broker's service account needs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as k8s from '../cluster/cluster.ts';
import { KubernetesStore } from '../../broker-image/src/cluster/store/kubernetes-store.ts';
import { openCoordinationStore } from '../../broker-image/src/cluster/store/open-store.ts';
import { storeContract, Snapshots, eventually } from '../../broker-image/src/cluster/store/store-contract.ts';

const NS = 'coordination';
let cluster: k8s.Cluster;

before(async () => {
  cluster = await k8s.up({ kubelet: false });
  await k8s.apply(cluster.kube, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }]);
});
after(() => cluster?.down());

storeContract({
  leasesLapse: true,
  ttlMs: 2_000,
  open: (space) => KubernetesStore.open({ kubeconfig: cluster.kubeconfig, namespace: NS, namePrefix: space }),
});

/** Pid of a control-plane process of the test cluster (up.sh's `DIR/pids`: "name pid" lines). */
async function pidOf(name: string): Promise<number> {
  const line = (await readFile(join(cluster.dir, 'pids'), 'utf8')).split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in ${cluster.dir}/pids`);
  return Number(line.split(' ')[1]);
}

test('a lease reports lost when the apiserver does not answer for longer than its TTL; watches carry on after', async (t) => {
  const holder = await KubernetesStore.open({ kubeconfig: cluster.kubeconfig, namespace: NS, namePrefix: 'paused', requestTimeoutMs: 1_000 });
  const reader = await KubernetesStore.open({ kubeconfig: cluster.kubeconfig, namespace: NS, namePrefix: 'paused' });
  t.after(async () => { await holder.close(); await reader.close(); });
  const seen = new Snapshots();
  const watch = await reader.watch('', seen.onSnapshot);
  t.after(() => watch.close());
  const lease = await holder.grantLease(2_000);
  await holder.put('brokers/1', 'me', { lease });
  await seen.until('brokers/1', (s) => s.has('brokers/1'));

  // SIGSTOP: the apiserver keeps its connections but answers nothing, like a partition.
  const apiserver = await pidOf('kube-apiserver');
  process.kill(apiserver, 'SIGSTOP');
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([lease.lost, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('lost never resolved')), 30_000); })]);
  } finally {
    clearTimeout(timer);
    process.kill(apiserver, 'SIGCONT');
  }
  // A renewal sent before the holder gave up may be applied on resume and keep the key one TTL longer.
  await eventually('brokers/1 to lapse', async () => (await reader.get('brokers/1')) === null);
  await reader.put('topics/after', 'x');
  const last = await seen.until('topics/after without brokers/1', (s) => s.get('topics/after')?.value === 'x' && !s.has('brokers/1'));
  assert.deepEqual([...last.keys()], ['topics/after']);
});

test('a lease whose key another holder takes reports lost at its next renewal', async (t) => {
  const [a, b] = [
    await KubernetesStore.open({ kubeconfig: cluster.kubeconfig, namespace: NS, namePrefix: 'taken' }),
    await KubernetesStore.open({ kubeconfig: cluster.kubeconfig, namespace: NS, namePrefix: 'taken' }),
  ];
  t.after(async () => { await a.close(); await b.close(); });
  const la = await a.grantLease(2_000);
  await a.put('controller', 'a', { lease: la, expectedVersion: 0 });
  const lb = await b.grantLease(2_000);
  await b.put('controller', 'b', { lease: lb }); // unconditional: b now holds it
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([la.lost, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('lost never resolved')), 30_000); })]);
  } finally {
    clearTimeout(timer);
  }
  assert.equal((await a.get('controller'))?.value, 'b');
  await la.revoke(); // deletes nothing of b's
  assert.equal((await a.get('controller'))?.value, 'b');
  await lb.revoke();
  assert.equal(await a.get('controller'), null);
});

/** A kubeconfig for a service account of NS bound to a Role with `rules`, its namespace in the context. */
async function serviceAccountKubeconfig(name: string, rules: object[]): Promise<string> {
  const kube = cluster.kube;
  await k8s.apply(kube, [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: NS } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace: NS }, rules },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace: NS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: NS }],
    },
  ]);
  const tr = await kube.post(`/api/v1/namespaces/${NS}/serviceaccounts/${name}/token`, {
    apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 },
  });
  const file = join(cluster.dir, `${name}.kubeconfig`);
  await writeFile(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': name,
    clusters: [{ name: 'c', cluster: { server: kube.server, 'certificate-authority': join(cluster.dir, 'pki', 'ca.crt') } }],
    users: [{ name, user: { token: tr.status.token } }],
    contexts: [{ name, context: { cluster: 'c', user: name, namespace: NS } }],
  }));
  return file;
}

const VERBS = ['get', 'list', 'watch', 'create', 'update', 'delete'];

test('a broker\'s service account needs configmaps and leases (get, list, watch, create, update, delete) in its namespace, nothing more', async (t) => {
  const kubeconfig = await serviceAccountKubeconfig('broker', [
    { apiGroups: [''], resources: ['configmaps'], verbs: VERBS },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: VERBS },
  ]);
  // No namespace given: the kubeconfig context's.
  const store = await openCoordinationStore({ backend: 'kubernetes', dataDir: '/nonexistent', kubernetes: { kubeconfig, namePrefix: 'rbac' } });
  t.after(() => store.close());
  assert.equal((store as KubernetesStore).namespace, NS);
  const seen = new Snapshots();
  const watch = await store.watch('', seen.onSnapshot);
  t.after(() => watch.close());
  const v = await store.put('topics/t', 'x', 0);
  await store.put('topics/t', 'y', v);
  const lease = await store.grantLease(2_000);
  await store.put('controller', '1', { lease, expectedVersion: 0 });
  await seen.until('both keys', (s) => s.get('topics/t')?.value === 'y' && s.has('controller'));
  assert.deepEqual([...(await store.list('')).keys()], ['controller', 'topics/t']);
  await lease.revoke();
  await store.delete('topics/t');
  await seen.until('no keys', (s) => s.size === 0);

  const partial = await serviceAccountKubeconfig('no-leases', [{ apiGroups: [''], resources: ['configmaps'], verbs: VERBS }]);
  await assert.rejects(
    openCoordinationStore({ backend: 'kubernetes', dataDir: '/nonexistent', kubernetes: { kubeconfig: partial, namePrefix: 'rbac' } }),
    /cannot list Leases in namespace coordination at https:\/\/127\.0\.0\.1:\d+: HTTP 403/,
  );
});

test('opening with a bad name prefix or an unreachable apiserver fails with an error saying which', async () => {
  await assert.rejects(
    openCoordinationStore({ backend: 'kubernetes', dataDir: '/nonexistent', kubernetes: { kubeconfig: cluster.kubeconfig, namespace: NS, namePrefix: 'Bad_Prefix' } }),
    /name prefix "Bad_Prefix"/,
  );
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  const unreachable = join(cluster.dir, 'unreachable.kubeconfig');
  await writeFile(unreachable, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'x',
    clusters: [{ name: 'x', cluster: { server: `https://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'x', user: { token: 'x' } }],
    contexts: [{ name: 'x', context: { cluster: 'x', user: 'x' } }],
  }));
  await assert.rejects(
    openCoordinationStore({ backend: 'kubernetes', dataDir: '/nonexistent', kubernetes: { kubeconfig: unreachable, namePrefix: 'tributary' } }),
    /cannot list ConfigMaps in namespace default at https:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/,
  );
});
