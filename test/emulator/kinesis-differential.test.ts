// Differential suite: the same scenarios with the official v3 SDK against kinesis-mock
// (npm kinesis-local) and against our emulator over a real broker. Where both agree
// the results are compared; where kinesis-mock departs from AWS's documented
// behaviour, the difference is asserted explicitly (and named) below, so a change
// on either side shows up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  CreateStreamCommand, DescribeStreamCommand, DescribeStreamSummaryCommand, ListShardsCommand, PutRecordsCommand,
  PutRecordCommand, GetShardIteratorCommand, GetRecordsCommand, AddTagsToStreamCommand, ListTagsForStreamCommand,
  IncreaseStreamRetentionPeriodCommand, DeleteStreamCommand, ListStreamsCommand, type KinesisClient, type Shard,
} from '@aws-sdk/client-kinesis';
import { startBroker, type Broker } from '../support/broker.ts';
import { startEmulator, startKinesisMock, kinesisClient, uniqueName, type Proc } from './kinesis-support.ts';

let broker: Broker;
let emu: Proc;
let mock: Proc;
let ours: KinesisClient;
let theirs: KinesisClient;

before(async () => {
  broker = await startBroker({ overrides: { 'auto.create.topics.enable': 'false' } });
  try {
    emu = await startEmulator(broker.bootstrap);
    mock = await startKinesisMock();
  } catch (err) {
    await emu?.stop();
    await mock?.stop();
    await broker.cleanup();
    throw err;
  }
  ours = kinesisClient(emu.port);
  // kinesis-mock's cleartext HTTP/2 breaks on PutRecords (see the test below): HTTP/1.1.
  theirs = kinesisClient(mock.port, { http1: true });
});
after(async () => {
  ours?.destroy();
  theirs?.destroy();
  await emu?.stop();
  await mock?.stop();
  await broker?.cleanup();
});

const md5 = (s: string) => BigInt('0x' + createHash('md5').update(s).digest('hex'));
const inRange = (sh: Shard, h: bigint) => h >= BigInt(sh.HashKeyRange!.StartingHashKey!) && h <= BigInt(sh.HashKeyRange!.EndingHashKey!);

async function errorName(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (err) {
    return (err as Error).name;
  }
}

