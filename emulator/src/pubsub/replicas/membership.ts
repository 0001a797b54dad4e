// Which replica serves which Kafka topic-partition: every replica is a member of one
// Kafka consumer group (classic protocol, eager round-robin assignment) subscribed to
// the Kafka topics that have Pub/Sub subscriptions. The group is used for membership
// and assignment only — records are read with explicit offsets (kafka/access.ts),
// because a subscription's cursor is its ack state, not a committed offset.
//
// Eager: the moment a (re)join starts, this replica gives up everything (onSuspend),
// and only the assignment that SyncGroup hands back is served (onAssign). The
// coordinator completes a join only once every live member has rejoined, so two live
// members never serve one partition; a member that stopped heartbeating is fenced by
// the ownership epoch in the ack records (store.ts).
//
// A static member (group.instance.id = the replica's ID) restarted under the same ID
// takes its place at once instead of waiting for the old session to time out.

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Consumer } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { assignPartitions, type MemberSubscription } from './assign.ts';

export interface MembershipOptions {
  bootstrap: string[];
  groupId: string;
  instanceId: string;
  sessionTimeoutMs: number;
  log: Logger;
  onSuspend(): void;
  onAssign(generation: number, owned: Map<string, number[]>): void;
  /** The replica ID serving a partition now, if any (for a sticky assignment). */
  currentOwner(topic: string, partition: number): string | null;
}

interface TraceContext {
  client?: unknown;
  operation?: string;
}

export class Membership {
  #opts: MembershipOptions;
  #consumer: Consumer;
  #topics = new Set<string>();
  #joining: Promise<void> | null = null;
  #again = false;
  #closed = false;
  #onTrace: (ctx: unknown) => void;
  /** When the join under way started (0 = none): a join the client gave up on is retried. */
  #joinStarted = 0;
  #watchdog: NodeJS.Timeout;
  generation = -1;

  constructor(opts: MembershipOptions) {
    this.#opts = opts;
    const timeout = opts.sessionTimeoutMs;
    // Kafka's rule for group.instance.id: [a-zA-Z0-9._-].
    const instanceId = opts.instanceId.replace(/[^a-zA-Z0-9._-]/g, '_');
    this.#consumer = new Consumer({
      clientId: `tributary-pubsub-${instanceId}`,
      groupId: opts.groupId,
      groupInstanceId: instanceId,
      bootstrapBrokers: opts.bootstrap,
      sessionTimeout: timeout,
      rebalanceTimeout: timeout,
      heartbeatInterval: Math.max(100, Math.floor(timeout / 5)),
      retries: 10,
      retryDelay: 300,
      // The leader assigns from its cached metadata: keep it fresh so new partitions count.
      metadataMaxAge: 1000,
      protocols: [{ name: 'tributary-pubsub', version: 0, metadata: Buffer.from(opts.instanceId) }],
      partitionAssigner: (_current, members, _topics, metadata) =>
        assignPartitions(members as Map<string, MemberSubscription>, (t) => metadata.topics.get(t)?.partitionsCount ?? 0, opts.currentOwner),
    });
    // The client rejoins by itself when a heartbeat says the group is rebalancing; its
    // tracing channel is the one place that tells us a join is starting.
    this.#onTrace = (ctx: unknown) => {
      const c = ctx as TraceContext;
      if (c.client === this.#consumer && c.operation === 'joinGroup' && !this.#closed) {
        this.#joinStarted ||= Date.now();
        opts.onSuspend();
      }
    };
    subscribe('tracing:plt:kafka:consumer:group:start', this.#onTrace);
    this.#consumer.on('consumer:group:join', (p: { generationId?: number; assignments?: { topic: string; partitions: number[] }[] }) => {
      if (this.#closed) return;
      this.#joinStarted = 0;
      this.generation = p.generationId ?? -1;
      const owned = new Map<string, number[]>();
      for (const a of p.assignments ?? []) owned.set(a.topic, [...a.partitions]);
      opts.onAssign(this.generation, owned);
    });
    this.#consumer.on('error', (err: Error) => opts.log.warn({ err: err.message }, 'pubsub group member error'));
    // The client rejoins by itself after a failed heartbeat, but gives up if that join
    // fails (e.g. the coordinator was unreachable for a while): then we join again.
    this.#watchdog = setInterval(() => {
      if (this.#closed || this.#joining || !this.#joinStarted) return;
      if (Date.now() - this.#joinStarted < timeout * 2 + 5000) return;
      opts.log.warn('pubsub group join stalled; joining again');
      this.#joinStarted = Date.now();
      void this.#join();
    }, 1000);
    this.#watchdog.unref();
  }

  /** (Re)joins with this topic set when it differs from the current one; resolves once assigned. */
  setTopics(topics: Iterable<string>): Promise<void> {
    const next = new Set(topics);
    const same = next.size === this.#topics.size && [...next].every((t) => this.#topics.has(t));
    if (same && this.generation >= 0) return this.#joining ?? Promise.resolve();
    for (const t of this.#topics) if (!next.has(t)) this.#consumer.topics.untrack(t);
    for (const t of next) if (!this.#topics.has(t)) this.#consumer.topics.track(t);
    this.#topics = next;
    return this.#join();
  }

  /** Joins again with the same topics (e.g. a topic got more partitions: the leader assigns them). */
  rejoin(): Promise<void> {
    return this.#join();
  }

  #join(): Promise<void> {
    if (this.#joining) {
      this.#again = true;
      return this.#joining;
    }
    this.#joining = (async () => {
      do {
        this.#again = false;
        try {
          await this.#consumer.joinGroup({});
        } catch (err) {
          if (this.#closed) return;
          this.#opts.log.warn({ err: (err as Error).message }, 'pubsub group join failed; retrying');
          await new Promise((r) => setTimeout(r, 1000));
          this.#again = true;
        }
      } while (this.#again && !this.#closed);
    })().finally(() => {
      this.#joining = null;
    });
    return this.#joining;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#watchdog);
    unsubscribe('tracing:plt:kafka:consumer:group:start', this.#onTrace);
    // A clean stop hands the partitions over at once (LeaveGroup names the static member).
    await new Promise<void>((resolve) => this.#consumer.leaveGroup(true, () => resolve()));
    await this.#consumer.close(true).catch(() => {});
  }
}
