// The coordination-store contract on a real etcd (Debian's etcd-server 3.4),
// then what only a real server can show: a watch and a lease across an etcd
// restart, and `lost` when etcd stays away longer than the TTL.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { EtcdStore } from '../../broker-image/src/cluster/store/etcd-store.ts';
import { openCoordinationStore } from '../../broker-image/src/cluster/store/open-store.ts';
import { storeContract, Snapshots, eventually } from '../../broker-image/src/cluster/store/store-contract.ts';
import { Etcd } from './etcd.ts';

const etcd = await Etcd.start();
after(() => etcd.destroy());

storeContract({
  leasesLapse: true,
  ttlMs: 2_000,
  open: (space) => EtcdStore.open({ endpoints: [etcd.endpoint], prefix: `/tributary/${space}/` }),
});

test('a watch survives an etcd restart and then sees the changes made after it', async (t) => {
  const writer = await EtcdStore.open({ endpoints: [etcd.endpoint], prefix: '/restart/' });
  const reader = await EtcdStore.open({ endpoints: [etcd.endpoint], prefix: '/restart/' });
  t.after(async () => { await writer.close(); await reader.close(); });
  await writer.put('topics/a', '1');
  const seen = new Snapshots();
  const watch = await reader.watch('topics/', seen.onSnapshot);
  t.after(() => watch.close());
  await seen.until('topics/a', (s) => s.has('topics/a'));

  await etcd.stop();
  await etcd.start();
  await eventually('the writer to reach the restarted etcd', async () => (await writer.put('topics/b', '2')) > 0);
  await seen.until('topics/b after the restart', (s) => s.get('topics/b')?.value === '2');
  await writer.delete('topics/a');
  const last = await seen.until('topics/a deleted', (s) => !s.has('topics/a'));
  assert.deepEqual([...last.keys()], ['topics/b']);
});

test('a lease reports lost when etcd is away for longer than its TTL', async (t) => {
  const store = await EtcdStore.open({ endpoints: [etcd.endpoint], prefix: '/lost/' });
  t.after(() => store.close());
  const lease = await store.grantLease(2_000);
  await store.put('brokers/1', 'me', { lease });
  await etcd.stop();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([lease.lost, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('lost never resolved')), 30_000); })]);
  } finally {
    clearTimeout(timer);
    await etcd.start();
  }
  const other = await EtcdStore.open({ endpoints: [etcd.endpoint], prefix: '/lost/' });
  t.after(() => other.close());
  // etcd extends leases across its own restart; with nobody renewing, the key still lapses.
  await eventually('brokers/1 to lapse', async () => (await other.get('brokers/1')) === null);
});

test('with one of its endpoints down, the store works through the other', async (t) => {
  const dead = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
  const store = await EtcdStore.open({ endpoints: [`http://127.0.0.1:${dead}`, etcd.endpoint], prefix: '/two-endpoints/' });
  t.after(() => store.close());
  let v = 0;
  for (let i = 0; i < 20; i++) v = await store.put('k', String(i), v);
  assert.deepEqual(await store.get('k'), { value: '19', version: 20 });
  const lease = await store.grantLease(2_000);
  await store.put('leased', 'x', { lease });
  await lease.revoke();
  assert.equal(await store.get('leased'), null);
});

test('opening with an unreachable endpoint fails with an error naming it', async () => {
  await assert.rejects(
    openCoordinationStore({ backend: 'etcd', dataDir: '/nonexistent', etcd: { endpoints: ['http://127.0.0.1:1'], prefix: '/x/' } }),
    /cannot reach etcd at http:\/\/127\.0\.0\.1:1/,
  );
});
