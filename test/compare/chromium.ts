// Headless Chromium (Debian's `chromium`) driven over the DevTools protocol with
// Node's own WebSocket: open a page, evaluate in it, take a PNG screenshot.
// The browser runs on 127.0.0.1 with a temp profile and is stopped by pid.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.CHROMIUM ?? 'chromium';

export function chromiumVersion(): string | null {
  const r = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export interface Page {
  navigate(url: string): Promise<void>;
  evaluate<T>(expression: string): Promise<T>;
  screenshotPng(): Promise<Buffer>;
  close(): Promise<void>;
}

export async function openBrowser(width: number, height: number): Promise<Page> {
  const profile = mkdtempSync(join(tmpdir(), 'compare-chromium-'));
  const child = spawn(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--hide-scrollbars',
    '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0', `--user-data-dir=${profile}`,
    `--window-size=${width},${height}`, 'about:blank',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let stderr = '';
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`chromium printed no DevTools address in 30 s:\n${stderr.slice(-2000)}`)), 30_000);
      child.stderr!.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-20_000);
        const m = /DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      void exited.then(() => reject(new Error(`chromium exited:\n${stderr.slice(-2000)}`)));
    });
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as { type: string; webSocketDebuggerUrl: string }[];
    const page = targets.find((t) => t.type === 'page');
    if (!page) throw new Error('chromium has no page target');
    const ws = new WebSocket(page.webSocketDebuggerUrl);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error('cannot connect to the page over DevTools'));
    });
    let nextId = 1;
    const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
    const listeners = new Set<(method: string) => void>();
    ws.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string }; method?: string };
      if (msg.id !== undefined) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result);
      } else if (msg.method) {
        for (const l of listeners) l(msg.method);
      }
    };
    const send = (method: string, params: object = {}): Promise<any> => new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
    await send('Page.enable');
    return {
      async navigate(url) {
        const loaded = new Promise<void>((r) => {
          const l = (m: string) => {
            if (m === 'Page.loadEventFired') {
              listeners.delete(l);
              r();
            }
          };
          listeners.add(l);
        });
        const res = await send('Page.navigate', { url });
        if (res.errorText) throw new Error(`navigate ${url}: ${res.errorText}`);
        await loaded;
      },
      async evaluate<T>(expression: string) {
        const res = await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
        if (res.exceptionDetails) throw new Error(`evaluate: ${JSON.stringify(res.exceptionDetails)}`);
        return res.result.value as T;
      },
      async screenshotPng() {
        const res = await send('Page.captureScreenshot', { format: 'png' });
        return Buffer.from(res.data as string, 'base64');
      },
      async close() {
        ws.close();
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
