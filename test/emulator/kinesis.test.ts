// The Kinesis front-end with the official v3 SDK (HTTP/2, unchanged) against the
// emulator process over a real broker: control plane, records, iterators, resharding,
// enhanced fan-out, the CBOR encoding built by hand, cross-API with Kafka clients,
// and bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { encode as cborEncode, decode as cborDecode, Tag, addExtension } from 'cbor-x';
import {
  CreateStreamCommand, DescribeStreamCommand, DescribeStreamSummaryCommand, ListStreamsCommand, ListShardsCommand,
  DeleteStreamCommand, PutRecordCommand, PutRecordsCommand, GetShardIteratorCommand, GetRecordsCommand,
  AddTagsToStreamCommand, RemoveTagsFromStreamCommand, ListTagsForStreamCommand, IncreaseStreamRetentionPeriodCommand,
  DecreaseStreamRetentionPeriodCommand, DescribeLimitsCommand, UpdateStreamModeCommand, SplitShardCommand,
  MergeShardsCommand, UpdateShardCountCommand, RegisterStreamConsumerCommand, SubscribeToShardCommand,
  ListStreamConsumersCommand, DeregisterStreamConsumerCommand, TagResourceCommand, UntagResourceCommand,
  ListTagsForResourceCommand, DescribeStreamConsumerCommand, type KinesisClient, type Shard, type _Record,
} from '@aws-sdk/client-kinesis';
import { Producer, Consumer, stringSerializers } from '@platformatic/kafka';
import { startBroker, type Broker } from '../support/broker.ts';
import { startEmulator, kinesisClient, rawCall, uniqueName, type Proc } from './kinesis-support.ts';

let broker: Broker;
let emu: Proc;
let k: KinesisClient;

before(async () => {
  broker = await startBroker({ overrides: { 'auto.create.topics.enable': 'false', 'group.initial.rebalance.delay.ms': '0' } });
  try {
    emu = await startEmulator(broker.bootstrap);
  } catch (err) {
    await broker.cleanup();
    throw err;
  }
  k = kinesisClient(emu.port);
});
after(async () => {
  k?.destroy();
  await emu?.stop();
  await broker?.cleanup();
});

// AWS's CBOR timestamps: tag 1 holding epoch milliseconds (RFC 8949 says seconds).
class Millis {
  ms: number;
  constructor(ms: number) {
    this.ms = ms;
  }
}
addExtension({ Class: Millis, tag: 1, encode: (m: Millis, enc: (v: unknown) => Uint8Array) => enc(m.ms), decode: (v: unknown) => new Millis(Number(v)) });

const md5 = (s: string) => BigInt('0x' + createHash('md5').update(s).digest('hex'));
const inRange = (sh: Shard, h: bigint) => h >= BigInt(sh.HashKeyRange!.StartingHashKey!) && h <= BigInt(sh.HashKeyRange!.EndingHashKey!);

async function expectError(p: Promise<unknown>, name: string, status = 400): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    assert.equal(e.name, name, `expected ${name}, got ${e.name}: ${e.message}`);
    assert.equal(e.$metadata?.httpStatusCode, status);
    return e;
  }
  assert.fail(`expected ${name}`);
}

async function readShard(stream: string, shardId: string, type: 'TRIM_HORIZON' = 'TRIM_HORIZON'): Promise<_Record[]> {
  let it = (await k.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: type }))).ShardIterator;
  const out: _Record[] = [];
  for (let i = 0; it && i < 100; i++) {
    const r = await k.send(new GetRecordsCommand({ ShardIterator: it }));
    out.push(...(r.Records ?? []));
    it = r.NextShardIterator;
    if ((r.Records ?? []).length === 0 && r.MillisBehindLatest === 0) break;
  }
  return out;
}

