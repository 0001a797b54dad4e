import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../api/schema.ts';
import { API_VERSION, kafkaClusterSpec } from '../api/v1alpha1.ts';
import type { KafkaCluster } from '../api/v1alpha1.ts';
import * as d from './cluster.ts';
import { KNOWN_BROKER_KEYS, clusterIdFor, validateBrokerConfig } from './config.ts';

const UID = '0f8fad5b-d9cb-469f-a165-70867728950e';
function kc(spec: Record<string, unknown> = {}, annotations?: Record<string, string>): KafkaCluster {
  return {
    apiVersion: API_VERSION, kind: 'KafkaCluster',
    metadata: { name: 'demo', namespace: 'ns1', uid: UID, generation: 1, ...(annotations ? { annotations } : {}) },
    spec: applyDefaults(kafkaClusterSpec, spec),
  };
}
const inputs: d.Inputs = { pdbApiVersion: 'policy/v1beta1' };

test('every object is owned by the KafkaCluster (controller, blockOwnerDeletion) and labelled', () => {
  const objs = d.desiredObjects(kc({ emulator: { enabled: true } }), inputs);
  assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.name}`), [
    'ServiceAccount/demo-broker', 'Role/demo-broker', 'RoleBinding/demo-broker', 'ConfigMap/demo-config', 'Service/demo-brokers',
    'Service/demo-bootstrap', 'StatefulSet/demo-broker', 'PodDisruptionBudget/demo-broker', 'Deployment/demo-emulator', 'Service/demo-emulator',
  ]);
  for (const o of objs) {
    assert.equal(o.metadata.namespace, 'ns1');
    assert.deepEqual(o.metadata.ownerReferences, [{ apiVersion: API_VERSION, kind: 'KafkaCluster', name: 'demo', uid: UID, controller: true, blockOwnerDeletion: true }]);
    assert.equal(o.metadata.labels['app.kubernetes.io/managed-by'], 'tributary-operator');
    assert.equal(o.metadata.labels['kafka.tributary.dev/cluster'], 'demo');
  }
  assert.equal(d.desiredObjects(kc(), inputs).some((o) => o.kind === 'Deployment'), false, 'no emulator unless enabled');
});

test('ConfigMap: user keys sorted, then cluster.id (from the uid) and log.dirs; no per-pod keys', () => {
  const cm = d.configMap(kc({ config: { 'num.partitions': 6, 'auto.create.topics.enable': false } }));
  const props = cm.data['server.properties'] as string;
  const lines = props.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.deepEqual(lines, ['auto.create.topics.enable=false', 'num.partitions=6', `cluster.id=${clusterIdFor(UID)}`, 'log.dirs=/var/lib/tributary/data']);
  assert.equal(clusterIdFor(UID), 'D4-tW9nLRp-hZXCGdyiVDg');
  assert.doesNotMatch(lines.join('\n'), /node\.id|listeners|replicas/);
});

test('config hash: changes with the config, not with the replica count or the image', () => {
  const h = (spec: Record<string, unknown>) => d.statefulSet(kc(spec), inputs).spec.template.metadata.annotations[d.CONFIG_HASH];
  assert.equal(h({ replicas: 3 }), h({ replicas: 4 }));
  assert.equal(h({ image: 'a:1' }), h({ image: 'a:2' }));
  assert.notEqual(h({}), h({ config: { 'log.retention.hours': 24 } }));
  const t = (s: Record<string, unknown>) => JSON.stringify(d.statefulSet(kc(s), inputs).spec.template);
  assert.equal(t({ replicas: 1 }), t({ replicas: 5 }), 'the pod template does not depend on the replica count');
});

test('StatefulSet: OnDelete, Parallel, per-pod keys on the command line, probes, persistent claims', () => {
  const s = d.statefulSet(kc({ replicas: 3, image: 'tributary/broker:dev', storage: { size: '2Gi', class: 'fast' } }), inputs);
  assert.equal(s.spec.replicas, 3);
  assert.deepEqual(s.spec.updateStrategy, { type: 'OnDelete' });
  assert.equal(s.spec.podManagementPolicy, 'Parallel');
  assert.equal(s.spec.serviceName, 'demo-brokers');
  assert.deepEqual(s.spec.selector.matchLabels, { 'kafka.tributary.dev/cluster': 'demo', 'app.kubernetes.io/component': 'broker' });
  const c = s.spec.template.spec.containers[0];
  assert.equal(c.image, 'tributary/broker:dev');
  assert.match(c.command[2], /--override node\.id=\$\{POD_NAME##\*-\}/);
  assert.match(c.command[2], /advertised\.listeners=PLAINTEXT:\/\/\$\{POD_IP\}:9092/);
  assert.ok(c.ports.every((p: any) => p.protocol === 'TCP'), 'explicit protocols (1.20 server-side apply needs them)');
  assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'http' });
  assert.equal(s.spec.template.spec.serviceAccountName, 'demo-broker');
  assert.deepEqual(s.spec.volumeClaimTemplates[0].spec, { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } }, storageClassName: 'fast' });
  assert.equal(s.spec.template.spec.volumes.some((v: any) => v.name === 'data'), false);
  const eph = d.statefulSet(kc({ storage: { type: 'ephemeral' } }), inputs);
  assert.equal(eph.spec.volumeClaimTemplates, undefined);
  assert.deepEqual(eph.spec.template.spec.volumes.find((v: any) => v.name === 'data'), { name: 'data', emptyDir: {} });
  assert.equal(d.statefulSet(kc({}), inputs).spec.template.spec.containers[0].image, 'tributary/broker:0.1.0');
  assert.equal(d.statefulSet(kc({}), { ...inputs, replicasOverride: 5 }).spec.replicas, 5);
});

test('StatefulSet keeps the live (immutable) claim templates and storage drift is reported', () => {
  const live = d.claimTemplates(kc({ storage: { size: '1Gi' } }));
  const s = d.statefulSet(kc({ storage: { size: '5Gi' } }), { ...inputs, liveClaimTemplates: live });
  assert.equal(s.spec.volumeClaimTemplates[0].spec.resources.requests.storage, '1Gi');
  assert.match(d.storageDrift(kc({ storage: { size: '5Gi' } }), live)!, /1Gi, spec asks persistent-claim 5Gi/);
  assert.equal(d.storageDrift(kc({ storage: { size: '1Gi' } }), live), null);
  assert.equal(d.storageDrift(kc({}), undefined), null);
});

test('pod template overrides, rack awareness and the manual-restart annotation', () => {
  const s = d.statefulSet(kc({
    rack: { topologyKey: 'topology.kubernetes.io/zone' },
    template: { pod: { metadata: { labels: { team: 'a' }, annotations: { note: 'x' } }, tolerations: [{ key: 'k', operator: 'Exists' }], nodeSelector: { disk: 'ssd' } } },
  }, { 'kafka.tributary.dev/restart-at': '2026-01-01T00:00:00Z' }), inputs);
  const t = s.spec.template;
  assert.equal(t.metadata.labels.team, 'a');
  assert.equal(t.metadata.labels['kafka.tributary.dev/cluster'], 'demo');
  assert.equal(t.metadata.annotations.note, 'x');
  assert.equal(t.metadata.annotations[d.RESTART_AT], '2026-01-01T00:00:00Z');
  assert.deepEqual(t.spec.tolerations, [{ key: 'k', operator: 'Exists' }]);
  assert.deepEqual(t.spec.nodeSelector, { disk: 'ssd' });
  assert.equal(t.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey, 'topology.kubernetes.io/zone');
  assert.equal(t.spec.topologySpreadConstraints[0].topologyKey, 'topology.kubernetes.io/zone');
});

test('Services: headless publishes not-ready brokers; bootstrap carries scrape annotations when metrics are on', () => {
  const h = d.headlessService(kc());
  assert.equal(h.spec.clusterIP, 'None');
  assert.equal(h.spec.publishNotReadyAddresses, true);
  assert.deepEqual(h.spec.ports.map((p: any) => [p.name, p.port, p.protocol]), [['tcp-plain', 9092, 'TCP'], ['http', 8080, 'TCP']]);
  const b = d.bootstrapService(kc());
  assert.equal(b.spec.type, 'ClusterIP');
  assert.equal(b.metadata.annotations['prometheus.io/scrape'], 'true');
  const off = d.bootstrapService(kc({ metrics: { enabled: false } }));
  assert.equal(off.metadata.annotations, undefined);
  assert.deepEqual(off.spec.ports.map((p: any) => p.name), ['tcp-plain']);
});

test('PodDisruptionBudget: API version from discovery, one broker down at most', () => {
  assert.equal(d.podDisruptionBudget(kc(), { pdbApiVersion: 'policy/v1' }).apiVersion, 'policy/v1');
  const p = d.podDisruptionBudget(kc(), inputs);
  assert.equal(p.apiVersion, 'policy/v1beta1');
  assert.equal(p.spec.maxUnavailable, 1);
});

test('broker RBAC: leases, configmaps, pods in its own namespace, bound to its ServiceAccount', () => {
  const [sa, role, rb] = d.brokerRbac(kc());
  assert.equal(sa!.kind, 'ServiceAccount');
  assert.deepEqual(role!.rules.map((r: any) => r.resources[0]), ['leases', 'configmaps', 'pods']);
  assert.deepEqual(rb!.subjects, [{ kind: 'ServiceAccount', name: 'demo-broker', namespace: 'ns1' }]);
  assert.deepEqual(rb!.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'demo-broker' });
});

test('emulator: Deployment + Service with the enabled front-ends', () => {
  const [dep, svc] = d.emulator(kc({ emulator: { enabled: true, replicas: 2, kinesis: { enabled: false } } }));
  assert.equal(dep!.spec.replicas, 2);
  assert.deepEqual(dep!.spec.template.spec.containers[0].args, ['--bootstrap-server=demo-bootstrap.ns1.svc:9092', '--pubsub=$(POD_IP):8085', '--kinesis=off']);
  assert.equal(dep!.spec.template.spec.containers[0].image, 'tributary/emulator:0.1.0');
  assert.deepEqual(svc!.spec.ports, [{ name: 'pubsub', port: 8085, targetPort: 8085, protocol: 'TCP' }]);
});

test('validation: broker config keys from the broker itself; unsupported listeners refused', () => {
  assert.ok(KNOWN_BROKER_KEYS.has('log.retention.hours'));
  assert.ok(KNOWN_BROKER_KEYS.has('num.partitions'));
  assert.deepEqual(validateBrokerConfig({ 'num.partitions': 3, 'min.insync.replicas': '2' }), []);
  assert.deepEqual(validateBrokerConfig({ 'no.such.key': 1 }), ['no.such.key: not a key the broker knows']);
  assert.deepEqual(validateBrokerConfig({ 'node.id': 1 }), ['node.id: set by the operator, not configurable']);
  assert.deepEqual(validateBrokerConfig({ 'num.partitions': 'many' }), ["num.partitions: 'many' is not an integer"]);
  assert.deepEqual(d.validateCluster(kc()), []);
  const bad = d.validateCluster(kc({ listeners: [{ name: 'tls', port: 9093, tls: true }] }));
  assert.deepEqual(bad, ['spec.listeners[tls]: TLS is not supported by the broker yet']);
});

test('status addresses: bootstrap Service and per-broker DNS names', () => {
  const s = d.listenerStatus(kc(), 2);
  assert.equal(s.bootstrapServers, 'demo-bootstrap.ns1.svc:9092');
  assert.deepEqual(s.listeners[0].addresses, [{ host: 'demo-broker-0.demo-brokers.ns1.svc', port: 9092 }, { host: 'demo-broker-1.demo-brokers.ns1.svc', port: 9092 }]);
});
