// The operator against the real local Kubernetes (test/cluster: kube-apiserver,
// controller-manager, scheduler from Debian's source; the test kubelet runs the
// broker image with podman). The operator runs in-process (the chart test runs
// it as a pod). One cluster for the whole file, steps in order:
//   CRDs applied; invalid specs rejected at apply time; a 1-broker KafkaCluster
//   becomes Ready (StatefulSet, Services, PDB, RBAC); KafkaTopics created,
//   grown, re-configured, a decrease refused; `kubectl scale` to 3 without
//   restarting the first broker; a config change rolls the brokers one at a time,
//   highest ordinal first; a scale-down onto a broker that holds a partition is
//   refused, then allowed; deleting the cluster garbage-collects everything and
//   releases the topic finalizers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import * as k8s from '../../../test/cluster/cluster.ts';
import type { Cluster, Obj } from '../../../test/cluster/cluster.ts';
import { Kube } from '../../src/controller/kube.ts';
import { Manager } from '../../src/controller/manager.ts';
import { KafkaAdmin } from '../../src/controller/admin.ts';
import { boundPort } from '../../src/controller/metrics.ts';
import { BrokerConnection } from '../../../broker-image/src/client/connection.ts';
import { fetchOnce, produceBatch } from '../../../broker-image/src/client/topic-client.ts';

const IMAGE = process.env.TRIBUTARY_BROKER_IMAGE ?? 'tributary/broker:dev';
const NS = 'default';
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const KC = `/apis/kafka.tributary.dev/v1alpha1/namespaces/${NS}/kafkaclusters`;
const KT = `/apis/kafka.tributary.dev/v1alpha1/namespaces/${NS}/kafkatopics`;

let cluster: Cluster | undefined;
let manager: Manager | undefined;
let opKube: Kube | undefined;
const logFile = process.env.TRIBUTARY_OPERATOR_TEST_LOG;

before(async () => {
  if (!process.env.TRIBUTARY_BROKER_IMAGE) execFileSync(`${repo}/test/images/build.sh`, ['broker'], { stdio: ['ignore', 'ignore', 'inherit'] });
  cluster = await k8s.up({ nodes: 1 });
});

after(async () => {
  await manager?.stop();
  opKube?.close();
  if (!cluster) return;
  const { dir } = cluster;
  const pids = cluster.pids();
  await cluster.down();
  assert.deepEqual(pids.filter(k8s.alive), [], 'processes still alive after down');
  assert.deepEqual(await k8s.leftoverContainers(dir), [], 'containers left after down');
  assert.equal(fs.existsSync(dir), false, 'state dir left after down');
});

const kube = () => cluster!.kube;
const cond = (o: Obj | undefined, type: string) => (o?.status?.conditions ?? []).find((c: Obj) => c.type === type);
const getKc = (name: string) => kube().find(`${KC}/${name}`);
const getKt = (name: string) => kube().find(`${KT}/${name}`);

async function waitReady(path: string, what: string, timeoutMs = 240_000, pred: (o: Obj) => boolean = () => true): Promise<Obj> {
  return k8s.waitFor(what, async () => {
    const o = await kube().find(path);
    return o && cond(o, 'Ready')?.status === 'True' && o.status.observedGeneration === o.metadata.generation && pred(o) ? o : undefined;
  }, timeoutMs, 500);
}

async function waitCondition(path: string, type: string, status: string, reason: string, timeoutMs = 60_000): Promise<Obj> {
  return k8s.waitFor(`${path} ${type}=${status} ${reason}`, async () => {
    const o = await kube().find(path);
    const c = cond(o, type);
    return c?.status === status && c.reason === reason ? o : undefined;
  }, timeoutMs, 300);
}

async function events(name: string): Promise<Obj[]> {
  const list = await kube().get(`/api/v1/namespaces/${NS}/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`);
  return (list.items as Obj[]).sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)) || Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
}

async function brokerAddress(ordinal: number): Promise<string> {
  const p = await k8s.pod(kube(), `demo-broker-${ordinal}`, NS);
  return `${p!.status.podIP}:9092`;
}

const demo = (spec: Obj = {}) => ({
  apiVersion: 'kafka.tributary.dev/v1alpha1', kind: 'KafkaCluster', metadata: { name: 'demo', namespace: NS },
  spec: {
    replicas: 1, image: IMAGE, imagePullPolicy: 'Never',
    config: { 'group.initial.rebalance.delay.ms': 0 },
    storage: { type: 'persistent-claim', size: '1Gi', deleteClaim: true },
    template: { pod: { terminationGracePeriodSeconds: 10 } },
    ...spec,
  },
});

