// chart-render renders a fixture chart like `helm template` (helpers, include/
// nindent/toYaml/tpl/quote/default, Capabilities, values merge and --set, empty
// documents dropped, NOTES.txt skipped), and the output applies to the real
// kube-apiserver of the local cluster.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { renderChart } from './render.ts';
import * as k8s from '../cluster/cluster.ts';
import type { Cluster } from '../cluster/cluster.ts';

const chart = fileURLToPath(new URL('./testdata/demo', import.meta.url));
let cluster: Cluster | undefined;
after(async () => {
  await cluster?.down();
});

test('renders the fixture chart like helm template', () => {
  const out = renderChart(chart, { releaseName: 'r1', namespace: 'ns1', values: { replicaCount: 3, config: { 'num.partitions': 6 } }, set: ['labels.team=streaming'] });
  const docs = k8s.parseYaml(out);
  assert.deepEqual(docs.map((d) => `${d.kind}/${d.metadata.name}`), ['ConfigMap/r1-demo', 'PodDisruptionBudget/r1-demo', 'Service/r1-demo']);
  const cm = docs[0]!;
  assert.equal(cm.metadata.namespace, 'ns1');
  assert.equal(cm.metadata.labels['team'], 'streaming');
  assert.equal(cm.metadata.labels['app.kubernetes.io/version'], '1.2.3');
  assert.equal(cm.data['server.properties'], 'auto.create.topics.enable=true\nnum.partitions=6\n');
  assert.equal(cm.data.greeting, 'hello r1');
  assert.equal(cm.data.image, 'tributary/broker:1.2.3');
  assert.equal(cm.data.missing, '');
  assert.equal(docs[1]!.apiVersion, 'policy/v1beta1');
  assert.match(out, /^---\n# Source: demo\/templates\/configmap.yaml\n/);
  const v1 = k8s.parseYaml(renderChart(chart, { apiVersions: ['policy/v1'], set: ['pdb.enabled=false'] }));
  assert.deepEqual(v1.map((d) => d.kind), ['ConfigMap', 'Service']);
});

test('a template error fails the render with the template position', () => {
  assert.throws(() => renderChart(chart, { values: { config: 'not-a-map', labels: 'x' } }), /chart-render .* failed: .*demo\/templates/);
});

test('the rendered chart applies to the real apiserver', { timeout: 600_000 }, async () => {
  cluster = await k8s.up({ kubelet: false });
  const objs = await k8s.apply(cluster.kube, renderChart(chart, { releaseName: 'r2' }), 'default');
  assert.equal(objs.length, 3);
  const svc = await cluster.kube.get('/api/v1/namespaces/default/services/r2-demo');
  assert.equal(svc.spec.clusterIP, 'None');
  const cm = await cluster.kube.get('/api/v1/namespaces/default/configmaps/r2-demo');
  assert.equal(cm.data.greeting, 'hello r2');
});
