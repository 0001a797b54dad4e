// A classic-protocol consumer-group member for the CLI tools: finds the
// coordinator, joins (JoinGroup with the KIP-394 member-id round trip), assigns with
// the range assignor when it is the leader, syncs, heartbeats on its own connection,
// commits and fetches offsets, and leaves. Eager rebalancing: when the coordinator
// says a rebalance is in progress the caller commits what it consumed and calls
// join() again.

import { errorName } from '../protocol/errors.ts';
import { assignedPartitions, subscribedTopics } from '../coordinator/groups/consumer-protocol.ts';
import { BrokerConnection } from './connection.ts';
import { KafkaRequestError, partitionCount } from './topic-client.ts';

const NONE = 0;
const ILLEGAL_GENERATION = 22;
const UNKNOWN_MEMBER_ID = 25;
const REBALANCE_IN_PROGRESS = 27;
const MEMBER_ID_REQUIRED = 79;
const COORDINATOR_LOAD_IN_PROGRESS = 14;
const COORDINATOR_NOT_AVAILABLE = 15;
const NOT_COORDINATOR = 16;

export interface GroupMemberOptions {
  groupId: string;
  topics: string[];
  clientId?: string;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/** ConsumerProtocolSubscription v0: the topics, empty user data. */
export function encodeSubscription(topics: string[]): Buffer {
  const parts: Buffer[] = [u16(0), i32(topics.length)];
  for (const t of topics) parts.push(str(t));
  parts.push(i32(0));
  return Buffer.concat(parts);
}

/** ConsumerProtocolAssignment v0: partitions per topic, empty user data. */
export function encodeAssignment(assignment: TopicPartitions[]): Buffer {
  const parts: Buffer[] = [u16(0), i32(assignment.length)];
  for (const a of assignment) {
    parts.push(str(a.topic), i32(a.partitions.length));
    for (const p of a.partitions) parts.push(i32(p));
  }
  parts.push(i32(0));
  return Buffer.concat(parts);
}

/**
 * Kafka's RangeAssignor: per topic, the members subscribed to it in member-id order
 * each get a contiguous range; the first (partitions % members) get one more.
 */
export function rangeAssign(subscriptions: Map<string, string[]>, partitionsPerTopic: Map<string, number>): Map<string, TopicPartitions[]> {
  const out = new Map<string, TopicPartitions[]>();
  for (const member of subscriptions.keys()) out.set(member, []);
  for (const [topic, count] of [...partitionsPerTopic].sort(([a], [b]) => a.localeCompare(b))) {
    const members = [...subscriptions].filter(([, topics]) => topics.includes(topic)).map(([m]) => m).sort();
    if (members.length === 0) continue;
    const per = Math.floor(count / members.length);
    const extra = count % members.length;
    let next = 0;
    members.forEach((m, i) => {
      const n = per + (i < extra ? 1 : 0);
      if (n > 0) out.get(m)!.push({ topic, partitions: Array.from({ length: n }, (_, j) => next + j) });
      next += n;
    });
  }
  return out;
}

export class GroupMember {
  readonly groupId: string;
  readonly topics: string[];
  memberId = '';
  generationId = -1;
  assignment: TopicPartitions[] = [];
  /** Set by the heartbeat when the group rebalances or forgot us: call join() again. */
  needsRejoin = true;
  /** The last heartbeat error that was not a rebalance (for diagnostics). */
  lastError: string | null = null;
  private readonly conn: BrokerConnection;
  private readonly heartbeatConn: BrokerConnection;
  private readonly sessionTimeoutMs: number;
  private readonly rebalanceTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private heartbeatInFlight = false;
  private closed = false;

  private constructor(conn: BrokerConnection, heartbeatConn: BrokerConnection, opts: GroupMemberOptions) {
    this.conn = conn;
    this.heartbeatConn = heartbeatConn;
    this.groupId = opts.groupId;
    this.topics = [...opts.topics];
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? 45_000;
    this.rebalanceTimeoutMs = opts.rebalanceTimeoutMs ?? 60_000;
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs ?? Math.max(100, Math.floor(this.sessionTimeoutMs / 3));
  }

