// The test kubelet against the real control plane: env (value, downward API,
// ConfigMap/Secret keys, $(VAR) expansion), command/args, ConfigMap/Secret/emptyDir/
// hostPath volumes, init containers, probes (httpGet, exec, tcpSocket), restarts
// with restartPolicy and liveness, phases, and deletion honouring the grace period.
// Containers run from the local node:24-bookworm-slim base and report through a
// hostPath folder the test reads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '../cluster/cluster.ts';
import type { Cluster, Obj } from '../cluster/cluster.ts';

const IMAGE = 'docker.io/library/node:24-bookworm-slim';
let cluster: Cluster;
let out: string; // hostPath the containers write to

before(async () => {
  execFileSync(fileURLToPath(new URL('../images/base.sh', import.meta.url)), { stdio: ['ignore', 'ignore', 'inherit'] });
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelet-test-'));
  fs.chmodSync(out, 0o777);
  cluster = await k8s.up({ nodes: 2 });
});

after(async () => {
  const dir = cluster?.dir;
  await cluster?.down();
  if (dir) assert.deepEqual(await k8s.leftoverContainers(dir), []);
  fs.rmSync(out, { recursive: true, force: true });
});

const podPath = (name: string) => `/api/v1/namespaces/default/pods/${name}`;
const node = (script: string) => ['node', '-e', script];

test('env, args, downward API, ConfigMap/Secret/emptyDir volumes and init containers', { timeout: 120_000 }, async () => {
  const kube = cluster.kube;
  await k8s.apply(kube, [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { 'app.properties': 'a=1\n', color: 'blue' } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec' }, stringData: { password: 's3cret' } },
    {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'envpod', labels: { app: 'envpod' } },
      spec: {
        restartPolicy: 'Never',
        initContainers: [{ name: 'init', image: IMAGE, command: ['sh', '-c', 'echo from-init > /work/init.txt'], volumeMounts: [{ name: 'work', mountPath: '/work' }] }],
        containers: [{
          name: 'main', image: IMAGE,
          command: ['node', '-e'],
          args: [`const fs=require('fs');
            const r={env:{POD_IP:process.env.POD_IP,POD_NAME:process.env.POD_NAME,COLOR:process.env.COLOR,PASSWORD:process.env.PASSWORD,LISTENER:process.env.LISTENER,HOSTNAME:process.env.HOSTNAME,KSH:process.env.KUBERNETES_SERVICE_HOST},
              argv:process.argv.slice(1), cfg:fs.readFileSync('/cfg/app.properties','utf8'), sec:fs.readFileSync('/sec/password','utf8'),
              init:fs.readFileSync('/work/init.txt','utf8'), uid:process.getuid()};
            fs.writeFileSync('/out/envpod.json', JSON.stringify(r));`, '--', '--listener=$(LISTENER)', '$$(LITERAL)'],
          env: [
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'color' } } },
            { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'sec', key: 'password' } } },
            { name: 'LISTENER', value: 'PLAINTEXT://$(POD_IP):9092' },
          ],
          volumeMounts: [
            { name: 'cfg', mountPath: '/cfg' }, { name: 'sec', mountPath: '/sec' },
            { name: 'work', mountPath: '/work' }, { name: 'out', mountPath: '/out' },
          ],
        }],
        volumes: [
          { name: 'cfg', configMap: { name: 'cfg' } }, { name: 'sec', secret: { secretName: 'sec' } },
          { name: 'work', emptyDir: {} }, { name: 'out', hostPath: { path: out } },
        ],
      },
    },
  ]);
  const pod = await k8s.waitFor('envpod Succeeded', async () => {
    const p = await k8s.pod(kube, 'envpod');
    if (p?.status?.phase === 'Failed') throw Object.assign(new Error(`envpod Failed: ${JSON.stringify(p.status.containerStatuses)}`), { fatal: true });
    return p?.status?.phase === 'Succeeded' ? p : undefined;
  }, 60_000);
  const ip = pod.status.podIP as string;
  assert.match(ip, /^127\.\d+\.\d+\.\d+$/);
  const r = JSON.parse(fs.readFileSync(path.join(out, 'envpod.json'), 'utf8'));
  assert.deepEqual(r.env, {
    POD_IP: ip, POD_NAME: 'envpod', COLOR: 'blue', PASSWORD: 's3cret', LISTENER: `PLAINTEXT://${ip}:9092`, HOSTNAME: 'envpod', KSH: '127.0.0.1',
  });
  assert.deepEqual(r.argv, [`--listener=PLAINTEXT://${ip}:9092`, '$(LITERAL)']);
  assert.equal(r.cfg, 'a=1\n');
  assert.equal(r.sec, 's3cret');
  assert.equal(r.init, 'from-init\n');
  assert.equal(pod.status.initContainerStatuses[0].state.terminated.exitCode, 0);
  assert.equal(pod.status.containerStatuses[0].state.terminated.exitCode, 0);
});

