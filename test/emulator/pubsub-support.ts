// Helpers for the Pub/Sub tests: our front-end as a child process
// (emulator/src/pubsub/standalone.ts) against a test broker, Google's emulator
// (gcloud, a Java child in its own process group), and official clients bound to
// either. Every process is stopped by pid (Google's by process group).

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { PubSub, v1 } from '@google-cloud/pubsub';
import * as grpc from '@grpc/grpc-js';
import { REPO_ROOT } from '../support/broker.ts';

export const STANDALONE = join(REPO_ROOT, 'emulator', 'src', 'pubsub', 'standalone.ts');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Emulator {
  kind: 'ours' | 'google';
  /** host:port for PUBSUB_EMULATOR_HOST. */
  hostPort: string;
  baseUrl: string;
  pid: number;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Ours only: start again on the same port. */
  restart(): Promise<void>;
}

async function waitForLine(child: ChildProcess, out: { text: string }, re: RegExp, timeoutMs: number, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no ${re} within ${timeoutMs} ms\n${out.text.slice(-3000)}`)), timeoutMs);
    const check = () => {
      const m = re.exec(out.text);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before it was ready\n${out.text.slice(-3000)}`));
    });
    check();
  });
}

function collect(child: ChildProcess, out: { text: string }): void {
  const add = (d: Buffer) => {
    out.text += d.toString('utf8');
    if (out.text.length > 200_000) out.text = out.text.slice(-100_000);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
}

async function stopChild(child: ChildProcess, group: boolean, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const kill = (sig: NodeJS.Signals) => {
    try {
      if (group) process.kill(-child.pid!, sig);
      else child.kill(sig);
    } catch {
      /* gone */
    }
  };
  kill(signal);
  const t = setTimeout(() => kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
  if (group) kill('SIGKILL'); // the Java child, should it outlive the gcloud wrapper
}

/** Ours as a child process; it logs at info level (the readiness line is an info line). */
export async function startOurs(bootstrap: string, extraArgs: string[] = []): Promise<Emulator> {
  let port = 0;
  let child: ChildProcess;
  const out = { text: '' };
  const launch = async () => {
    child = spawn(
      process.execPath,
      [STANDALONE, '--bootstrap-server', bootstrap, '--pubsub', `127.0.0.1:${port}`, '--kinesis', 'off', '--log-level', 'info', ...extraArgs],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    collect(child, out);
    const from = out.text.length;
    const view = { get text() { return out.text.slice(from); } } as { text: string };
    let m: RegExpExecArray;
    try {
      m = await waitForLine(child, view, /"msg":"pubsub listening"[^\n]*"port":(\d+)|"port":(\d+)[^\n]*"msg":"pubsub listening"/, 60_000, 'pubsub emulator');
    } catch (err) {
      await stopChild(child, false, 'SIGKILL');
      throw err;
    }
    port = Number(m[1] ?? m[2]);
  };
  await launch();
  const emu: Emulator = {
    kind: 'ours',
    get hostPort() {
      return `127.0.0.1:${port}`;
    },
    get baseUrl() {
      return `http://127.0.0.1:${port}`;
    },
    get pid() {
      return child.pid ?? -1;
    },
    output: () => out.text,
    stop: (signal?: NodeJS.Signals) => stopChild(child, false, signal),
    restart: async () => {
      await stopChild(child, false);
      await launch();
    },
  };
  return emu;
}

export async function startGoogle(): Promise<Emulator> {
  const port = await freePort();
  const out = { text: '' };
  const child = spawn('gcloud', ['beta', 'emulators', 'pubsub', 'start', `--host-port=127.0.0.1:${port}`, '--project=test'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  collect(child, out);
  try {
    await waitForLine(child, out, /Server started, listening on/, 90_000, "Google's Pub/Sub emulator");
  } catch (err) {
    await stopChild(child, true, 'SIGKILL');
    throw err;
  }
  return {
    kind: 'google',
    hostPort: `127.0.0.1:${port}`,
    baseUrl: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    output: () => out.text,
    stop: (signal?: NodeJS.Signals) => stopChild(child, true, signal),
    restart: async () => {
      throw new Error('not supported');
    },
  };
}

/** The official client bound to an emulator (as PUBSUB_EMULATOR_HOST would). */
export function clientFor(emu: Emulator, projectId = 'test'): PubSub {
  const saved = process.env.PUBSUB_EMULATOR_HOST;
  process.env.PUBSUB_EMULATOR_HOST = emu.hostPort;
  try {
    return new PubSub({ projectId });
  } finally {
    if (saved === undefined) delete process.env.PUBSUB_EMULATOR_HOST;
    else process.env.PUBSUB_EMULATOR_HOST = saved;
  }
}

/** The generated v1 client, for synchronous Pull and raw calls. */
export function subscriberClientFor(emu: Emulator): v1.SubscriberClient {
  const [host, port] = emu.hostPort.split(':');
  return new v1.SubscriberClient({ servicePath: host, port: Number(port), sslCreds: grpc.credentials.createInsecure(), projectId: 'test' });
}

export function publisherClientFor(emu: Emulator): v1.PublisherClient {
  const [host, port] = emu.hostPort.split(':');
  return new v1.PublisherClient({ servicePath: host, port: Number(port), sslCreds: grpc.credentials.createInsecure(), projectId: 'test' });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function rest(emu: Emulator, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${emu.baseUrl}/v1/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 30_000, everyMs = 50): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
