// Helpers for the Kinesis tests: start the emulator process (against a broker from
// test/support/broker.ts) or kinesis-mock (npm kinesis-local), each on a random free
// port of 127.0.0.1, stopped by pid; and v3 SDK clients for either.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { REPO_ROOT } from '../support/broker.ts';

export const EMULATOR_MAIN = join(REPO_ROOT, 'emulator', 'src', 'main.ts');
export const KINESIS_MOCK_DIR = join(REPO_ROOT, 'node_modules', 'kinesis-local');

export interface Proc {
  port: number;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function watch(child: ChildProcess, ready: (line: string) => number | null, timeoutMs: number, what: string): Promise<Proc> {
  let out = '';
  let exited = false;
  const exit = new Promise<void>((res) => child.once('exit', () => {
    exited = true;
    res();
  }));
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(t);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop().then(() => reject(new Error(`${what} did not start in ${timeoutMs} ms:\n${out.slice(-3000)}`)));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString('utf8');
      if (out.length > 200_000) out = out.slice(-100_000);
      for (const line of out.split('\n')) {
        const port = ready(line);
        if (port !== null) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          child.stdout?.on('data', (x: Buffer) => {
            out = (out + x.toString('utf8')).slice(-100_000);
          });
          resolve({ port, pid: child.pid!, output: () => out, stop });
          return;
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => {
      out = (out + d.toString('utf8')).slice(-100_000);
    });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`${what} exited before it was ready:\n${out.slice(-3000)}`));
    });
  });
}

/** The emulator with only its Kinesis front-end, on a random port. */
export function startEmulator(bootstrap: string, extraArgs: string[] = []): Promise<Proc> {
  const child = spawn(process.execPath, [EMULATOR_MAIN, '--bootstrap-server', bootstrap, '--kinesis', '127.0.0.1:0', '--pubsub', 'off', ...extraArgs], {
    cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return watch(child, (line) => {
    if (!line.includes('kinesis listening')) return null;
    try {
      return (JSON.parse(line) as { port: number }).port;
    } catch {
      return null;
    }
  }, 60_000, 'emulator');
}

/** kinesis-mock (plain HTTP port), with fast state transitions. */
export async function startKinesisMock(): Promise<Proc> {
  const plain = await freePort();
  const tls = await freePort();
  const child = spawn(process.execPath, ['main.js'], {
    cwd: KINESIS_MOCK_DIR, // it loads server.json from the working directory
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      KINESIS_MOCK_PLAIN_PORT: String(plain),
      KINESIS_MOCK_TLS_PORT: String(tls),
      CREATE_STREAM_DURATION: '1ms', DELETE_STREAM_DURATION: '1ms', REGISTER_STREAM_CONSUMER_DURATION: '1ms',
      DEREGISTER_STREAM_CONSUMER_DURATION: '1ms', MERGE_SHARDS_DURATION: '1ms', SPLIT_SHARD_DURATION: '1ms',
      UPDATE_SHARD_COUNT_DURATION: '1ms', UPDATE_STREAM_MODE_DURATION: '1ms', LOG_LEVEL: 'WARN',
    },
  });
  // It prints nothing reliable when ready: poll the port.
  const proc: Proc = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-50_000)));
    child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-50_000)));
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
    const deadline = Date.now() + 60_000;
    const poll = async () => {
      if (exited) return reject(new Error(`kinesis-mock exited:\n${out.slice(-1500)}`));
      try {
        const r = await fetch(`http://127.0.0.1:${plain}/`, { method: 'POST', headers: {
          'x-amz-target': 'Kinesis_20131202.ListStreams',
          'content-type': 'application/x-amz-json-1.1',
          // kinesis-mock insists on a (never verified) SigV4 header.
          authorization: 'AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0',
        }, body: '{}' });
        // Any HTTP answer means it is up (it refuses unsigned requests with 400).
        if (r.status > 0) return resolve({ port: plain, pid: child.pid!, output: () => out, stop });
      } catch {
        /* not yet */
      }
      if (Date.now() > deadline) {
        await stop();
        return reject(new Error(`kinesis-mock not ready:\n${out.slice(-1500)}`));
      }
      setTimeout(() => void poll(), 200);
    };
    void poll();
  });
  return proc;
}

/**
 * A v3 SDK client. By default it uses the SDK's own HTTP/2 handler (as users get);
 * `http1` switches to the HTTP/1.1 handler (kinesis-mock's h2c fails on PutRecords).
 */
export function kinesisClient(port: number, opts: { http1?: boolean } = {}): KinesisClient {
  return new KinesisClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
    ...(opts.http1 ? { requestHandler: new NodeHttpHandler() } : {}),
  });
}

/** A raw POST (for encodings and bad input the SDK would never send). */
export async function rawCall(port: number, target: string, body: Buffer | string, contentType = 'application/x-amz-json-1.1'): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const r = await fetch(`http://127.0.0.1:${port}/`, {
    method: 'POST',
    headers: { 'x-amz-target': target, 'content-type': contentType },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}
