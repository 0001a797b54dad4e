// The Kinesis listener: ONE TCP port that speaks HTTP/1.1 and cleartext HTTP/2 with
// prior knowledge (h2c), which the v3 JavaScript SDK uses for every call. Each new
// connection is sniffed: if its first bytes are the HTTP/2 client preface
// (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`) the socket goes to an http2 server, otherwise
// to an http1 server; both share one request handler (the http2 compatibility API).
//
// Requests: `POST /`, `X-Amz-Target: Kinesis_20131202.<Operation>`, body in AWS JSON
// 1.1 or CBOR; responses in the request's encoding. Signatures are not checked.

import { createServer as createNetServer, type Socket, type AddressInfo } from 'node:net';
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EmulatorConfig } from '../config.ts';
import type { KafkaLog } from '../log/kafka-log.ts';
import { KinesisService, type KinesisOptions } from './service.ts';
import { KinesisError, CBOR_TYPE, JSON_TYPE, decodeRequest, encodeError, encodeResponse, formatOf, type WireFormat } from './wire.ts';
import { subscribeToShard } from './subscribe.ts';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const TARGET_PREFIX = 'Kinesis_20131202.';
const MAX_BODY = 16 * 1024 * 1024;

export interface KinesisServer {
  host: string;
  port: number;
  service: KinesisService;
  close(): Promise<void>;
}

type Req = IncomingMessage | Http2ServerRequest;
type RawRes = ServerResponse | Http2ServerResponse;
/** What the handler needs of an http1 or http2-compat response. */
export interface Res {
  writeHead(status: number, headers: Record<string, string | number>): unknown;
  write(chunk: Buffer): boolean;
  end(chunk?: Buffer | string): unknown;
  readonly headersSent: boolean;
  destroy(): void;
  on(event: 'close', f: () => void): unknown;
  off(event: 'close', f: () => void): unknown;
}

function readBody(req: Req): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > MAX_BODY) {
        reject(new KinesisError('SerializationException', `Request body larger than ${MAX_BODY} bytes`, 413));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startKinesis(config: EmulatorConfig, log: KafkaLog, logger: Logger, opts: Partial<KinesisOptions> = {}): Promise<KinesisServer> {
  if (!config.kinesis) throw new Error('Kinesis listener is disabled');
  const service = new KinesisService(log, logger, { ...config.kinesisOptions, ...opts });
  await service.init();

  const send = (res: Res, status: number, format: WireFormat, body: Buffer, extra: Record<string, string> = {}) => {
    const headers: Record<string, string | number> = {
      'content-type': format === 'cbor' ? CBOR_TYPE : JSON_TYPE,
      'content-length': body.length,
      'x-amzn-requestid': randomUUID(),
      'x-amz-id-2': randomUUID(),
      ...extra,
    };
    res.writeHead(status, headers);
    res.end(body);
  };

  const handle = async (req: Req, rawRes: RawRes) => {
    const res = rawRes as unknown as Res;
    const format = formatOf(req.headers['content-type']);
    const target = String(req.headers['x-amz-target'] ?? '');
    try {
      if (req.method === 'GET' && (req.url === '/' || req.url === '/healthz')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok\n');
        return;
      }
      if (req.method !== 'POST') throw new KinesisError('UnknownOperationException', `Method ${req.method} is not supported`, 405);
      const raw = await readBody(req);
      const opName = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
      if (opName === 'SubscribeToShard') {
        await subscribeToShard(service, decodeRequest(raw, format), format, req, res, logger);
        return;
      }
      const op = Object.hasOwn(service.ops, opName) ? service.ops[opName] : undefined;
      if (!op) throw new KinesisError('UnknownOperationException', target ? `Operation ${target} is not supported` : 'Missing X-Amz-Target header');
      const body = decodeRequest(raw, format);
      const out = await op(body);
      send(res, 200, format, encodeResponse(out, format));
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof KinesisError) {
        send(res, err.status, format, encodeError(err, format), { 'x-amzn-errortype': `${err.type}:` });
        return;
      }
      logger.error({ err, target }, 'kinesis: internal error');
      const e = new KinesisError('InternalFailure', 'Internal service failure.', 500);
      send(res, 500, format, encodeError(e, format), { 'x-amzn-errortype': 'InternalFailure:' });
    }
  };

  const h1 = createHttp1Server({ keepAliveTimeout: 60_000, requestTimeout: 0 }, (req, res) => void handle(req, res));
  const h2 = createHttp2Server({ maxSessionMemory: 64 }, (req, res) => void handle(req, res));
  h2.on('sessionError', (err) => logger.debug({ err }, 'kinesis: http2 session error'));
  const sockets = new Set<Socket>();

  const net = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      const h2like = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (h2like && seen.length < PREFACE.length) return; // need more bytes to decide
      socket.off('data', onData);
      socket.pause();
      socket.unshift(seen);
      // http2 picks up the buffered bytes itself (socket.read() on the next tick),
      // so the socket must stay paused; http1 attaches a 'data' listener and flows.
      if (h2like) h2.emit('connection', socket);
      else {
        h1.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
  });

  const host = config.kinesis.host;
  await new Promise<void>((resolve, reject) => {
    net.once('error', reject);
    net.listen(config.kinesis!.port, host, () => {
      net.off('error', reject);
      resolve();
    });
  });
  const port = (net.address() as AddressInfo).port;
  logger.info({ host, port }, 'kinesis listening');

  return {
    host,
    port,
    service,
    close: async () => {
      await new Promise<void>((resolve) => {
        net.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      h1.close();
      h2.close();
    },
  };
}