  /** Connects to the group's coordinator (two connections: requests and heartbeats). */
  static async connect(bootstrap: string, opts: GroupMemberOptions): Promise<GroupMember> {
    const clientId = opts.clientId ?? 'tributary-consumer';
    const boot = await BrokerConnection.open(bootstrap, clientId);
    let coordinator: string;
    try {
      for (let attempt = 0; ; attempt++) {
        const res = await boot.request(10, 3, { key: opts.groupId, keyType: 0 });
        if (res.errorCode === NONE) {
          coordinator = `${res.host}:${res.port}`;
          break;
        }
        if (![COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS].includes(res.errorCode) || attempt > 50) {
          throw new KafkaRequestError(res.errorCode, `find coordinator of group '${opts.groupId}'`, res.errorMessage);
        }
        await sleep(100);
      }
    } finally {
      boot.close();
    }
    const conn = await BrokerConnection.open(coordinator, clientId);
    const heartbeatConn = await BrokerConnection.open(coordinator, clientId).catch((e: unknown) => {
      conn.close();
      throw e;
    });
    return new GroupMember(conn, heartbeatConn, opts);
  }

  /** The connection to the coordinator, for Fetch/ListOffsets on a single broker. */
  get connection(): BrokerConnection {
    return this.conn;
  }

