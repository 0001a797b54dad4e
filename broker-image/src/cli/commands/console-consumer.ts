// `tributary console-consumer`, like kafka-console-consumer.sh without a
// group: every partition (or one) from the latest offset, or the earliest with
// --from-beginning; stops after --max-messages or --timeout-ms idle.

import { BrokerConnection } from '../../client/connection.ts';
import { fetchOnce, listOffset, partitionCount } from '../../client/topic-client.ts';
import { intFlag, keyValues, parseFlags, requireFlag, UsageError } from '../usage.ts';

export async function consoleConsumer(args: string[]): Promise<number> {
  const f = parseFlags(args, {
    'bootstrap-server': { type: 'string' }, topic: { type: 'string' },
    'from-beginning': { type: 'boolean' }, 'max-messages': { type: 'string' },
    partition: { type: 'string' }, offset: { type: 'string' }, 'timeout-ms': { type: 'string' },
    property: { type: 'string', multiple: true }, group: { type: 'string' },
  });
  if (f.group) throw new UsageError('--group needs consumer groups, which this tool does not join yet; read partitions directly instead');
  const topic = requireFlag(f.topic, 'topic');
  const props = keyValues(f.property, '--property');
  const printKey = props.get('print.key') === 'true';
  const printPartition = props.get('print.partition') === 'true';
  const printOffset = props.get('print.offset') === 'true';
  const separator = props.get('key.separator') ?? '\t';
  const maxMessages = intFlag(f['max-messages'], 'max-messages', -1);
  const timeoutMs = intFlag(f['timeout-ms'], 'timeout-ms', -1);
  if (f.offset !== undefined && f.partition === undefined) throw new UsageError('--offset needs --partition');

  const conn = await BrokerConnection.open(requireFlag(f['bootstrap-server'], 'bootstrap-server'), 'console-consumer');
  let count = 0;
  try {
    const partitions = await partitionCount(conn, topic, false);
    const chosen = f.partition !== undefined ? [intFlag(f.partition, 'partition')] : [...Array(partitions).keys()];
    const positions = new Map<number, bigint>();
    for (const p of chosen) {
      const start = f.offset === 'earliest' || (f.offset === undefined && f['from-beginning']) ? -2n
        : f.offset === undefined || f.offset === 'latest' ? -1n : null;
      positions.set(p, start === null ? BigInt(intFlag(f.offset, 'offset')) : await listOffset(conn, topic, p, start));
    }
    let idleSince = Date.now();
    while (maxMessages < 0 || count < maxMessages) {
      if (timeoutMs >= 0 && Date.now() - idleSince >= timeoutMs) break;
      const results = await fetchOnce(conn, topic, positions, { maxWaitMs: timeoutMs >= 0 ? Math.min(500, timeoutMs) : 500 });
      for (const r of results) {
        for (const rec of r.records) {
          if (maxMessages >= 0 && count >= maxMessages) break;
          const parts: string[] = [];
          if (printPartition) parts.push(`Partition:${r.partition}`);
          if (printOffset) parts.push(`Offset:${rec.offset}`);
          if (printKey) parts.push(rec.key === null ? 'null' : rec.key.toString());
          parts.push(rec.value === null ? 'null' : rec.value.toString());
          process.stdout.write(parts.join(separator) + '\n');
          count++;
          idleSince = Date.now();
        }
        positions.set(r.partition, r.nextOffset);
      }
    }
  } finally {
    conn.close();
    console.error(`Processed a total of ${count} messages`);
  }
  return 0;
}
