// `--profile faithful`: AWS's per-shard limits are enforced. Bursts far beyond one
// second's budget are used, so the outcome does not depend on how fast the machine is
// (a shard refills 1,000 records and 5 reads per second).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateStreamCommand, PutRecordsCommand, PutRecordCommand, GetShardIteratorCommand, GetRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { startBroker, type Broker } from '../support/broker.ts';
import { startEmulator, kinesisClient, uniqueName, type Proc } from './kinesis-support.ts';

let broker: Broker;
let emu: Proc;
let k: KinesisClient;

before(async () => {
  broker = await startBroker({ overrides: { 'auto.create.topics.enable': 'false' } });
  try {
    emu = await startEmulator(broker.bootstrap, ['--profile', 'faithful']);
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

test('writes beyond 1,000 records/s per shard fail per record with ProvisionedThroughputExceededException; reads beyond 5/s are refused', async () => {
  const name = uniqueName('lim');
  await k.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  const batch = { StreamName: name, Records: Array.from({ length: 500 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from('x') })) };
  // (PutRecordCommand is used below for the byte budget.)
  const results = await Promise.all(Array.from({ length: 8 }, () => k.send(new PutRecordsCommand(batch))));
  const failed = results.reduce((n, r) => n + r.FailedRecordCount!, 0);
  const ok = 8 * 500 - failed;
  assert.ok(failed > 0, 'a 4,000-record burst on one shard is throttled');
  assert.ok(ok >= 1000, `the first second's budget is admitted (${ok})`);
  const bad = results.flatMap((r) => r.Records!).find((r) => r.ErrorCode);
  assert.equal(bad?.ErrorCode, 'ProvisionedThroughputExceededException');
  assert.match(bad!.ErrorMessage!, /Rate exceeded for shard shardId-000000000000/);
  // PutRecord over budget (here: 1 MiB/s of bytes) is an error response (HTTP 400).
  const big = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => k.send(new PutRecordCommand({ StreamName: name, PartitionKey: `b${i}`, Data: Buffer.alloc(900 * 1024) }))));
  const bigErr = big.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
  assert.equal((bigErr?.reason as Error | undefined)?.name, 'ProvisionedThroughputExceededException');
  assert.equal((bigErr?.reason as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, 400);

  const it = (await k.send(new GetShardIteratorCommand({ StreamName: name, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator!;
  const reads = await Promise.allSettled(Array.from({ length: 20 }, () => k.send(new GetRecordsCommand({ ShardIterator: it, Limit: 1 }))));
  const refused = reads.filter((r) => r.status === 'rejected');
  assert.ok(refused.length > 0, '20 concurrent reads of one shard exceed 5/s');
  assert.ok(refused.every((r) => (r as PromiseRejectedResult).reason.name === 'ProvisionedThroughputExceededException'));
  assert.ok(reads.some((r) => r.status === 'fulfilled'));
});
