// A real etcd (Debian's etcd-server) for the tests: random loopback ports, a
// temporary data dir, stopped by pid. stop() + start() restart it on the same
// ports and data, as an operator restarting etcd would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export class Etcd {
  readonly endpoint: string;
  private readonly dir: string;
  private readonly peerUrl: string;
  private proc: ChildProcess | undefined;
  private output = '';

  private constructor(dir: string, clientPort: number, peerPort: number) {
    this.dir = dir;
    this.endpoint = `http://127.0.0.1:${clientPort}`;
    this.peerUrl = `http://127.0.0.1:${peerPort}`;
  }

  static async start(): Promise<Etcd> {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-etcd-'));
    const client = await freePort();
    let peer = await freePort();
    while (peer === client) peer = await freePort();
    const etcd = new Etcd(dir, client, peer);
    await etcd.start();
    return etcd;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async start(): Promise<void> {
    if (this.proc) throw new Error('etcd already running');
    this.output = '';
    const proc = spawn('etcd', [
      '--name', 'test', '--data-dir', join(this.dir, 'data'),
      '--listen-client-urls', this.endpoint, '--advertise-client-urls', this.endpoint,
      '--listen-peer-urls', this.peerUrl, '--initial-advertise-peer-urls', this.peerUrl,
      '--initial-cluster', `test=${this.peerUrl}`, '--log-level', 'warn', '--logger', 'zap',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const keep = (chunk: Buffer) => { this.output = (this.output + chunk.toString()).slice(-4000); };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) break;
      try {
        const res = await fetch(`${this.endpoint}/health`);
        if (res.ok && (await res.json() as { health: string }).health === 'true') return;
      } catch { /* not yet listening */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.stop();
    throw new Error(`etcd did not become healthy on ${this.endpoint}:\n${this.output}`);
  }

  /** Stops etcd (SIGTERM, SIGKILL after 10 s); the data dir stays for start(). */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = undefined;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
