// The classic consumer-group coordinator (Kafka's GroupCoordinator semantics):
// membership and rebalances of JoinGroup/SyncGroup/Heartbeat/LeaveGroup groups,
// static membership, and committed offsets. Handlers pass decoded request bodies
// and the request's API version and encode the returned response bodies; offsets
// and group metadata persist through a GroupStore (`__consumer_offsets`).

import { randomUUID } from 'node:crypto';
import { ErrorCode, KafkaError } from '../../protocol/errors.ts';
import type {
  DeleteGroupsRequest, DeleteGroupsResponse, DescribedGroup, DescribeGroupsRequest, DescribeGroupsResponse,
  HeartbeatRequest, HeartbeatResponse, JoinGroupRequest, JoinGroupResponse, LeaveGroupRequest,
  LeaveGroupResponse, ListGroupsRequest, ListGroupsResponse, OffsetCommitRequest, OffsetCommitResponse,
  OffsetDeleteRequest, OffsetDeleteResponse, OffsetFetchRequest, OffsetFetchRequestTopic, OffsetFetchResponse,
  OffsetFetchResponseTopic, SyncGroupRequest, SyncGroupResponse,
} from './api-types.ts';
import { ClassicGroup, errorJoinResult, type CommittedOffset } from './classic-group.ts';
import { defaultGroupCoordinatorConfig, type GroupCoordinatorConfig } from './config.ts';
import { subscribedTopics } from './consumer-protocol.ts';
import type { GroupStore } from './group-store.ts';
import { GroupMember, type JoinResult, type MemberProtocol, type SyncResult } from './member.ts';
import {
  decodeGroupMetadataValue, decodeOffsetCommitValue, decodeOffsetsTopicKey, groupMetadataKey,
  groupMetadataValue, offsetCommitKey, offsetCommitValue,
} from './offsets-topic-records.ts';

const NO_OFFSET = -1n;
const EMPTY = Buffer.alloc(0);

/** What a JoinGroup asks for, validated. */
interface JoinParams {
  clientId: string;
  clientHost: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: MemberProtocol[];
}

export class GroupCoordinator {
  private readonly groups = new Map<string, ClassicGroup>();
  private readonly store: GroupStore;
  private readonly config: GroupCoordinatorConfig;
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(store: GroupStore, config: Partial<GroupCoordinatorConfig> = {}) {
    this.store = store;
    this.config = { ...defaultGroupCoordinatorConfig, ...config };
    this.sweepTimer = setInterval(() => void this.expireOffsets().catch(() => {}), this.config.offsetsRetentionCheckIntervalMs);
    this.sweepTimer.unref();
  }

  /** Stops every timer; pending JoinGroup/SyncGroup calls are answered with COORDINATOR_NOT_AVAILABLE. */
  close(): void {
    clearInterval(this.sweepTimer);
    for (const group of this.groups.values()) this.unloadGroup(group, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    this.groups.clear();
  }

  // ---------------------------------------------------------------- JoinGroup

  async joinGroup(req: JoinGroupRequest, clientId: string, clientHost: string, apiVersion: number): Promise<JoinGroupResponse> {
    const result = await this.join(req, clientId, clientHost, apiVersion);
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      generationId: result.generationId,
      protocolType: result.protocolType,
      // Non-nullable before v7.
      protocolName: result.protocolName ?? (apiVersion >= 7 ? null : ''),
      leader: result.leader,
      skipAssignment: false,
      memberId: result.memberId,
      members: result.members,
    };
  }