test('control plane: create, describe (full hash space), summary, list with pagination, ARN, duplicates, missing', async () => {
  const name = uniqueName('ctl');
  await k.send(new CreateStreamCommand({ StreamName: name, ShardCount: 3 }));
  const d = (await k.send(new DescribeStreamCommand({ StreamName: name }))).StreamDescription!;
  assert.equal(d.StreamStatus, 'ACTIVE');
  assert.equal(d.StreamARN, `arn:aws:kinesis:us-east-1:000000000000:stream/${name}`);
  assert.equal(d.RetentionPeriodHours, 24);
  assert.deepEqual(d.Shards!.map((s) => s.ShardId), ['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']);
  assert.equal(d.Shards![0].HashKeyRange!.StartingHashKey, '0');
  assert.equal(d.Shards![2].HashKeyRange!.EndingHashKey, ((1n << 128n) - 1n).toString());
  for (let i = 1; i < 3; i++) assert.equal(BigInt(d.Shards![i].HashKeyRange!.StartingHashKey!), BigInt(d.Shards![i - 1].HashKeyRange!.EndingHashKey!) + 1n);
  assert.ok(d.StreamCreationTimestamp instanceof Date && Math.abs(d.StreamCreationTimestamp.getTime() - Date.now()) < 120_000);

  const sum = (await k.send(new DescribeStreamSummaryCommand({ StreamARN: d.StreamARN }))).StreamDescriptionSummary!;
  assert.equal(sum.OpenShardCount, 3);
  assert.equal(sum.StreamName, name);

  const page1 = await k.send(new ListShardsCommand({ StreamName: name, MaxResults: 2 }));
  assert.equal(page1.Shards!.length, 2);
  assert.ok(page1.NextToken);
  const page2 = await k.send(new ListShardsCommand({ NextToken: page1.NextToken, MaxResults: 2 }));
  assert.deepEqual(page2.Shards!.map((s) => s.ShardId), ['shardId-000000000002']);
  assert.equal(page2.NextToken, undefined);
  const after1 = await k.send(new ListShardsCommand({ StreamARN: d.StreamARN, ShardFilter: { Type: 'AFTER_SHARD_ID', ShardId: 'shardId-000000000001' } }));
  assert.deepEqual(after1.Shards!.map((s) => s.ShardId), ['shardId-000000000002']);

  const ls = await k.send(new ListStreamsCommand({}));
  assert.ok(ls.StreamNames!.includes(name));
  assert.ok(!ls.StreamNames!.some((n) => n.startsWith('__')), 'internal topics are hidden');
  assert.ok(ls.StreamSummaries!.some((s) => s.StreamName === name && s.StreamARN === d.StreamARN));

  await expectError(k.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 })), 'ResourceInUseException');
  await expectError(k.send(new DescribeStreamCommand({ StreamName: uniqueName('missing') })), 'ResourceNotFoundException');
  await expectError(k.send(new CreateStreamCommand({ StreamName: 'bad name!', ShardCount: 1 })), 'ValidationException');
  await k.send(new DeleteStreamCommand({ StreamName: name }));
  await expectError(k.send(new DescribeStreamSummaryCommand({ StreamName: name })), 'ResourceNotFoundException');
});

