// Codec throughput on the hot paths (not a test): a Fetch response with
// 6 partitions x 1 MiB of records, encoded (broker side) and decoded (client
// side); a small Produce request decoded; a Metadata response encoded.
// Run: node broker-image/bench/codec-bench.ts

import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, encodeResponseChunks } from '../src/protocol/codec.ts';

function bench(name: string, fn: () => unknown, bytesPerOp = 0, ms = 1500): void {
  for (let i = 0; i < 50; i++) fn(); // warm up
  let ops = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 20; i++) fn();
    ops += 20;
    now = process.hrtime.bigint();
  }
  const secs = Number(now - start) / 1e9;
  const rate = ops / secs;
  const mbs = bytesPerOp ? `  ${((rate * bytesPerOp) / 1048576).toFixed(0)} MiB/s` : '';
  console.log(`${name.padEnd(52)} ${rate.toFixed(0).padStart(9)} ops/s  ${(1e6 / rate).toFixed(1).padStart(8)} µs/op${mbs}`);
}

const MiB = 1024 * 1024;
const records = Buffer.alloc(MiB, 7);
const topicId = Buffer.alloc(16, 3);

function fetchBody(version: number) {
  return {
    throttleTimeMs: 0, errorCode: 0, sessionId: 0,
    responses: [{
      topic: 'events', topicId,
      partitions: Array.from({ length: 6 }, (_, i) => ({
        partitionIndex: i, errorCode: 0, highWatermark: 1000000n, lastStableOffset: 1000000n, logStartOffset: 0n,
        abortedTransactions: version >= 4 ? null : [], preferredReadReplica: -1, records,
      })),
    }],
  };
}

for (const version of [11, 12, 16]) {
  const body = fetchBody(version);
  const encoded = encodeResponse(1, version, 1, body);
  bench(`Fetch v${version} response encode (6 x 1 MiB)`, () => encodeResponse(1, version, 1, body), encoded.length);
  bench(`Fetch v${version} response encode, chunks (no copy)`, () => encodeResponseChunks(1, version, 1, body), encoded.length);
  const frame = encoded.subarray(4);
  bench(`Fetch v${version} response decode (6 x 1 MiB)`, () => decodeResponse(1, version, frame), encoded.length);
}

const produce = encodeRequest({ apiKey: 0, apiVersion: 9, correlationId: 1, clientId: 'bench' }, {
  transactionalId: null, acks: -1, timeoutMs: 30000,
  topicData: [{ name: 'events', partitionData: [{ index: 0, records: Buffer.alloc(16 * 1024, 1) }] }],
}).subarray(4);
bench('Produce v9 request decode (1 x 16 KiB)', () => decodeRequest(produce), produce.length);

const fetchReq = encodeRequest({ apiKey: 1, apiVersion: 12, correlationId: 1, clientId: 'bench' }, {
  replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 52428800, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
  topics: [{ topic: 'events', partitions: Array.from({ length: 6 }, (_, i) => ({ partition: i, fetchOffset: 123n, partitionMaxBytes: MiB })) }],
  forgottenTopicsData: [], rackId: '',
}).subarray(4);
bench('Fetch v12 request decode (6 partitions)', () => decodeRequest(fetchReq));

const metadata = {
  throttleTimeMs: 0, clusterId: 'cluster', controllerId: 1,
  brokers: [1, 2, 3].map((id) => ({ nodeId: id, host: `broker-${id}.example`, port: 9092, rack: null })),
  topics: Array.from({ length: 20 }, (_, t) => ({
    errorCode: 0, name: `topic-${t}`, topicId, isInternal: false,
    partitions: Array.from({ length: 6 }, (_, p) => ({ errorCode: 0, partitionIndex: p, leaderId: 1, leaderEpoch: 3, replicaNodes: [1, 2, 3], isrNodes: [1, 2, 3], offlineReplicas: [] })),
  })),
};
bench('Metadata v12 response encode (20 topics x 6 partitions)', () => encodeResponse(3, 12, 1, metadata));
