// Produce and fetch helpers over one connection, for the CLI tools: enough of
// a client to write batches to a partition and read a partition from an offset.

import { errorName } from '../protocol/errors.ts';
import { decodeRecords, type Record, type RecordInput, buildBatch } from '../records/record.ts';
import { iterateBatches } from '../records/batch.ts';
import type { BrokerConnection } from './connection.ts';

export class KafkaRequestError extends Error {
  readonly code: number;
  constructor(code: number, what: string, detail?: string | null) {
    super(`${what}: ${errorName(code)}${detail ? ` (${detail})` : ''}`);
    this.code = code;
  }
}

export async function partitionCount(conn: BrokerConnection, topic: string, allowAutoCreate = true): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const md = await conn.request(3, 12, { topics: [{ name: topic }], allowAutoTopicCreation: allowAutoCreate });
    const t = md.topics[0];
    if (t.errorCode === 0) return t.partitions.length;
    if (t.errorCode !== 5 || attempt > 20) throw new KafkaRequestError(t.errorCode, `topic '${topic}'`);
    await new Promise((r) => setTimeout(r, 100)); // LEADER_NOT_AVAILABLE: being created
  }
}

export interface ProduceOptions {
  acks: number;
  compression: number;
  timeoutMs?: number;
}

/** Sends one batch; resolves with its base offset (-1 for acks=0). */
export async function produceBatch(conn: BrokerConnection, topic: string, partition: number, records: RecordInput[], opts: ProduceOptions): Promise<bigint> {
  const body = {
    transactionalId: null, acks: opts.acks, timeoutMs: opts.timeoutMs ?? 30000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: buildBatch(records, { compression: opts.compression }) }] }],
  };
  if (opts.acks === 0) {
    conn.sendOneWay(0, conn.version(0, 9), body);
    return -1n;
  }
  const res = await conn.request(0, 9, body);
  const p = res.responses[0].partitionResponses[0];
  if (p.errorCode !== 0) throw new KafkaRequestError(p.errorCode, `produce to ${topic}-${partition}`, p.errorMessage);
  return p.baseOffset;
}

export async function listOffset(conn: BrokerConnection, topic: string, partition: number, timestamp: bigint): Promise<bigint> {
  const res = await conn.request(2, 6, {
    replicaId: -1, isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
  });
  const p = res.topics[0].partitions[0];
  if (p.errorCode !== 0) throw new KafkaRequestError(p.errorCode, `list offsets of ${topic}-${partition}`);
  return p.offset;
}

export interface FetchedPartition {
  partition: number;
  records: Record[];
  highWatermark: bigint;
  nextOffset: bigint;
}

/** One Fetch over several partitions; returns the records at or after each requested offset. */
export async function fetchOnce(
  conn: BrokerConnection, topic: string, positions: Map<number, bigint>, opts: { maxWaitMs: number; maxBytes?: number },
): Promise<FetchedPartition[]> {
  const res = await conn.request(1, 12, {
    replicaId: -1, maxWaitMs: opts.maxWaitMs, minBytes: 1, maxBytes: opts.maxBytes ?? 52428800, isolationLevel: 0,
    sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [],
    topics: [{
      topic, partitions: [...positions].map(([partition, fetchOffset]) => ({
        partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1048576,
      })),
    }],
  });
  if (res.errorCode) throw new KafkaRequestError(res.errorCode, 'fetch');
  const out: FetchedPartition[] = [];
  for (const p of res.responses[0]?.partitions ?? []) {
    if (p.errorCode !== 0) throw new KafkaRequestError(p.errorCode, `fetch ${topic}-${p.partitionIndex}`);
    const from = positions.get(p.partitionIndex)!;
    let next = from;
    const records: Record[] = [];
    for (const batch of iterateBatches(p.records ?? Buffer.alloc(0))) {
      if (!batch.isControl) {
        for (const r of decodeRecords(batch)) if (r.offset >= from) records.push(r);
      }
      if (batch.nextOffset > next) next = batch.nextOffset;
    }
    out.push({ partition: p.partitionIndex, records, highWatermark: p.highWatermark, nextOffset: next });
  }
  return out;
}