test('records: MD5 routing, explicit hash keys, per-shard order, all five iterator types, Limit and MillisBehindLatest', async () => {
  const name = uniqueName('rec');
  await k.send(new CreateStreamCommand({ StreamName: name, ShardCount: 2 }));
  const shards = (await k.send(new ListShardsCommand({ StreamName: name }))).Shards!;
  const keys = Array.from({ length: 40 }, (_, i) => `key-${i % 8}`);
  const put = await k.send(new PutRecordsCommand({ StreamName: name, Records: keys.map((key, i) => ({ PartitionKey: key, Data: Buffer.from(`v${i}`) })) }));
  assert.equal(put.FailedRecordCount, 0);
  put.Records!.forEach((r, i) => {
    const sh = shards.find((s) => s.ShardId === r.ShardId)!;
    assert.ok(inRange(sh, md5(keys[i])), `record ${i} in the shard owning MD5(${keys[i]})`);
    assert.match(r.SequenceNumber!, /^\d{56}$/);
  });
  // ExplicitHashKey overrides the partition key's hash.
  const ehk = await k.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'key-0', ExplicitHashKey: ((1n << 128n) - 1n).toString(), Data: Buffer.from('explicit') }));
  assert.equal(ehk.ShardId, shards[shards.length - 1].ShardId);
  const ehk0 = await k.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'key-0', ExplicitHashKey: '0', Data: Buffer.from('explicit0') }));
  assert.equal(ehk0.ShardId, shards[0].ShardId);

  let total = 0;
  for (const sh of shards) {
    const recs = await readShard(name, sh.ShardId!);
    total += recs.length;
    for (let i = 1; i < recs.length; i++) assert.ok(BigInt(recs[i].SequenceNumber!) > BigInt(recs[i - 1].SequenceNumber!), 'sequence numbers increase per shard');
    // Per partition key, the order of PutRecords is kept.
    const byKey = new Map<string, number[]>();
    for (const r of recs) {
      const v = Buffer.from(r.Data!).toString();
      if (!v.startsWith('v')) continue;
      const l = byKey.get(r.PartitionKey!) ?? [];
      l.push(Number(v.slice(1)));
      byKey.set(r.PartitionKey!, l);
    }
    for (const [, l] of byKey) assert.deepEqual(l, [...l].sort((a, b) => a - b));
    for (const r of recs) assert.ok(r.ApproximateArrivalTimestamp instanceof Date);
  }
  assert.equal(total, 42);

  // Iterator types on shard 0.
  const sid = shards[0].ShardId!;
  const all = await readShard(name, sid);
  assert.ok(all.length >= 3);
  const at = await k.send(new GetShardIteratorCommand({ StreamName: name, ShardId: sid, ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: all[1].SequenceNumber }));
  const atR = await k.send(new GetRecordsCommand({ ShardIterator: at.ShardIterator, Limit: 1 }));
  assert.equal(atR.Records![0].SequenceNumber, all[1].SequenceNumber);
  assert.ok(atR.MillisBehindLatest! >= 0);
  const next = await k.send(new GetRecordsCommand({ ShardIterator: atR.NextShardIterator, Limit: 1 }));
  assert.equal(next.Records![0].SequenceNumber, all[2].SequenceNumber);
  const aft = await k.send(new GetShardIteratorCommand({ StreamName: name, ShardId: sid, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: all[1].SequenceNumber }));
  assert.equal((await k.send(new GetRecordsCommand({ ShardIterator: aft.ShardIterator, Limit: 1 }))).Records![0].SequenceNumber, all[2].SequenceNumber);
  // The shard's StartingSequenceNumber names the position before its first record.
  const start = await k.send(new GetShardIteratorCommand({ StreamName: name, ShardId: sid, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: shards[0].SequenceNumberRange!.StartingSequenceNumber }));
  assert.equal((await k.send(new GetRecordsCommand({ ShardIterator: start.ShardIterator, Limit: 1 }))).Records![0].SequenceNumber, all[0].SequenceNumber);

  const latest = await k.send(new GetShardIteratorCommand({ StreamName: name, ShardId: sid, ShardIteratorType: 'LATEST' }));
  const empty = await k.send(new GetRecordsCommand({ ShardIterator: latest.ShardIterator }));
  assert.equal(empty.Records!.length, 0);
  assert.equal(empty.MillisBehindLatest, 0);
  assert.ok(empty.NextShardIterator);
  const afterLatest = await k.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'x', ExplicitHashKey: '1', Data: Buffer.from('late') }));
  const late = await k.send(new GetRecordsCommand({ ShardIterator: empty.NextShardIterator }));
  assert.deepEqual(late.Records!.map((r) => r.SequenceNumber), [afterLatest.SequenceNumber]);

  const ts = await k.send(new GetShardIteratorCommand({ StreamName: name, ShardId: sid, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(Date.now() - 3_600_000) }));
  assert.equal((await k.send(new GetRecordsCommand({ ShardIterator: ts.ShardIterator, Limit: 1 }))).Records![0].SequenceNumber, all[0].SequenceNumber);
  await expectError(k.send(new GetShardIteratorCommand({ StreamName: name, ShardId: sid, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(Date.now() + 3_600_000) })), 'InvalidArgumentException');
  // A sequence number of another shard is refused for this one.
  const other = (await readShard(name, shards[1].ShardId!))[0];
  await expectError(k.send(new GetShardIteratorCommand({ StreamName: name, ShardId: sid, ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: other.SequenceNumber })), 'InvalidArgumentException');
  await expectError(k.send(new GetShardIteratorCommand({ StreamName: name, ShardId: 'shardId-000000000009', ShardIteratorType: 'LATEST' })), 'ResourceNotFoundException');
});