  /** (Re)joins until the group is Stable with an assignment for us; returns it. */
  async join(): Promise<TopicPartitions[]> {
    this.stopHeartbeat();
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new Error('group member closed');
      if (attempt > 200) throw new Error(`group '${this.groupId}': no stable membership after ${attempt} join attempts`);
      const res = await this.conn.request(11, 5, {
        groupId: this.groupId, sessionTimeoutMs: this.sessionTimeoutMs, rebalanceTimeoutMs: this.rebalanceTimeoutMs,
        memberId: this.memberId, groupInstanceId: null, protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: encodeSubscription(this.topics) }], reason: null,
      });
      if (res.errorCode === MEMBER_ID_REQUIRED) {
        this.memberId = res.memberId;
        continue;
      }
      if (res.errorCode === UNKNOWN_MEMBER_ID) {
        this.memberId = '';
        continue;
      }
      if (res.errorCode === REBALANCE_IN_PROGRESS || res.errorCode === COORDINATOR_LOAD_IN_PROGRESS) {
        await sleep(100);
        continue;
      }
      if (res.errorCode !== NONE) throw new KafkaRequestError(res.errorCode, `join group '${this.groupId}'`);
      this.memberId = res.memberId;
      this.generationId = res.generationId;
      const assignments = res.leader === res.memberId ? await this.assign(res.members) : [];
      const sync = await this.conn.request(14, 3, {
        groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: null,
        protocolType: 'consumer', protocolName: 'range', assignments,
      });
      if (sync.errorCode === REBALANCE_IN_PROGRESS || sync.errorCode === ILLEGAL_GENERATION) continue;
      if (sync.errorCode === UNKNOWN_MEMBER_ID) {
        this.memberId = '';
        continue;
      }
      if (sync.errorCode !== NONE) throw new KafkaRequestError(sync.errorCode, `sync group '${this.groupId}'`);
      const mine = assignedPartitions(sync.assignment);
      if (mine === null) throw new Error(`group '${this.groupId}': the leader sent an assignment that is not a consumer assignment`);
      this.assignment = mine.filter((a) => a.partitions.length > 0);
      this.needsRejoin = false;
      this.startHeartbeat();
      return this.assignment;
    }
  }

  private async assign(members: { memberId: string; metadata: Buffer }[]): Promise<{ memberId: string; assignment: Buffer }[]> {
    const subscriptions = new Map<string, string[]>();
    for (const m of members) subscriptions.set(m.memberId, subscribedTopics(Buffer.from(m.metadata)) ?? []);
    const counts = new Map<string, number>();
    for (const topic of new Set([...subscriptions.values()].flat())) {
      try {
        counts.set(topic, await partitionCount(this.conn, topic, false));
      } catch {
        // a topic that does not exist (yet) gets no partitions
      }
    }
    return [...rangeAssign(subscriptions, counts)].map(([memberId, a]) => ({ memberId, assignment: encodeAssignment(a) }));
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.heartbeatIntervalMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private async heartbeat(): Promise<void> {
    if (this.heartbeatInFlight || this.needsRejoin || this.closed) return;
    this.heartbeatInFlight = true;
    try {
      const res = await this.heartbeatConn.request(12, 3, { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: null });
      if (res.errorCode === NONE) return;
      if (res.errorCode === UNKNOWN_MEMBER_ID) this.memberId = '';
      else if (res.errorCode !== REBALANCE_IN_PROGRESS && res.errorCode !== ILLEGAL_GENERATION) this.lastError = errorName(res.errorCode);
      this.needsRejoin = true;
      this.stopHeartbeat();
    } catch (err) {
      this.lastError = (err as Error).message;
    } finally {
      this.heartbeatInFlight = false;
    }
  }

  /**
   * Commits offsets (the next offset to read) under the current generation. Returns
   * false when the group moved on (rebalance, fenced generation): the caller rejoins.
   */
  async commit(offsets: { topic: string; partition: number; offset: bigint }[]): Promise<boolean> {
    if (offsets.length === 0) return true;
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; commitTimestamp: bigint; committedMetadata: string }[]>();
    for (const o of offsets) {
      const list = byTopic.get(o.topic) ?? [];
      list.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' });
      byTopic.set(o.topic, list);
    }
    const res = await this.conn.request(8, 7, {
      groupId: this.groupId, generationIdOrMemberEpoch: this.generationId, memberId: this.memberId, groupInstanceId: null, retentionTimeMs: -1n,
      topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
    });
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode === NONE) continue;
        if ([REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID].includes(p.errorCode)) {
          if (p.errorCode === UNKNOWN_MEMBER_ID) this.memberId = '';
          this.needsRejoin = true;
          return false;
        }
        throw new KafkaRequestError(p.errorCode, `commit ${t.name}-${p.partitionIndex} for group '${this.groupId}'`);
      }
    }
    return true;
  }

  /** Committed offsets of these partitions (-1 where the group has none). */
  async committed(assignment: TopicPartitions[]): Promise<Map<string, bigint>> {
    const res = await this.conn.request(9, 7, {
      groupId: this.groupId, requireStable: false,
      topics: assignment.map((a) => ({ name: a.topic, partitionIndexes: a.partitions })),
    });
    if (res.errorCode) throw new KafkaRequestError(res.errorCode, `offsets of group '${this.groupId}'`);
    const out = new Map<string, bigint>();
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode) throw new KafkaRequestError(p.errorCode, `offset of ${t.name}-${p.partitionIndex}`);
        out.set(`${t.name}:${p.partitionIndex}`, p.committedOffset);
      }
    }
    return out;
  }

  /** LeaveGroup (so the others rebalance at once) and close the connections. */
  async leave(): Promise<void> {
    this.closed = true;
    this.stopHeartbeat();
    try {
      if (this.memberId !== '') {
        const res = await this.conn.request(13, 3, { groupId: this.groupId, memberId: this.memberId, members: [{ memberId: this.memberId, groupInstanceId: null }] });
        if (res.errorCode !== NONE && res.errorCode !== UNKNOWN_MEMBER_ID && res.errorCode !== NOT_COORDINATOR) {
          throw new KafkaRequestError(res.errorCode, `leave group '${this.groupId}'`);
        }
      }
    } finally {
      this.close();
    }
  }

  /** Closes the connections without leaving (the coordinator notices after the session timeout). */
  close(): void {
    this.closed = true;
    this.stopHeartbeat();
    this.conn.close();
    this.heartbeatConn.close();
  }
}

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
}

function i32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}

function str(s: string): Buffer {
  const body = Buffer.from(s, 'utf8');
  return Buffer.concat([u16(body.length), body]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
