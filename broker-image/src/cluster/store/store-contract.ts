// The behaviour every coordination-store backend must show, as node:test cases
// registered by `storeContract(target)`: store.test.ts runs them on `local`,
// test/coordination/ on a real etcd and a real kube-apiserver.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CasConflictError, type CoordinationStore, type VersionedValue } from './coordination-store.ts';

export interface ContractTarget {
  /**
   * Opens a store client. Clients of one `space` share their keys; other
   * spaces (an etcd prefix, a Kubernetes name prefix, another file) are not seen.
   */
  open(space: string): Promise<CoordinationStore>;
  /**
   * Whether a lease lapses when its holder stops renewing it (`close()` without
   * revoking): true for the shared backends. The single-process `local` store's
   * leases live as long as its process, so there a holder ends by revoking.
   */
  leasesLapse: boolean;
  /** TTL for the lease scenarios (short: each lapse is waited for). */
  ttlMs: number;
}

/** How long a scenario waits for something before it fails (a bound, not a measurement). */
const WAIT_MS = 30_000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until `fn` gives a truthy value. */
export async function eventually<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    await sleep(50);
  }
  throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
}

/** Records a watch's snapshots; `until` waits for one that satisfies a predicate. */
export class Snapshots {
  readonly seen: Map<string, VersionedValue>[] = [];
  private waiters: (() => void)[] = [];

  readonly onSnapshot = (snapshot: Map<string, VersionedValue>): void => {
    this.seen.push(snapshot);
    for (const w of this.waiters.splice(0)) w();
  };

  get last(): Map<string, VersionedValue> | undefined {
    return this.seen.at(-1);
  }