test('tags, retention, limits, stream modes, on-demand streams', async () => {
  const name = uniqueName('adm');
  await k.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  await k.send(new AddTagsToStreamCommand({ StreamName: name, Tags: { team: 'a', env: 'test' } }));
  await k.send(new RemoveTagsFromStreamCommand({ StreamName: name, TagKeys: ['team'] }));
  assert.deepEqual((await k.send(new ListTagsForStreamCommand({ StreamName: name }))).Tags, [{ Key: 'env', Value: 'test' }]);
  const arn = `arn:aws:kinesis:us-east-1:000000000000:stream/${name}`;
  await k.send(new TagResourceCommand({ ResourceARN: arn, Tags: { cost: 'c1' } }));
  await k.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['env'] }));
  assert.deepEqual((await k.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags, [{ Key: 'cost', Value: 'c1' }]);

  await k.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 168 }));
  assert.equal((await k.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!.RetentionPeriodHours, 168);
  await expectError(k.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 48 })), 'InvalidArgumentException');
  await k.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 48 }));
  await expectError(k.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 12 })), 'InvalidArgumentException');
  await expectError(k.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 9000 })), 'InvalidArgumentException');
  assert.equal((await k.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!.RetentionPeriodHours, 48);

  const od = uniqueName('od');
  await k.send(new CreateStreamCommand({ StreamName: od, StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
  const odSum = (await k.send(new DescribeStreamSummaryCommand({ StreamName: od }))).StreamDescriptionSummary!;
  assert.equal(odSum.StreamModeDetails!.StreamMode, 'ON_DEMAND');
  assert.equal(odSum.OpenShardCount, 4);
  const lim = await k.send(new DescribeLimitsCommand({}));
  assert.equal(lim.ShardLimit, 500);
  assert.ok(lim.OpenShardCount! >= 5);
  assert.ok(lim.OnDemandStreamCount! >= 1);
  await k.send(new UpdateStreamModeCommand({ StreamARN: odSum.StreamARN, StreamModeDetails: { StreamMode: 'PROVISIONED' } }));
  assert.equal((await k.send(new DescribeStreamSummaryCommand({ StreamName: od }))).StreamDescriptionSummary!.StreamModeDetails!.StreamMode, 'PROVISIONED');
  await expectError(k.send(new CreateStreamCommand({ StreamName: uniqueName('big'), ShardCount: 600 })), 'LimitExceededException');
});

test('resharding: split, merge and UpdateShardCount keep lineage; closed shards stay readable and end with ChildShards; every record once', async () => {
  const name = uniqueName('rs');
  await k.send(new CreateStreamCommand({ StreamName: name, ShardCount: 2 }));
  const keys = Array.from({ length: 30 }, (_, i) => `pk-${i}`);
  const sent: string[] = [];
  let n = 0;
  // Each writer has its own keys, so "in order per partition key" is well defined.
  const putBatch = async (writer = 'main') => {
    const recs = keys.map((key) => ({ PartitionKey: `${writer}-${key}`, Data: Buffer.from(`${writer}-${key}#${n++}`) }));
    const r = await k.send(new PutRecordsCommand({ StreamName: name, Records: recs }));
    assert.equal(r.FailedRecordCount, 0, emu.output().slice(-2000));
    sent.push(...recs.map((x) => Buffer.from(x.Data).toString()));
  };
  await putBatch();
  // Two writers keep putting for the whole resharding sequence below.
  let stopWriters = false;
  const writers = Promise.all(['w0', 'w1'].map(async (w) => {
    while (!stopWriters) await putBatch(w);
  }));
  const s0 = (await k.send(new ListShardsCommand({ StreamName: name }))).Shards!;
  const mid = (BigInt(s0[0].HashKeyRange!.StartingHashKey!) + BigInt(s0[0].HashKeyRange!.EndingHashKey!)) / 2n;
  // Writes keep flowing while the shard splits.
  await Promise.all([putBatch(), k.send(new SplitShardCommand({ StreamName: name, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: mid.toString() })), putBatch()]);
  await putBatch();
  let shards = (await k.send(new ListShardsCommand({ StreamName: name }))).Shards!;
  assert.equal(shards.length, 4);
  assert.deepEqual(shards.filter((s) => s.ParentShardId === 'shardId-000000000000').map((s) => s.ShardId), ['shardId-000000000002', 'shardId-000000000003']);
  assert.ok(shards[0].SequenceNumberRange!.EndingSequenceNumber, 'the parent is closed');
  // Merge the two children back.
  await Promise.all([putBatch(), k.send(new MergeShardsCommand({ StreamName: name, ShardToMerge: 'shardId-000000000002', AdjacentShardToMerge: 'shardId-000000000003' }))]);
  await putBatch();
  shards = (await k.send(new ListShardsCommand({ StreamName: name }))).Shards!;
  const merged = shards.find((s) => s.ShardId === 'shardId-000000000004')!;
  assert.equal(merged.ParentShardId, 'shardId-000000000002');
  assert.equal(merged.AdjacentParentShardId, 'shardId-000000000003');
  assert.equal(merged.HashKeyRange!.StartingHashKey, '0');
  // Uniform scaling to 4 open shards.
  const usc = await k.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 4, ScalingType: 'UNIFORM_SCALING' }));
  assert.equal(usc.CurrentShardCount, 2);
  await putBatch();
  stopWriters = true;
  await writers;
  assert.ok(sent.length >= 30 * 10, `records were written while resharding (${sent.length})`);
  const open = (await k.send(new ListShardsCommand({ StreamName: name, ShardFilter: { Type: 'AT_LATEST' } }))).Shards!;
  assert.equal(open.length, 4);
  assert.equal((await k.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!.OpenShardCount, 4);
  await expectError(k.send(new SplitShardCommand({ StreamName: name, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: '5' })), 'ResourceInUseException');

  // Read everything, following ChildShards from the closed parents.
  const all = (await k.send(new ListShardsCommand({ StreamName: name }))).Shards!;
  const got: string[] = [];
  for (const sh of all) {
    let it = (await k.send(new GetShardIteratorCommand({ StreamName: name, ShardId: sh.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    const closed = !!sh.SequenceNumberRange!.EndingSequenceNumber;
    for (let i = 0; it && i < 50; i++) {
      const r = await k.send(new GetRecordsCommand({ ShardIterator: it }));
      got.push(...r.Records!.map((x) => Buffer.from(x.Data!).toString()));
      if (!r.NextShardIterator) {
        assert.ok(closed, `${sh.ShardId}: only a closed shard ends`);
        assert.ok(r.ChildShards && r.ChildShards.length > 0, `${sh.ShardId}: ChildShards at the end of a closed shard`);
      }
      it = r.NextShardIterator;
      if (!closed && r.Records!.length === 0) break;
    }
  }
  assert.equal(got.length, sent.length, 'no record lost or duplicated');
  assert.deepEqual([...got].sort(), [...sent].sort());
  // In order per partition key when shards are read parents-first (they are numbered so).
  const seqByKey = new Map<string, number[]>();
  for (const v of got) {
    const [key, i] = v.split('#');
    seqByKey.set(key, [...(seqByKey.get(key) ?? []), Number(i)]);
  }
  for (const [key, l] of seqByKey) assert.deepEqual(l, [...l].sort((a, b) => a - b), key);
});

test('enhanced fan-out: RegisterStreamConsumer and SubscribeToShard over HTTP/2 event streams', async () => {
  const name = uniqueName('efo');
  await k.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  const arn = (await k.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!.StreamARN!;
  const c = (await k.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'app1' }))).Consumer!;
  assert.match(c.ConsumerARN!, new RegExp(`^${arn}/consumer/app1:\\d+$`));
  assert.equal((await k.send(new ListStreamConsumersCommand({ StreamARN: arn }))).Consumers!.length, 1);
  assert.equal((await k.send(new DescribeStreamConsumerCommand({ ConsumerARN: c.ConsumerARN }))).ConsumerDescription!.ConsumerName, 'app1');
  assert.equal((await k.send(new DescribeStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'app1' }))).ConsumerDescription!.ConsumerStatus, 'ACTIVE');
  await k.send(new PutRecordsCommand({ StreamName: name, Records: [1, 2, 3].map((i) => ({ PartitionKey: `p${i}`, Data: Buffer.from(`e${i}`) })) }));
  const sub = await k.send(new SubscribeToShardCommand({ ConsumerARN: c.ConsumerARN, ShardId: 'shardId-000000000000', StartingPosition: { Type: 'TRIM_HORIZON' } }));
  const got: string[] = [];
  let cont = '';
  for await (const ev of sub.EventStream!) {
    if (ev.SubscribeToShardEvent) {
      got.push(...ev.SubscribeToShardEvent.Records!.map((r) => Buffer.from(r.Data!).toString()));
      cont = ev.SubscribeToShardEvent.ContinuationSequenceNumber!;
      if (got.length >= 3) break;
    }
  }
  assert.deepEqual(got, ['e1', 'e2', 'e3']);
  assert.match(cont, /^\d{56}$/);
  await expectError(k.send(new DeleteStreamCommand({ StreamName: name })), 'ResourceInUseException');
  await k.send(new DeregisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'app1' }));
  await k.send(new DeleteStreamCommand({ StreamName: name }));
});

