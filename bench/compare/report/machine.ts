// Where and with what a run happened: the machine, the software versions, the commit.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../test/support/broker.ts';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  kernel: string;
  node: string;
  commit: string;
  versions: Record<string, string>;
  load: string;
}

function pkgVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function tryRun(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000 }).trim();
  } catch {
    return '';
  }
}

export function describeMachine(): Machine {
  let os = 'unknown';
  try {
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
  } catch {
    /* not Linux */
  }
  const gcloud = tryRun('gcloud', ['--version']);
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os,
    kernel: release(),
    node: process.version,
    commit: tryRun('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD']) + (tryRun('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--untracked-files=no']) ? ' (with uncommitted changes)' : ''),
    versions: {
      '@platformatic/kafka': pkgVersion('@platformatic/kafka'),
      '@google-cloud/pubsub': pkgVersion('@google-cloud/pubsub'),
      '@aws-sdk/client-kinesis': pkgVersion('@aws-sdk/client-kinesis'),
      'kinesis-local (kinesis-mock)': pkgVersion('kinesis-local'),
      'gcloud pubsub-emulator': /pubsub-emulator (\S+)/.exec(gcloud)?.[1] ?? (gcloud ? 'present' : 'not installed'),
    },
    load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
}
