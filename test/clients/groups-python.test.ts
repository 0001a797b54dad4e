// Consumer groups with python confluent-kafka (librdkafka): three members (separate processes) on a 6-partition
// topic; every record delivered once across the group in per-partition order; a
// member that leaves and one killed without LeaveGroup hand their partitions over;
// committed offsets survive a consumer restart and a broker restart; a second group
// on the same topic reads every record too. See test/support/groups.ts. Then the
// same with librdkafka's cooperative-sticky assignor (incremental rebalances, sticky).
import { test, before, after } from 'node:test';
import { startBroker, type Broker } from '../support/broker.ts';
import { GROUP_BROKER_OVERRIDES, groupScenario } from '../support/groups.ts';

let broker: Broker | undefined;
before(async () => {
  broker = await startBroker({ overrides: GROUP_BROKER_OVERRIDES });
});
after(async () => {
  await broker?.cleanup();
});
const log = (t: { diagnostic(s: string): void }) => (s: string) => t.diagnostic(s);

test('python: a group of three shares a 6-partition topic, survives leave, kill -9, consumer and broker restarts; a second group reads everything', async (t) => {
  await groupScenario('python', broker!, log(t));
});

// KIP-429 incremental rebalancing is client-side: the broker carries the
// cooperative-sticky protocol like any other, and members keep their partitions across it.
test('python with partition.assignment.strategy=cooperative-sticky: the same scenario under incremental rebalances', async (t) => {
  await groupScenario('python', broker!, log(t), 'cooperative-sticky');
});
