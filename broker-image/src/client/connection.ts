// A client connection to one broker: requests out with increasing correlation
// ids, responses matched back to their callers. Used by the CLI tools.

import { connect, type Socket } from 'node:net';
import { decodeResponse, encodeRequest } from '../protocol/codec.ts';
import { FrameDecoder } from '../protocol/framing.ts';
import { apis } from '../protocol/messages/index.ts';
import { errorName } from '../protocol/errors.ts';

interface Pending {
  apiKey: number;
  apiVersion: number;
  resolve: (body: any) => void;
  reject: (err: Error) => void;
}

export class BrokerConnection {
  private readonly socket: Socket;
  private readonly decoder = new FrameDecoder(1024 * 1024 * 1024);
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  private versions = new Map<number, { min: number; max: number }>();
  private closedError: Error | null = null;
  readonly clientId: string;

  private constructor(socket: Socket, clientId: string) {
    this.socket = socket;
    this.clientId = clientId;
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err) => this.failAll(err));
    socket.on('close', () => this.failAll(new Error('connection closed by the broker')));
  }

  static async open(bootstrap: string, clientId = 'tributary-cli'): Promise<BrokerConnection> {
    const { host, port } = parseHostPort(bootstrap);
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host, port });
      s.once('connect', () => { s.off('error', reject); resolve(s); });
      s.once('error', (err) => reject(new Error(`cannot connect to ${bootstrap}: ${err.message}`)));
    });
    socket.setNoDelay(true);
    const conn = new BrokerConnection(socket, clientId);
    const res = await conn.send(18, 0, {});
    if (res.errorCode !== 0) throw new Error(`ApiVersions failed: ${errorName(res.errorCode)}`);
    for (const k of res.apiKeys) conn.versions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
    return conn;
  }

  /** The highest version both sides speak, or an error naming the API. */
  version(apiKey: number, wantedMax: number): number {
    const theirs = this.versions.get(apiKey);
    const ours = apis.get(apiKey);
    const name = ours?.name ?? `API ${apiKey}`;
    if (!theirs) throw new Error(`the broker does not support ${name}`);
    const v = Math.min(theirs.max, wantedMax);
    if (v < theirs.min) throw new Error(`no common version of ${name}`);
    return v;
  }

  /** Sends a request at the best common version (≤ wantedMax) and returns the decoded response body. */
  request(apiKey: number, wantedMax: number, body: object): Promise<any> {
    return this.send(apiKey, this.version(apiKey, wantedMax), body);
  }

  /** Sends a request that gets no response (Produce with acks=0). */
  sendOneWay(apiKey: number, apiVersion: number, body: object): void {
    const correlationId = this.nextCorrelationId++;
    this.socket.write(encodeRequest({ apiKey, apiVersion, correlationId, clientId: this.clientId }, body));
  }

  send(apiKey: number, apiVersion: number, body: object): Promise<any> {
    if (this.closedError) return Promise.reject(this.closedError);
    const correlationId = this.nextCorrelationId++;
    const frame = encodeRequest({ apiKey, apiVersion, correlationId, clientId: this.clientId }, body);
    return new Promise((resolve, reject) => {
      this.pending.set(correlationId, { apiKey, apiVersion, resolve, reject });
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.failAll(err as Error);
      this.socket.destroy();
      return;
    }
    for (const frame of frames) {
      const correlationId = frame.readInt32BE(0);
      const p = this.pending.get(correlationId);
      if (!p) continue;
      this.pending.delete(correlationId);
      try {
        p.resolve(decodeResponse(p.apiKey, p.apiVersion, frame).body);
      } catch (err) {
        p.reject(err as Error);
      }
    }
  }

  private failAll(err: Error): void {
    this.closedError ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

export function parseHostPort(hostPort: string): { host: string; port: number } {
  const first = hostPort.split(',')[0].trim();
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(first);
  if (!m) throw new Error(`bootstrap server '${first}' is not host:port`);
  return { host: m[1], port: Number(m[2]) };
}
