// Records real clients' requests on the wire: a capture proxy in front of a fresh
// broker that advertises the proxy, then kcat, python confluent-kafka, kafkajs and
// @platformatic/kafka each run their usual calls through it. Writes
// broker-image/src/protocol/fixtures/captured/<client>/<api>-v<version>.hex.
//
// Run: node test/support/capture-all.ts   (needs a working broker)
import { startBroker } from './broker.ts';
import { startCaptureProxy } from './capture-proxy.ts';
import { KCAT, run, python, kafkajs, kafkajsCompression, CODECS, makeRecords, uniqueTopic } from './clients.ts';

const proxy = await startCaptureProxy({ client: 'setup' });
const broker = await startBroker({ overrides: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}`, 'group.initial.rebalance.delay.ms': '0' } });
proxy.setTarget(broker.host, broker.port);
const bootstrap = `127.0.0.1:${proxy.port}`;
const log = (s: string) => process.stderr.write(`${s}\n`);
const show = (what: string, r: { code: number | null; stderr: string }) => log(`${what}: exit ${r.code}${r.code ? ` ${r.stderr.slice(-300)}` : ''}`);

try {
  // kcat (librdkafka 2.0.2)
  proxy.setClient('kcat');
  show('kcat -L', await run(KCAT, ['-b', bootstrap, '-L']));
  let kcatTopic = '';
  for (const codec of CODECS) {
    const t = uniqueTopic(`cap-kcat-${codec}`);
    kcatTopic ||= t;
    show(`kcat -P -z ${codec}`, await run(KCAT, ['-b', bootstrap, '-P', '-t', t, '-K', ':', '-z', codec], { input: 'k1:v1\nk2:v2\n' }));
    show('kcat -C', await run(KCAT, ['-b', bootstrap, '-C', '-t', t, '-o', 'beginning', '-e', '-q'], { timeoutMs: 30_000 }));
  }
  show('kcat -C -G', await run(KCAT, ['-b', bootstrap, '-G', uniqueTopic('cap-kcat-group'), kcatTopic, '-e', '-q', '-X', 'auto.offset.reset=earliest'], { timeoutMs: 30_000 }));

  // python confluent-kafka 1.7
  proxy.setClient('python');
  const pt = uniqueTopic('cap-py');
  show('py create', await python('admin.py', [bootstrap, 'create', pt, '3', 'retention.ms=600000']));
  show('py list', await python('admin.py', [bootstrap, 'list']));
  show('py describe', await python('admin.py', [bootstrap, 'describe', pt]));
  show('py alter', await python('admin.py', [bootstrap, 'alter', pt, 'retention.ms=700000']));
  show('py produce', await python('produce.py', [bootstrap, pt, 'zstd', '20', 'cap', 'all']));
  show('py consume', await python('consume.py', [bootstrap, pt, '30']));
  show('py offsets', await python('offsets.py', [bootstrap, pt]));
  show('py delete', await python('admin.py', [bootstrap, 'delete', pt]));

  // kafkajs 2.2.4
  proxy.setClient('kafkajs');
  {
    const k = await kafkajs();
    const kafka = new k.Kafka({ clientId: 'capture', brokers: [bootstrap], logLevel: k.logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const t = uniqueTopic('cap-kjs');
    await admin.createTopics({ topics: [{ topic: t, numPartitions: 3 }] }).catch((e) => log(`kafkajs create: ${e}`));
    await admin.listTopics().catch((e) => log(`kafkajs list: ${e}`));
    await admin.fetchTopicMetadata({ topics: [t] }).catch((e) => log(`kafkajs metadata: ${e}`));
    await admin.describeConfigs({ resources: [{ type: k.ConfigResourceTypes.TOPIC, name: t }], includeSynonyms: false }).catch((e) => log(`kafkajs describeConfigs: ${e}`));
    const producer = kafka.producer({ createPartitioner: k.Partitioners.DefaultPartitioner });
    await producer.connect();
    for (const codec of CODECS) {
      await producer
        .send({ topic: t, acks: -1, compression: await kafkajsCompression(codec), messages: makeRecords(10, codec).map((r) => ({ key: r.key, value: r.value })) })
        .catch((e) => log(`kafkajs send ${codec}: ${e}`));
    }
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: uniqueTopic('cap-kjs-group'), maxWaitTimeInMs: 200, heartbeatInterval: 300 });
    await consumer.connect();
    await consumer.subscribe({ topics: [t], fromBeginning: true });
    let n = 0;
    await consumer.run({ eachMessage: async () => void n++ });
    const until = Date.now() + 20_000;
    while (n < 50 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    log(`kafkajs consumed ${n}`);
    await new Promise((r) => setTimeout(r, 1500)); // a heartbeat or two
    await consumer.disconnect();
    await admin.fetchTopicOffsets(t).catch((e) => log(`kafkajs offsets: ${e}`));
    await admin.deleteTopics({ topics: [t] }).catch((e) => log(`kafkajs delete: ${e}`));
    await admin.disconnect();
  }

  // @platformatic/kafka
  proxy.setClient('platformatic');
  {
    const { Admin, Producer, Consumer, stringSerializers, stringDeserializers, ConfigResourceTypes } = await import('@platformatic/kafka');
    const admin = new Admin({ clientId: 'capture', bootstrapBrokers: [bootstrap] });
    const t = uniqueTopic('cap-plt');
    const step = async (what: string, f: () => Promise<unknown>) => f().catch((e) => log(`platformatic ${what}: ${e}`));
    await step('create', () => admin.createTopics({ topics: [t], partitions: 3, replicas: 1 }));
    await step('list', () => admin.listTopics());
    await step('metadata', () => admin.metadata({ topics: [t] }));
    await step('describeConfigs', () => admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: t }] }));
    for (const codec of CODECS) {
      const producer = new Producer({ clientId: 'capture', bootstrapBrokers: [bootstrap], serializers: stringSerializers, compression: codec, acks: -1 });
      await step(`send ${codec}`, () => producer.send({ messages: makeRecords(10, codec).map((r) => ({ topic: t, key: r.key, value: r.value })) }));
      await producer.close();
    }
    const consumer = new Consumer({ groupId: uniqueTopic('cap-plt-group'), clientId: 'capture', bootstrapBrokers: [bootstrap], deserializers: stringDeserializers, maxWaitTime: 200, heartbeatInterval: 300 });
    await step('consume', async () => {
      const stream = await consumer.consume({ topics: [t], mode: 'earliest', autocommit: 100 });
      let n = 0;
      stream.on('data', () => void n++);
      const until = Date.now() + 20_000;
      while (n < 50 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      await new Promise((r) => setTimeout(r, 1500));
      log(`platformatic consumed ${n}`);
      await stream.close();
    });
    await consumer.close(true).catch(() => {});
    await step('listOffsets', () => admin.listOffsets({ topics: [{ name: t, partitions: [{ partitionIndex: 0, timestamp: -1n }] }] }));
    await step('delete', () => admin.deleteTopics({ topics: [t] }));
    await admin.close();
  }
} finally {
  await new Promise((r) => setTimeout(r, 300));
  await proxy.close();
  await broker.cleanup();
}
for (const f of proxy.captured) console.log(f);
