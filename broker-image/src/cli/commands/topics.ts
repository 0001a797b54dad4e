// `tributary topics`, shaped like kafka-topics.sh: --create, --list,
// --describe, --alter (partitions, configs), --delete.

import { BrokerConnection } from '../../client/connection.ts';
import { errorName } from '../../protocol/errors.ts';
import { intFlag, keyValues, parseFlags, requireFlag, UsageError } from '../usage.ts';

const TOPIC_RESOURCE = 2;

export async function topics(args: string[]): Promise<number> {
  const f = parseFlags(args, {
    'bootstrap-server': { type: 'string' },
    create: { type: 'boolean' }, list: { type: 'boolean' }, describe: { type: 'boolean' },
    alter: { type: 'boolean' }, delete: { type: 'boolean' },
    topic: { type: 'string' }, partitions: { type: 'string' }, 'replication-factor': { type: 'string' },
    config: { type: 'string', multiple: true }, 'delete-config': { type: 'string', multiple: true },
    'if-not-exists': { type: 'boolean' }, 'if-exists': { type: 'boolean' },
    'exclude-internal': { type: 'boolean' },
  });
  const actions = (['create', 'list', 'describe', 'alter', 'delete'] as const).filter((a) => f[a]);
  if (actions.length !== 1) throw new UsageError('exactly one of --create, --list, --describe, --alter or --delete is required');
  const conn = await BrokerConnection.open(requireFlag(f['bootstrap-server'], 'bootstrap-server'));
  try {
    switch (actions[0]) {
      case 'create': return await create(conn, f);
      case 'list': return await list(conn, f['exclude-internal'] === true);
      case 'describe': return await describe(conn, f.topic, f['exclude-internal'] === true);
      case 'alter': return await alter(conn, f);
      case 'delete': return await remove(conn, requireFlag(f.topic, 'topic'), f['if-exists'] === true);
    }
  } finally {
    conn.close();
  }
}

type Flags = Record<string, string | boolean | string[] | undefined>;

async function create(conn: BrokerConnection, f: Flags): Promise<number> {
  const name = requireFlag(f.topic as string | undefined, 'topic');
  const configs = [...keyValues(f.config as string[] | undefined, '--config')].map(([k, v]) => ({ name: k, value: v }));
  const res = await conn.request(19, 7, {
    topics: [{
      name, numPartitions: intFlag(f.partitions as string | undefined, 'partitions', -1),
      replicationFactor: intFlag(f['replication-factor'] as string | undefined, 'replication-factor', -1),
      assignments: [], configs,
    }],
    timeoutMs: 30000, validateOnly: false,
  });
  const t = res.topics[0];
  if (t.errorCode === 36 && f['if-not-exists']) return 0;
  if (t.errorCode !== 0) return fail(t.errorCode, t.errorMessage);
  console.log(`Created topic ${name}.`);
  return 0;
}

async function list(conn: BrokerConnection, excludeInternal: boolean): Promise<number> {
  const md = await conn.request(3, 12, { topics: null, allowAutoTopicCreation: false });
  for (const t of md.topics.filter((t: any) => !(excludeInternal && t.isInternal)).map((t: any) => t.name).sort()) console.log(t);
  return 0;
}

async function describe(conn: BrokerConnection, topic: string | undefined, excludeInternal: boolean): Promise<number> {
  const md = await conn.request(3, 12, { topics: topic ? [{ name: topic }] : null, allowAutoTopicCreation: false });
  const found = md.topics.filter((t: any) => !(excludeInternal && t.isInternal)).sort((a: any, b: any) => a.name.localeCompare(b.name));
  for (const t of found) {
    if (t.errorCode !== 0) return fail(t.errorCode, `topic '${t.name}'`);
  }
  const described = await conn.request(32, 4, {
    resources: found.map((t: any) => ({ resourceType: TOPIC_RESOURCE, resourceName: t.name, configurationKeys: null })),
    includeSynonyms: false, includeDocumentation: false,
  });
  for (const t of found) {
    const cfg = described.results.find((r: any) => r.resourceName === t.name);
    const overrides = (cfg?.configs ?? []).filter((c: any) => c.configSource === 1).map((c: any) => `${c.name}=${c.value}`).join(',');
    const rf = t.partitions[0]?.replicaNodes.length ?? 0;
    console.log(`Topic: ${t.name}\tTopicId: ${Buffer.from(t.topicId).toString('base64url')}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${rf}\tConfigs: ${overrides}`);
    for (const p of [...t.partitions].sort((a: any, b: any) => a.partitionIndex - b.partitionIndex)) {
      console.log(`\tTopic: ${t.name}\tPartition: ${p.partitionIndex}\tLeader: ${p.leaderId}\tReplicas: ${p.replicaNodes.join(',')}\tIsr: ${p.isrNodes.join(',')}`);
    }
  }
  return 0;
}

async function alter(conn: BrokerConnection, f: Flags): Promise<number> {
  const name = requireFlag(f.topic as string | undefined, 'topic');
  const configs = keyValues(f.config as string[] | undefined, '--config');
  const deleted = (f['delete-config'] as string[] | undefined) ?? [];
  if (f.partitions === undefined && configs.size === 0 && deleted.length === 0) {
    throw new UsageError('--alter needs --partitions, --config or --delete-config');
  }
  if (f.partitions !== undefined) {
    const res = await conn.request(37, 3, {
      topics: [{ name, count: intFlag(f.partitions as string, 'partitions'), assignments: null }], timeoutMs: 30000, validateOnly: false,
    });
    const r = res.results[0];
    if (r.errorCode !== 0) return fail(r.errorCode, r.errorMessage);
    console.log('Adding partitions succeeded!');
  }
  if (configs.size > 0 || deleted.length > 0) {
    const res = await conn.request(44, 1, {
      resources: [{
        resourceType: TOPIC_RESOURCE, resourceName: name,
        configs: [
          ...[...configs].map(([k, v]) => ({ name: k, configOperation: 0, value: v })),
          ...deleted.map((k) => ({ name: k, configOperation: 1, value: null })),
        ],
      }],
      validateOnly: false,
    });
    const r = res.responses[0];
    if (r.errorCode !== 0) return fail(r.errorCode, r.errorMessage);
    console.log(`Completed updating config for topic ${name}.`);
  }
  return 0;
}

async function remove(conn: BrokerConnection, name: string, ifExists: boolean): Promise<number> {
  const res = await conn.request(20, 6, { topics: [{ name, topicId: Buffer.alloc(16) }], topicNames: [name], timeoutMs: 30000 });
  const r = res.responses[0];
  if (r.errorCode === 3 && ifExists) return 0;
  if (r.errorCode !== 0) return fail(r.errorCode, r.errorMessage);
  return 0;
}

function fail(code: number, message: string | null): number {
  console.error(`Error while executing topic command : ${message ?? errorName(code)} (${errorName(code)})`);
  return 1;
}
