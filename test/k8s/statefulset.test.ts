// The broker image as a 3-replica StatefulSet on the local Kubernetes (real
// kube-apiserver, controller-manager and scheduler; the test kubelet runs the pods
// with podman): pods become Ready through the real StatefulSet controller, a real
// Kafka client (kafkajs) produces and consumes through each of them, a deleted pod
// is recreated with the same PVC and its data, and teardown leaves no process,
// container or mount behind.
//
// No kube-proxy and no cluster DNS: each pod listens on its own 127.x.y.z pod IP
// (host network), so the broker's advertised listener must be the pod IP, given
// through the downward API. `<pod>.<service>` is resolved from the Endpoints.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
import * as k8s from '../cluster/cluster.ts';
import type { Cluster, Obj } from '../cluster/cluster.ts';

const IMAGE = process.env.TRIBUTARY_BROKER_IMAGE ?? 'tributary/broker:dev';
const NS = 'default';
const TOPIC = 'k8s-orders';

/** (Re)builds the broker image from the working tree (seconds with podman's layer cache). */
function ensureImage(): void {
  if (process.env.TRIBUTARY_BROKER_IMAGE) return; // given from outside
  execFileSync(fileURLToPath(new URL('../images/build.sh', import.meta.url)), ['broker'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

const manifests: Obj[] = [
  {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'broker', labels: { app: 'broker' } },
    spec: { clusterIP: 'None', selector: { app: 'broker' }, ports: [{ name: 'kafka', port: 9092 }], publishNotReadyAddresses: false },
  },
  {
    apiVersion: 'apps/v1', kind: 'StatefulSet',
    metadata: { name: 'broker' },
    spec: {
      serviceName: 'broker', replicas: 3, podManagementPolicy: 'Parallel',
      selector: { matchLabels: { app: 'broker' } },
      template: {
        metadata: { labels: { app: 'broker' } },
        spec: {
          terminationGracePeriodSeconds: 10,
          containers: [{
            name: 'broker', image: IMAGE, imagePullPolicy: 'Never',
            // node.id from the StatefulSet ordinal; listeners on the pod IP (host network).
            command: ['sh', '-c', 'exec node broker-image/src/cli/main.ts broker start --config /etc/tributary/server.properties'
              + ' --override node.id=$(( ${HOSTNAME##*-} + 1 ))'
              + ' --override listeners=PLAINTEXT://$POD_IP:9092 --override advertised.listeners=PLAINTEXT://$POD_IP:9092'
              + ' --override group.initial.rebalance.delay.ms=0'],
            env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
            ports: [{ name: 'kafka', containerPort: 9092 }],
            readinessProbe: { tcpSocket: { port: 'kafka' }, periodSeconds: 1, failureThreshold: 3 },
            livenessProbe: { tcpSocket: { port: 'kafka' }, initialDelaySeconds: 10, periodSeconds: 5 },
            volumeMounts: [{ name: 'data', mountPath: '/var/lib/tributary/data' }],
          }],
        },
      },
      volumeClaimTemplates: [{
        metadata: { name: 'data' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      }],
    },
  },
];

let cluster: Cluster | undefined;

before(async () => {
  ensureImage();
  cluster = await k8s.up({ nodes: 3 });
});

after(async () => {
  if (!cluster) return;
  const { dir } = cluster;
  const pids = cluster.pids();
  await cluster.down();
  // Nothing left behind: processes, containers, mounts, state.
  assert.deepEqual(pids.filter(k8s.alive), [], 'processes still alive after down');
  assert.deepEqual(await k8s.leftoverContainers(dir), [], 'containers left after down');
  assert.deepEqual(k8s.leftoverMounts(dir), [], 'mounts left after down');
  assert.equal(fs.existsSync(dir), false, 'state dir left after down');
});

function kafkaFor(ip: string): Kafka {
  return new Kafka({ clientId: 'k8s-test', brokers: [`${ip}:9092`], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200 } });
}

async function produce(ip: string, values: string[]): Promise<void> {
  const producer = kafkaFor(ip).producer({ allowAutoTopicCreation: true });
  await producer.connect();
  try {
    await producer.send({ topic: TOPIC, messages: values.map((v, i) => ({ key: `k${i}`, value: v })) });
  } finally {
    await producer.disconnect();
  }
}

async function consumeAll(ip: string, expected: number, group: string): Promise<string[]> {
  const consumer = kafkaFor(ip).consumer({ groupId: group, maxWaitTimeInMs: 200, sessionTimeout: 30_000, heartbeatInterval: 1000 });
  const got: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${got.length}/${expected} from ${ip}`)), 60_000);
      consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push(message.value!.toString());
          if (got.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => {});
  }
  return got;
}

test('a 3-broker StatefulSet runs, serves Kafka clients and keeps its data across pod deletion', { timeout: 600_000 }, async () => {
  const kube = cluster!.kube;
  await k8s.apply(kube, manifests, NS);
  await k8s.waitStatefulSetReady(kube, 'broker', NS, 240_000);

  const pods: Obj[] = [];
  for (let i = 0; i < 3; i++) pods.push((await k8s.pod(kube, `broker-${i}`, NS))!);
  const ips = pods.map((p) => p.status.podIP as string);
  assert.equal(new Set(ips).size, 3, `distinct pod IPs: ${ips}`);
  for (const [i, p] of pods.entries()) {
    assert.ok(k8s.isReady(p), `broker-${i} Ready`);
    assert.deepEqual(await k8s.waitFor(`broker-${i}.broker in endpoints`, async () => {
      const r = await k8s.resolve(kube, `broker-${i}.broker`, NS);
      return r.length ? r : undefined;
    }), [ips[i]]);
    const claim = p.spec.volumes.find((v: Obj) => v.name === 'data').persistentVolumeClaim.claimName;
    assert.equal(claim, `data-broker-${i}`);
  }

  // Produce and consume through every broker.
  for (const [i, ip] of ips.entries()) {
    const values = Array.from({ length: 20 }, (_, j) => `broker-${i}-msg-${j}`);
    await produce(ip, values);
    const got = await consumeAll(ip, values.length, `g-${i}`);
    assert.deepEqual(got.sort(), [...values].sort());
  }

  // Delete broker-1: the StatefulSet controller recreates it with the same claim and data.
  const oldUid = pods[1]!.metadata.uid;
  const pvcBefore = await kube.get(`/api/v1/namespaces/${NS}/persistentvolumeclaims/data-broker-1`);
  await kube.delete(`/api/v1/namespaces/${NS}/pods/broker-1`);
  const fresh = await k8s.waitFor('broker-1 recreated and Ready', async () => {
    const p = await k8s.pod(kube, 'broker-1', NS);
    return p && p.metadata.uid !== oldUid && k8s.isReady(p) ? p : undefined;
  }, 120_000, 500);
  const pvcAfter = await kube.get(`/api/v1/namespaces/${NS}/persistentvolumeclaims/data-broker-1`);
  assert.equal(pvcAfter.metadata.uid, pvcBefore.metadata.uid, 'same PVC');
  assert.equal(pvcAfter.spec.volumeName, pvcBefore.spec.volumeName, 'same PV');
  await k8s.waitStatefulSetReady(kube, 'broker', NS, 120_000);
  const ip1 = fresh.status.podIP as string;
  const got = await consumeAll(ip1, 20, 'g-after-restart');
  assert.deepEqual(got.sort(), Array.from({ length: 20 }, (_, j) => `broker-1-msg-${j}`).sort());
});
