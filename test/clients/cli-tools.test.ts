// The data tools of `tributary` against a real broker, with kcat (librdkafka)
// as the independent reader and writer: console-producer, console-consumer,
// producer-perf-test, topics --alter, and clear errors for wrong flags.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBroker, type Broker } from '../support/broker.ts';
import { assertCodecStored, cli, cliOk, kcatConsume, kcatProduce, uniqueTopic } from '../support/clients.ts';
import { partitionForKey } from '../../broker-image/src/client/partitioner.ts';

let broker: Broker;

before(async () => {
  broker = await startBroker({ overrides: { 'auto.create.topics.enable': 'false' } });
});
after(async () => {
  await broker?.cleanup();
});

const createTopic = (topic: string, partitions: number) =>
  cliOk(['topics', '--bootstrap-server', broker.bootstrap, '--create', '--topic', topic, '--partitions', String(partitions)]);

test('console-producer: keyed lines land where Java would put them, in order, compressed as asked', async () => {
  const topic = uniqueTopic('cli-producer');
  await createTopic(topic, 4);
  const lines = Array.from({ length: 500 }, (_, i) => `user-${i % 37}:event ${i}`);
  await cliOk(['console-producer', '--bootstrap-server', broker.bootstrap, '--topic', topic,
    '--property', 'parse.key=true', '--property', 'key.separator=:', '--compression-codec', 'zstd'], { input: lines.join('\n') + '\n' });

  const got = await kcatConsume(broker.bootstrap, topic);
  assert.equal(got.length, 500);
  for (const r of got) assert.equal(r.partition, partitionForKey(Buffer.from(r.key!), 4), `key ${r.key} (murmur2, as the Java client)`);
  for (let p = 0; p < 4; p++) {
    const values = got.filter((r) => r.partition === p).sort((a, b) => a.offset - b.offset).map((r) => Number(r.value!.split(' ')[1]));
    assert.deepEqual(values, [...values].sort((a, b) => a - b), `partition ${p} keeps the input order`);
  }
  await assertCodecStored(broker.host, broker.port, topic, 4, 'zstd');
});

test('console-consumer --from-beginning reads what kcat wrote, with keys, and stops at --max-messages', async () => {
  const topic = uniqueTopic('cli-consumer');
  await createTopic(topic, 1);
  await kcatProduce(broker.bootstrap, topic, Array.from({ length: 20 }, (_, i) => `k${i}:v${i}`), { keySeparator: ':' });
  const res = await cliOk(['console-consumer', '--bootstrap-server', broker.bootstrap, '--topic', topic, '--from-beginning',
    '--max-messages', '15', '--property', 'print.key=true', '--property', 'key.separator==']);
  assert.deepEqual(res.stdout.trim().split('\n'), Array.from({ length: 15 }, (_, i) => `k${i}=v${i}`));
  assert.match(res.stderr, /Processed a total of 15 messages/);
});

test('producer-perf-test prints Kafka’s summary line and every record is in the log', async () => {
  const topic = uniqueTopic('cli-perf');
  await createTopic(topic, 3);
  const res = await cliOk(['producer-perf-test', '--topic', topic, '--num-records', '30000', '--record-size', '100',
    '--throughput', '-1', '--producer-props', `bootstrap.servers=${broker.bootstrap}`, 'acks=-1', 'compression.type=lz4']);
  const summary = res.stdout.trim().split('\n').at(-1)!;
  assert.match(summary, /^30000 records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$/);
  const got = await kcatConsume(broker.bootstrap, topic);
  assert.equal(got.length, 30000);
  assert.ok(got.every((r) => r.value!.length === 100));
});

test('topics --alter adds partitions and sets configs; --describe shows them', async () => {
  const topic = uniqueTopic('cli-alter');
  await createTopic(topic, 2);
  await cliOk(['topics', '--bootstrap-server', broker.bootstrap, '--alter', '--topic', topic, '--partitions', '5', '--config', 'retention.ms=3600000']);
  const desc = await cliOk(['topics', '--bootstrap-server', broker.bootstrap, '--describe', '--topic', topic]);
  assert.match(desc.stdout, new RegExp(`Topic: ${topic}\\tTopicId: \\S+\\tPartitionCount: 5\\tReplicationFactor: 1\\tConfigs: retention.ms=3600000`));
  const shrink = await cli(['topics', '--bootstrap-server', broker.bootstrap, '--alter', '--topic', topic, '--partitions', '3']);
  assert.equal(shrink.code, 1);
  assert.match(shrink.stderr, /INVALID_PARTITIONS/);
});

test('wrong flags and refused requests exit 1 with a message naming the problem', async () => {
  const cases: [string[], RegExp][] = [
    [['topics', '--bootstrap-server', broker.bootstrap, '--create'], /--topic/],
    [['topics', '--bootstrap-server', broker.bootstrap, '--list', '--delete'], /exactly one of/],
    [['topics', '--bootstrap-server', broker.bootstrap, '--list', '--no-such-flag'], /no-such-flag/],
    [['topics', '--bootstrap-server', broker.bootstrap, '--create', '--topic', 'x', '--partitions', 'six'], /expects an integer/],
    [['topics', '--bootstrap-server', broker.bootstrap, '--create', '--topic', 'bad/name'], /INVALID_TOPIC_EXCEPTION/],
    [['topics', '--bootstrap-server', broker.bootstrap, '--create', '--topic', 'cfg', '--config', 'retention.ms=soon'], /INVALID_CONFIG/],
    [['console-producer', '--bootstrap-server', broker.bootstrap, '--topic', 't', '--compression-codec', 'brotli'], /compression-codec/],
    [['no-such-command'], /unknown command/],
  ];
  for (const [args, message] of cases) {
    const res = await cli(args);
    assert.equal(res.code, 1, `${args.join(' ')} exits 1`);
    assert.match(res.stderr, message, args.join(' '));
  }
  const exists = uniqueTopic('cli-exists');
  await createTopic(exists, 1);
  const again = await cli(['topics', '--bootstrap-server', broker.bootstrap, '--create', '--topic', exists]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists/);
  await cliOk(['topics', '--bootstrap-server', broker.bootstrap, '--create', '--topic', exists, '--if-not-exists']);
});
