// The classic consumer-group APIs, each a thin handler over the group
// coordinator: JoinGroup (11), Heartbeat (12), LeaveGroup (13), SyncGroup (14),
// DescribeGroups (15), ListGroups (16), OffsetCommit (8), OffsetFetch (9),
// DeleteGroups (42), OffsetDelete (47).

import type { GroupCoordinator } from '../../coordinator/groups/group-coordinator.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { ApiHandler, Body, RequestContext } from '../handler.ts';

function groupApi(
  apiKey: number, maxVersion: number,
  call: (groups: GroupCoordinator, req: Body, ctx: RequestContext) => Promise<Body>,
): ApiHandler {
  return { apiKey, minVersion: 0, maxVersion, handle: (ctx, req) => call(ctx.broker.groups, req, ctx) };
}

export const joinGroup = groupApi(11, 9, (g, req, ctx) => g.joinGroup(req, ctx.clientId ?? '', ctx.clientHost, ctx.apiVersion));
export const heartbeat = groupApi(12, 4, (g, req, ctx) => g.heartbeat(req, ctx.apiVersion));
export const leaveGroup = groupApi(13, 5, (g, req, ctx) => g.leaveGroup(req, ctx.apiVersion));
export const syncGroup = groupApi(14, 5, (g, req, ctx) => g.syncGroup(req, ctx.apiVersion));
export const describeGroups = groupApi(15, 5, (g, req, ctx) => g.describeGroups(req, ctx.apiVersion));
export const listGroups = groupApi(16, 4, (g, req, ctx) => g.listGroups(req, ctx.apiVersion));
export const offsetCommit = groupApi(8, 9, (g, req, ctx) => commitKnownPartitions(g, req, ctx));
export const offsetFetch = groupApi(9, 9, (g, req, ctx) => g.offsetFetch(req, ctx.apiVersion));
export const deleteGroups = groupApi(42, 2, (g, req, ctx) => g.deleteGroups(req, ctx.apiVersion));
export const offsetDelete = groupApi(47, 0, (g, req, ctx) => g.offsetDelete(req, ctx.apiVersion));

export const groupHandlers: ApiHandler[] = [
  joinGroup, heartbeat, leaveGroup, syncGroup, describeGroups, listGroups,
  offsetCommit, offsetFetch, deleteGroups, offsetDelete,
];

/**
 * As Kafka's KafkaApis: partitions of topics this broker does not have (or indexes
 * past the topic's partition count) are answered UNKNOWN_TOPIC_OR_PARTITION without
 * reaching the coordinator; the rest are committed, and the answers are merged back
 * in request order.
 */
async function commitKnownPartitions(g: GroupCoordinator, req: Body, ctx: RequestContext): Promise<Body> {
  const exists = (topic: string, partition: number) => {
    const info = ctx.broker.topics.get(topic);
    return info !== undefined && partition >= 0 && partition < info.partitions;
  };
  const topics = (req.topics ?? []) as { name: string; partitions: { partitionIndex: number }[] }[];
  const known = topics
    .map((t) => ({ ...t, partitions: t.partitions.filter((p) => exists(t.name, p.partitionIndex)) }))
    .filter((t) => t.partitions.length > 0);
  const total = topics.reduce((n, t) => n + t.partitions.length, 0);
  const kept = known.reduce((n, t) => n + t.partitions.length, 0);
  if (kept === total) return g.offsetCommit(req, ctx.apiVersion);
  const res = kept > 0 ? await g.offsetCommit({ ...req, topics: known }, ctx.apiVersion) : { throttleTimeMs: 0, topics: [] };
  const answered = new Map<string, number>();
  for (const t of res.topics) for (const p of t.partitions) answered.set(`${t.name}\0${p.partitionIndex}`, p.errorCode);
  return {
    throttleTimeMs: res.throttleTimeMs,
    topics: topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode: answered.get(`${t.name}\0${p.partitionIndex}`) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      })),
    })),
  };
}
