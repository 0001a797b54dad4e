// `tributary consumer-groups`, shaped like kafka-consumer-groups.sh: --list,
// --describe (per partition: committed offset, log end, lag, member),
// --reset-offsets (dry run unless --execute) and --delete.

import { BrokerConnection } from '../../client/connection.ts';
import { KafkaRequestError, listOffset, partitionCount } from '../../client/topic-client.ts';
import { assignedPartitions } from '../../coordinator/groups/consumer-protocol.ts';
import { errorName } from '../../protocol/errors.ts';
import { intFlag, parseFlags, requireFlag, UsageError } from '../usage.ts';

export async function consumerGroups(args: string[]): Promise<number> {
  const f = parseFlags(args, {
    'bootstrap-server': { type: 'string' }, list: { type: 'boolean' }, describe: { type: 'boolean' },
    'reset-offsets': { type: 'boolean' }, delete: { type: 'boolean' }, group: { type: 'string' },
    topic: { type: 'string', multiple: true }, 'all-topics': { type: 'boolean' },
    'to-earliest': { type: 'boolean' }, 'to-latest': { type: 'boolean' }, 'to-offset': { type: 'string' },
    'shift-by': { type: 'string' }, 'to-datetime': { type: 'string' }, execute: { type: 'boolean' }, 'dry-run': { type: 'boolean' },
  });
  const actions = (['list', 'describe', 'reset-offsets', 'delete'] as const).filter((a) => f[a]);
  if (actions.length !== 1) throw new UsageError('exactly one of --list, --describe, --reset-offsets or --delete is required');
  const conn = await BrokerConnection.open(requireFlag(f['bootstrap-server'], 'bootstrap-server'), 'consumer-groups');
  try {
    switch (actions[0]) {
      case 'list': {
        const res = await conn.request(16, 4, { statesFilter: [] });
        if (res.errorCode) throw new KafkaRequestError(res.errorCode, 'list groups');
        for (const g of [...res.groups].sort((a: any, b: any) => a.groupId.localeCompare(b.groupId))) console.log(g.groupId);
        return 0;
      }
      case 'describe':
        return await describe(conn, requireFlag(f.group, 'group'));
      case 'reset-offsets':
        return await resetOffsets(conn, requireFlag(f.group, 'group'), f);
      case 'delete': {
        const group = requireFlag(f.group, 'group');
        const res = await conn.request(42, 2, { groupsNames: [group] });
        const r = res.results[0];
        if (r.errorCode !== 0) {
          console.error(`Error: Deletion of consumer group '${group}' failed due to ${errorName(r.errorCode)}`);
          return 1;
        }
        console.log(`Deletion of requested consumer groups ('${group}') was successful.`);
        return 0;
      }
    }
  } finally {
    conn.close();
  }
}

interface Row { topic: string; partition: number; current: bigint | null; end: bigint; member: { id: string; host: string; clientId: string } | null }

async function describe(conn: BrokerConnection, group: string): Promise<number> {
  const desc = (await conn.request(15, 5, { groups: [group], includeAuthorizedOperations: false })).groups[0];
  if (desc.errorCode !== 0) throw new KafkaRequestError(desc.errorCode, `describe group '${group}'`);
  const fetched = await conn.request(9, 7, { groupId: group, topics: null, requireStable: false });
  if (fetched.errorCode) throw new KafkaRequestError(fetched.errorCode, `offsets of group '${group}'`);

  const owner = new Map<string, Row['member']>();
  for (const m of desc.members) {
    for (const a of assignedPartitions(m.memberAssignment) ?? []) {
      for (const p of a.partitions) owner.set(`${a.topic}\0${p}`, { id: m.memberId, host: m.clientHost, clientId: m.clientId });
    }
  }
  const keys = new Set<string>(owner.keys());
  const committed = new Map<string, bigint>();
  for (const t of fetched.topics) {
    for (const p of t.partitions) {
      if (p.committedOffset >= 0n) {
        committed.set(`${t.name}\0${p.partitionIndex}`, p.committedOffset);
        keys.add(`${t.name}\0${p.partitionIndex}`);
      }
    }
  }
  const rows: Row[] = [];
  for (const key of keys) {
    const [topic, p] = key.split('\0');
    const partition = Number(p);
    rows.push({ topic, partition, current: committed.get(key) ?? null, end: await listOffset(conn, topic, partition, -1n), member: owner.get(key) ?? null });
  }
  rows.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);

  if (desc.members.length === 0) console.log(`\nConsumer group '${group}' has no active members.`);
  console.log();
  const table = [['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID']];
  for (const r of rows) {
    table.push([
      group, r.topic, String(r.partition), r.current === null ? '-' : String(r.current), String(r.end),
      r.current === null ? '-' : String(r.end - r.current > 0n ? r.end - r.current : 0n),
      r.member?.id ?? '-', r.member ? `/${r.member.host}` : '-', r.member?.clientId ?? '-',
    ]);
  }
  printTable(table);
  return 0;
}

