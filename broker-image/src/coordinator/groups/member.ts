import type { JoinGroupResponseMember } from './api-types.ts';

export interface MemberProtocol {
  name: string;
  metadata: Buffer;
}

/** What a pending JoinGroup learns when the rebalance (or an error) completes it. */
export interface JoinResult {
  errorCode: number;
  memberId: string;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  members: JoinGroupResponseMember[];
}

export interface SyncResult {
  errorCode: number;
  assignment: Buffer;
}

/** One member of a classic group. */
export class GroupMember {
  memberId: string;
  readonly groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: MemberProtocol[];
  assignment: Buffer = Buffer.alloc(0);
  /** Joined since the last generation started: it has not been in a completed generation yet. */
  isNew = false;
  awaitingJoin: ((result: JoinResult) => void) | null = null;
  awaitingSync: ((result: SyncResult) => void) | null = null;
  sessionTimer: NodeJS.Timeout | null = null;

  constructor(init: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    rebalanceTimeoutMs: number;
    sessionTimeoutMs: number;
    protocolType: string;
    protocols: MemberProtocol[];
  }) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
    this.protocolType = init.protocolType;
    this.protocols = init.protocols;
  }

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  /** The metadata this member sent for `protocol`. */
  metadata(protocol: string): Buffer {
    const found = this.protocols.find((p) => p.name === protocol);
    if (!found) throw new Error(`member ${this.memberId} does not support protocol ${protocol}`);
    return found.metadata;
  }

  /** Same protocols, in the same order of preference, with the same metadata. */
  matches(protocols: MemberProtocol[]): boolean {
    return protocols.length === this.protocols.length &&
      protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }

  /** This member's first preference among the protocols every member supports. */
  vote(candidates: Set<string>): string {
    const choice = this.protocols.find((p) => candidates.has(p.name));
    if (!choice) throw new Error(`member ${this.memberId} supports none of the candidate protocols`);
    return choice.name;
  }
}
