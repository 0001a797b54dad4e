// What one path's run produced: the figures the report tables and charts use.
import type { DeliveryCheck, LatencySummary } from './check.ts';

export type Api = 'kafka' | 'pubsub' | 'kinesis';

export interface PathResult {
  api: Api;
  /** Who served it: 'Tributary', "Google's emulator", 'kinesis-mock'. */
  server: string;
  /** Short label for charts: "Kafka · Tributary". */
  label: string;
  client: string;
  records: number;
  acked: number;
  sendFailures: number;
  /** Records the producer had to send again (per-record failures in a batch). */
  resent: number;
  produceSeconds: number;
  produceRate: number;
  delivered: number;
  lost: number;
  duplicates: number;
  redeliveredIds: number;
  orderViolations: number;
  /** Whether the API promises per-key order in the way this run used it. */
  orderPromised: boolean;
  consumeSeconds: number;
  consumeRate: number;
  endToEndSeconds: number;
  latency: LatencySummary;
  /** The run's phases and what the API's contract allowed, in words. */
  notes: string[];
  error?: string;
}

export function resultFrom(
  base: Pick<PathResult, 'api' | 'server' | 'client' | 'orderPromised' | 'notes'>,
  check: DeliveryCheck,
  produce: { startedAt: number; endedAt: number; acked: number; failures: number; resent: number },
): PathResult {
  const produceSeconds = Math.max((produce.endedAt - produce.startedAt) / 1000, 1e-6);
  const consumeSeconds = Math.max((check.lastAt - check.firstAt) / 1000, 1e-6);
  return {
    ...base,
    label: `${apiName(base.api)} · ${base.server}`,
    records: check.expected,
    acked: produce.acked,
    sendFailures: produce.failures,
    resent: produce.resent,
    produceSeconds,
    produceRate: produce.acked / produceSeconds,
    delivered: check.firstDeliveries,
    lost: check.lost,
    duplicates: check.duplicates,
    redeliveredIds: check.redeliveredIds,
    orderViolations: check.orderViolations,
    consumeSeconds,
    consumeRate: check.firstDeliveries / consumeSeconds,
    endToEndSeconds: Math.max((check.lastAt - produce.startedAt) / 1000, 0),
    latency: check.latency(),
  };
}

export function apiName(api: Api): string {
  return api === 'kafka' ? 'Kafka' : api === 'pubsub' ? 'Pub/Sub' : 'Kinesis';
}
