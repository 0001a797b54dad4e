// The leader-kill scenario (leader-kill.ts) with the brokers coordinating through the
// real kube-apiserver of test/cluster (Leases and ConfigMaps; no kubelet needed: the
// brokers are processes on 127.0.0.1..3).
import { test } from 'node:test';
import { leaderKillScenario } from './leader-kill.ts';

test('kill -9 the leader of every partition in turn under an idempotent acks=all producer (kubernetes): every ack kept once, in order, replicas identical', { timeout: 300_000 }, (t) =>
  leaderKillScenario(t, 'kubernetes'));
