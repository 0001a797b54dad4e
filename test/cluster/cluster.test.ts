// The control plane itself: versions, client-certificate and token auth, RBAC
// enforcement, service-account token issuing with the root CA, the default
// StorageClass, and a down() that leaves no process and no state behind.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import * as k8s from './cluster.ts';
import type { Cluster } from './cluster.ts';

let cluster: Cluster | undefined;
after(async () => {
  await cluster?.down();
});

function getWithToken(server: string, ca: Buffer, token: string, path: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    https.get(new URL(path, server), { ca, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b ? JSON.parse(b) : undefined }));
    }).on('error', reject);
  });
}

test('control plane: auth, RBAC, service-account tokens, storage class, clean down', { timeout: 600_000 }, async () => {
  cluster = await k8s.up({ nodes: 1 });
  const { kube, env, dir } = cluster;
  const version = await kube.get('/version');
  assert.equal(version.gitVersion.replace(/^v/, '').split('-')[0], '1.20.2');

  const ca = fs.readFileSync(`${dir}/pki/ca.crt`);
  const admin = await getWithToken(env.TRIBUTARY_K8S_API!, ca, env.TRIBUTARY_K8S_TOKEN!, '/api/v1/namespaces');
  assert.equal(admin.status, 200, 'token auth as system:masters');
  const anon = await getWithToken(env.TRIBUTARY_K8S_API!, ca, 'not-a-token', '/api/v1/namespaces');
  assert.equal(anon.status, 401);

  // The controller-manager issues a token (with the root CA) for the default service account.
  const secret = await k8s.waitFor('default service-account token', async () => {
    const list = await kube.get('/api/v1/namespaces/default/secrets');
    return (list.items as k8s.Obj[]).find((s) => s.type === 'kubernetes.io/service-account-token' && s.metadata.annotations['kubernetes.io/service-account.name'] === 'default');
  }, 60_000);
  assert.equal(Buffer.from(secret.data['ca.crt'], 'base64').toString(), ca.toString());
  const saToken = Buffer.from(secret.data.token, 'base64').toString();
  const denied = await getWithToken(env.TRIBUTARY_K8S_API!, ca, saToken, '/api/v1/secrets');
  assert.equal(denied.status, 403, 'RBAC: the default service account may not list secrets');
  assert.match(denied.body.message, /system:serviceaccount:default:default/);

  const nodes = await kube.get('/api/v1/nodes');
  assert.deepEqual((nodes.items as k8s.Obj[]).map((n) => n.metadata.name), ['node-1']);
  const sc = await kube.get('/apis/storage.k8s.io/v1/storageclasses/standard');
  assert.equal(sc.metadata.annotations['storageclass.kubernetes.io/is-default-class'], 'true');

  const pids = cluster.pids();
  assert.equal(pids.length, 5);
  await cluster.down();
  assert.deepEqual(pids.filter(k8s.alive), []);
  assert.equal(fs.existsSync(dir), false);
});
