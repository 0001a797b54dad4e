// The test kubelet process (started by test/cluster/up.sh):
//   node test/kubelet/main.ts --kubeconfig F --dir DIR --cluster-id N --nodes node-1,node-2 --api-port P
// SIGTERM/SIGINT stop every container it runs, then it exits.
import { parseArgs } from 'node:util';
import { Kube } from './kube.ts';
import { Kubelet } from './kubelet.ts';
import { Provisioner } from './provisioner.ts';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    dir: { type: 'string' },
    'cluster-id': { type: 'string' },
    nodes: { type: 'string', default: 'node-1' },
    'api-port': { type: 'string' },
  },
});
if (!values.kubeconfig || !values.dir || !values['cluster-id'] || !values['api-port']) {
  console.error('usage: main.ts --kubeconfig F --dir DIR --cluster-id N --nodes a,b --api-port P');
  process.exit(2);
}
const log = (m: string) => console.log(`${new Date().toISOString()} ${m}`);
const kube = await Kube.fromFile(values.kubeconfig);
const kubelet = new Kubelet({
  kube, dir: values.dir, clusterId: Number(values['cluster-id']), nodes: values.nodes!.split(','), apiPort: Number(values['api-port']), log,
});
const provisioner = new Provisioner(kube, values.dir, log);
let stopping = false;
const shutdown = async (sig: string) => {
  if (stopping) return;
  stopping = true;
  log(`${sig}: stopping all containers`);
  provisioner.stop();
  await kubelet.stop().catch((e) => log(`stop: ${e.message}`));
  kube.close();
  log('stopped');
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
await provisioner.start();
await kubelet.start();
log(`test kubelet running for ${values.nodes}`);