test('CRDs install and the schema rejects invalid specs at apply time', { timeout: 120_000 }, async () => {
  await k8s.apply(kube(), fs.readFileSync(`${repo}/crds/kafkaclusters.yaml`, 'utf8') + '---\n' + fs.readFileSync(`${repo}/crds/kafkatopics.yaml`, 'utf8'));
  for (const crd of ['kafkaclusters', 'kafkatopics']) {
    await k8s.waitFor(`${crd} established`, async () => {
      const c = await kube().get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd}.kafka.tributary.dev`);
      return (c.status?.conditions ?? []).some((x: Obj) => x.type === 'Established' && x.status === 'True');
    });
  }
  const bad = demo({ replicas: 0, storage: { type: 'nfs' }, listeners: [{ name: 'Plain', port: 80 }] });
  await assert.rejects(kube().post(KC, { ...bad, metadata: { name: 'bad', namespace: NS } }), (e: any) => {
    assert.equal(e.status, 422);
    for (const field of ['spec.replicas', 'spec.storage.type', 'spec.listeners.name', 'spec.listeners.port']) assert.match(e.message, new RegExp(field.replace(/[[\].]/g, '\\$&')), e.message);
    return true;
  });
  await assert.rejects(kube().post(KT, { apiVersion: 'kafka.tributary.dev/v1alpha1', kind: 'KafkaTopic', metadata: { name: 'bad' }, spec: { partitions: 0 } }), /spec.partitions/);
});

test('the operator starts, takes the leader Lease and serves metrics', { timeout: 60_000 }, async () => {
  opKube = await Kube.load(cluster!.kubeconfig);
  const log = pino({ level: 'debug' }, logFile ? pino.destination(logFile) : pino.destination('/dev/null'));
  manager = new Manager({ kube: opKube, log, metricsAddress: '127.0.0.1:0', leaderElection: { namespace: NS, identity: 'test-operator' }, resyncMs: 30_000 });
  await manager.start();
  const lease = await kube().get(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/tributary-operator-leader`);
  assert.equal(lease.spec.holderIdentity, 'test-operator');
  const res = await fetch(`http://127.0.0.1:${boundPort(manager.httpServer!)}/metrics`);
  assert.match(await res.text(), /tributary_operator_leader 1/);
});

test('a 1-broker KafkaCluster: objects created, brokers Ready, status Ready with bootstrap servers', { timeout: 300_000 }, async () => {
  await kube().post(KC, demo());
  const kc = await waitReady(`${KC}/demo`, 'demo Ready');
  assert.equal(kc.status.readyReplicas, 1);
  assert.equal(kc.status.bootstrapServers, `demo-bootstrap.${NS}.svc:9092`);
  assert.equal(kc.status.selector, 'kafka.tributary.dev/cluster=demo,app.kubernetes.io/component=broker');
  assert.match(kc.status.clusterId, /^[A-Za-z0-9_-]{22}$/);
  const sts = await kube().get(`/apis/apps/v1/namespaces/${NS}/statefulsets/demo-broker`);
  assert.deepEqual(sts.spec.updateStrategy, { type: 'OnDelete' });
  assert.equal(sts.metadata.ownerReferences[0].kind, 'KafkaCluster');
  assert.equal((sts.metadata.managedFields as Obj[]).filter((f) => f.operation === 'Apply').map((f) => f.manager).join(), 'tributary-operator');
  for (const s of ['demo-brokers', 'demo-bootstrap']) assert.ok(await kube().find(`/api/v1/namespaces/${NS}/services/${s}`), s);
  assert.ok(await kube().find(`/apis/policy/v1beta1/namespaces/${NS}/poddisruptionbudgets/demo-broker`), 'PDB (policy/v1beta1 on 1.20, by discovery)');
  assert.ok(await kube().find(`/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings/demo-broker`));
  // The broker answers with the cluster id the operator gave it.
  const md = await KafkaAdmin.with(await brokerAddress(0), (a) => a.metadata());
  assert.equal(md.clusterId, kc.status.clusterId);
});

const topic = (name: string, spec: Obj, extra: Obj = {}) => ({ apiVersion: 'kafka.tributary.dev/v1alpha1', kind: 'KafkaTopic', metadata: { name, namespace: NS, ...extra }, spec });

test('KafkaTopics: created, grown, re-configured through the admin API; a decrease is refused', { timeout: 120_000 }, async () => {
  await kube().post(KT, topic('orders', { clusterRef: { name: 'demo' }, partitions: 3, config: { 'retention.ms': 3600000 } }));
  await kube().post(KT, topic('by-label', { topicName: 'events.v1' }, { labels: { 'kafka.tributary.dev/cluster': 'demo' } }));
  let kt = await waitReady(`${KT}/orders`, 'orders Ready');
  assert.equal(kt.status.partitions, 3);
  assert.deepEqual(kt.status.config, { 'retention.ms': '3600000' });
  assert.match(kt.status.topicId, /^[A-Za-z0-9_-]{22}$/);
  assert.deepEqual(kt.metadata.finalizers, ['kafka.tributary.dev/topic']);
  const labelled = await waitReady(`${KT}/by-label`, 'by-label Ready');
  assert.equal(labelled.status.topicName, 'events.v1');
  const addr = await brokerAddress(0);
  assert.equal((await KafkaAdmin.with(addr, (a) => a.describeTopic('orders')))!.partitions, 3);

  await kube().mergePatch(`${KT}/orders`, { spec: { partitions: 5, config: { 'retention.ms': null, 'cleanup.policy': 'compact' } } });
  kt = await waitReady(`${KT}/orders`, 'orders grown', 60_000, (o) => o.status.partitions === 5);
  assert.deepEqual(kt.status.config, { 'cleanup.policy': 'compact' });
  assert.deepEqual((await KafkaAdmin.with(addr, (a) => a.describeTopic('orders')))!.config, { 'cleanup.policy': 'compact' });

  await kube().mergePatch(`${KT}/orders`, { spec: { partitions: 2 } });
  kt = await waitCondition(`${KT}/orders`, 'Ready', 'False', 'PartitionDecreaseNotSupported');
  assert.match(cond(kt, 'Ready').message, /cannot remove partitions/);
  assert.equal((await KafkaAdmin.with(addr, (a) => a.describeTopic('orders')))!.partitions, 5);
  await kube().mergePatch(`${KT}/orders`, { spec: { partitions: 5 } });
  await waitReady(`${KT}/orders`, 'orders back to Ready', 60_000);

  await kube().post(KT, topic('bad-config', { clusterRef: { name: 'demo' }, config: { 'no.such.config': 1 } }));
  kt = await waitCondition(`${KT}/bad-config`, 'Ready', 'False', 'InvalidSpec');
  assert.match(cond(kt, 'Ready').message, /no\.such\.config/);
  await kube().delete(`${KT}/bad-config`);
});

test('semantic errors in a KafkaCluster surface as Ready=False InvalidSpec', { timeout: 60_000 }, async () => {
  await kube().post(KC, { ...demo({ config: { 'node.id': 7, 'not.a.key': 'x' } }), metadata: { name: 'wrong', namespace: NS } });
  const kc = await waitCondition(`${KC}/wrong`, 'Ready', 'False', 'InvalidSpec');
  assert.match(cond(kc, 'Ready').message, /node\.id: set by the operator/);
  assert.match(cond(kc, 'Ready').message, /not\.a\.key: not a key the broker knows/);
  assert.equal(await kube().find(`/apis/apps/v1/namespaces/${NS}/statefulsets/wrong-broker`), undefined);
  await kube().delete(`${KC}/wrong`);
});

test('scale 1 → 3 through the scale subresource does not restart the running broker', { timeout: 300_000 }, async () => {
  const before = await k8s.pod(kube(), 'demo-broker-0', NS);
  const hash = before!.metadata.annotations['kafka.tributary.dev/config-hash'];
  const scale = await kube().get(`${KC}/demo/scale`);
  assert.equal(scale.spec.replicas, 1);
  await kube().put(`${KC}/demo/scale`, { ...scale, spec: { replicas: 3 } });
  const kc = await waitReady(`${KC}/demo`, 'demo Ready with 3', 300_000, (o) => o.status.readyReplicas === 3);
  assert.equal(kc.status.listeners[0].addresses.length, 3);
  const after0 = await k8s.pod(kube(), 'demo-broker-0', NS);
  assert.equal(after0!.metadata.uid, before!.metadata.uid, 'broker-0 kept running');
  for (const i of [1, 2]) assert.equal((await k8s.pod(kube(), `demo-broker-${i}`, NS))!.metadata.annotations['kafka.tributary.dev/config-hash'], hash);
});

test('a config change rolls the brokers one at a time, highest ordinal first; no acknowledged record lost', { timeout: 400_000 }, async () => {
  const uids = new Map<number, string>();
  for (const i of [0, 1, 2]) uids.set(i, (await k8s.pod(kube(), `demo-broker-${i}`, NS))!.metadata.uid);
  // A producer (acks=-1) writes to broker 0's topic all through the roll, reconnecting to the new pod IP.
  let stop = false;
  const acked: string[] = [];
  const producer = (async () => {
    let conn: BrokerConnection | undefined;
    for (let i = 0; !stop; ) {
      try {
        conn ??= await BrokerConnection.open(await brokerAddress(0), 'e2e-producer');
        await produceBatch(conn, 'roll-check', 0, [{ key: `k${i}`, value: `v${i}` }], { acks: -1, compression: 0, timeoutMs: 5000 });
        acked.push(`v${i++}`);
        await k8s.sleep(20);
      } catch {
        conn?.close();
        conn = undefined;
        await k8s.sleep(200);
      }
    }
    conn?.close();
  })();
  await KafkaAdmin.with(await brokerAddress(0), (a) => a.createTopic('roll-check', 1, 1, {}));
  await k8s.waitFor('producer running', async () => acked.length > 10, 30_000, 100);
  await kube().mergePatch(`${KC}/demo`, { spec: { config: { 'group.initial.rebalance.delay.ms': 0, 'log.retention.hours': 24 } } });
  // While rolling, never more than one broker is down.
  let maxDown = 0;
  const kc = await k8s.waitFor('roll finished', async () => {
    let down = 0;
    for (const i of [0, 1, 2]) if (!k8s.isReady(await k8s.pod(kube(), `demo-broker-${i}`, NS))) down++;
    maxDown = Math.max(maxDown, down);
    const o = await getKc('demo');
    return o && down === 0 && cond(o, 'Ready')?.status === 'True' && o.status.observedGeneration === o.metadata.generation && o.status.updatedReplicas === 3 ? o : undefined;
  }, 400_000, 300);
  await k8s.sleep(500);
  stop = true;
  await producer;
  assert.ok(maxDown <= 1, `at most one broker down at a time (saw ${maxDown})`);
  // A consumer reads back every acknowledged record, in order.
  const conn = await BrokerConnection.open(await brokerAddress(0), 'e2e-consumer');
  const got: string[] = [];
  try {
    let pos = 0n;
    while (got.length < acked.length) {
      const [p] = await fetchOnce(conn, 'roll-check', new Map([[0, pos]]), { maxWaitMs: 200 });
      if (!p || p.records.length === 0) break;
      for (const r of p.records) got.push(r.value!.toString());
      pos = p.nextOffset;
    }
  } finally {
    conn.close();
  }
  assert.deepEqual(got, acked, `all ${acked.length} acknowledged records read back across the roll`);
  for (const i of [0, 1, 2]) assert.notEqual((await k8s.pod(kube(), `demo-broker-${i}`, NS))!.metadata.uid, uids.get(i), `broker-${i} restarted`);
  const rolled = (await events('demo')).filter((e) => e.reason === 'RollingBroker').map((e) => /restarting (\S+)/.exec(e.message)![1]);
  assert.deepEqual(rolled, ['demo-broker-2', 'demo-broker-1', 'demo-broker-0']);
  assert.match(kc.status.configHash, /^[0-9a-f]{16}$/);
  const cm = await kube().get(`/api/v1/namespaces/${NS}/configmaps/demo-config`);
  assert.match(cm.data['server.properties'], /^log\.retention\.hours=24$/m);
  // The topic survived on broker-0 (its data is on the PVC).
  assert.equal((await KafkaAdmin.with(await brokerAddress(0), (a) => a.describeTopic('orders')))!.partitions, 5);
});

test('pause annotation, emulator on and off, an unmanaged topic kept on delete', { timeout: 180_000 }, async () => {
  const cmPath = `/api/v1/namespaces/${NS}/configmaps/demo-config`;
  const before = (await kube().get(cmPath)).data['server.properties'];
  await kube().mergePatch(`${KC}/demo`, { metadata: { annotations: { 'kafka.tributary.dev/pause-reconciliation': 'true' } } });
  await waitCondition(`${KC}/demo`, 'Ready', 'True', 'ReconciliationPaused');
  await kube().mergePatch(`${KC}/demo`, { spec: { config: { 'log.retention.hours': 12 } } });
  await k8s.sleep(2000);
  assert.equal((await kube().get(cmPath)).data['server.properties'], before, 'paused: ConfigMap untouched');
  await kube().mergePatch(`${KC}/demo`, { spec: { config: { 'log.retention.hours': 24 } }, metadata: { annotations: { 'kafka.tributary.dev/pause-reconciliation': null } } });
  await waitReady(`${KC}/demo`, 'demo Ready after unpausing', 60_000, (o) => cond(o, 'Ready').reason === 'Ready');

  await kube().mergePatch(`${KC}/demo`, { spec: { emulator: { enabled: true, kinesis: { enabled: false } } } });
  const dep = await k8s.waitFor('emulator Deployment', () => kube().find(`/apis/apps/v1/namespaces/${NS}/deployments/demo-emulator`), 30_000, 300);
  assert.deepEqual(dep.spec.template.spec.containers[0].args, [`--bootstrap-server=demo-bootstrap.${NS}.svc:9092`, '--pubsub=$(POD_IP):8085', '--kinesis=off']);
  assert.ok(await kube().find(`/api/v1/namespaces/${NS}/services/demo-emulator`));
  await kube().mergePatch(`${KC}/demo`, { spec: { emulator: { enabled: false } } });
  await k8s.waitFor('emulator objects removed', async () => !(await kube().find(`/apis/apps/v1/namespaces/${NS}/deployments/demo-emulator`)) && !(await kube().find(`/api/v1/namespaces/${NS}/services/demo-emulator`)), 30_000, 300);

  await kube().mergePatch(`${KT}/by-label`, { metadata: { annotations: { 'kafka.tributary.dev/managed': 'false' } } });
  const kt = await waitCondition(`${KT}/by-label`, 'Ready', 'Unknown', 'Unmanaged');
  assert.equal(kt.metadata.finalizers, undefined);
  await kube().delete(`${KT}/by-label`);
  await k8s.waitFor('by-label resource gone', async () => !(await getKt('by-label')), 30_000, 300);
  assert.ok(await KafkaAdmin.with(await brokerAddress(0), (a) => a.describeTopic('events.v1')), 'the topic itself is kept');
});

test('a scale-down that would drop a partition is refused, then allowed once the broker is empty', { timeout: 300_000 }, async () => {
  const addr2 = await brokerAddress(2);
  await KafkaAdmin.with(addr2, (a) => a.createTopic('on-broker-2', 1, 1, {}));
  await kube().mergePatch(`${KC}/demo`, { spec: { replicas: 2 } });
  const kc = await waitCondition(`${KC}/demo`, 'Warning', 'True', 'ScaleDownBlocked');
  assert.match(cond(kc, 'Warning').message, /on-broker-2-0@demo-broker-2/);
  assert.equal(cond(kc, 'Ready').status, 'False');
  assert.equal((await kube().get(`/apis/apps/v1/namespaces/${NS}/statefulsets/demo-broker`)).spec.replicas, 3, 'StatefulSet not scaled down');
  assert.ok(await k8s.pod(kube(), 'demo-broker-2', NS));
  await KafkaAdmin.with(addr2, (a) => a.deleteTopic('on-broker-2'));
  await waitReady(`${KC}/demo`, 'demo Ready with 2', 120_000, (o) => o.status.replicas === 2);
  await k8s.waitFor('demo-broker-2 gone', async () => !(await k8s.pod(kube(), 'demo-broker-2', NS)), 60_000);
});

test('deleting the cluster garbage-collects its objects and releases topic finalizers', { timeout: 300_000 }, async () => {
  await kube().delete(`${KC}/demo`);
  await k8s.waitFor('StatefulSet, Services, ConfigMap garbage-collected', async () => {
    const left = await Promise.all([
      kube().find(`/apis/apps/v1/namespaces/${NS}/statefulsets/demo-broker`),
      kube().find(`/api/v1/namespaces/${NS}/services/demo-bootstrap`),
      kube().find(`/api/v1/namespaces/${NS}/services/demo-brokers`),
      kube().find(`/api/v1/namespaces/${NS}/configmaps/demo-config`),
    ]);
    return left.every((o) => !o);
  }, 120_000, 500);
  await k8s.waitFor('claims deleted (deleteClaim)', async () => (await kube().get(`/api/v1/namespaces/${NS}/persistentvolumeclaims`)).items.length === 0, 120_000, 500);
  await kube().delete(`${KT}/orders`);
  await kube().delete(`${KT}/by-label`);
  await k8s.waitFor('topics gone (finalizer released: cluster gone)', async () => !(await getKt('orders')) && !(await getKt('by-label')), 60_000, 300);
  await manager!.stop();
  const lease = await kube().get(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/tributary-operator-leader`);
  assert.equal(lease.spec.holderIdentity ?? '', '', 'Lease released on stop');
});