test('readiness from httpGet and exec probes; pods get distinct IPs', { timeout: 120_000 }, async () => {
  const kube = cluster.kube;
  const http = `require('http').createServer((q,s)=>{s.statusCode=q.url==='/healthz'?200:404;s.end()}).listen(8080, process.env.POD_IP)`;
  const mk = (name: string, probe: Obj, script: string): Obj => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{
        name: 'c', image: IMAGE, command: node(script), ports: [{ name: 'http', containerPort: 8080 }],
        env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
        readinessProbe: { ...probe, periodSeconds: 1 },
      }],
    },
  });
  await k8s.apply(kube, [
    mk('http-ready', { httpGet: { path: '/healthz', port: 'http' } }, http),
    mk('http-never', { httpGet: { path: '/nope', port: 8080 } }, http),
    mk('exec-ready', { exec: { command: ['test', '-f', '/tmp/ready'] } }, `setTimeout(()=>require('fs').writeFileSync('/tmp/ready',''),1500); setInterval(()=>{},1e6)`),
    mk('tcp-ready', { tcpSocket: { port: 8080 } }, `require('net').createServer(()=>{}).listen(8080, process.env.POD_IP)`),
  ]);
  for (const name of ['http-ready', 'exec-ready', 'tcp-ready']) {
    await k8s.waitFor(`${name} Ready`, async () => k8s.isReady(await k8s.pod(kube, name)), 60_000);
  }
  const never = await k8s.pod(kube, 'http-never');
  assert.equal(never?.status.phase, 'Running');
  assert.equal(k8s.isReady(never), false);
  const ips = await Promise.all(['http-ready', 'http-never', 'exec-ready', 'tcp-ready'].map(async (n) => (await k8s.pod(kube, n))!.status.podIP));
  assert.equal(new Set(ips).size, 4);
  for (const n of ['http-ready', 'http-never', 'exec-ready', 'tcp-ready']) await kube.delete(podPath(n));
});

test('restartPolicy Always restarts a crashing container; liveness failures restart it', { timeout: 120_000 }, async () => {
  const kube = cluster.kube;
  await k8s.apply(kube, [
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'crasher' }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: IMAGE, command: ['sh', '-c', 'sleep 0.5; exit 3'] }] } },
    {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'unlively' },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: IMAGE, command: node('setInterval(()=>{},1e6)'),
        livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 2 } }] },
    },
  ]);
  const crashed = await k8s.waitFor('crasher restarted twice', async () => {
    const p = await k8s.pod(kube, 'crasher');
    return p?.status?.containerStatuses?.[0]?.restartCount >= 2 ? p : undefined;
  }, 60_000);
  assert.equal(crashed.status.containerStatuses[0].lastState.terminated.exitCode, 3);
  await k8s.waitFor('unlively restarted by its liveness probe', async () => (await k8s.pod(kube, 'unlively'))?.status?.containerStatuses?.[0]?.restartCount >= 1, 60_000);
  await kube.delete(podPath('crasher'));
  await kube.delete(podPath('unlively'));
});

