// kcat (librdkafka 2.0.2) against the broker: topics through the project's CLI
// (kcat has no admin API), 10,000 keyed records per codec, read back without a group.
// kcat supports every codec: none, gzip, snappy, lz4, zstd.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type Broker } from '../support/broker.ts';
import {
  CODECS, kcatProduce, kcatConsume, kcatMetadata, makeRecords, verifyRoundTrip, cliOk, cliListTopics,
  cliDescribeTopic, assertCodecStored, uniqueTopic, waitFor,
} from '../support/clients.ts';

const N = 10_000;
const PARTITIONS = 6;
let broker: Broker;

before(async () => {
  broker = await startBroker({ overrides: { 'auto.create.topics.enable': 'false' } });
});
after(async () => {
  await broker?.cleanup();
});

const topics: Record<string, string> = {};

test('create a 6-partition topic per codec with the CLI; kcat -L sees them', async () => {
  for (const codec of CODECS) {
    const t = (topics[codec] = uniqueTopic(`kcat-${codec}`));
    await cliOk(['topics', '--bootstrap-server', broker.bootstrap, '--create', '--topic', t, '--partitions', String(PARTITIONS)]);
  }
  const md = await kcatMetadata(broker.bootstrap);
  assert.deepEqual(md.brokers.map((b) => b.id), [1]);
  for (const codec of CODECS) {
    const t = md.topics.find((x) => x.topic === topics[codec]);
    assert.ok(t, `kcat -L does not list ${topics[codec]}`);
    assert.equal(t.partitions.length, PARTITIONS);
    for (const p of t.partitions) assert.equal(p.leader, 1, `${topics[codec]}/${p.partition} leader`);
  }
});

for (const codec of CODECS) {
  test(`kcat produces ${N} keyed records with -z ${codec} and reads them all back`, async () => {
    const topic = topics[codec];
    assert.ok(topic, 'topic was not created');
    const recs = makeRecords(N, `kcat-${codec}`);
    await kcatProduce(broker.bootstrap, topic, recs.map((r) => `${r.key}\t${r.value}`), { codec, keySeparator: '\t', extra: ['-X', 'acks=all'] });
    const got = await kcatConsume(broker.bootstrap, topic);
    verifyRoundTrip(recs, got, PARTITIONS);
    await assertCodecStored(broker.host, broker.port, topic, PARTITIONS, codec, true);
  });
}

test('list and describe topics (CLI), delete one and it is gone', async () => {
  const listed = await cliListTopics(broker.bootstrap);
  for (const codec of CODECS) assert.ok(listed.includes(topics[codec]), `--list lacks ${topics[codec]}: ${listed.join(', ')}`);
  await cliDescribeTopic(broker.bootstrap, topics.gzip, PARTITIONS);

  await cliOk(['topics', '--bootstrap-server', broker.bootstrap, '--delete', '--topic', topics.gzip]);
  await waitFor('topic gone from --list', async () => !(await cliListTopics(broker.bootstrap)).includes(topics.gzip), 15_000);
  const md = await kcatMetadata(broker.bootstrap);
  assert.ok(!md.topics.some((t) => t.topic === topics.gzip), 'kcat -L still lists the deleted topic');
  // the others are untouched
  const got = await kcatConsume(broker.bootstrap, topics.none);
  assert.equal(got.length, N);
});
