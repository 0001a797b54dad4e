// Consumer groups with kafkajs 2.2.4: three members (separate processes) on a 6-partition
// topic; every record delivered once across the group in per-partition order; a
// member that leaves and one killed without LeaveGroup hand their partitions over;
// committed offsets survive a consumer restart and a broker restart; a second group
// on the same topic reads every record too. See test/support/groups.ts.
import { test, after } from 'node:test';
import { startBroker, type Broker } from '../support/broker.ts';
import { GROUP_BROKER_OVERRIDES, groupScenario } from '../support/groups.ts';

let broker: Broker | undefined;
after(async () => {
  await broker?.cleanup();
});

test('kafkajs: a group of three shares a 6-partition topic, survives leave, kill -9, consumer and broker restarts; a second group reads everything', async (t) => {
  broker = await startBroker({ overrides: GROUP_BROKER_OVERRIDES });
  await groupScenario('kafkajs', broker, (s) => t.diagnostic(s));
});