test('CBOR (the Java SDK encoding), built by hand: byte-string data, tag-1 millisecond timestamps', async () => {
  const name = uniqueName('cbor');
  const CT = 'application/x-amz-cbor-1.1';
  const call = async (op: string, body: unknown) => {
    const r = await rawCall(emu.port, `Kinesis_20131202.${op}`, Buffer.from(cborEncode(body)), CT);
    assert.equal(r.headers.get('content-type'), CT);
    return { status: r.status, body: cborDecode(r.body) as Record<string, unknown> };
  };
  assert.equal((await call('CreateStream', { StreamName: name, ShardCount: 1 })).status, 200);
  const payload = Buffer.from([0, 1, 2, 250, 255]);
  const put = await call('PutRecord', { StreamName: name, PartitionKey: 'bin', Data: payload });
  assert.equal(put.status, 200);
  assert.match(put.body.SequenceNumber as string, /^\d{56}$/);
  const before = Date.now() - 60_000;
  const it = await call('GetShardIterator', { StreamName: name, ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Tag(before, 1) });
  assert.equal(it.status, 200, JSON.stringify(it.body));
  const got = await call('GetRecords', { ShardIterator: it.body.ShardIterator });
  const recs = got.body.Records as Array<Record<string, unknown>>;
  assert.equal(recs.length, 1);
  assert.ok(Buffer.isBuffer(recs[0].Data) || recs[0].Data instanceof Uint8Array, 'Data is a CBOR byte string');
  assert.deepEqual(Buffer.from(recs[0].Data as Uint8Array), payload);
  // Raw bytes of the timestamp: tag 1 (0xc1) followed by an integer of epoch millis.
  const raw = await rawCall(emu.port, 'Kinesis_20131202.GetRecords', Buffer.from(cborEncode({ ShardIterator: it.body.ShardIterator })), CT);
  const idx = raw.body.indexOf(Buffer.from('ApproximateArrivalTimestamp'));
  const after = raw.body.subarray(idx + 'ApproximateArrivalTimestamp'.length);
  assert.equal(after[0], 0xc1);
  assert.equal(after[1], 0x1b, 'uint64 follows the tag');
  const ms = Number(after.readBigUInt64BE(2));
  assert.ok(ms > before && ms <= Date.now(), `millis ${ms}`);
  const bad = await call('DescribeStream', { StreamName: uniqueName('nope') });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.__type, 'ResourceNotFoundException');
});