  /** Waits for a snapshot delivered at or after index `from` for which `pred` holds. */
  async until(what: string, pred: (s: Map<string, VersionedValue>) => boolean, from = 0, timeoutMs = WAIT_MS): Promise<Map<string, VersionedValue>> {
    const deadline = Date.now() + timeoutMs;
    for (let i = from; ; ) {
      for (; i < this.seen.length; i++) if (pred(this.seen[i])) return this.seen[i];
      const left = deadline - Date.now();
      if (left <= 0) {
        const last = this.last ? JSON.stringify(Object.fromEntries(this.last)) : 'none';
        throw new Error(`no watch snapshot with ${what} within ${timeoutMs} ms; last: ${last}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }
}

const valuesOf = (s: Map<string, VersionedValue>) => Object.fromEntries([...s].map(([k, v]) => [k, v.value]));

export function storeContract(target: ContractTarget): void {
  let n = 0;
  const space = () => `c${process.pid.toString(36)}${randomBytes(3).toString('hex')}${n++}`;
  /** Opens `count` clients of one fresh space; closes them at the end of the test. */
  async function clients(t: { after(fn: () => Promise<void>): void }, count: number): Promise<CoordinationStore[]> {
    const s = space();
    const stores: CoordinationStore[] = [];
    for (let i = 0; i < count; i++) stores.push(await target.open(s));
    t.after(async () => { for (const st of stores) await st.close(); });
    return stores;
  }
  /** Ends a lease holder: it stops renewing (shared backends) or revokes (local). */
  async function endHolder(store: CoordinationStore, lease: { revoke(): Promise<void> }): Promise<void> {
    if (target.leasesLapse) await store.close();
    else await lease.revoke();
  }

  test('compare-and-swap: create with version 0, update at the current version, conflicts otherwise', async (t) => {
    const [a, b] = await clients(t, 2);
    const key = 'topics/Orders_EU.v2';
    assert.equal(await a.get(key), null);
    const v1 = await a.put(key, 'one', 0);
    assert.ok(v1 > 0);
    assert.deepEqual(await b.get(key), { value: 'one', version: v1 });
    await assert.rejects(b.put(key, 'again', { expectedVersion: 0 }), CasConflictError);
    const v2 = await b.put(key, 'two', { expectedVersion: v1 });
    assert.ok(v2 > v1);
    await assert.rejects(a.put(key, 'stale', v1), CasConflictError);
    await assert.rejects(a.put('topics/absent', 'x', v1), CasConflictError);
    const v3 = await a.put(key, 'three');
    assert.ok(v3 > v2);
    assert.deepEqual(await b.get(key), { value: 'three', version: v3 });
    assert.equal(await a.get('topics/absent'), null);
    // Values are opaque text, JSON included.
    const json = JSON.stringify({ partitions: [[1, 2, 3]], note: 'ünïcödé / "quoted"' });
    await a.put('topics/json', json);
    assert.equal((await b.get('topics/json'))?.value, json);
  });

  test('concurrent writers: read-modify-write with CAS loses no update; unconditional puts all land', async (t) => {
    const stores = await clients(t, 3);
    const perClient = 5;
    await Promise.all(stores.map(async (st) => {
      for (let i = 0; i < perClient; i++) {
        for (;;) {
          const cur = await st.get('counter');
          try {
            await st.put('counter', String(Number(cur?.value ?? 0) + 1), cur?.version ?? 0);
            break;
          } catch (err) {
            if (!(err instanceof CasConflictError)) throw err;
          }
        }
      }
    }));
    assert.equal((await stores[0].get('counter'))?.value, String(stores.length * perClient));
    const versions = await Promise.all(stores.flatMap((st, c) => [0, 1, 2].map((i) => st.put('blind', `${c}.${i}`))));
    assert.deepEqual(versions.sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8, 9], 'every write gets its own next version');
    assert.equal((await stores[1].get('blind'))?.version, 9);
  });

  test('delete: with the current version, conflicts with another; deleting an absent key is a no-op', async (t) => {
    const [a, b] = await clients(t, 2);
    const v = await a.put('brokers/7', 'x');
    await assert.rejects(b.delete('brokers/7', v + 1), CasConflictError);
    assert.deepEqual(await a.get('brokers/7'), { value: 'x', version: v });
    await b.delete('brokers/7', v);
    assert.equal(await a.get('brokers/7'), null);
    await a.delete('brokers/7');
    await a.delete('brokers/7', 0);
    await assert.rejects(a.delete('brokers/7', 1), CasConflictError);
    await a.put('brokers/8', 'y');
    await b.delete('brokers/8');
    assert.equal(await a.get('brokers/8'), null);
    assert.ok((await a.put('brokers/8', 'z', 0)) > 0, 'a deleted key can be created again with version 0');
  });

  test('list: keys under a prefix in key order; another space sees none of them', async (t) => {
    const [a, b] = await clients(t, 2);
    const [other] = await clients(t, 1);
    for (const k of ['topics/b', 'topics/a', 'topics/A_1', 'topicsX', 'brokers/1']) await a.put(k, k.toUpperCase());
    await other.put('topics/z', 'other');
    assert.deepEqual([...(await b.list('topics/')).keys()], ['topics/A_1', 'topics/a', 'topics/b']);
    assert.deepEqual(valuesOf(await b.list('topics/')), { 'topics/A_1': 'TOPICS/A_1', 'topics/a': 'TOPICS/A', 'topics/b': 'TOPICS/B' });
    assert.deepEqual([...(await a.list('')).keys()], ['brokers/1', 'topics/A_1', 'topics/a', 'topics/b', 'topicsX']);
    assert.deepEqual(valuesOf(await other.list('')), { 'topics/z': 'other' });
    assert.equal(await other.get('topics/a'), null);
    assert.equal(await a.get('topics/z'), null);
    assert.equal((await a.list('nothing/')).size, 0);
  });

  test('revoke: the lease\'s keys are gone for every client', async (t) => {
    const [a, b] = await clients(t, 2);
    const lease = await a.grantLease(target.ttlMs);
    assert.ok(lease.ttlMs >= target.ttlMs);
    await a.put('brokers/1', 'host-1:9092', { lease });
    await a.put('brokers/1/rack', 'r1', { lease, expectedVersion: 0 });
    await a.put('plain', 'stays');
    assert.equal((await b.get('brokers/1'))?.value, 'host-1:9092');
    await lease.revoke();
    assert.equal(await b.get('brokers/1'), null);
    assert.equal(await b.get('brokers/1/rack'), null);
    assert.equal(await a.get('brokers/1'), null);
    assert.equal((await b.get('plain'))?.value, 'stays');
  });

  test('controller election: of two contenders exactly one wins; the other wins once the winner is gone', async (t) => {
    const [a, b] = await clients(t, 2);
    const [la, lb] = [await a.grantLease(target.ttlMs), await b.grantLease(target.ttlMs)];
    const results = await Promise.allSettled([
      a.put('controller', 'a', { expectedVersion: 0, lease: la }),
      b.put('controller', 'b', { expectedVersion: 0, lease: lb }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lostTo = results.filter((r) => r.status === 'rejected');
    assert.equal(won.length, 1, `exactly one winner: ${JSON.stringify(results)}`);
    assert.ok(lostTo[0].status === 'rejected' && lostTo[0].reason instanceof CasConflictError, String((lostTo[0] as PromiseRejectedResult).reason));
    const winner = results[0].status === 'fulfilled' ? 'a' : 'b';
    const [ws, wl, ls, ll] = winner === 'a' ? [a, la, b, lb] : [b, lb, a, la];
    const loser = winner === 'a' ? 'b' : 'a';
    assert.equal((await ls.get('controller'))?.value, winner);

    const seen = new Snapshots();
    const watch = await ls.watch('controller', seen.onSnapshot);
    t.after(() => watch.close());
    await seen.until('the winner as controller', (s) => s.get('controller')?.value === winner);
    await endHolder(ws, wl);
    await seen.until('no controller', (s) => !s.has('controller'));
    const v = await ls.put('controller', loser, { expectedVersion: 0, lease: ll });
    assert.deepEqual(await ls.get('controller'), { value: loser, version: v });
    await seen.until('the loser as controller', (s) => s.get('controller')?.value === loser);
  });

  test('watch: the initial snapshot, then changes, then the end of a leased key; nothing outside its prefix', async (t) => {
    const [a, b, c] = await clients(t, 3);
    await a.put('meta/a', '1');
    await a.put('other/x', 'x');
    const seen = new Snapshots();
    const watch = await b.watch('meta/', seen.onSnapshot);
    t.after(() => watch.close());
    assert.deepEqual(valuesOf(seen.seen[0]), { 'meta/a': '1' }, 'the first snapshot is there when watch() resolves');

    let from = seen.seen.length;
    await a.put('meta/b', '2');
    await seen.until('meta/b', (s) => s.get('meta/b')?.value === '2', from);
    from = seen.seen.length;
    // A burst: every snapshot is whole, and the last one has all of it.
    await Promise.all([a.put('meta/c', '3'), a.put('meta/a', '1b'), a.delete('meta/b'), a.put('other/y', 'y')]);
    const s = await seen.until('the burst', (x) => x.get('meta/a')?.value === '1b' && x.has('meta/c') && !x.has('meta/b'), from);
    assert.deepEqual(valuesOf(s), { 'meta/a': '1b', 'meta/c': '3' });

    const lease = await c.grantLease(target.ttlMs);
    from = seen.seen.length;
    const lv = await c.put('meta/leased', 'L', { lease });
    const withLeased = await seen.until('meta/leased', (x) => x.has('meta/leased'), from);
    assert.deepEqual(withLeased.get('meta/leased'), { value: 'L', version: lv });
    from = seen.seen.length;
    await endHolder(c, lease);
    const after = await seen.until('meta/leased gone', (x) => !x.has('meta/leased'), from);
    assert.deepEqual(valuesOf(after), { 'meta/a': '1b', 'meta/c': '3' });
    for (const snap of seen.seen) for (const k of snap.keys()) assert.ok(k.startsWith('meta/'), k);
  });

  test('several watches on one client: each sees its own prefix; a closed one delivers nothing more', async (t) => {
    const [a, b] = await clients(t, 2);
    const x = new Snapshots();
    const y = new Snapshots();
    const wx = await b.watch('x/', x.onSnapshot);
    const wy = await b.watch('y/', y.onSnapshot);
    t.after(() => { wx.close(); wy.close(); });
    await a.put('x/1', '1');
    await a.put('y/1', '1');
    await x.until('x/1', (s) => s.has('x/1'));
    await y.until('y/1', (s) => s.has('y/1'));
    wx.close();
    const closedAt = x.seen.length;
    const from = y.seen.length;
    await a.put('x/2', '2');
    await a.put('y/2', '2');
    await y.until('y/2', (s) => s.has('y/2'), from);
    // A watch opened after another closed starts from the whole state.
    const z = new Snapshots();
    const wz = await b.watch('x/', z.onSnapshot);
    t.after(() => wz.close());
    assert.deepEqual([...z.seen[0].keys()], ['x/1', 'x/2']);
    assert.equal(x.seen.length, closedAt, 'the closed watch was called again');
    for (const snap of y.seen) for (const k of snap.keys()) assert.ok(k.startsWith('y/'), k);
  });

  if (target.leasesLapse) {
    test('a leased key vanishes once its holder stops renewing; a CAS on version 0 then takes it', async (t) => {
      const [a, b] = await clients(t, 2);
      const lease = await a.grantLease(target.ttlMs);
      await a.put('brokers/3', 'alive', { lease, expectedVersion: 0 });
      // Renewals keep it past several TTLs.
      await sleep(target.ttlMs * 2);
      assert.equal((await b.get('brokers/3'))?.value, 'alive');
      await a.close(); // no revoke: as if the process had died
      await eventually('brokers/3 to lapse', async () => (await b.get('brokers/3')) === null);
      assert.equal((await b.list('brokers/')).size, 0);
      const mine = await b.grantLease(target.ttlMs);
      const v = await b.put('brokers/3', 'new holder', { lease: mine, expectedVersion: 0 });
      assert.deepEqual(await b.get('brokers/3'), { value: 'new holder', version: v });
      await mine.revoke();
    });
  }
}
