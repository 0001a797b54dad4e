// The Pub/Sub front-end on one port: gRPC (HTTP/2 with prior knowledge, as the
// client libraries speak it to an emulator) and REST v1 (HTTP/1.1). Each new
// connection's first bytes decide: the HTTP/2 preface `PRI * HTTP/2.0` goes to
// grpc-js, anything else to the express app.

import net from 'node:net';
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { EmulatorConfig } from '../config.ts';
import { KafkaAccess } from './kafka/access.ts';
import { PubsubService, type ServiceOptions } from './service.ts';
import { createGrpcServer } from './grpc.ts';
import { createRestApp } from './rest.ts';

export interface PubsubServer {
  host: string;
  port: number;
  service: PubsubService;
  close(): Promise<void>;
}

const PREFACE = Buffer.from('PRI * HTTP/2.0');

/**
 * Starts the front-end. Called as `startPubsub(config, logger)` or, from main.ts,
 * `startPubsub(config, sharedKafkaLog, logger)`: the Pub/Sub front-end keeps its own
 * Kafka clients (kafka/access.ts) either way, so the shared log object is not used.
 */
export async function startPubsub(
  config: EmulatorConfig,
  loggerOrLog: Logger | object,
  loggerOrOpts?: Logger | ServiceOptions,
  maybeOpts?: ServiceOptions,
): Promise<PubsubServer> {
  if (!config.pubsub) throw new Error('the Pub/Sub listener is disabled (--pubsub off)');
  const isLogger = (x: unknown): x is Logger => !!x && typeof (x as Logger).child === 'function' && typeof (x as Logger).info === 'function';
  const logger = isLogger(loggerOrLog) ? loggerOrLog : isLogger(loggerOrOpts) ? loggerOrOpts : null;
  if (!logger) throw new Error('startPubsub: no logger given');
  const opts: ServiceOptions = (isLogger(loggerOrLog) ? (loggerOrOpts as ServiceOptions | undefined) : maybeOpts) ?? {};
  const log = logger.bindings().api ? logger : logger.child({ api: 'pubsub' });
  const kafka = new KafkaAccess(config.bootstrapServers);
  const service = new PubsubService(kafka, log, { ...opts, replica: opts.replica ?? config.pubsubReplica });
  try {
    await service.open();
  } catch (err) {
    await kafka.close().catch(() => {});
    throw err;
  }
  const { server: grpcServer, closeStreams } = createGrpcServer(service);
  const injector = grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const httpServer = http.createServer(createRestApp(service));
  httpServer.keepAliveTimeout = 5000;
  const sockets = new Set<net.Socket>();

  const front = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, PREFACE.length);
      const isH2 = head.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (isH2 && head.length < PREFACE.length) return; // wait for enough bytes to tell
      socket.off('data', onData);
      socket.pause();
      socket.unshift(head);
      // http2 picks up bytes already read (socket.readableLength) itself; HTTP/1.1's
      // parser reads through the stream, so that one is resumed.
      if (isH2) injector.injectConnection(socket);
      else {
        httpServer.emit('connection', socket);
        socket.resume();
      }
    };
    socket.on('data', onData);
  });

  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(config.pubsub!.port, config.pubsub!.host, () => {
      front.off('error', reject);
      resolve();
    });
  });
  const addr = front.address() as net.AddressInfo;
  service.setAdvertised(`${addr.address}:${addr.port}`);
  try {
    await service.join();
  } catch (err) {
    front.close();
    await service.close().catch(() => {});
    await kafka.close().catch(() => {});
    throw err;
  }
  log.info({ host: addr.address, port: addr.port, replica: service.replica.id }, 'pubsub listening');

  let closing: Promise<void> | null = null;
  return {
    host: addr.address,
    port: addr.port,
    service,
    close: () =>
      (closing ??= (async () => {
        front.close();
        closeStreams();
        await service.close();
        injector.drain(500);
        await new Promise<void>((r) => setTimeout(r, 50));
        injector.destroy();
        grpcServer.forceShutdown();
        httpServer.closeAllConnections();
        httpServer.close();
        for (const s of sockets) s.destroy();
        await kafka.close();
      })()),
  };
}