  private join(req: JoinGroupRequest, clientId: string, clientHost: string, apiVersion: number): Promise<JoinResult> {
    const memberId = req.memberId ?? '';
    const fail = (code: number) => Promise.resolve(errorJoinResult(memberId, code));
    if (!req.groupId) return fail(ErrorCode.INVALID_GROUP_ID);
    if (req.sessionTimeoutMs < this.config.minSessionTimeoutMs || req.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    const params: JoinParams = {
      clientId,
      clientHost,
      groupInstanceId: apiVersion >= 5 ? req.groupInstanceId ?? null : null,
      sessionTimeoutMs: req.sessionTimeoutMs,
      // v0 has no rebalance timeout: the session timeout doubles as one.
      rebalanceTimeoutMs: req.rebalanceTimeoutMs !== undefined && req.rebalanceTimeoutMs >= 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
    };
    const isNewMember = memberId === '';
    let group = this.groups.get(req.groupId);
    const created = group === undefined;
    if (!group) {
      if (!isNewMember) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
      group = new ClassicGroup(req.groupId, 'Empty', this.config.now());
    }
    if (group.is('Dead')) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (!group.supportsProtocols(params.protocolType, params.protocols)) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    if (isNewMember && group.members.size + group.pendingMembers.size >= this.config.maxGroupSize) {
      return fail(ErrorCode.GROUP_MAX_SIZE_REACHED);
    }
    if (created) this.groups.set(group.groupId, group);
    const target = group;
    return new Promise<JoinResult>((reply) => {
      if (isNewMember) this.joinNewMember(target, params, apiVersion >= 4, reply);
      else this.joinKnownMember(target, memberId, params, reply);
    });
  }

  private joinNewMember(group: ClassicGroup, params: JoinParams, requireKnownMemberId: boolean, reply: (r: JoinResult) => void): void {
    if (params.groupInstanceId !== null) {
      const newMemberId = `${params.groupInstanceId}-${randomUUID()}`;
      const oldMemberId = group.staticMemberId(params.groupInstanceId);
      if (oldMemberId === undefined) this.addMemberAndRebalance(group, newMemberId, params, reply);
      else this.replaceStaticMember(group, oldMemberId, newMemberId, params, reply);
      return;
    }
    const newMemberId = `${params.clientId}-${randomUUID()}`;
    if (requireKnownMemberId) {
      // KIP-394: hand out the id first, so a client that never comes back does not
      // leave a member behind that the group would wait for.
      this.addPendingMember(group, newMemberId, params.sessionTimeoutMs);
      reply(errorJoinResult(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
      return;
    }
    this.addMemberAndRebalance(group, newMemberId, params, reply);
  }

  private joinKnownMember(group: ClassicGroup, memberId: string, params: JoinParams, reply: (r: JoinResult) => void): void {
    const pendingTimer = group.pendingMembers.get(memberId);
    if (pendingTimer !== undefined) {
      clearTimeout(pendingTimer);
      group.pendingMembers.delete(memberId);
      this.addMemberAndRebalance(group, memberId, params, reply);
      return;
    }
    if (group.isStaticMemberFenced(params.groupInstanceId, memberId)) {
      reply(errorJoinResult(memberId, ErrorCode.FENCED_INSTANCE_ID));
      return;
    }
    const member = group.members.get(memberId);
    if (!member || group.is('Empty')) {
      reply(errorJoinResult(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      return;
    }
    this.scheduleSessionTimeout(group, member);
    const unchanged = member.matches(params.protocols);
    if (group.is('CompletingRebalance') && unchanged) {
      // A retry of a join that already completed: answer with the same generation.
      reply(this.currentGenerationResult(group, member, group.isLeader(memberId)));
    } else if (group.is('Stable') && unchanged && !group.isLeader(memberId)) {
      reply(this.currentGenerationResult(group, member, false));
    } else {
      // A leader's rejoin in Stable means it wants a new assignment (e.g. metadata changed).
      this.updateMemberAndRebalance(group, member, params, reply);
    }
  }

  private currentGenerationResult(group: ClassicGroup, member: GroupMember, withMembers: boolean): JoinResult {
    return {
      errorCode: ErrorCode.NONE,
      memberId: member.memberId,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      members: withMembers ? group.currentMemberMetadata() : [],
    };
  }

  private addMemberAndRebalance(group: ClassicGroup, memberId: string, params: JoinParams, reply: (r: JoinResult) => void): void {
    const member = new GroupMember({ memberId, ...params });
    member.isNew = true;
    member.awaitingJoin = reply;
    // During the initial delay, each newcomer buys the group another delay period.
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true;
    group.add(member);
    this.scheduleSessionTimeout(group, member);
    this.maybePrepareRebalance(group);
    this.tryCompleteJoin(group);
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: GroupMember, params: JoinParams, reply: (r: JoinResult) => void): void {
    this.updateMember(member, params);
    member.awaitingJoin?.(errorJoinResult(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    member.awaitingJoin = reply;
    this.maybePrepareRebalance(group);
    this.tryCompleteJoin(group);
  }

  private updateMember(member: GroupMember, params: JoinParams): void {
    member.protocols = params.protocols;
    member.protocolType = params.protocolType;
    member.sessionTimeoutMs = params.sessionTimeoutMs;
    member.rebalanceTimeoutMs = params.rebalanceTimeoutMs;
    member.clientId = params.clientId;
    member.clientHost = params.clientHost;
  }

  /**
   * A static member rejoined without its member id (typically a restart): it takes
   * over the old member's place under a new id. In a Stable group that keeps its
   * selected protocol this needs no rebalance; only the new id is persisted. Like
   * Kafka we compare the selected protocol, not the metadata bytes: a restarted
   * consumer's subscription differs (no owned partitions) even when its topics do not.
   */
  private replaceStaticMember(group: ClassicGroup, oldMemberId: string, newMemberId: string, params: JoinParams, reply: (r: JoinResult) => void): void {
    const instanceId = params.groupInstanceId!;
    const currentLeader = group.leaderId ?? '';
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId, ErrorCode.FENCED_INSTANCE_ID);
    const previous = { protocols: member.protocols, sessionTimeoutMs: member.sessionTimeoutMs, rebalanceTimeoutMs: member.rebalanceTimeoutMs };
    this.updateMember(member, params);
    this.scheduleSessionTimeout(group, member);
    if (group.is('Stable') && group.protocolName === group.selectProtocol()) {
      const generation = group.generationId;
      this.storeGroup(group).then(
        () => reply({
          errorCode: ErrorCode.NONE,
          memberId: newMemberId,
          generationId: generation,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          // The old leader id, so that a rejoining leader does not compute an
          // assignment that a Stable group would never hand out.
          leader: currentLeader,
          members: [],
        }),
        (err: unknown) => {
          // Not durable: undo, so the old member id stays valid.
          if (group.members.get(newMemberId) === member) {
            Object.assign(member, previous);
            group.replaceStaticMember(instanceId, newMemberId, oldMemberId, ErrorCode.FENCED_INSTANCE_ID);
          }
          reply(errorJoinResult(newMemberId, storeErrorCode(err)));
        },
      );
      return;
    }
    member.awaitingJoin = reply;
    this.maybePrepareRebalance(group);
    this.tryCompleteJoin(group);
  }

  private addPendingMember(group: ClassicGroup, memberId: string, sessionTimeoutMs: number): void {
    const timer = setTimeout(() => {
      if (group.pendingMembers.get(memberId) !== timer) return;
      group.pendingMembers.delete(memberId);
      this.tryCompleteJoin(group);
      this.maybeForgetGroup(group);
    }, sessionTimeoutMs);
    group.pendingMembers.set(memberId, timer);
  }

  private maybePrepareRebalance(group: ClassicGroup): void {
    if (group.is('Stable') || group.is('CompletingRebalance') || group.is('Empty')) this.prepareRebalance(group);
  }

  private prepareRebalance(group: ClassicGroup): void {
    // Members waiting for the old generation's assignment must rejoin instead.
    if (group.is('CompletingRebalance')) group.completeSyncs(ErrorCode.REBALANCE_IN_PROGRESS);
    const wasEmpty = group.is('Empty');
    group.transitionTo('PreparingRebalance', this.config.now());
    this.clearRebalanceTimer(group);
    if (wasEmpty) {
      const delay = this.config.initialRebalanceDelayMs;
      group.newMemberAdded = false;
      this.scheduleInitialJoin(group, delay, Math.max(group.rebalanceTimeoutMs() - delay, 0));
    } else {
      group.rebalanceTimer = setTimeout(() => this.completeJoin(group), group.rebalanceTimeoutMs());
      this.tryCompleteJoin(group);
    }
  }

  /** group.initial.rebalance.delay.ms: wait, and wait again while members keep arriving. */
  private scheduleInitialJoin(group: ClassicGroup, delayMs: number, remainingMs: number): void {
    group.initialJoinPending = true;
    group.rebalanceTimer = setTimeout(() => {
      group.rebalanceTimer = null;
      if (group.newMemberAdded && remainingMs > 0) {
        group.newMemberAdded = false;
        const next = Math.min(this.config.initialRebalanceDelayMs, remainingMs);
        this.scheduleInitialJoin(group, next, Math.max(remainingMs - next, 0));
      } else {
        group.initialJoinPending = false;
        this.completeJoin(group);
      }
    }, delayMs);
  }

  private clearRebalanceTimer(group: ClassicGroup): void {
    if (group.rebalanceTimer) clearTimeout(group.rebalanceTimer);
    group.rebalanceTimer = null;
    group.initialJoinPending = false;
  }

  /** Completes the join phase early once every known member has rejoined. */
  private tryCompleteJoin(group: ClassicGroup): void {
    if (group.is('PreparingRebalance') && !group.initialJoinPending && group.hasAllMembersJoined()) {
      this.completeJoin(group);
    }
  }

  private completeJoin(group: ClassicGroup): void {
    if (!group.is('PreparingRebalance')) return;
    this.clearRebalanceTimer(group);
    // Dynamic members that did not rejoin in time are gone; static ones keep their
    // place until their session times out.
    for (const member of group.notYetRejoined()) {
      if (!member.isStatic) this.removeMember(group, member);
    }
    if (!group.maybeElectNewJoinedLeader() && group.members.size > 0) {
      // Only absent static members remain: wait another rebalance timeout for them.
      group.rebalanceTimer = setTimeout(() => this.completeJoin(group), group.rebalanceTimeoutMs());
      return;
    }
    group.initNextGeneration(this.config.now());
    if (group.is('Empty')) {
      this.storeGroup(group).catch(() => {});
      this.maybeForgetGroup(group);
      return;
    }
    for (const member of group.members.values()) {
      const reply = member.awaitingJoin;
      member.awaitingJoin = null;
      member.isNew = false;
      reply?.(this.currentGenerationResult(group, member, group.isLeader(member.memberId)));
      this.scheduleSessionTimeout(group, member);
    }
  }

  // ---------------------------------------------------------------- SyncGroup

  async syncGroup(req: SyncGroupRequest, apiVersion: number): Promise<SyncGroupResponse> {
    const result = await this.sync(req, apiVersion);
    const group = this.groups.get(req.groupId);
    const ok = result.errorCode === ErrorCode.NONE && group !== undefined;
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      protocolType: ok ? group.protocolType : null,
      protocolName: ok ? group.protocolName : null,
      assignment: result.assignment,
    };
  }

  private sync(req: SyncGroupRequest, apiVersion: number): Promise<SyncResult> {
    const fail = (errorCode: number) => Promise.resolve({ errorCode, assignment: EMPTY });
    if (!req.groupId) return fail(ErrorCode.INVALID_GROUP_ID);
    const group = this.groups.get(req.groupId);
    if (!group) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (group.is('Dead')) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const instanceId = apiVersion >= 3 ? req.groupInstanceId : null;
    if (group.isStaticMemberFenced(instanceId, req.memberId)) return fail(ErrorCode.FENCED_INSTANCE_ID);
    const member = group.members.get(req.memberId);
    if (!member) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (req.generationId !== group.generationId) return fail(ErrorCode.ILLEGAL_GENERATION);
    if ((req.protocolType != null && req.protocolType !== group.protocolType) ||
        (req.protocolName != null && req.protocolName !== group.protocolName)) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    this.scheduleSessionTimeout(group, member);
    switch (group.state) {
      case 'Empty':
        return fail(ErrorCode.UNKNOWN_MEMBER_ID);
      case 'PreparingRebalance':
        return fail(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable':
        return Promise.resolve({ errorCode: ErrorCode.NONE, assignment: member.assignment });
      default:
        break;
    }
    return new Promise<SyncResult>((reply) => {
      member.awaitingSync?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
      member.awaitingSync = reply;
      if (group.isLeader(req.memberId)) this.completeSyncWithLeaderAssignment(group, req.assignments);
    });
  }

  private completeSyncWithLeaderAssignment(group: ClassicGroup, assignments: SyncGroupRequest['assignments']): void {
    const byMember = new Map<string, Buffer>();
    for (const member of group.members.keys()) byMember.set(member, EMPTY);
    for (const a of assignments) if (byMember.has(a.memberId)) byMember.set(a.memberId, Buffer.from(a.assignment));
    const generation = group.generationId;
    const stillCurrent = () => group.is('CompletingRebalance') && group.generationId === generation;
    this.storeGroup(group, byMember).then(
      () => {
        if (!stillCurrent()) return;
        for (const [memberId, assignment] of byMember) {
          const member = group.members.get(memberId);
          if (member) member.assignment = assignment;
        }
        group.transitionTo('Stable', this.config.now());
        group.completeSyncs(null);
      },
      (err: unknown) => {
        if (!stillCurrent()) return;
        group.completeSyncs(storeErrorCode(err));
        this.prepareRebalance(group);
      },
    );
  }

  // ---------------------------------------------------------------- Heartbeat

  async heartbeat(req: HeartbeatRequest, apiVersion: number): Promise<HeartbeatResponse> {
    return { throttleTimeMs: 0, errorCode: this.heartbeatError(req, apiVersion) };
  }

  private heartbeatError(req: HeartbeatRequest, apiVersion: number): number {
    if (!req.groupId) return ErrorCode.INVALID_GROUP_ID;
    const group = this.groups.get(req.groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (group.isStaticMemberFenced(apiVersion >= 3 ? req.groupInstanceId : null, req.memberId)) return ErrorCode.FENCED_INSTANCE_ID;
    const member = group.members.get(req.memberId);
    if (!member || group.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.scheduleSessionTimeout(group, member);
    return group.is('PreparingRebalance') ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  // ---------------------------------------------------------------- LeaveGroup

  async leaveGroup(req: LeaveGroupRequest, apiVersion: number): Promise<LeaveGroupResponse> {
    const leaving = apiVersion >= 3
      ? (req.members ?? []).map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null }))
      : [{ memberId: req.memberId ?? '', groupInstanceId: null }];
    const groupError = (errorCode: number): LeaveGroupResponse => ({ throttleTimeMs: 0, errorCode, members: [] });
    if (!req.groupId) return groupError(ErrorCode.INVALID_GROUP_ID);
    const group = this.groups.get(req.groupId);
    if (group?.is('Dead')) return groupError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const members = leaving.map((m) => ({
      ...m,
      errorCode: group ? this.removeLeavingMember(group, m.memberId, m.groupInstanceId) : ErrorCode.UNKNOWN_MEMBER_ID,
    }));
    if (apiVersion < 3) return groupError(members[0]!.errorCode);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, members };
  }

  private removeLeavingMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const current = group.staticMemberId(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      // An empty member id is an admin removing the instance (kafka-consumer-groups --delete).
      if (memberId !== '' && memberId !== current) return ErrorCode.FENCED_INSTANCE_ID;
      this.removeMemberAndUpdateGroup(group, group.members.get(current)!);
      return ErrorCode.NONE;
    }
    const pendingTimer = group.pendingMembers.get(memberId);
    if (pendingTimer !== undefined) {
      clearTimeout(pendingTimer);
      group.pendingMembers.delete(memberId);
      this.tryCompleteJoin(group);
      return ErrorCode.NONE;
    }
    const member = group.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.removeMemberAndUpdateGroup(group, member);
    return ErrorCode.NONE;
  }

  // ------------------------------------------------------- member liveness

  private scheduleSessionTimeout(group: ClassicGroup, member: GroupMember): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = setTimeout(() => {
      member.sessionTimer = null;
      if (group.members.get(member.memberId) !== member) return;
      // A member blocked in JoinGroup or SyncGroup cannot heartbeat; the rebalance
      // timeout bounds that wait instead.
      if (member.awaitingJoin || member.awaitingSync) {
        this.scheduleSessionTimeout(group, member);
        return;
      }
      this.removeMemberAndUpdateGroup(group, member);
    }, member.sessionTimeoutMs);
  }

  private removeMember(group: ClassicGroup, member: GroupMember): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = null;
    group.remove(member.memberId);
    member.awaitingJoin?.(errorJoinResult(member.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    member.awaitingJoin = null;
    member.awaitingSync?.({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    member.awaitingSync = null;
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: GroupMember): void {
    this.removeMember(group, member);
    if (group.is('Stable') || group.is('CompletingRebalance')) this.prepareRebalance(group);
    this.tryCompleteJoin(group);
  }

  // ---------------------------------------------------------------- OffsetCommit

  async offsetCommit(req: OffsetCommitRequest, apiVersion: number): Promise<OffsetCommitResponse> {
    const generationId = apiVersion >= 1 ? req.generationIdOrMemberEpoch ?? -1 : -1;
    const memberId = apiVersion >= 1 ? req.memberId ?? '' : '';
    const instanceId = apiVersion >= 7 ? req.groupInstanceId ?? null : null;
    const respondAll = (errorCode: number): OffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    });
    if (!req.groupId) return respondAll(ErrorCode.INVALID_GROUP_ID);
    let group = this.groups.get(req.groupId);
    if (!group) {
      // Without group management (generation -1) a client may commit to a group nobody joined.
      // With a generation: ILLEGAL_GENERATION before v9, GROUP_ID_NOT_FOUND from v9 (as Kafka).
      if (generationId >= 0) return respondAll(apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION);
      group = new ClassicGroup(req.groupId, 'Empty', this.config.now());
      this.groups.set(group.groupId, group);
    }
    const error = this.commitError(group, generationId, memberId, instanceId);
    if (error !== ErrorCode.NONE) return respondAll(error);

    // Every valid partition of the commit goes to the log in one batch (as Kafka): a
    // commit is stored whole or not at all, and costs one append however many partitions.
    const now = this.config.now();
    const target = group;
    const accepted: { topic: string; partition: number; committed: CommittedOffset }[] = [];
    const answers = req.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((p): { partitionIndex: number; errorCode: number } => {
        const metadata = p.committedMetadata ?? '';
        if (Buffer.byteLength(metadata) > this.config.offsetMetadataMaxBytes) {
          return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
        }
        const v1Timestamp = apiVersion === 1 && p.commitTimestamp !== undefined && p.commitTimestamp >= 0n ? Number(p.commitTimestamp) : null;
        accepted.push({
          topic: topic.name,
          partition: p.partitionIndex,
          committed: { offset: p.committedOffset, leaderEpoch: apiVersion >= 6 ? p.committedLeaderEpoch ?? -1 : -1, metadata, commitTimestamp: v1Timestamp ?? now },
        });
        return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
      }),
    }));
    if (accepted.length > 0) {
      try {
        await this.store.appendAll(accepted.map((a) => ({
          key: offsetCommitKey(target.groupId, a.topic, a.partition),
          value: offsetCommitValue({ ...a.committed, commitTimestamp: BigInt(a.committed.commitTimestamp) }),
        })));
      } catch (err) {
        const errorCode = storeErrorCode(err);
        for (const t of answers) for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) p.errorCode = errorCode;
        return { throttleTimeMs: 0, topics: answers };
      }
      // A group deleted meanwhile keeps none of it.
      if (this.groups.get(target.groupId) === target) for (const a of accepted) target.setOffset(a.topic, a.partition, a.committed);
    }
    return { throttleTimeMs: 0, topics: answers };
  }

