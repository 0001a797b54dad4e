// podman as the test kubelet's container runtime: runc, host network, local images only.
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface PsEntry {
  id: string;
  name: string;
  state: string; // created | running | exited | ...
  exitCode: number;
  startedAt: number; // unix seconds
  exitedAt: number;
  labels: Record<string, string>;
}

export function run(cmd: string, args: string[], timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

let ulimitFlags: string[] | undefined;
/** The --ulimit flags runc needs on this machine (see test/images/ulimits.sh). */
export async function ulimits(): Promise<string[]> {
  if (ulimitFlags) return ulimitFlags;
  const script = fileURLToPath(new URL('../images/ulimits.sh', import.meta.url));
  const r = await run(script, []);
  if (r.code !== 0) throw new Error(`ulimits.sh failed: ${r.stderr}`);
  ulimitFlags = r.stdout.trim().split(/\s+/).filter(Boolean);
  return ulimitFlags;
}

export async function imageExists(image: string): Promise<boolean> {
  return (await run('podman', ['image', 'exists', image])).code === 0;
}

/** Containers carrying label key=value. */
export async function ps(label: string): Promise<PsEntry[]> {
  const r = await run('podman', ['ps', '-a', '--filter', `label=${label}`, '--format', 'json']);
  if (r.code !== 0) throw new Error(`podman ps: ${r.stderr}`);
  const list = JSON.parse(r.stdout || '[]') as any[];
  return list.map((c) => ({
    id: c.Id,
    name: (c.Names ?? [])[0] ?? '',
    state: String(c.State ?? '').toLowerCase(),
    exitCode: Number(c.ExitCode ?? 0),
    startedAt: Number(c.StartedAt ?? 0),
    exitedAt: Number(c.ExitedAt ?? 0),
    labels: c.Labels ?? {},
  }));
}

export async function rmForce(names: string[]): Promise<void> {
  if (names.length === 0) return;
  await run('podman', ['rm', '-f', '-t', '0', ...names]);
}

/** SIGTERM (or the image's stop signal), SIGKILL after `graceSeconds`. */
export async function stop(name: string, graceSeconds: number): Promise<void> {
  await run('podman', ['stop', '-t', String(Math.max(0, Math.floor(graceSeconds))), name], (graceSeconds + 30) * 1000);
}

export async function exec(name: string, cmd: string[], timeoutMs: number): Promise<number> {
  return (await run('podman', ['exec', name, ...cmd], timeoutMs)).code;
}

/** Streams `podman logs -f` of a container into a callback (for the kubelet log). */
export function follow(name: string, onLine: (line: string) => void): () => void {
  const p = spawn('podman', ['logs', '-f', name], { stdio: ['ignore', 'pipe', 'pipe'] });
  const feed = (b: Buffer) => b.toString('utf8').split('\n').filter(Boolean).forEach(onLine);
  p.stdout.on('data', feed);
  p.stderr.on('data', feed);
  return () => p.kill();
}
