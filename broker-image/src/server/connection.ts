// One client connection: frames in, requests handled strictly one at a time
// (Kafka answers in request order and so do we), responses out, with reads
// paused while the socket's write buffer is full. On SASL listeners the
// authenticator gates every request until the client has authenticated.
//
// Idle means no complete request for connections.max.idle.ms: a client that
// trickles bytes without ever finishing a frame (slow loris) is idle too.

import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { FrameDecoder, FrameTooLargeError } from '../protocol/framing.ts';
import { apiVersionsUnsupportedResponse, decodeRequest, encodeResponseChunks } from '../protocol/codec.ts';
import { UnsupportedVersionError } from '../protocol/codec.ts';
import type { Listener } from '../config/broker-config.ts';
import type { Broker } from './broker.ts';
import type { RequestContext } from './handler.ts';
import { Authenticator, API_SASL_AUTHENTICATE, API_SASL_HANDSHAKE } from '../security/authenticator.ts';
import { BrokerSecurity } from '../security/broker-security.ts';
import { ANONYMOUS } from '../security/principal.ts';
import { tlsPrincipal } from '../security/tls.ts';

const API_VERSIONS = 18;

export class Connection {
  private readonly socket: Socket;
  private readonly broker: Broker;
  private readonly listener: Listener;
  private readonly logger: Logger;
  private readonly decoder: FrameDecoder;
  private readonly pending: Buffer[] = [];
  private readonly auth: Authenticator;
  private readonly security: BrokerSecurity;
  /** Largest frame (and partial frame) accepted before a SASL client has authenticated. */
  private readonly preAuthMaxBytes: number;
  private busy = false;
  private closed = false;
  private lastActive = Date.now();
  private idleTimer: NodeJS.Timeout | null = null;
  private authTimer: NodeJS.Timeout | null = null;

  constructor(socket: Socket, broker: Broker, listener: Listener, logger: Logger) {
    this.socket = socket;
    this.broker = broker;
    this.listener = listener;
    this.logger = logger.child({ client: `${socket.remoteAddress}:${socket.remotePort}` });
    this.decoder = new FrameDecoder(broker.config.socketRequestMaxBytes);
    const security = BrokerSecurity.for(broker.config);
    this.security = security;
    const { sasl, tls } = security.listener(listener);
    this.auth = new Authenticator({
      sasl, store: broker.store, secret: security.secret, maxReauthMs: security.limits.maxReauthMs,
      transportPrincipal: (socket instanceof TLSSocket && tlsPrincipal(socket, tls?.principalRules)) || ANONYMOUS,
    });
    this.preAuthMaxBytes = security.limits.saslMaxReceiveSize;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err) => this.logger.debug({ err }, 'socket error'));
    socket.on('close', () => {
      this.closed = true;
      this.clearTimers();
      this.broker.metrics.connections.dec();
    });
    this.broker.metrics.connections.inc();
    this.armIdleTimer(broker.config.connectionsMaxIdleMs);
    if (sasl && security.limits.authenticationTimeoutMs > 0) {
      this.authTimer = setTimeout(() => {
        if (this.auth.authenticated) return;
        security.stats.closedBeforeAuthentication++;
        this.close('authentication timeout');
      }, security.limits.authenticationTimeoutMs);
      this.authTimer.unref();
    }
  }

  /** The authenticated principal (`User:ANONYMOUS` until a SASL client has authenticated). */
  get principal(): string {
    return this.auth.principal;
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.clearTimers();
    this.logger.debug({ reason }, 'closing connection');
    this.socket.destroy();
  }

  private clearTimers(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.authTimer) clearTimeout(this.authTimer);
    this.idleTimer = this.authTimer = null;
  }

  private armIdleTimer(delayMs: number): void {
    const idleMs = this.broker.config.connectionsMaxIdleMs;
    if (idleMs <= 0 || this.closed) return;
    this.idleTimer = setTimeout(() => {
      const idleFor = Date.now() - this.lastActive;
      if (!this.busy && idleFor >= idleMs) this.close('idle');
      else this.armIdleTimer(this.busy ? idleMs : idleMs - idleFor);
    }, delayMs);
    this.idleTimer.unref();
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
    if (!this.auth.authenticated && (this.decoder.pending > this.preAuthMaxBytes || frames.some((f) => f.length > this.preAuthMaxBytes))) {
      this.logger.warn({ limit: this.preAuthMaxBytes }, 'frame above sasl.server.max.receive.size before authentication: closing connection');
      this.close('frame too large before authentication');
      return;
    }
    if (frames.length === 0) return;
    this.lastActive = Date.now();
    this.pending.push(...frames);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.pending.length > 0 && !this.closed) {
        const frame = this.pending.shift()!;
        const authentications = this.auth.authentications;
        const response = this.auth.expectsRawToken ? await this.handleRawToken(frame) : await this.handle(frame);
        if (this.auth.authentications > authentications) {
          this.security.countAuthentication(this.auth.saslMechanism ?? 'SASL', true);
          this.logger.debug({ principal: this.auth.principal, mechanism: this.auth.saslMechanism, authentications: this.auth.authentications }, 'SASL authenticated');
        }
        if (response && !this.closed) {
          if (!this.write(response)) {
            this.socket.pause();
            await new Promise<void>((resolve) => this.socket.once('drain', resolve).once('close', resolve));
            if (!this.closed) this.socket.resume();
          }
        }
        this.lastActive = Date.now();
        if (this.auth.closeAfterResponse && !this.closed) {
          // A refused authentication: the answer goes out, then the connection ends.
          if (this.auth.failure) {
            this.security.countAuthentication(this.auth.saslMechanism ?? 'SASL', false);
            this.logger.info({ reason: this.auth.failure }, 'SASL authentication failed: closing connection');
          }
          this.closed = true;
          this.clearTimers();
          this.socket.end();
          setTimeout(() => this.socket.destroy(), 1000).unref();
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /** A SASL token after a v0 SaslHandshake: length-prefixed, answered the same way; a failure closes. */
  private async handleRawToken(token: Buffer): Promise<Buffer[] | null> {
    this.broker.metrics.bytesIn.inc(token.length + 4);
    try {
      const response = await this.auth.rawToken(token);
      const size = Buffer.alloc(4);
      size.writeInt32BE(response.length);
      return [size, response];
    } catch (err) {
      this.security.countAuthentication(this.auth.saslMechanism ?? 'SASL', false);
      this.logger.info({ err: (err as Error).message }, 'SASL authentication failed (v0 framing): closing connection');
      this.close('authentication failed');
      return null;
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
    if (!this.auth.allows(header.apiKey)) {
      // Kafka closes the connection on any other request before authentication.
      this.security.stats.closedBeforeAuthentication++;
      this.logger.warn({ apiKey: header.apiKey }, 'request before SASL authentication completed: closing connection');
      this.close('unauthenticated request');
      return null;
    }
    if (header.apiKey !== API_SASL_HANDSHAKE && header.apiKey !== API_SASL_AUTHENTICATE && this.auth.sessionExpired()) {
      this.logger.info({ principal: this.auth.principal }, 'SASL session expired (connections.max.reauth.ms): closing connection');
      this.close('session expired');
      return null;
    }
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
      principal: this.auth.principal, auth: this.auth,
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
