// The coordination-store contract on the `local` backend (etcd and Kubernetes:
// test/coordination/). Local clients of one space are one store: a single
// process owns the file.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from './local-store.ts';
import { openCoordinationStore } from './open-store.ts';
import { storeContract } from './store-contract.ts';

const dir = await mkdtemp(join(tmpdir(), 'tributary-store-'));
after(() => rm(dir, { recursive: true, force: true }));
const stores = new Map<string, Promise<LocalStore>>();

storeContract({
  leasesLapse: false,
  ttlMs: 2_000,
  open(space) {
    if (!stores.has(space)) stores.set(space, LocalStore.open(join(dir, space, '__cluster_metadata.json')));
    return stores.get(space)!;
  },
});

test('openCoordinationStore: `local` keeps its file under the data dir; misconfigurations are named', async () => {
  const dataDir = join(dir, 'broker-data');
  const store = await openCoordinationStore({ backend: 'local', dataDir });
  await store.put('topics/t', 'x');
  await store.close();
  assert.deepEqual(JSON.parse(await readFile(join(dataDir, '__cluster_metadata.json'), 'utf8')), { 'topics/t': { value: 'x', version: 1 } });
  await assert.rejects(openCoordinationStore({ backend: 'etcd', dataDir, etcd: { endpoints: [''], prefix: '/t/' } }), /coordination\.etcd\.endpoints/);
  await assert.rejects(openCoordinationStore({ backend: 'zookeeper' as 'local', dataDir }), /unknown coordination\.backend "zookeeper"/);
});
