// `tributary compare`: the comparative benchmark of bench/compare/ (one workload
// through the Kafka, Pub/Sub and Kinesis APIs over one log). It lives outside the
// broker workspace, which keeps the Google and AWS SDKs out of the broker's
// dependencies: this command only runs it, passing the arguments through.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const COMPARE_MAIN = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..'), 'bench', 'compare', 'main.ts');

export async function compare(args: string[]): Promise<number> {
  if (!existsSync(COMPARE_MAIN)) throw new Error(`${COMPARE_MAIN} not found: tributary compare runs from a source checkout`);
  const child = spawn(process.execPath, [COMPARE_MAIN, ...args], { stdio: 'inherit' });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    return await new Promise<number>((res, rej) => {
      child.once('error', rej);
      child.once('exit', (code, sig) => res(code ?? (sig ? 128 + 1 : 1)));
    });
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}
