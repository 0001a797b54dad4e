// The broker settings the classic group coordinator honours, with Kafka's defaults.

export interface GroupCoordinatorConfig {
  /** group.initial.rebalance.delay.ms: how long the first rebalance of an empty group waits for more members. */
  initialRebalanceDelayMs: number;
  /** group.min.session.timeout.ms */
  minSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  maxSessionTimeoutMs: number;
  /** offsets.retention.minutes, in milliseconds. */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes */
  offsetMetadataMaxBytes: number;
  /** group.max.size */
  maxGroupSize: number;
  /** Wall clock in milliseconds; injectable so retention tests need not wait. */
  now: () => number;
}

export const defaultGroupCoordinatorConfig: GroupCoordinatorConfig = {
  initialRebalanceDelayMs: 3000,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  offsetsRetentionMs: 10080 * 60_000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
  maxGroupSize: 2_147_483_647,
  now: () => Date.now(),
};