test('deletion: SIGTERM first, SIGKILL after the grace period, then the pod object is removed', { timeout: 120_000 }, async () => {
  const kube = cluster.kube;
  const polite = `process.on('SIGTERM',()=>{require('fs').writeFileSync('/out/polite.txt','term');process.exit(0)}); setInterval(()=>{},1e6)`;
  const stubborn = `process.on('SIGTERM',()=>{require('fs').writeFileSync('/out/stubborn.txt','ignored')}); setInterval(()=>{},1e6)`;
  const mk = (name: string, script: string, grace: number): Obj => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: {
      terminationGracePeriodSeconds: grace,
      containers: [{ name: 'c', image: IMAGE, command: node(script), volumeMounts: [{ name: 'out', mountPath: '/out' }] }],
      volumes: [{ name: 'out', hostPath: { path: out } }],
    },
  });
  await k8s.apply(kube, [mk('polite', polite, 30), mk('stubborn', stubborn, 3)]);
  for (const n of ['polite', 'stubborn']) await k8s.waitFor(`${n} Ready`, async () => k8s.isReady(await k8s.pod(kube, n)), 60_000);
  await sleepMs(500); // the SIGTERM handlers are installed
  let t = Date.now();
  await kube.delete(podPath('polite'));
  await k8s.waitFor('polite gone', async () => !(await k8s.pod(kube, 'polite')), 30_000, 100);
  assert.ok(Date.now() - t < 10_000, 'a container that exits on SIGTERM is not waited for');
  assert.equal(fs.readFileSync(path.join(out, 'polite.txt'), 'utf8'), 'term');
  t = Date.now();
  await kube.delete(podPath('stubborn'));
  await k8s.waitFor('stubborn gone', async () => !(await k8s.pod(kube, 'stubborn')), 30_000, 100);
  const took = Date.now() - t;
  assert.ok(took >= 2500 && took < 15_000, `killed after the 3 s grace period (took ${took} ms)`);
  assert.equal(fs.readFileSync(path.join(out, 'stubborn.txt'), 'utf8'), 'ignored');
});

test('in-cluster clients reach the apiserver: service-account token, CA and KUBERNETES_SERVICE_HOST', { timeout: 120_000 }, async () => {
  const kube = cluster.kube;
  const script = `const fs=require('fs'), https=require('https'); const d='/var/run/secrets/kubernetes.io/serviceaccount/';
    https.get({host:process.env.KUBERNETES_SERVICE_HOST, port:process.env.KUBERNETES_SERVICE_PORT, path:'/api/v1/namespaces/default/configmaps',
      ca:fs.readFileSync(d+'ca.crt'), headers:{Authorization:'Bearer '+fs.readFileSync(d+'token','utf8')}}, (res)=>{
      let b=''; res.on('data',c=>b+=c); res.on('end',()=>{fs.writeFileSync('/out/incluster.json', JSON.stringify({status:res.statusCode, ns:fs.readFileSync(d+'namespace','utf8'), body:JSON.parse(b)})); });
    }).on('error', e=>{fs.writeFileSync('/out/incluster.json', JSON.stringify({error:e.message}));});`;
  await k8s.apply(kube, [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader' } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'cm-reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'cm-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'cm-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'default' }] },
  ]);
  // The token controller fills the service account's token secret first.
  await k8s.waitFor('reader token secret', async () => (await kube.get('/api/v1/namespaces/default/serviceaccounts/reader')).secrets?.length > 0, 30_000);
  await k8s.apply(kube, [{
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'incluster' },
    spec: { restartPolicy: 'Never', serviceAccountName: 'reader',
      containers: [{ name: 'c', image: IMAGE, command: node(script), volumeMounts: [{ name: 'out', mountPath: '/out' }] }],
      volumes: [{ name: 'out', hostPath: { path: out } }] },
  }]);
  await k8s.waitFor('incluster Succeeded', async () => (await k8s.pod(kube, 'incluster'))?.status?.phase === 'Succeeded', 60_000);
  const r = JSON.parse(fs.readFileSync(path.join(out, 'incluster.json'), 'utf8'));
  assert.equal(r.status, 200, JSON.stringify(r));
  assert.equal(r.ns, 'default');
  assert.equal(r.body.kind, 'ConfigMapList');
});

function sleepMs(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
