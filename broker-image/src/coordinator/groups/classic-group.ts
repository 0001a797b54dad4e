import type { JoinGroupResponseMember } from './api-types.ts';
import type { GroupMember, JoinResult, MemberProtocol, SyncResult } from './member.ts';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

const allowedPrevious: Record<GroupState, GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export interface CommittedOffset {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
}

/**
 * A classic-protocol consumer group: membership, generation, the selected protocol
 * and the group's committed offsets. Pure state; timers and persistence live in
 * the coordinator.
 */
export class ClassicGroup {
  readonly groupId: string;
  state: GroupState;
  /** When the group last changed state (ms); an Empty group's offsets expire from here. */
  stateTimestamp: number;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, GroupMember>();
  /** Member ids handed out with MEMBER_ID_REQUIRED whose owners have not rejoined yet. */
  readonly pendingMembers = new Map<string, NodeJS.Timeout>();
  readonly staticMembers = new Map<string, string>();
  /** Whether a member joined while the initial rebalance delay was running. */
  newMemberAdded = false;
  rebalanceTimer: NodeJS.Timeout | null = null;
  /** The rebalance timer is group.initial.rebalance.delay.ms, which never completes early. */
  initialJoinPending = false;
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();

  constructor(groupId: string, state: GroupState, now: number) {
    this.groupId = groupId;
    this.state = state;
    this.stateTimestamp = now;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupState, now: number): void {
    if (!allowedPrevious[state].includes(this.state)) {
      throw new Error(`group ${this.groupId}: illegal transition ${this.state} -> ${state}`);
    }
    this.state = state;
    this.stateTimestamp = now;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  add(member: GroupMember): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    if (this.leaderId === null) this.leaderId = member.memberId;
  }

  remove(memberId: string): GroupMember | undefined {
    const member = this.members.get(memberId);
    if (!member) return undefined;
    this.members.delete(memberId);
    if (member.groupInstanceId !== null) this.staticMembers.delete(member.groupInstanceId);
    if (this.isLeader(memberId)) {
      this.leaderId = this.members.keys().next().value ?? null;
    }
    return member;
  }

  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  /** A static member id that is not the one currently registered for its instance id. */
  isStaticMemberFenced(groupInstanceId: string | null | undefined, memberId: string): boolean {
    if (groupInstanceId === null || groupInstanceId === undefined) return false;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  /** Gives a rejoining static member a new member id; the old id's waiting calls are fenced. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string, fencedCode: number): GroupMember {
    const member = this.members.get(oldMemberId);
    if (!member) throw new Error(`no member ${oldMemberId}`);
    this.members.delete(oldMemberId);
    member.awaitingJoin?.(errorJoinResult(oldMemberId, fencedCode));
    member.awaitingJoin = null;
    member.awaitingSync?.({ errorCode: fencedCode, assignment: Buffer.alloc(0) });
    member.awaitingSync = null;
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    return member;
  }

  /** The protocols every member supports. */
  candidateProtocols(): Set<string> {
    let candidates: string[] | null = null;
    for (const member of this.members.values()) {
      const names = member.protocols.map((p) => p.name);
      candidates = candidates === null ? names : candidates.filter((n) => names.includes(n));
    }
    return new Set(candidates ?? []);
  }

  /** Whether a member with this protocol type and these protocols may join. */
  supportsProtocols(protocolType: string, protocols: MemberProtocol[]): boolean {
    if (this.members.size === 0) return protocolType !== '' && protocols.length > 0;
    if (this.protocolType !== protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.has(p.name));
  }

  /** Each member votes for its favourite common protocol; the most votes win. */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const member of this.members.values()) {
      const choice = member.vote(candidates);
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best = '';
    let bestVotes = -1;
    for (const [name, count] of votes) {
      if (count > bestVotes) {
        best = name;
        bestVotes = count;
      }
    }
    return best;
  }

  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const member of this.members.values()) max = Math.max(max, member.rebalanceTimeoutMs);
    return max;
  }

  awaitingJoinCount(): number {
    let n = 0;
    for (const member of this.members.values()) if (member.awaitingJoin) n++;
    return n;
  }

  hasAllMembersJoined(): boolean {
    return this.awaitingJoinCount() === this.members.size && this.pendingMembers.size === 0;
  }

  notYetRejoined(): GroupMember[] {
    return [...this.members.values()].filter((m) => !m.awaitingJoin);
  }

  /** If the leader has not rejoined, hands leadership to a member that has. False if nobody has. */
  maybeElectNewJoinedLeader(): boolean {
    const leader = this.leaderId === null ? undefined : this.members.get(this.leaderId);
    if (leader?.awaitingJoin) return true;
    const joined = [...this.members.values()].find((m) => m.awaitingJoin);
    if (!joined) return false;
    this.leaderId = joined.memberId;
    return true;
  }

  initNextGeneration(now: number): void {
    this.generationId += 1;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo('CompletingRebalance', now);
    } else {
      this.protocolName = null;
      this.transitionTo('Empty', now);
    }
  }

  /** The member list the leader assigns from: every member's metadata for the selected protocol. */
  currentMemberMetadata(): JoinGroupResponseMember[] {
    const protocol = this.protocolName;
    if (protocol === null) throw new Error(`group ${this.groupId} has no selected protocol`);
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata(protocol),
    }));
  }

  /** Answers every pending SyncGroup, with its assignment or an error. */
  completeSyncs(errorCode: number | null): void {
    for (const member of this.members.values()) {
      const reply = member.awaitingSync;
      if (!reply) continue;
      member.awaitingSync = null;
      reply(errorCode === null ? { errorCode: 0, assignment: member.assignment } : { errorCode, assignment: Buffer.alloc(0) });
    }
  }

  offset(topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(topic)?.get(partition);
  }

  setOffset(topic: string, partition: number, committed: CommittedOffset): void {
    let partitions = this.offsets.get(topic);
    if (!partitions) this.offsets.set(topic, (partitions = new Map()));
    partitions.set(partition, committed);
  }

  deleteOffset(topic: string, partition: number): boolean {
    const partitions = this.offsets.get(topic);
    if (!partitions?.delete(partition)) return false;
    if (partitions.size === 0) this.offsets.delete(topic);
    return true;
  }

  hasOffsets(): boolean {
    return this.offsets.size > 0;
  }
}

export function errorJoinResult(memberId: string, errorCode: number): JoinResult {
  return { errorCode, memberId, generationId: -1, protocolType: null, protocolName: null, leader: '', members: [] };
}

export type { SyncResult };
