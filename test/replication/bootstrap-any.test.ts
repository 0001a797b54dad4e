// Must show (issue 7): clients bootstrap from any broker, and Metadata lists every
// live broker with its advertised listener and rack (broker.rack); replicas are spread
// across racks. kcat (librdkafka) is given one broker only, each in turn, and writes to
// and reads from partitions led by the others; a broker killed with kill -9 drops out
// of every survivor's Metadata once its lease lapses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, withCluster } from '../support/cluster.ts';
import { kcatConsume, kcatMetadata, kcatProduce } from '../support/clients.ts';

const RACKS = ['rack-a', 'rack-a', 'rack-b'];
const PARTITIONS = 6;

test('every broker answers Metadata with every live broker and its rack; clients bootstrap from any one', { timeout: 180_000 }, async (t) => {
  await withCluster(t, { racks: RACKS }, async (cluster) => {
    const expected = cluster.ids().map((id) => ({ nodeId: id, host: `127.0.0.${id}`, port: cluster.broker(id).port, rack: RACKS[id - 1]! }));
    for (const id of cluster.ids()) {
      const md = await cluster.metadata(null, id);
      assert.deepEqual([...md.brokers].sort((a, b) => a.nodeId - b.nodeId), expected, `Metadata from broker ${id}`);
    }

    // rf=2 over racks a (brokers 1, 2) and b (broker 3): every partition has a replica in each rack.
    const topic = 'bootstrap-any';
    const parts = await cluster.createTopic(topic, { partitions: PARTITIONS, replicationFactor: 2, configs: { 'min.insync.replicas': 1 } });
    for (const p of parts) {
      const racks = new Set(p.replicas.map((id) => RACKS[id - 1]));
      assert.equal(racks.size, 2, `partition ${p.partition}: replicas [${p.replicas}] all in ${[...racks]}`);
    }
    t.diagnostic(`assignment: ${parts.map((p) => `p${p.partition}:[${p.replicas}]`).join(' ')}`);

    const written: string[] = [];
    for (const id of cluster.ids()) {
      const only = cluster.broker(id).bootstrap;
      const meta = await kcatMetadata(only, topic);
      assert.deepEqual(meta.brokers.map((b) => b.id).sort(), cluster.ids(), `kcat -L -b ${only}: brokers ${JSON.stringify(meta.brokers)}`);
      const lines = Array.from({ length: 60 }, (_, i) => `via-${id}-${i}`);
      // No key, no partition: librdkafka spreads them, so most go to partitions other brokers lead.
      await kcatProduce(only, topic, lines, { extra: ['-X', 'acks=all', '-X', 'partitioner=random'] });
      written.push(...lines);
    }
    for (const id of cluster.ids()) {
      const got = await kcatConsume(cluster.broker(id).bootstrap, topic);
      assert.deepEqual(got.map((r) => r.value).sort(), [...written].sort(), `read back through broker ${id}`);
      assert.equal(new Set(got.map((r) => r.partition)).size, PARTITIONS, 'records reached every partition');
    }

    await cluster.kill9(2);
    for (const id of [1, 3]) {
      await eventually(`broker ${id} to list brokers 1 and 3 only`, async () => {
        const md = await cluster.metadata(null, id);
        const listed = md.brokers.map((b) => `${b.nodeId}:${b.rack}`).sort().join(',');
        if (listed !== '1:rack-a,3:rack-b') throw new Error(`lists ${listed}`);
        return true;
      }, 30_000);
    }
    await cluster.waitForLeaders(topic);
    const meta = await kcatMetadata(cluster.broker(3).bootstrap, topic);
    assert.deepEqual(meta.brokers.map((b) => b.id).sort(), [1, 3]);
  });
});