test('cross-API: PutRecords read by a Kafka consumer (key = partition key); a Kafka record read by GetRecords; a Kafka topic is a stream', async () => {
  const name = uniqueName('x');
  await k.send(new CreateStreamCommand({ StreamName: name, ShardCount: 2 }));
  const put = await k.send(new PutRecordsCommand({ StreamName: name, Records: ['a', 'b', 'c', 'd'].map((key) => ({ PartitionKey: key, Data: Buffer.from(`data-${key}`) })) }));
  const consumer = new Consumer({ groupId: uniqueName('g'), clientId: 'kin-x', bootstrapBrokers: [broker.bootstrap], maxWaitTime: 200 });
  const seen: Array<{ key: string; value: string; partition: number; offset: bigint }> = [];
  try {
    const stream = await consumer.consume({ topics: [name], mode: 'earliest', autocommit: false });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`only ${seen.length} records via Kafka`)), 60_000);
      stream.on('data', (m) => {
        seen.push({ key: m.key!.toString(), value: m.value!.toString(), partition: m.partition, offset: m.offset });
        if (seen.length === 4) {
          clearTimeout(t);
          resolve();
        }
      });
      stream.on('error', reject);
    });
    await stream.close();
  } finally {
    await consumer.close(true).catch(() => {});
  }
  for (const s of seen) assert.equal(s.value, `data-${s.key}`);
  put.Records!.forEach((r, i) => {
    const key = ['a', 'b', 'c', 'd'][i];
    const m = seen.find((x) => x.key === key)!;
    assert.equal(r.ShardId, `shardId-00000000000${m.partition}`, 'shard = partition');
    assert.equal(BigInt(r.SequenceNumber!) - (1n << 184n) - (BigInt(m.partition) << 64n) - 1n, m.offset, 'sequence number = offset');
  });

  // A topic made by a Kafka client, written by a Kafka producer, read through Kinesis.
  const topic = uniqueName('kafka');
  const producer = new Producer({ clientId: 'kin-x', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers, autocreateTopics: false });
  try {
    const { Admin } = await import('@platformatic/kafka');
    const admin = new Admin({ clientId: 'kin-x', bootstrapBrokers: [broker.bootstrap] });
    await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 });
    await admin.close();
    await producer.send({ messages: [{ topic, partition: 1, key: 'from-kafka', value: 'hello kinesis' }] });
  } finally {
    await producer.close();
  }
  const d = (await k.send(new DescribeStreamCommand({ StreamName: topic }))).StreamDescription!;
  assert.equal(d.Shards!.length, 3);
  const recs = await readShard(topic, 'shardId-000000000001');
  assert.equal(recs.length, 1);
  assert.equal(recs[0].PartitionKey, 'from-kafka');
  assert.equal(Buffer.from(recs[0].Data!).toString(), 'hello kinesis');
  assert.ok((await k.send(new ListStreamsCommand({}))).StreamNames!.includes(topic));
});

