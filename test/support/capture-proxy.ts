// A tiny TCP proxy that records the first request a client sends for each API key and
// version, as hex, under broker-image/src/protocol/fixtures/captured/<client>/<api>-v<version>.hex
// (the whole frame: int32 size, request header, body). Responses pass through untouched.
//
// For clients to stay on the proxy after bootstrap, the broker must advertise the
// proxy's address (advertised.listeners=PLAINTEXT://127.0.0.1:<proxy port>);
// test/support/capture-all.ts does that.
//
// CLI: node test/support/capture-proxy.ts --target 127.0.0.1:9092 --client kcat [--listen 127.0.0.1:19092] [--out DIR]
import net from 'node:net';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './broker.ts';

export const CAPTURE_ROOT = join(REPO_ROOT, 'broker-image', 'src', 'protocol', 'fixtures', 'captured');

export const API_NAMES: Record<number, string> = {
  0: 'produce', 1: 'fetch', 2: 'list-offsets', 3: 'metadata', 8: 'offset-commit', 9: 'offset-fetch',
  10: 'find-coordinator', 11: 'join-group', 12: 'heartbeat', 13: 'leave-group', 14: 'sync-group',
  15: 'describe-groups', 16: 'list-groups', 17: 'sasl-handshake', 18: 'api-versions', 19: 'create-topics',
  20: 'delete-topics', 21: 'delete-records', 22: 'init-producer-id', 23: 'offset-for-leader-epoch',
  32: 'describe-configs', 33: 'alter-configs', 36: 'sasl-authenticate', 37: 'create-partitions',
  42: 'delete-groups', 44: 'incremental-alter-configs', 60: 'describe-cluster', 61: 'describe-producers',
};

export interface CaptureProxy {
  port: number;
  /** Switch the client name captures are filed under (new connections and frames after this). */
  setClient(name: string): void;
  setTarget(host: string, port: number): void;
  captured: string[];
  close(): Promise<void>;
}

export async function startCaptureProxy(opts: { client: string; targetHost?: string; targetPort?: number; listenHost?: string; listenPort?: number; outDir?: string }): Promise<CaptureProxy> {
  let client = opts.client;
  let targetHost = opts.targetHost ?? '127.0.0.1';
  let targetPort = opts.targetPort ?? 0;
  const outDir = opts.outDir ?? CAPTURE_ROOT;
  const captured: string[] = [];
  const sockets = new Set<net.Socket>();

  const record = (frame: Buffer) => {
    if (frame.length < 8) return;
    const apiKey = frame.readInt16BE(4);
    const version = frame.readInt16BE(6);
    const name = API_NAMES[apiKey] ?? `api${apiKey}`;
    const dir = join(outDir, client);
    const file = join(dir, `${name}-v${version}.hex`);
    if (existsSync(file)) return;
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, frame.toString('hex').replace(/(.{64})/g, '$1\n').trimEnd() + '\n');
    captured.push(file);
  };

  const server = net.createServer((down) => {
    sockets.add(down);
    const up = net.connect({ host: targetHost, port: targetPort });
    sockets.add(up);
    let pending = Buffer.alloc(0);
    let passthrough = false; // after an implausible frame size we stop parsing, keep forwarding
    down.on('data', (d: Buffer) => {
      up.write(d);
      if (passthrough) return;
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 4) {
        const n = pending.readInt32BE(0);
        if (n < 0 || n > 100 * 1024 * 1024) {
          passthrough = true;
          pending = Buffer.alloc(0);
          return;
        }
        if (pending.length < 4 + n) break;
        record(pending.subarray(0, 4 + n));
        pending = pending.subarray(4 + n);
      }
    });
    up.on('data', (d: Buffer) => down.write(d));
    const end = () => {
      down.destroy();
      up.destroy();
      sockets.delete(down);
      sockets.delete(up);
    };
    down.on('close', end);
    up.on('close', end);
    down.on('error', end);
    up.on('error', end);
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.listenPort ?? 0, opts.listenHost ?? '127.0.0.1', () => res());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    captured,
    setClient: (name) => {
      client = name;
    },
    setTarget: (h, p) => {
      targetHost = h;
      targetPort = p;
    },
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const target = arg('target');
  const client = arg('client');
  if (!target || !client) {
    console.error('usage: capture-proxy.ts --target HOST:PORT --client NAME [--listen HOST:PORT] [--out DIR]');
    process.exit(2);
  }
  const [th, tp] = target.split(':');
  const [lh, lp] = (arg('listen') ?? '127.0.0.1:0').split(':');
  const p = await startCaptureProxy({ client, targetHost: th, targetPort: Number(tp), listenHost: lh, listenPort: Number(lp), outDir: arg('out') });
  console.log(JSON.stringify({ msg: 'capture proxy listening', port: p.port, client }));
  const stop = async () => {
    await p.close();
    console.log(JSON.stringify({ msg: 'captured', files: p.captured }));
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
