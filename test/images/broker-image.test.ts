// The broker image (broker-image/Dockerfile, built with podman from the working
// tree) starts and answers ApiVersions on a raw socket, and `--override` args
// given after the image name reach `broker start`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const IMAGE = process.env.TRIBUTARY_BROKER_IMAGE ?? 'tributary/broker:dev';
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const name = `tributary-image-test-${process.pid}`;
// A loopback address of its own, so the container (host network) cannot collide.
const host = `127.${200 + (process.pid % 50)}.${(process.pid >> 8) % 250}.${2 + (process.pid % 250)}`;
const port = 9092;

before(() => {
  if (!process.env.TRIBUTARY_BROKER_IMAGE) execFileSync(here('./build.sh'), ['broker'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const ulimits = execFileSync(here('./ulimits.sh'), { encoding: 'utf8' }).trim().split(/\s+/);
  execFileSync('podman', [
    'run', '-d', '--name', name, '--runtime', 'runc', '--network=host', '--pull=never', ...ulimits, IMAGE,
    '--override', `listeners=PLAINTEXT://${host}:${port}`, '--override', `advertised.listeners=PLAINTEXT://${host}:${port}`,
  ]);
});

after(() => {
  try {
    execFileSync('podman', ['rm', '-f', '-t', '2', name], { stdio: 'ignore' });
  } catch {
    /* already gone */
  }
});

/** ApiVersions v0: size, api_key 18, api_version 0, correlation id, client id. */
function apiVersionsV0(correlationId: number): Buffer {
  const clientId = Buffer.from('image-test');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
  body.writeInt16BE(18, 0);
  body.writeInt16BE(0, 2);
  body.writeInt32BE(correlationId, 4);
  body.writeInt16BE(clientId.length, 8);
  clientId.copy(body, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

function exchange(req: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
    s.on('connect', () => s.write(req));
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        s.end();
        resolve(buf.subarray(4, 4 + buf.readInt32BE(0)));
      }
    });
    s.on('error', reject);
  });
}

test('the broker image starts and answers ApiVersions v0', { timeout: 120_000 }, async () => {
  const deadline = Date.now() + 60_000;
  let res: Buffer | undefined;
  let last: unknown;
  while (!res && Date.now() < deadline) {
    try {
      res = await exchange(apiVersionsV0(4242));
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  if (!res) {
    const logs = execFileSync('podman', ['logs', name], { encoding: 'utf8' });
    assert.fail(`no ApiVersions answer from ${host}:${port}: ${String(last)}\n${logs}`);
  }
  assert.equal(res.readInt32BE(0), 4242, 'correlation id');
  assert.equal(res.readInt16BE(4), 0, 'error code');
  const n = res.readInt32BE(6);
  assert.ok(n > 0, 'api keys listed');
  const keys = Array.from({ length: n }, (_, i) => res!.readInt16BE(10 + i * 6));
  assert.ok(keys.includes(18) && keys.includes(0) && keys.includes(1) && keys.includes(3), `keys ${keys}`);
});