test('bad input gets AWS-shaped errors and nothing else is affected', async () => {
  const name = uniqueName('bad');
  await k.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  const json = async (target: string, body: string) => {
    const r = await rawCall(emu.port, target, body);
    return { status: r.status, body: JSON.parse(r.body.toString()) as { __type: string; message: string }, errType: r.headers.get('x-amzn-errortype') };
  };
  let r = await json('Kinesis_20131202.PutRecord', '{"StreamName": ');
  assert.equal(r.status, 400);
  assert.equal(r.body.__type, 'SerializationException');
  r = await json('Kinesis_20131202.Frobnicate', '{}');
  assert.equal(r.body.__type, 'UnknownOperationException');
  assert.equal(r.errType, 'UnknownOperationException:');
  r = await json('', '{}');
  assert.equal(r.body.__type, 'UnknownOperationException');
  r = await json('Kinesis_20131202.PutRecord', JSON.stringify({ StreamName: name, PartitionKey: 'k', Data: 'not base64!!' }));
  assert.equal(r.body.__type, 'SerializationException');
  const cbor = await rawCall(emu.port, 'Kinesis_20131202.PutRecord', Buffer.from([0xbf, 0x61]), 'application/x-amz-cbor-1.1');
  assert.equal(cbor.status, 400);
  assert.equal((cborDecode(cbor.body) as { __type: string }).__type, 'SerializationException');

  await expectError(k.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: Buffer.alloc(1024 * 1024 + 1) })), 'ValidationException');
  await expectError(k.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k'.repeat(10), Data: Buffer.alloc(1024 * 1024 - 5) })), 'InvalidArgumentException');
  await expectError(k.send(new PutRecordCommand({ StreamName: name, PartitionKey: '', Data: Buffer.from('x') })), 'ValidationException');
  await expectError(k.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', ExplicitHashKey: (1n << 128n).toString(), Data: Buffer.from('x') })), 'InvalidArgumentException');
  await expectError(k.send(new PutRecordsCommand({ StreamName: name, Records: Array.from({ length: 501 }, () => ({ PartitionKey: 'k', Data: Buffer.from('x') })) })), 'ValidationException');
  await expectError(k.send(new PutRecordsCommand({ StreamName: name, Records: Array.from({ length: 6 }, () => ({ PartitionKey: 'k', Data: Buffer.alloc(1000 * 1000) })) })), 'InvalidArgumentException');
  await expectError(k.send(new GetRecordsCommand({ ShardIterator: 'AAAAAAAAAAGarbage' + 'x'.repeat(40) })), 'InvalidArgumentException');
  const it = (await k.send(new GetShardIteratorCommand({ StreamName: name, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator!;
  const raw = Buffer.from(it, 'base64');
  raw[14] ^= 1; // tamper with the offset
  await expectError(k.send(new GetRecordsCommand({ ShardIterator: raw.toString('base64') })), 'InvalidArgumentException');
  await expectError(k.send(new GetRecordsCommand({ ShardIterator: it, Limit: 10001 })), 'ValidationException');

  // Still serving normally.
  const ok = await k.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: Buffer.from('fine') }));
  const recs = await readShard(name, ok.ShardId!);
  assert.deepEqual(recs.map((x) => Buffer.from(x.Data!).toString()), ['fine']);
});

test('HTTP/1.1 and HTTP/2 on the same port', async () => {
  const r = await rawCall(emu.port, 'Kinesis_20131202.DescribeLimits', '{}');
  assert.equal(r.status, 200);
  assert.equal((JSON.parse(r.body.toString()) as { ShardLimit: number }).ShardLimit, 500);
  // The SDK client above (k) uses HTTP/2 for every call.
  assert.equal((await k.send(new DescribeLimitsCommand({}))).ShardLimit, 500);
});

test('stateless: a second replica and a restarted emulator see the same streams, tags and shard lineage, and honour iterators issued before', async () => {
  const name = uniqueName('st');
  await k.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  await k.send(new AddTagsToStreamCommand({ StreamName: name, Tags: { owner: 'me' } }));
  await k.send(new SplitShardCommand({ StreamName: name, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (1n << 127n).toString() }));
  const put = await k.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'a', Data: Buffer.from('kept') }));
  const it = (await k.send(new GetShardIteratorCommand({ StreamName: name, ShardId: put.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator!;

  const second = await startEmulator(broker.bootstrap);
  const k2 = kinesisClient(second.port);
  try {
    const shards = (await k2.send(new ListShardsCommand({ StreamName: name }))).Shards!;
    assert.deepEqual(shards.map((s) => [s.ShardId, s.ParentShardId ?? null]), [['shardId-000000000000', null], ['shardId-000000000001', 'shardId-000000000000'], ['shardId-000000000002', 'shardId-000000000000']]);
    assert.deepEqual((await k2.send(new ListTagsForStreamCommand({ StreamName: name }))).Tags, [{ Key: 'owner', Value: 'me' }]);
    const r = await k2.send(new GetRecordsCommand({ ShardIterator: it }));
    assert.deepEqual(r.Records!.map((x) => Buffer.from(x.Data!).toString()), ['kept']);
  } finally {
    k2.destroy();
    await second.stop();
  }
  // Restart the first one too: same answers.
  await emu.stop();
  k.destroy();
  emu = await startEmulator(broker.bootstrap);
  k = kinesisClient(emu.port);
  const r = await k.send(new GetRecordsCommand({ ShardIterator: it }));
  assert.deepEqual(r.Records!.map((x) => Buffer.from(x.Data!).toString()), ['kept']);
  assert.equal((await k.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!.OpenShardCount, 2);
});
