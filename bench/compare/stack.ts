// The servers a run talks to: a broker and one emulator process (Pub/Sub and
// Kinesis front-ends) over it, and the peers when present on the machine (Google's
// Pub/Sub emulator through gcloud, kinesis-mock from the npm package kinesis-local).
// All on random free ports of 127.0.0.1, all stopped by pid.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startBroker, REPO_ROOT, type Broker } from '../../test/support/broker.ts';
import { startKinesisMock, KINESIS_MOCK_DIR, type Proc } from '../../test/emulator/kinesis-support.ts';
import { startGoogle, type Emulator as PubsubPeer } from '../../test/emulator/pubsub-support.ts';

export const EMULATOR_MAIN = join(REPO_ROOT, 'emulator', 'src', 'main.ts');

export interface EmulatorProc {
  pid: number;
  pubsubHostPort: string;
  kinesisPort: number;
  output(): string;
  stop(): Promise<void>;
}

export function startEmulator(bootstrap: string): Promise<EmulatorProc> {
  const child: ChildProcess = spawn(process.execPath, [EMULATOR_MAIN, '--bootstrap-server', bootstrap, '--pubsub', '127.0.0.1:0', '--kinesis', '127.0.0.1:0', '--log-level', 'info'], {
    cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => {
    exited = true;
    r();
  }));
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(t);
  };
  const add = (d: Buffer) => (out = (out + d.toString('utf8')).slice(-200_000));
  child.stderr?.on('data', add);
  return new Promise((resolve, reject) => {
    let pubsub = '';
    let kinesis = 0;
    let buf = '';
    const timer = setTimeout(() => void stop().then(() => reject(new Error(`emulator did not start in 60 s:\n${out.slice(-3000)}`))), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      add(d);
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.includes('listening')) continue;
        try {
          const o = JSON.parse(line) as { msg?: string; port?: number };
          if (o.msg === 'pubsub listening') pubsub = `127.0.0.1:${o.port}`;
          if (o.msg === 'kinesis listening') kinesis = o.port ?? 0;
        } catch {
          /* not JSON */
        }
      }
      if (pubsub && kinesis) {
        clearTimeout(timer);
        buf = '';
        resolve({ pid: child.pid!, pubsubHostPort: pubsub, kinesisPort: kinesis, output: () => out, stop });
      }
    });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`emulator exited before it was ready:\n${out.slice(-3000)}`));
    });
  });
}

export function hasGooglePubsubEmulator(): boolean {
  return spawnSync('gcloud', ['--version'], { stdio: 'ignore' }).status === 0;
}

export function hasKinesisMock(): boolean {
  return existsSync(join(KINESIS_MOCK_DIR, 'main.js'));
}

export { startBroker, startKinesisMock, startGoogle, type Broker, type Proc, type PubsubPeer };
