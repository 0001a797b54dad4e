// make bench-kinesis: PutRecords N records of 100 B in batches of 500 into a 4-shard
// stream, then read them all back with GetRecords, against kinesis-mock and against
// our emulator over a real broker (per-shard limits off), side by side in one run.
// Ours is driven by the v3 SDK's default HTTP/2 handler; kinesis-mock over HTTP/1.1
// (its cleartext HTTP/2 breaks on PutRecords). Env: N (200000), CONCURRENCY (8),
// MOCK_N (records for kinesis-mock, default N: it manages ~200 records/s here).
import { performance } from 'node:perf_hooks';
import {
  CreateStreamCommand, DescribeStreamSummaryCommand, ListShardsCommand, PutRecordsCommand, GetShardIteratorCommand,
  GetRecordsCommand, type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { startBroker } from '../../test/support/broker.ts';
import { startEmulator, startKinesisMock, kinesisClient, type Proc } from '../../test/emulator/kinesis-support.ts';

const N = Number(process.env.N ?? 200_000);
const MOCK_N = Number(process.env.MOCK_N ?? N);
const BATCH = 500;
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
const SHARDS = 4;

interface Result { putRps: number; p50: number; p99: number; getRps: number; read: number; failed: number }

async function run(k: KinesisClient, N: number): Promise<Result> {
  const name = `bench-${Date.now().toString(36)}`;
  await k.send(new CreateStreamCommand({ StreamName: name, ShardCount: SHARDS }));
  for (let i = 0; i < 400; i++) {
    const s = await k.send(new DescribeStreamSummaryCommand({ StreamName: name })).catch(() => null);
    if (s?.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const payload = Buffer.alloc(100, 7);
  const batches = Math.ceil(N / BATCH);
  const lat: number[] = [];
  let next = 0;
  let failed = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (;;) {
      const b = next++;
      if (b >= batches) return;
      const n = Math.min(BATCH, N - b * BATCH);
      const recs = Array.from({ length: n }, (_, i) => ({ PartitionKey: `pk-${b}-${i}`, Data: payload }));
      const s = performance.now();
      const r = await k.send(new PutRecordsCommand({ StreamName: name, Records: recs }));
      lat.push(performance.now() - s);
      failed += r.FailedRecordCount ?? 0;
    }
  }));
  const putSecs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const shards = (await k.send(new ListShardsCommand({ StreamName: name }))).Shards!;
  const t1 = performance.now();
  const counts = await Promise.all(shards.map(async (sh) => {
    let it = (await k.send(new GetShardIteratorCommand({ StreamName: name, ShardId: sh.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    let got = 0;
    while (it) {
      const r = await k.send(new GetRecordsCommand({ ShardIterator: it, Limit: 10_000 }));
      got += r.Records!.length;
      it = r.NextShardIterator;
      if (r.Records!.length === 0 && r.MillisBehindLatest === 0) break;
    }
    return got;
  }));
  const read = counts.reduce((a, b) => a + b, 0);
  const getSecs = (performance.now() - t1) / 1000;
  return { putRps: N / putSecs, p50: lat[Math.floor(lat.length * 0.5)], p99: lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))], getRps: read / getSecs, read, failed };
}

const broker = await startBroker({ overrides: { 'auto.create.topics.enable': 'false' } });
let emu: Proc | undefined;
let mock: Proc | undefined;
try {
  emu = await startEmulator(broker.bootstrap);
  mock = await startKinesisMock();
  const ours = kinesisClient(emu.port);
  const theirs = kinesisClient(mock.port, { http1: true });
  const show = (who: string, r: Result) => console.log(`${who}: put ${r.putRps.toFixed(0)} records/s (p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms), get ${r.getRps.toFixed(0)} records/s, ${r.read} read, ${r.failed} failed`);
  const a = await run(ours, N);
  show('tributary', a);
  const b = await run(theirs, MOCK_N);
  show('kinesis-mock', b);
  ours.destroy();
  theirs.destroy();
  const f = (x: number) => x.toFixed(0).padStart(12);
  const g = (x: number) => x.toFixed(1).padStart(12);
  console.log(`Kinesis: ${N} records (kinesis-mock: ${MOCK_N}) x 100 B, PutRecords batches of ${BATCH}, ${CONCURRENCY} in flight, ${SHARDS} shards`);
  console.log(`${''.padEnd(26)}${'tributary'.padStart(12)}${'kinesis-mock'.padStart(14)}${'ratio'.padStart(8)}`);
  console.log(`${'put records/s'.padEnd(26)}${f(a.putRps)}  ${f(b.putRps)}${(a.putRps / b.putRps).toFixed(1).padStart(8)}`);
  console.log(`${'PutRecords p50 ms'.padEnd(26)}${g(a.p50)}  ${g(b.p50)}`);
  console.log(`${'PutRecords p99 ms'.padEnd(26)}${g(a.p99)}  ${g(b.p99)}${(b.p99 / a.p99).toFixed(1).padStart(8)}`);
  console.log(`${'get records/s'.padEnd(26)}${f(a.getRps)}  ${f(b.getRps)}${(a.getRps / b.getRps).toFixed(1).padStart(8)}`);
  console.log(`${'records read back'.padEnd(26)}${f(a.read)}  ${f(b.read)}`);
  console.log(`${'failed puts'.padEnd(26)}${f(a.failed)}  ${f(b.failed)}`);
} finally {
  await emu?.stop();
  await mock?.stop();
  await broker.cleanup();
}