async function waitActive(k: KinesisClient, name: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const s = await k.send(new DescribeStreamSummaryCommand({ StreamName: name })).catch(() => null);
    if (s?.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} never became ACTIVE`);
}

interface Observed {
  shardIds: string[];
  ranges: Array<[string, string]>;
  routedByMd5: boolean;
  seqFormat: boolean;
  readBack: string[];
  perShardOrder: boolean;
  errors: Record<string, string>;
  tags: Array<{ Key?: string; Value?: string }>;
  retention: number;
  listed: boolean;
  pagesOfOne: number;
}

async function scenario(k: KinesisClient): Promise<Observed> {
  const name = uniqueName('diff');
  await k.send(new CreateStreamCommand({ StreamName: name, ShardCount: 2 }));
  await waitActive(k, name);
  const d = (await k.send(new DescribeStreamCommand({ StreamName: name }))).StreamDescription!;
  const shards = d.Shards!;
  const keys = Array.from({ length: 20 }, (_, i) => `user-${i}`);
  const put = await k.send(new PutRecordsCommand({ StreamName: name, Records: keys.map((key, i) => ({ PartitionKey: key, Data: Buffer.from(`r${i}`) })) }));
  const routedByMd5 = put.Records!.every((r, i) => inRange(shards.find((s) => s.ShardId === r.ShardId)!, md5(keys[i])));
  const seqFormat = put.Records!.every((r) => /^\d{56}$/.test(r.SequenceNumber!));
  const readBack: string[] = [];
  let perShardOrder = true;
  for (const sh of shards) {
    const it = (await k.send(new GetShardIteratorCommand({ StreamName: name, ShardId: sh.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    const r = await k.send(new GetRecordsCommand({ ShardIterator: it }));
    const seqs = r.Records!.map((x) => BigInt(x.SequenceNumber!));
    for (let i = 1; i < seqs.length; i++) if (seqs[i] <= seqs[i - 1]) perShardOrder = false;
    readBack.push(...r.Records!.map((x) => `${x.PartitionKey}=${Buffer.from(x.Data!).toString()}`));
  }
  const errors: Record<string, string> = {
    describeMissing: await errorName(k.send(new DescribeStreamCommand({ StreamName: uniqueName('missing') }))),
    createDuplicate: await errorName(k.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }))),
    badShard: await errorName(k.send(new GetShardIteratorCommand({ StreamName: name, ShardId: 'shardId-000000000099', ShardIteratorType: 'LATEST' }))),
    tooManyRecords: await errorName(k.send(new PutRecordsCommand({ StreamName: name, Records: Array.from({ length: 501 }, () => ({ PartitionKey: 'k', Data: Buffer.from('x') })) }))),
    oversizeData: await errorName(k.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'k', Data: Buffer.alloc(1024 * 1024 + 1) }))),
    retentionTooLong: await errorName(k.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 9000 }))),
    putMissingStream: await errorName(k.send(new PutRecordCommand({ StreamName: uniqueName('missing'), PartitionKey: 'k', Data: Buffer.from('x') }))),
  };
  await k.send(new AddTagsToStreamCommand({ StreamName: name, Tags: { b: '2', a: '1' } }));
  const tags = (await k.send(new ListTagsForStreamCommand({ StreamName: name }))).Tags!.map((t) => ({ Key: t.Key, Value: t.Value }));
  await k.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: 72 }));
  const retention = (await k.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!.RetentionPeriodHours!;
  const listed = (await k.send(new ListStreamsCommand({}))).StreamNames!.includes(name);
  let pagesOfOne = 0;
  let token: string | undefined;
  do {
    const page = await k.send(token ? new ListShardsCommand({ NextToken: token, MaxResults: 1 }) : new ListShardsCommand({ StreamName: name, MaxResults: 1 }));
    pagesOfOne += page.Shards!.length > 0 ? 1 : 0;
    token = page.NextToken;
  } while (token && pagesOfOne < 10);
  await k.send(new DeleteStreamCommand({ StreamName: name }));
  return {
    shardIds: shards.map((s) => s.ShardId!),
    ranges: shards.map((s) => [s.HashKeyRange!.StartingHashKey!, s.HashKeyRange!.EndingHashKey!]),
    routedByMd5, seqFormat, readBack: readBack.sort(), perShardOrder, errors, tags, retention, listed, pagesOfOne,
  };
}

test('same scenario on kinesis-mock and on ours: what agrees, and each known difference', async () => {
  const [a, b] = await Promise.all([scenario(ours), scenario(theirs)]);
  // Agreement.
  assert.deepEqual(a.shardIds, b.shardIds);
  assert.equal(a.routedByMd5, true);
  assert.equal(b.routedByMd5, true);
  assert.equal(a.seqFormat, true);
  assert.equal(b.seqFormat, true);
  assert.deepEqual(a.readBack, b.readBack);
  assert.equal(a.readBack.length, 20);
  assert.equal(a.perShardOrder && b.perShardOrder, true);
  assert.deepEqual(a.tags, [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }]);
  assert.deepEqual(b.tags, a.tags);
  assert.equal(a.retention, 72);
  assert.equal(b.retention, 72);
  assert.equal(a.listed && b.listed, true);
  assert.equal(a.pagesOfOne, 2);
  assert.equal(b.pagesOfOne, 2);
  for (const k of ['describeMissing', 'createDuplicate', 'badShard', 'putMissingStream']) assert.equal(a.errors[k], b.errors[k], k);
  assert.equal(a.errors.describeMissing, 'ResourceNotFoundException');
  assert.equal(a.errors.createDuplicate, 'ResourceInUseException');
  assert.equal(a.errors.badShard, 'ResourceNotFoundException');
  assert.equal(a.errors.tooManyRecords, 'ValidationException');
  assert.equal(a.errors.oversizeData, 'ValidationException');
  assert.equal(a.errors.retentionTooLong, 'InvalidArgumentException');
  assert.equal(b.errors.retentionTooLong, 'InvalidArgumentException');
  // Difference 2: AWS caps PutRecords at 500 records (ValidationException, as ours);
  // kinesis-mock accepts 501.
  assert.equal(b.errors.tooManyRecords, 'no error');
  // Difference 3: a record over 1 MiB is a ValidationException at AWS (a member
  // constraint, as ours); kinesis-mock answers InvalidArgumentException.
  assert.equal(b.errors.oversizeData, 'InvalidArgumentException');

  // Difference 1: hash-key split. AWS splits 2^128 evenly: shard 0 ends at 2^127 - 1
  // and shard 1 starts at 2^127 (ours). kinesis-mock ends shard 0 one lower.
  assert.deepEqual(a.ranges, [['0', ((1n << 127n) - 1n).toString()], [(1n << 127n).toString(), ((1n << 128n) - 1n).toString()]]);
  assert.deepEqual(b.ranges, [['0', ((1n << 127n) - 2n).toString()], [((1n << 127n) - 1n).toString(), ((1n << 128n) - 1n).toString()]]);
});

test('HTTP/2: the v3 SDK with its default (HTTP/2) handler works against ours', async (t) => {
  // kinesis-mock's h2c support is erratic: in a manual run PutRecords over HTTP/2 broke
  // with an HTTP/2 protocol error, in others it passed, so the suite talks HTTP/1.1 to it
  // and only notes what HTTP/2 did there.
  const h2mock = kinesisClient(mock.port);
  const h2ours = kinesisClient(emu.port);
  try {
    const name = uniqueName('h2');
    await h2ours.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
    const put = { StreamName: name, Records: Array.from({ length: 50 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.alloc(1000, i) })) };
    for (let i = 0; i < 5; i++) assert.equal((await h2ours.send(new PutRecordsCommand(put))).FailedRecordCount, 0);
    const err = await errorName((async () => {
      await h2mock.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
      await waitActive(h2mock, name);
      for (let i = 0; i < 5; i++) await h2mock.send(new PutRecordsCommand(put));
    })());
    t.diagnostic(`kinesis-mock over HTTP/2: ${err}`);
  } finally {
    h2mock.destroy();
    h2ours.destroy();
  }
});