type Flags = Record<string, string | boolean | string[] | undefined>;

async function resetOffsets(conn: BrokerConnection, group: string, f: Flags): Promise<number> {
  const strategies = ['to-earliest', 'to-latest', 'to-offset', 'shift-by', 'to-datetime'].filter((s) => f[s] !== undefined);
  if (strategies.length !== 1) throw new UsageError('exactly one of --to-earliest, --to-latest, --to-offset, --shift-by or --to-datetime is required');
  if (f.execute && f['dry-run']) throw new UsageError('--execute and --dry-run are exclusive');
  const topics = (f.topic as string[] | undefined) ?? [];
  if (topics.length === 0 && !f['all-topics']) throw new UsageError('--reset-offsets needs --topic or --all-topics');

  const desc = (await conn.request(15, 5, { groups: [group], includeAuthorizedOperations: false })).groups[0];
  if (desc.errorCode === 0 && desc.groupState !== 'Empty' && desc.groupState !== 'Dead') {
    console.error(`Error: Assignments can only be reset if the group '${group}' is inactive, but the current state is ${desc.groupState}.`);
    return 1;
  }
  const fetched = await conn.request(9, 7, { groupId: group, topics: null, requireStable: false });
  const current = new Map<string, bigint>();
  for (const t of fetched.topics) for (const p of t.partitions) if (p.committedOffset >= 0n) current.set(`${t.name}\0${p.partitionIndex}`, p.committedOffset);

  const targets: { topic: string; partition: number }[] = [];
  if (f['all-topics']) {
    for (const key of current.keys()) { const [topic, p] = key.split('\0'); targets.push({ topic, partition: Number(p) }); }
  }
  for (const spec of topics) {
    const [topic, parts] = spec.split(':');
    const partitions = parts ? parts.split(',').map((p) => intFlag(p, 'topic')) : [...Array(await partitionCount(conn, topic, false)).keys()];
    for (const partition of partitions) targets.push({ topic, partition });
  }

  const plan: { topic: string; partition: number; offset: bigint }[] = [];
  for (const { topic, partition } of targets) {
    const earliest = await listOffset(conn, topic, partition, -2n);
    const latest = await listOffset(conn, topic, partition, -1n);
    let offset: bigint;
    if (f['to-earliest']) offset = earliest;
    else if (f['to-latest']) offset = latest;
    else if (f['to-offset'] !== undefined) offset = BigInt(intFlag(f['to-offset'] as string, 'to-offset'));
    else if (f['shift-by'] !== undefined) offset = (current.get(`${topic}\0${partition}`) ?? latest) + BigInt(intFlag(f['shift-by'] as string, 'shift-by'));
    else {
      const ts = Date.parse(f['to-datetime'] as string);
      if (Number.isNaN(ts)) throw new UsageError(`--to-datetime '${f['to-datetime']}' is not a date (use ISO 8601, e.g. 2026-01-01T00:00:00.000Z)`);
      const found = await listOffset(conn, topic, partition, BigInt(ts));
      offset = found < 0n ? latest : found;
    }
    // Kafka clamps reset targets into the partition's offset range.
    if (offset < earliest) offset = earliest;
    if (offset > latest) offset = latest;
    plan.push({ topic, partition, offset });
  }

  if (f.execute) {
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: bigint }[]>();
    for (const p of plan) {
      const list = byTopic.get(p.topic) ?? [];
      list.push({ partitionIndex: p.partition, committedOffset: p.offset });
      byTopic.set(p.topic, list);
    }
    const res = await conn.request(8, 7, {
      groupId: group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n,
      topics: [...byTopic].map(([name, partitions]) => ({
        name, partitions: partitions.map((p) => ({ ...p, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' })),
      })),
    });
    for (const t of res.topics) for (const p of t.partitions) {
      if (p.errorCode !== 0) throw new KafkaRequestError(p.errorCode, `commit ${t.name}-${p.partitionIndex}`);
    }
  }
  console.log();
  printTable([['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], ...plan.map((p) => [group, p.topic, String(p.partition), String(p.offset)])]);
  return 0;
}

function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join(' ').trimEnd());
}
