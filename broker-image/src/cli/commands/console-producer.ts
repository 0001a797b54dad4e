// `tributary console-producer`, like kafka-console-producer.sh: one record per
// stdin line, optionally `key<separator>value` with parse.key=true.

import { createInterface } from 'node:readline';
import { BrokerConnection } from '../../client/connection.ts';
import { partitionForKey } from '../../client/partitioner.ts';
import { partitionCount, produceBatch } from '../../client/topic-client.ts';
import { codecId } from '../../records/compression/index.ts';
import type { RecordInput } from '../../records/record.ts';
import { intFlag, keyValues, parseFlags, requireFlag, UsageError } from '../usage.ts';

const BATCH_RECORDS = 1000;

export async function consoleProducer(args: string[]): Promise<number> {
  const f = parseFlags(args, {
    'bootstrap-server': { type: 'string' }, topic: { type: 'string' },
    property: { type: 'string', multiple: true }, 'compression-codec': { type: 'string' },
    'request-required-acks': { type: 'string' },
  });
  const topic = requireFlag(f.topic, 'topic');
  const props = keyValues(f.property, '--property');
  const parseKey = props.get('parse.key') === 'true';
  const separator = props.get('key.separator') ?? '\t';
  let compression: number;
  try {
    compression = codecId(f['compression-codec'] ?? 'none');
  } catch {
    throw new UsageError(`--compression-codec must be one of none, gzip, snappy, lz4, zstd`);
  }
  const acks = intFlag(f['request-required-acks'], 'request-required-acks', -1);
  const conn = await BrokerConnection.open(requireFlag(f['bootstrap-server'], 'bootstrap-server'), 'console-producer');
  try {
    const partitions = await partitionCount(conn, topic);
    const pending = new Map<number, RecordInput[]>();
    let roundRobin = 0;
    const flush = async () => {
      for (const [partition, records] of pending) await produceBatch(conn, topic, partition, records, { acks, compression });
      pending.clear();
    };
    let buffered = 0;
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      let key: Buffer | null = null;
      let value = line;
      if (parseKey) {
        const at = line.indexOf(separator);
        if (at < 0) throw new UsageError(`no key separator '${separator}' in line: ${line}`);
        key = Buffer.from(line.slice(0, at));
        value = line.slice(at + separator.length);
      }
      const partition = key ? partitionForKey(key, partitions) : roundRobin++ % partitions;
      const list = pending.get(partition) ?? [];
      list.push({ key, value: Buffer.from(value) });
      pending.set(partition, list);
      if (++buffered >= BATCH_RECORDS) { await flush(); buffered = 0; }
    }
    await flush();
    return 0;
  } finally {
    conn.close();
  }
}
