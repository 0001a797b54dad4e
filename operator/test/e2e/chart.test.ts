// The Helm chart on the real local Kubernetes: rendered like `helm template`
// (test/chart-render), CRDs from the chart's crds/ applied first (as
// `helm install` does), then the templates. The operator runs as 2 pods from the
// tributary/operator:dev image with the chart's least-privilege RBAC; one holds
// the Lease; it reconciles a KafkaCluster and a KafkaTopic; when the leader pod
// is deleted the standby takes over and keeps reconciling.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as k8s from '../../../test/cluster/cluster.ts';
import type { Cluster, Obj } from '../../../test/cluster/cluster.ts';
import { renderChart } from '../../../test/chart-render/render.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const chart = `${repo}/charts/tributary-operator`;
const OP_NS = 'tributary-system';
const NS = 'default';
const KC = `/apis/kafka.tributary.dev/v1alpha1/namespaces/${NS}/kafkaclusters`;
const KT = `/apis/kafka.tributary.dev/v1alpha1/namespaces/${NS}/kafkatopics`;
const LEASE = `/apis/coordination.k8s.io/v1/namespaces/${OP_NS}/leases/tributary-operator-leader`;

let cluster: Cluster | undefined;

before(async () => {
  if (!process.env.TRIBUTARY_IMAGES_BUILT) execFileSync(`${repo}/test/images/build.sh`, ['broker', 'operator'], { stdio: ['ignore', 'ignore', 'inherit'] });
  cluster = await k8s.up({ nodes: 1 });
});

after(async () => {
  if (!cluster) return;
  const { dir } = cluster;
  const pids = cluster.pids();
  await cluster.down();
  assert.deepEqual(pids.filter(k8s.alive), [], 'processes still alive after down');
  assert.deepEqual(await k8s.leftoverContainers(dir), [], 'containers left after down');
});

const kube = () => cluster!.kube;
const ready = (o: Obj | undefined) => (o?.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True') && o!.status.observedGeneration === o!.metadata.generation;
const values = { image: { repository: 'tributary/operator', tag: 'dev', pullPolicy: 'Never' }, replicaCount: 2, terminationGracePeriodSeconds: 10 };

test('the chart renders like helm template: cluster-wide or one-namespace RBAC', () => {
  const all = k8s.parseYaml(renderChart(chart, { releaseName: 'tributary', namespace: OP_NS, values }));
  assert.deepEqual(all.map((o) => o.kind).sort(), ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'Role', 'RoleBinding', 'Service', 'ServiceAccount']);
  const dep = all.find((o) => o.kind === 'Deployment')!;
  assert.equal(dep.spec.replicas, 2);
  assert.ok(dep.spec.template.spec.containers[0].args.includes('--leader-elect'));
  const scoped = k8s.parseYaml(renderChart(chart, { releaseName: 'tributary', namespace: OP_NS, values: { ...values, watchNamespace: 'apps' } }));
  assert.equal(scoped.some((o) => o.kind === 'ClusterRole'), false, 'no cluster-wide rights when watching one namespace');
  assert.ok(scoped.find((o) => o.kind === 'Role' && o.metadata.namespace === 'apps'));
  assert.ok(scoped.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0].args.includes('--namespace=apps'));
  // The chart's crds/ are the generated ones (checked byte for byte by src/api/crds.test.ts).
  assert.deepEqual(fs.readdirSync(`${chart}/crds`).sort(), ['kafkaclusters.yaml', 'kafkatopics.yaml']);
});

test('installed chart: the operator pods run, one leads, it reconciles, and a standby takes over', { timeout: 600_000 }, async () => {
  await k8s.apply(kube(), [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: OP_NS } }]);
  for (const f of fs.readdirSync(`${chart}/crds`)) await k8s.apply(kube(), fs.readFileSync(`${chart}/crds/${f}`, 'utf8'));
  await k8s.waitFor('CRDs established', async () => {
    for (const n of ['kafkaclusters', 'kafkatopics']) {
      const c = await kube().get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${n}.kafka.tributary.dev`);
      if (!(c.status?.conditions ?? []).some((x: Obj) => x.type === 'Established' && x.status === 'True')) return false;
    }
    return true;
  });
  await k8s.apply(kube(), renderChart(chart, { releaseName: 'tributary', namespace: OP_NS, values }), OP_NS);

  const operatorPods = async () => (await kube().get(`/api/v1/namespaces/${OP_NS}/pods?labelSelector=${encodeURIComponent('app.kubernetes.io/instance=tributary')}`)).items as Obj[];
  await k8s.waitFor('2 operator pods Ready', async () => (await operatorPods()).filter(k8s.isReady).length === 2, 180_000, 500);
  const leader = await k8s.waitFor('a leader', async () => (await kube().find(LEASE))?.spec?.holderIdentity, 60_000, 500);
  assert.ok((await operatorPods()).some((p) => p.metadata.name === leader), `leader ${leader} is an operator pod`);

  await kube().post(KC, {
    apiVersion: 'kafka.tributary.dev/v1alpha1', kind: 'KafkaCluster', metadata: { name: 'charted' },
    spec: { replicas: 1, image: 'tributary/broker:dev', imagePullPolicy: 'Never', storage: { type: 'ephemeral' }, template: { pod: { terminationGracePeriodSeconds: 10 } } },
  });
  await kube().post(KT, { apiVersion: 'kafka.tributary.dev/v1alpha1', kind: 'KafkaTopic', metadata: { name: 'charted-topic' }, spec: { clusterRef: { name: 'charted' }, partitions: 2 } });
  const kc = await k8s.waitFor('charted Ready', async () => { const o = await kube().find(`${KC}/charted`); return ready(o) ? o : undefined; }, 240_000, 500);
  assert.equal(kc.status.bootstrapServers, `charted-bootstrap.${NS}.svc:9092`);
  await k8s.waitFor('charted-topic Ready', async () => ready(await kube().find(`${KT}/charted-topic`)), 60_000, 500);

  // Fail over: delete the leader pod; the standby takes the Lease and reconciles a change.
  await kube().delete(`/api/v1/namespaces/${OP_NS}/pods/${leader}`);
  const next = await k8s.waitFor('a new leader', async () => {
    const h = (await kube().find(LEASE))?.spec?.holderIdentity;
    return h && h !== leader ? h : undefined;
  }, 60_000, 500);
  assert.notEqual(next, leader);
  await kube().mergePatch(`${KT}/charted-topic`, { spec: { partitions: 4 } });
  await k8s.waitFor('charted-topic grown by the new leader', async () => {
    const o = await kube().find(`${KT}/charted-topic`);
    return ready(o) && o.status.partitions === 4;
  }, 60_000, 500);

  await kube().delete(`${KC}/charted`);
  await kube().delete(`${KT}/charted-topic`);
  await k8s.waitFor('cluster objects and topic gone', async () => !(await kube().find(`/apis/apps/v1/namespaces/${NS}/statefulsets/charted-broker`)) && !(await kube().find(`${KT}/charted-topic`)), 120_000, 500);
});
