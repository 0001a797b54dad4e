// Starts a real Tributary broker process for a test: the CLI under Node 24
// (process.execPath), a random free port on 127.0.0.1, a temp data dir.
// Every process started here is stopped by pid; temp dirs are removed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, createWriteStream, readFileSync, existsSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BROKER_CLI = join(REPO_ROOT, 'broker-image', 'src', 'cli', 'main.ts');
export const DEFAULT_CONFIG = join(REPO_ROOT, 'config', 'server.properties');

export interface StartBrokerOptions {
  /** Kafka server.properties keys, passed as `--override key=value`. */
  overrides?: Record<string, string | number | boolean>;
  /** Reuse an existing data dir (it is then NOT removed by stop()). */
  dataDir?: string;
  /** Config file; defaults to config/server.properties. */
  config?: string;
  /** How long to wait for the "broker listening" line. */
  startTimeoutMs?: number;
  /** Fixed port (restart() reuses the previous one so clients reconnect). */
  port?: number;
}

export interface Broker {
  host: string;
  port: number;
  /** host:port */
  bootstrap: string;
  dataDir: string;
  pid: number;
  /** Path of the file holding the broker's stdout+stderr. */
  logFile: string;
  /** Graceful stop (SIGTERM by default); resolves with the exit code. Idempotent. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGKILL, no clean shutdown. */
  kill9(): Promise<void>;
  /** Start again on the same data dir and port (after stop/kill9, or stops first). */
  restart(): Promise<void>;
  /** The broker's peak RSS in kB (VmHWM), null when the process is gone. */
  peakRssKb(): number | null;
  /** Last part of the broker's output, for error messages. */
  tail(bytes?: number): string;
  /** Stops the process (if running) and removes temp dirs. */
  cleanup(): Promise<void>;
}

function tailOf(file: string, bytes = 4000): string {
  try {
    const s = readFileSync(file, 'utf8');
    return s.length > bytes ? s.slice(-bytes) : s;
  } catch {
    return '';
  }
}

interface Running {
  child: ChildProcess;
  exited: Promise<number | null>;
  exitCode: number | null | undefined;
  log: WriteStream;
}

export async function startBroker(opts: StartBrokerOptions = {}): Promise<Broker> {
  const root = mkdtempSync(join(tmpdir(), 'tributary-test-'));
  const ownData = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? join(root, 'data');
  const logFile = join(root, 'broker.out');
  const config = opts.config ?? DEFAULT_CONFIG;
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  let running: Running | null = null;
  let port = opts.port ?? 0;
  let host = '127.0.0.1';
  let cleaned = false;

  const launch = async (): Promise<void> => {
    const overrides: Record<string, string> = {
      listeners: `PLAINTEXT://127.0.0.1:${port}`,
      // Port 0 in advertised.listeners means "the port actually bound".
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
      'log.dirs': dataDir,
    };
    for (const [k, v] of Object.entries(opts.overrides ?? {})) overrides[k] = String(v);
    const args = [BROKER_CLI, 'broker', 'start', '--config', config];
    for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${v}`);

    const log = createWriteStream(logFile, { flags: 'a' });
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const r: Running = { child, exitCode: undefined, log, exited: Promise.resolve(null) };
    r.exited = new Promise((res) => {
      child.once('exit', (code, sig) => {
        r.exitCode = code ?? (sig ? -1 : null);
        res(code);
      });
      child.once('error', () => res(null));
    });
    running = r;
    child.stderr!.on('data', (d: Buffer) => log.write(d));

    // Wait for {"msg":"broker listening","host":..,"port":..} on stdout, keep draining after.
    await new Promise<void>((resolveStart, rejectStart) => {
      let buf = '';
      let done = false;
      const fail = (why: string) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        // give the log stream a moment to flush stderr
        setTimeout(() => rejectStart(new Error(`broker did not start: ${why}\n--- broker output (${logFile}) ---\n${tailOf(logFile)}`)), 100);
      };
      const timer = setTimeout(() => {
        fail(`no "broker listening" line within ${startTimeoutMs} ms`);
        child.kill('SIGKILL');
      }, startTimeoutMs);
      child.stdout!.on('data', (d: Buffer) => {
        log.write(d);
        if (done) return;
        buf += d.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!line.includes('broker listening')) continue;
          try {
            const o = JSON.parse(line) as { msg?: string; host?: string; port?: number };
            if (o.msg === 'broker listening' && typeof o.port === 'number') {
              host = o.host && o.host !== '0.0.0.0' && o.host !== '::' ? o.host : '127.0.0.1';
              port = o.port;
              done = true;
              clearTimeout(timer);
              resolveStart();
              return;
            }
          } catch {
            /* not JSON: keep looking */
          }
        }
      });
      void r.exited.then((code) => fail(`broker exited with code ${code} before listening`));
    });
  };

  const stopRunning = async (signal: NodeJS.Signals): Promise<number | null> => {
    const r = running as Running | null;
    if (!r) return null;
    if (r.exitCode === undefined) {
      r.child.kill(signal);
      const killer = setTimeout(() => r.child.kill('SIGKILL'), 20_000);
      await r.exited;
      clearTimeout(killer);
    }
    await new Promise<void>((res) => r.log.end(() => res()));
    running = null;
    return r.exitCode ?? null;
  };

  const broker: Broker = {
    get host() {
      return host;
    },
    get port() {
      return port;
    },
    get bootstrap() {
      return `${host}:${port}`;
    },
    dataDir,
    get pid() {
      return (running as Running | null)?.child.pid ?? -1;
    },
    logFile,
    stop: (signal: NodeJS.Signals = 'SIGTERM') => stopRunning(signal),
    kill9: async () => {
      await stopRunning('SIGKILL');
    },
    restart: async () => {
      await stopRunning('SIGTERM');
      await launch();
    },
    peakRssKb: () => {
      const pid = (running as Running | null)?.child.pid;
      if (!pid || !existsSync(`/proc/${pid}/status`)) return null;
      const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) : null;
    },
    tail: (bytes?: number) => tailOf(logFile, bytes),
    cleanup: async () => {
      if (cleaned) return;
      cleaned = true;
      await stopRunning('SIGTERM');
      if (process.env.TRIBUTARY_KEEP_TEST_DIRS) return;
      rmSync(root, { recursive: true, force: true });
      if (!ownData) return;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };

  try {
    await launch();
  } catch (err) {
    await broker.cleanup();
    throw err;
  }
  return broker;
}

/** Helper for test files: `const b = await startBroker(); t.after(() => b.cleanup())`. */
export function tempDir(prefix = 'tributary-tmp-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
