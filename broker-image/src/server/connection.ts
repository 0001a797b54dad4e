// One client connection: frames in, requests handled strictly one at a time
// (Kafka answers in request order and so do we), responses out, with reads
// paused while the socket's write buffer is full.

import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { FrameDecoder, FrameTooLargeError } from '../protocol/framing.ts';
import { apiVersionsUnsupportedResponse, decodeRequest, encodeResponseChunks } from '../protocol/codec.ts';
import { UnsupportedVersionError } from '../protocol/codec.ts';
import type { Listener } from '../config/broker-config.ts';
import type { Broker } from './broker.ts';
import type { RequestContext } from './handler.ts';

const API_VERSIONS = 18;

export class Connection {
  private readonly socket: Socket;
  private readonly broker: Broker;
  private readonly listener: Listener;
  private readonly logger: Logger;
  private readonly decoder: FrameDecoder;
  private readonly pending: Buffer[] = [];
  private busy = false;
  private closed = false;

  constructor(socket: Socket, broker: Broker, listener: Listener, logger: Logger) {
    this.socket = socket;
    this.broker = broker;
    this.listener = listener;
    this.logger = logger.child({ client: `${socket.remoteAddress}:${socket.remotePort}` });
    this.decoder = new FrameDecoder(broker.config.socketRequestMaxBytes);
    socket.setNoDelay(true);
    if (broker.config.connectionsMaxIdleMs > 0) {
      socket.setTimeout(broker.config.connectionsMaxIdleMs, () => this.close('idle'));
    }
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err) => this.logger.debug({ err }, 'socket error'));
    socket.on('close', () => { this.closed = true; this.broker.metrics.connections.dec(); });
    this.broker.metrics.connections.inc();
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.logger.debug({ reason }, 'closing connection');
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      const reason = err instanceof FrameTooLargeError ? 'frame size out of bounds' : 'bad framing';
      this.logger.warn({ err: (err as Error).message }, `${reason}: closing connection`);
      this.close(reason);
      return;
    }
    if (frames.length === 0) return;
    this.pending.push(...frames);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.pending.length > 0 && !this.closed) {
        const frame = this.pending.shift()!;
        const response = await this.handle(frame);
        if (response && !this.closed) {
          if (!this.write(response)) {
            this.socket.pause();
            await new Promise<void>((resolve) => this.socket.once('drain', resolve).once('close', resolve));
            if (!this.closed) this.socket.resume();
          }
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /** Writes a response's chunks as one corked burst (record sets are not copied); false when the buffer is full. */
  private write(chunks: Buffer[]): boolean {
    let ok = true;
    let bytes = 0;
    this.socket.cork();
    for (const chunk of chunks) {
      ok = this.socket.write(chunk);
      bytes += chunk.length;
    }
    this.socket.uncork();
    this.broker.metrics.bytesOut.inc(bytes);
    return ok;
  }

  /** The encoded response for one request frame (as chunks), or null for none. Never throws. */
  private async handle(frame: Buffer): Promise<Buffer[] | null> {
    this.broker.metrics.bytesIn.inc(frame.length + 4);
    let request: ReturnType<typeof decodeRequest>;
    try {
      request = decodeRequest(frame);
    } catch (err) {
      if (err instanceof UnsupportedVersionError && err.apiKey === API_VERSIONS) {
        return [apiVersionsUnsupportedResponse(err.correlationId, this.broker.router.advertised())];
      }
      // Kafka closes the connection on a request it cannot parse.
      this.logger.warn({ err: (err as Error).message }, 'unparseable request: closing connection');
      this.broker.metrics.requestErrors.inc({ api: 'unknown' });
      this.close('unparseable request');
      return null;
    }
    const { header, body } = request;
    const handler = this.broker.router.handler(header.apiKey, header.apiVersion);
    const apiName = this.broker.router.name(header.apiKey);
    if (!handler) {
      this.logger.warn({ apiKey: header.apiKey, apiVersion: header.apiVersion }, 'unsupported API or version: closing connection');
      this.broker.metrics.requestErrors.inc({ api: apiName });
      this.close('unsupported api');
      return null;
    }
    const ctx: RequestContext = {
      broker: this.broker, apiKey: header.apiKey, apiVersion: header.apiVersion,
      correlationId: header.correlationId, clientId: header.clientId,
      clientHost: this.socket.remoteAddress ?? '', listener: this.listener,
    };
    const stopTimer = this.broker.metrics.requestSeconds.startTimer({ api: apiName });
    try {
      const responseBody = await handler.handle(ctx, body);
      if (responseBody === null) return null;
      return encodeResponseChunks(header.apiKey, header.apiVersion, header.correlationId, responseBody);
    } catch (err) {
      this.logger.error({ err, api: apiName, apiVersion: header.apiVersion }, 'request failed: closing connection');
      this.broker.metrics.requestErrors.inc({ api: apiName });
      this.close('handler error');
      return null;
    } finally {
      stopTimer();
    }
  }
}