  private commitError(group: ClassicGroup, generationId: number, memberId: string, instanceId: string | null): number {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (group.isStaticMemberFenced(instanceId, memberId)) return ErrorCode.FENCED_INSTANCE_ID;
    if (generationId < 0 && group.is('Empty')) return ErrorCode.NONE;
    if (group.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
    const member = group.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.scheduleSessionTimeout(group, member);
    return ErrorCode.NONE;
  }

  // ---------------------------------------------------------------- OffsetFetch

  async offsetFetch(req: OffsetFetchRequest, apiVersion: number): Promise<OffsetFetchResponse> {
    if (apiVersion >= 8) {
      return {
        throttleTimeMs: 0,
        topics: [],
        errorCode: ErrorCode.NONE,
        groups: (req.groups ?? []).map((g) => ({ groupId: g.groupId, ...this.fetchGroupOffsets(g.groupId, g.topics, apiVersion) })),
      };
    }
    const { topics, errorCode } = this.fetchGroupOffsets(req.groupId ?? '', req.topics ?? null, apiVersion);
    return { throttleTimeMs: 0, topics, errorCode, groups: [] };
  }

  private fetchGroupOffsets(groupId: string, topics: OffsetFetchRequestTopic[] | null, apiVersion: number): { topics: OffsetFetchResponseTopic[]; errorCode: number } {
    const groupError = groupId ? ErrorCode.NONE : ErrorCode.INVALID_GROUP_ID;
    const group = groupId ? this.groups.get(groupId) : undefined;
    const partition = (topic: string, partitionIndex: number) => {
      const committed = group?.offset(topic, partitionIndex);
      return {
        partitionIndex,
        committedOffset: committed?.offset ?? NO_OFFSET,
        committedLeaderEpoch: committed?.leaderEpoch ?? -1,
        metadata: committed?.metadata ?? '',
        // v0–1 have no group-level error code: it goes on every partition.
        errorCode: apiVersion < 2 ? groupError : ErrorCode.NONE,
      };
    };
    const requested = topics ?? [...(group?.offsets ?? new Map<string, Map<number, CommittedOffset>>())].map(([name, partitions]) => ({
      name,
      partitionIndexes: [...partitions.keys()],
    }));
    return {
      topics: requested.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => partition(t.name, p)) })),
      errorCode: groupError,
    };
  }

  // ---------------------------------------------------------------- Describe/List

  async describeGroups(req: DescribeGroupsRequest, _apiVersion: number): Promise<DescribeGroupsResponse> {
    return { throttleTimeMs: 0, groups: req.groups.map((id) => this.describeGroup(id)) };
  }

  private describeGroup(groupId: string): DescribedGroup {
    const described: DescribedGroup = {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: 'Dead',
      protocolType: '',
      protocolData: '',
      members: [],
      authorizedOperations: -2147483648,
    };
    if (!groupId) return { ...described, errorCode: ErrorCode.INVALID_GROUP_ID };
    const group = this.groups.get(groupId);
    if (!group) return described;
    const stable = group.is('Stable') && group.protocolName !== null;
    return {
      ...described,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      // Protocol, metadata and assignment only mean something in a Stable group.
      protocolData: stable ? group.protocolName! : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadata(group.protocolName!) : EMPTY,
        memberAssignment: stable ? m.assignment : EMPTY,
      })),
    };
  }

  async listGroups(req: ListGroupsRequest, apiVersion: number): Promise<ListGroupsResponse> {
    const filter = apiVersion >= 4 && req.statesFilter && req.statesFilter.length > 0
      ? new Set(req.statesFilter.map((s) => s.toLowerCase()))
      : null;
    const groups = [...this.groups.values()]
      .filter((g) => !g.is('Dead') && (filter === null || filter.has(g.state.toLowerCase())))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups };
  }

  // ---------------------------------------------------------------- Deletion

  async deleteGroups(req: DeleteGroupsRequest, _apiVersion: number): Promise<DeleteGroupsResponse> {
    const results = await Promise.all(req.groupsNames.map(async (groupId) => ({ groupId, errorCode: await this.deleteGroup(groupId) })));
    return { throttleTimeMs: 0, results };
  }

  private async deleteGroup(groupId: string): Promise<number> {
    if (!groupId) return ErrorCode.INVALID_GROUP_ID;
    const group = this.groups.get(groupId);
    if (!group || group.is('Dead')) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (!group.is('Empty')) return ErrorCode.NON_EMPTY_GROUP;
    const tombstones = [...group.offsets].flatMap(([topic, partitions]) => [...partitions.keys()].map((p) => offsetCommitKey(groupId, topic, p)));
    tombstones.push(groupMetadataKey(groupId));
    this.unloadGroup(group, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    group.transitionTo('Dead', this.config.now());
    this.groups.delete(groupId);
    try {
      for (const key of tombstones) await this.store.append(key, null);
    } catch (err) {
      return storeErrorCode(err);
    }
    return ErrorCode.NONE;
  }

  async offsetDelete(req: OffsetDeleteRequest, _apiVersion: number): Promise<OffsetDeleteResponse> {
    const groupError = (errorCode: number): OffsetDeleteResponse => ({ errorCode, throttleTimeMs: 0, topics: [] });
    if (!req.groupId) return groupError(ErrorCode.INVALID_GROUP_ID);
    const group = this.groups.get(req.groupId);
    if (!group || group.is('Dead')) return groupError(ErrorCode.GROUP_ID_NOT_FOUND);
    const subscribed = this.subscribedTopics(group);
    if (subscribed === null) return groupError(ErrorCode.NON_EMPTY_GROUP);
    const topics = await Promise.all(req.topics.map(async (topic) => ({
      name: topic.name,
      partitions: await Promise.all(topic.partitions.map(async ({ partitionIndex }) => {
        if (subscribed.has(topic.name)) return { partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
        if (group.deleteOffset(topic.name, partitionIndex)) {
          try {
            await this.store.append(offsetCommitKey(group.groupId, topic.name, partitionIndex), null);
          } catch (err) {
            return { partitionIndex, errorCode: storeErrorCode(err) };
          }
        }
        return { partitionIndex, errorCode: ErrorCode.NONE };
      })),
    })));
    return { errorCode: ErrorCode.NONE, throttleTimeMs: 0, topics };
  }

  /** Topics the group's members consume; null when that cannot be known (non-consumer protocol). */
  private subscribedTopics(group: ClassicGroup): Set<string> | null {
    if (group.is('Empty')) return new Set();
    if (group.protocolType !== 'consumer' || group.protocolName === null) return null;
    const topics = new Set<string>();
    for (const member of group.members.values()) {
      const memberTopics = subscribedTopics(member.metadata(group.protocolName));
      if (memberTopics === null) return null;
      for (const t of memberTopics) topics.add(t);
    }
    return topics;
  }

  // ---------------------------------------------------------------- Retention

  /**
   * Drops offsets older than offsets.retention.minutes (KIP-211): in an Empty group
   * counted from when it became Empty, or, for groups that only ever stored offsets
   * (no protocol type), from each commit; in a Stable consumer group only offsets of
   * topics no member subscribes to, counted from their commit. Empty groups left
   * with nothing are removed. Runs every offsets.retention.check.interval.ms;
   * returns how many offsets expired.
   */
  async expireOffsets(): Promise<number> {
    const now = this.config.now();
    const tombstones: Buffer[] = [];
    for (const group of [...this.groups.values()]) {
      const empty = group.is('Empty');
      const subscribed = !empty && group.is('Stable') && group.protocolType === 'consumer' ? this.subscribedTopics(group) : null;
      if (!empty && subscribed === null) continue;
      for (const [topic, partitions] of [...group.offsets]) {
        if (subscribed?.has(topic)) continue;
        for (const [partition, committed] of [...partitions]) {
          const since = empty && group.protocolType !== null ? group.stateTimestamp : committed.commitTimestamp;
          if (since + this.config.offsetsRetentionMs > now) continue;
          group.deleteOffset(topic, partition);
          tombstones.push(offsetCommitKey(group.groupId, topic, partition));
        }
      }
      if (empty && !group.hasOffsets() && group.pendingMembers.size === 0) {
        if (group.protocolType !== null) tombstones.push(groupMetadataKey(group.groupId));
        group.transitionTo('Dead', now);
        this.groups.delete(group.groupId);
      }
    }
    for (const key of tombstones) await this.store.append(key, null);
    return tombstones.filter((k) => decodeOffsetsTopicKey(k)?.kind === 'offset').length;
  }

  /** Forgets an Empty group that has nothing worth keeping (no offsets, never persisted). */
  private maybeForgetGroup(group: ClassicGroup): void {
    if (group.is('Empty') && group.protocolType === null && !group.hasOffsets() && group.pendingMembers.size === 0 &&
        this.groups.get(group.groupId) === group) {
      this.groups.delete(group.groupId);
    }
  }

  // ---------------------------------------------------------------- Persistence

  private storeGroup(group: ClassicGroup, assignments?: Map<string, Buffer>): Promise<void> {
    const protocol = group.protocolName;
    return this.store.append(groupMetadataKey(group.groupId), groupMetadataValue({
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol,
      leader: group.leaderId,
      currentStateTimestamp: BigInt(group.stateTimestamp),
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: protocol !== null ? m.metadata(protocol) : EMPTY,
        assignment: assignments?.get(m.memberId) ?? m.assignment,
      })),
    }));
  }

  /**
   * Replays one `__consumer_offsets` record (in log order) to rebuild offsets and
   * groups at start-up. Loaded members get a fresh session timeout to rejoin or heartbeat.
   */
  loadRecord(key: Buffer, value: Buffer | null): void {
    const decoded = decodeOffsetsTopicKey(key);
    if (decoded === null) return;
    const existing = this.groups.get(decoded.group);
    if (decoded.kind === 'offset') {
      if (value === null) {
        existing?.deleteOffset(decoded.topic, decoded.partition);
        if (existing) this.maybeForgetGroup(existing);
        return;
      }
      const v = decodeOffsetCommitValue(value);
      const group = existing ?? this.newEmptyGroup(decoded.group);
      group.setOffset(decoded.topic, decoded.partition, {
        offset: v.offset,
        leaderEpoch: v.leaderEpoch,
        metadata: v.metadata,
        commitTimestamp: Number(v.commitTimestamp),
      });
      return;
    }
    // Group metadata replaces whatever the group was; its offsets stay.
    if (existing) this.unloadGroup(existing, ErrorCode.NOT_COORDINATOR);
    const group = new ClassicGroup(decoded.group, 'Empty', this.config.now());
    for (const [topic, partitions] of existing?.offsets ?? []) {
      for (const [partition, committed] of partitions) group.setOffset(topic, partition, committed);
    }
    this.groups.set(group.groupId, group);
    if (value === null) {
      this.maybeForgetGroup(group);
      return;
    }
    const v = decodeGroupMetadataValue(value);
    group.protocolType = v.protocolType === '' ? null : v.protocolType;
    group.generationId = v.generation;
    group.protocolName = v.protocol;
    if (v.currentStateTimestamp >= 0n) group.stateTimestamp = Number(v.currentStateTimestamp);
    for (const m of v.members) {
      const member = new GroupMember({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeout,
        sessionTimeoutMs: m.sessionTimeout,
        protocolType: v.protocolType,
        protocols: v.protocol !== null ? [{ name: v.protocol, metadata: m.subscription }] : [],
      });
      member.assignment = m.assignment;
      group.add(member);
    }
    group.leaderId = v.leader;
    if (group.members.size > 0) {
      group.state = 'Stable';
      for (const member of group.members.values()) this.scheduleSessionTimeout(group, member);
    }
  }

  private newEmptyGroup(groupId: string): ClassicGroup {
    const group = new ClassicGroup(groupId, 'Empty', this.config.now());
    this.groups.set(groupId, group);
    return group;
  }

  /** Stops a group's timers and answers its pending calls with `errorCode`. */
  private unloadGroup(group: ClassicGroup, errorCode: number): void {
    this.clearRebalanceTimer(group);
    for (const timer of group.pendingMembers.values()) clearTimeout(timer);
    group.pendingMembers.clear();
    for (const member of group.members.values()) {
      if (member.sessionTimer) clearTimeout(member.sessionTimer);
      member.sessionTimer = null;
      member.awaitingJoin?.(errorJoinResult(member.memberId, errorCode));
      member.awaitingJoin = null;
      member.awaitingSync?.({ errorCode, assignment: EMPTY });
      member.awaitingSync = null;
    }
  }
}

/** The error a client gets when its write to `__consumer_offsets` failed. */
function storeErrorCode(err: unknown): number {
  const code = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
  switch (code) {
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
}
