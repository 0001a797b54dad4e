// `tributary console-consumer`, like kafka-console-consumer.sh. Without --group:
// every partition (or one) from the latest offset, or the earliest with
// --from-beginning. With --group: joins the group (range assignor, see
// client/group-member.ts), starts at the group's committed offsets (else latest, or
// earliest with --from-beginning), commits as it goes and leaves on exit. Stops after
// --max-messages or --timeout-ms idle (or SIGINT/SIGTERM).

import { BrokerConnection } from '../../client/connection.ts';
import { GroupMember } from '../../client/group-member.ts';
import { fetchOnce, listOffset, partitionCount, type FetchedPartition } from '../../client/topic-client.ts';
import { intFlag, keyValues, parseFlags, requireFlag, UsageError } from '../usage.ts';

export async function consoleConsumer(args: string[]): Promise<number> {
  const f = parseFlags(args, {
    'bootstrap-server': { type: 'string' }, topic: { type: 'string' },
    'from-beginning': { type: 'boolean' }, 'max-messages': { type: 'string' },
    partition: { type: 'string' }, offset: { type: 'string' }, 'timeout-ms': { type: 'string' },
    property: { type: 'string', multiple: true }, group: { type: 'string' },
  });
  const topic = requireFlag(f.topic, 'topic');
  const props = keyValues(f.property, '--property');
  const printKey = props.get('print.key') === 'true';
  const printPartition = props.get('print.partition') === 'true';
  const printOffset = props.get('print.offset') === 'true';
  const separator = props.get('key.separator') ?? '\t';
  const maxMessages = intFlag(f['max-messages'], 'max-messages', -1);
  const timeoutMs = intFlag(f['timeout-ms'], 'timeout-ms', -1);
  if (f.offset !== undefined && f.partition === undefined) throw new UsageError('--offset needs --partition');
  const print = (partition: number, rec: FetchedPartition['records'][number]) => {
    const parts: string[] = [];
    if (printPartition) parts.push(`Partition:${partition}`);
    if (printOffset) parts.push(`Offset:${rec.offset}`);
    if (printKey) parts.push(rec.key === null ? 'null' : rec.key.toString());
    parts.push(rec.value === null ? 'null' : rec.value.toString());
    process.stdout.write(parts.join(separator) + '\n');
  };
  if (f.group !== undefined) {
    if (f.partition !== undefined || f.offset !== undefined) throw new UsageError('--group cannot be combined with --partition or --offset');
    return groupConsumer(requireFlag(f['bootstrap-server'], 'bootstrap-server'), f.group, topic, {
      fromBeginning: f['from-beginning'] === true, maxMessages, timeoutMs, print,
      sessionTimeoutMs: intFlag(props.get('session.timeout.ms'), 'session.timeout.ms', 10_000),
    });
  }

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
          print(r.partition, rec);
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

interface GroupConsumerOptions {
  fromBeginning: boolean;
  maxMessages: number;
  timeoutMs: number;
  sessionTimeoutMs: number;
  print: (partition: number, rec: FetchedPartition['records'][number]) => void;
}

async function groupConsumer(bootstrap: string, group: string, topic: string, o: GroupConsumerOptions): Promise<number> {
  const member = await GroupMember.connect(bootstrap, {
    groupId: group, topics: [topic], clientId: 'console-consumer', sessionTimeoutMs: o.sessionTimeoutMs,
    rebalanceTimeoutMs: Math.max(o.sessionTimeoutMs, 10_000),
  });
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const conn = member.connection;
  const positions = new Map<number, bigint>(); // next offset to read, per assigned partition
  const consumed = new Map<number, bigint>(); // next offset after the last record printed, not yet committed
  const commit = async () => {
    const offsets = [...consumed].map(([partition, offset]) => ({ topic, partition, offset }));
    consumed.clear();
    return member.commit(offsets);
  };
  let count = 0;
  let idleSince = Date.now();
  try {
    while (!stopping && (o.maxMessages < 0 || count < o.maxMessages)) {
      if (member.needsRejoin) {
        // Eager protocol: commit what was read under the old generation, then rejoin.
        await commit();
        positions.clear();
        const assignment = await member.join();
        const mine = assignment.find((a) => a.topic === topic)?.partitions ?? [];
        const committed = await member.committed([{ topic, partitions: mine }]);
        for (const p of mine) {
          const c = committed.get(`${topic}:${p}`) ?? -1n;
          positions.set(p, c >= 0n ? c : await listOffset(conn, topic, p, o.fromBeginning ? -2n : -1n));
        }
        // Time spent joining (the initial rebalance delay, waiting for others) is not idle time.
        idleSince = Date.now();
      }
      if (o.timeoutMs >= 0 && Date.now() - idleSince >= o.timeoutMs) break;
      const maxWaitMs = o.timeoutMs >= 0 ? Math.min(500, o.timeoutMs) : 500;
      if (positions.size === 0) {
        await new Promise((r) => setTimeout(r, maxWaitMs));
        continue;
      }
      const results = await fetchOnce(conn, topic, positions, { maxWaitMs });
      if (member.needsRejoin) continue; // the partitions may be someone else's now: drop what came back
      for (const r of results) {
        let next = r.nextOffset;
        for (const rec of r.records) {
          if (o.maxMessages >= 0 && count >= o.maxMessages) {
            next = rec.offset;
            break;
          }
          o.print(r.partition, rec);
          count++;
          idleSince = Date.now();
        }
        if (next !== positions.get(r.partition)) consumed.set(r.partition, next);
        positions.set(r.partition, next);
      }
      await commit();
    }
    await commit();
    await member.leave();
  } catch (err) {
    member.close();
    throw err;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    console.error(`Processed a total of ${count} messages`);
  }
  return 0;
}
