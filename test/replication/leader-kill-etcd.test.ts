// The leader-kill scenario (leader-kill.ts) with the brokers coordinating through a real etcd.
import { test } from 'node:test';
import { leaderKillScenario } from './leader-kill.ts';

test('kill -9 the leader of every partition in turn under an idempotent acks=all producer (etcd): every ack kept once, in order, replicas identical', { timeout: 240_000 }, (t) =>
  leaderKillScenario(t, 'etcd'));
