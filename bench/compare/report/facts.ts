// What each API promises, for the descriptive rows of the comparison table: the
// managed service's contract first, then what this machine's server does.
import type { Api } from '../result.ts';

export interface Facts {
  operates: string;
  orderingUnit: string;
  retention: string;
  replication: string;
  acks: string;
  limits: string;
  contract: string;
  restart: string;
}

export const FACTS: Record<Api, Facts> = {
  kafka: {
    operates: 'you (self-hosted; Tributary operator on Kubernetes), or a vendor',
    orderingUnit: 'partition (a key always maps to one partition, murmur2)',
    retention: 'per topic: retention.ms / retention.bytes, unlimited, or compaction',
    replication: 'replication.factor per topic, acks=all waits for min.insync.replicas (Tributary today: one broker, RF 1)',
    acks: 'the consumer: one committed offset per partition in __consumer_offsets',
    limits: 'message.max.bytes (1 MB default), partitions as many as the cluster carries; no per-partition rate caps',
    contract: 'idempotent producer: no duplicates written; consumers at-least-once (re-read after a rebalance or crash before commit)',
    restart: 'producers retry and (idempotent) write once; consumers resume from committed offsets and may re-read past them',
  },
  pubsub: {
    operates: 'Google (managed, global); here: Tributary’s emulator over the Kafka log',
    orderingUnit: 'ordering key, only on a subscription with message ordering on; otherwise none',
    retention: 'unacked messages 7 days (topic retention up to 31 days); ours: the Kafka topic’s retention.ms',
    replication: 'Google: synchronous across zones; ours: the Kafka topic’s replication',
    acks: 'the server: an ack per message (ours: acked ranges per partition in __tributary_pubsub)',
    limits: '10 MB per message, 1,000 messages / 10 MB per publish request; quotas per project',
    contract: 'at-least-once (duplicates allowed, e.g. on ack-deadline expiry); exactly-once delivery is an opt-in per subscription',
    restart: 'publishes retried by the client; unacked messages redelivered after the restart (ours: every lease is dropped)',
  },
  kinesis: {
    operates: 'AWS (managed, per region); here: Tributary’s emulator over the Kafka log',
    orderingUnit: 'shard (partition key → shard by MD5 hash range)',
    retention: '24 h default, up to 365 days; ours: the Kafka topic’s retention.ms',
    replication: 'AWS: three availability zones; ours: the Kafka topic’s replication',
    acks: 'the consumer: sequence-number checkpoints of its own (KCL keeps them in DynamoDB)',
    limits: '1 MB per record, 500 records / 5 MB per PutRecords; per shard 1 MB/s or 1,000 records/s in, 2 MB/s and 5 GetRecords/s out (ours: off unless --kinesis-enforce-limits)',
    contract: 'at-least-once: a retried PutRecords can write a record twice; readers see each stored record once per iterator',
    restart: 'PutRecords retried by the SDK (maybe twice-written); iterators stay valid (ours: self-contained tokens, 5 min)',
  },
};

/** The peers differ from the managed services where they keep things: in one process's memory. */
export const PEER_FACTS: Record<string, Partial<Facts>> = {
  "Google's emulator": {
    operates: 'you: Google’s Pub/Sub emulator (gcloud), for development only',
    retention: 'in the emulator’s memory until acked, lost when it stops',
    replication: 'none (one process, in memory)',
    acks: 'the emulator’s memory',
  },
  'kinesis-mock': {
    operates: 'you: kinesis-mock (npm kinesis-local), for development only',
    retention: 'in memory (persistence to a file is optional), 24 h nominal',
    replication: 'none (one process, in memory)',
    limits: '1 MB per record, 500 records per PutRecords; AWS’s shard limits',
  },
};
