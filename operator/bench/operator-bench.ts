// make bench-operator: on the local Kubernetes (real control plane, the test
// kubelet running the broker image), with the operator in-process:
//  1. time from creating a 3-broker KafkaCluster to status Ready;
//  2. a full rolling restart (restart-at annotation): its duration, and the
//     longest gap between acknowledged produce requests of a producer writing
//     to a topic on broker 0 throughout (acks=-1), and that no acknowledged
//     record is missing afterwards (the log end offset covers every ack).
// Prints one JSON line of results. Brokers do not replicate yet (issue 7), so a
// partition is unavailable while its only broker restarts: the stall is that
// broker's restart time, not a replicated-cluster failover.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import * as k8s from '../../test/cluster/cluster.ts';
import { Kube } from '../src/controller/kube.ts';
import { Manager } from '../src/controller/manager.ts';
import { BrokerConnection } from '../../broker-image/src/client/connection.ts';
import { listOffset, produceBatch } from '../../broker-image/src/client/topic-client.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const NS = 'default';
const KC = `/apis/kafka.tributary.dev/v1alpha1/namespaces/${NS}/kafkaclusters`;
const KT = `/apis/kafka.tributary.dev/v1alpha1/namespaces/${NS}/kafkatopics`;
const log = (m: string) => process.stderr.write(`[bench-operator] ${m}\n`);

if (!process.env.TRIBUTARY_BROKER_IMAGE) execFileSync(`${repo}/test/images/build.sh`, ['broker'], { stdio: ['ignore', 'ignore', 'inherit'] });
const cluster = await k8s.up({ nodes: 1 });
const kube = cluster.kube;
let manager: Manager | undefined;
let opKube: Kube | undefined;
const ready = (o: any) => o && (o.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True') && o.status.observedGeneration === o.metadata.generation;
try {
  for (const f of ['kafkaclusters', 'kafkatopics']) await k8s.apply(kube, fs.readFileSync(`${repo}/crds/${f}.yaml`, 'utf8'));
  await k8s.waitFor('CRDs', async () => (await kube.find(`${KC}`)) !== undefined && (await kube.find(`${KT}`)) !== undefined);
  opKube = await Kube.load(cluster.kubeconfig);
  manager = new Manager({ kube: opKube, log: pino({ level: 'warn' }, pino.destination(2)), resyncMs: 30_000 });
  await manager.start();

  const t0 = Date.now();
  await kube.post(KC, {
    apiVersion: 'kafka.tributary.dev/v1alpha1', kind: 'KafkaCluster', metadata: { name: 'bench' },
    spec: { replicas: 3, image: process.env.TRIBUTARY_BROKER_IMAGE ?? 'tributary/broker:dev', imagePullPolicy: 'Never', storage: { size: '1Gi' }, template: { pod: { terminationGracePeriodSeconds: 10 } } },
  });
  await k8s.waitFor('bench Ready', async () => ready(await kube.find(`${KC}/bench`)), 600_000, 200);
  const applyToReadyMs = Date.now() - t0;
  log(`3-broker cluster Ready in ${applyToReadyMs} ms`);

  await kube.post(KT, { apiVersion: 'kafka.tributary.dev/v1alpha1', kind: 'KafkaTopic', metadata: { name: 'bench' }, spec: { clusterRef: { name: 'bench' }, partitions: 1 } });
  await k8s.waitFor('topic Ready', async () => ready(await kube.find(`${KT}/bench`)), 120_000, 200);

  // Producer on broker 0 (where the operator created the topic), reconnecting across restarts.
  const addr = async () => `${(await k8s.pod(kube, 'bench-broker-0', NS))?.status?.podIP}:9092`;
  let acked = 0;
  let lastAck = Date.now();
  let longestStallMs = 0;
  let failures = 0;
  let stop = false;
  const producer = (async () => {
    let conn: BrokerConnection | undefined;
    while (!stop) {
      try {
        conn ??= await BrokerConnection.open(await addr(), 'bench-producer');
        await produceBatch(conn, 'bench', 0, [{ key: `k${acked}`, value: `v${acked}` }], { acks: -1, compression: 0, timeoutMs: 5000 });
        const now = Date.now();
        longestStallMs = Math.max(longestStallMs, now - lastAck);
        lastAck = now;
        acked++;
        await new Promise((r) => setTimeout(r, 10));
      } catch {
        failures++;
        conn?.close();
        conn = undefined;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    conn?.close();
  })();
  await new Promise((r) => setTimeout(r, 2000));

  const uids = new Map<number, string>();
  for (const i of [0, 1, 2]) uids.set(i, (await k8s.pod(kube, `bench-broker-${i}`, NS))!.metadata.uid);
  const t1 = Date.now();
  await kube.mergePatch(`${KC}/bench`, { metadata: { annotations: { 'kafka.tributary.dev/restart-at': new Date().toISOString() } } });
  await k8s.waitFor('roll done', async () => {
    const o = await kube.find(`${KC}/bench`);
    if (!ready(o) || o.status.updatedReplicas !== 3) return false;
    for (const i of [0, 1, 2]) if ((await k8s.pod(kube, `bench-broker-${i}`, NS))?.metadata.uid === uids.get(i)) return false;
    return true;
  }, 900_000, 200);
  const rollMs = Date.now() - t1;
  await new Promise((r) => setTimeout(r, 2000));
  stop = true;
  await producer;
  const conn = await BrokerConnection.open(await addr(), 'bench-check');
  const end = await listOffset(conn, 'bench', 0, -1n);
  conn.close();
  const result = {
    applyToReadyMs, rollingRestartMs: rollMs, perBrokerMs: Math.round(rollMs / 3), longestProduceStallMs: longestStallMs,
    acked, produceErrors: failures, logEndOffset: Number(end), ackedRecordsLost: Math.max(0, acked - Number(end)),
  };
  log(`rolling restart of 3 brokers in ${rollMs} ms; longest produce stall ${longestStallMs} ms; ${acked} acked, log end ${end}`);
  console.log(JSON.stringify(result));
  if (result.ackedRecordsLost > 0) process.exitCode = 1;
} finally {
  await manager?.stop();
  opKube?.close();
  await cluster.down();
}
