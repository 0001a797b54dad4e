// The classic consumer-group APIs, each a thin handler over the group
// coordinator: JoinGroup (11), Heartbeat (12), LeaveGroup (13), SyncGroup (14),
// DescribeGroups (15), ListGroups (16), OffsetCommit (8), OffsetFetch (9),
// DeleteGroups (42), OffsetDelete (47).

import type { GroupCoordinator } from '../../coordinator/groups/group-coordinator.ts';
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
export const offsetCommit = groupApi(8, 9, (g, req, ctx) => g.offsetCommit(req, ctx.apiVersion));
export const offsetFetch = groupApi(9, 9, (g, req, ctx) => g.offsetFetch(req, ctx.apiVersion));
export const deleteGroups = groupApi(42, 2, (g, req, ctx) => g.deleteGroups(req, ctx.apiVersion));
export const offsetDelete = groupApi(47, 0, (g, req, ctx) => g.offsetDelete(req, ctx.apiVersion));

export const groupHandlers: ApiHandler[] = [
  joinGroup, heartbeat, leaveGroup, syncGroup, describeGroups, listGroups,
  offsetCommit, offsetFetch, deleteGroups, offsetDelete,
];
