// SubscribeToShard (enhanced fan-out): an HTTP/2 (or chunked HTTP/1.1) response of
// content type `application/vnd.amazon.eventstream` carrying AWS event-stream
// messages:
//
//   [total length u32][headers length u32][prelude CRC32 u32][headers][payload][message CRC32 u32]
//   header = [name length u8][name][type u8 (7 = string)][value length u16][value]
//
// First an `initial-response` event, then `SubscribeToShardEvent`s (Records,
// ContinuationSequenceNumber, MillisBehindLatest, ChildShards when the shard is
// closed and drained). The subscription ends after 5 minutes, as AWS's does.
// Event payloads use the request's encoding (JSON or CBOR).

import { crc32 } from 'node:zlib';
import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { Res } from './server.ts';
import type { Logger } from 'pino';
import type { KinesisService } from './service.ts';
import { KinesisError, CBOR_TYPE, JSON_TYPE, encodeResponse, str, type WireFormat } from './wire.ts';
import { sequenceNumber } from './keys.ts';

export const SUBSCRIPTION_MS = 5 * 60_000;
const POLL_MS = 200;

export function encodeEventMessage(headers: Record<string, string>, payload: Buffer): Buffer {
  const hs: Buffer[] = [];
  for (const [k, v] of Object.entries(headers)) {
    const name = Buffer.from(k, 'utf8');
    const val = Buffer.from(v, 'utf8');
    const h = Buffer.alloc(1 + name.length + 1 + 2 + val.length);
    h.writeUInt8(name.length, 0);
    name.copy(h, 1);
    h.writeUInt8(7, 1 + name.length);
    h.writeUInt16BE(val.length, 2 + name.length);
    val.copy(h, 4 + name.length);
    hs.push(h);
  }
  const headerBytes = Buffer.concat(hs);
  const total = 12 + headerBytes.length + payload.length + 4;
  const msg = Buffer.alloc(total);
  msg.writeUInt32BE(total, 0);
  msg.writeUInt32BE(headerBytes.length, 4);
  msg.writeUInt32BE(crc32(msg.subarray(0, 8)), 8);
  headerBytes.copy(msg, 12);
  payload.copy(msg, 12 + headerBytes.length);
  msg.writeUInt32BE(crc32(msg.subarray(0, total - 4)), total - 4);
  return msg;
}

/** Decodes one event-stream message (for tests and tools). */
export function decodeEventMessage(buf: Buffer): { headers: Record<string, string>; payload: Buffer; length: number } {
  const total = buf.readUInt32BE(0);
  const hlen = buf.readUInt32BE(4);
  if (crc32(buf.subarray(0, 8)) !== buf.readUInt32BE(8)) throw new Error('prelude CRC mismatch');
  if (crc32(buf.subarray(0, total - 4)) !== buf.readUInt32BE(total - 4)) throw new Error('message CRC mismatch');
  const headers: Record<string, string> = {};
  let p = 12;
  while (p < 12 + hlen) {
    const nl = buf.readUInt8(p);
    const name = buf.toString('utf8', p + 1, p + 1 + nl);
    p += 1 + nl;
    const type = buf.readUInt8(p);
    if (type !== 7) throw new Error(`unsupported header type ${type}`);
    const vl = buf.readUInt16BE(p + 1);
    headers[name] = buf.toString('utf8', p + 3, p + 3 + vl);
    p += 3 + vl;
  }
  return { headers, payload: buf.subarray(12 + hlen, total - 4), length: total };
}

export async function subscribeToShard(
  service: KinesisService,
  body: Record<string, unknown>,
  format: WireFormat,
  req: IncomingMessage | Http2ServerRequest,
  res: Res,
  logger: Logger,
): Promise<void> {
  const consumerArn = str(body, 'ConsumerARN', { required: true, min: 1, max: 2048 })!;
  const shardId = str(body, 'ShardId', { required: true, min: 1, max: 128 })!;
  const pos = body.StartingPosition as Record<string, unknown> | undefined;
  if (!pos || typeof pos.Type !== 'string') throw new KinesisError('InvalidArgumentException', 'StartingPosition.Type is required.');
  let { s, sh } = await service.subscription(consumerArn, shardId);
  let offset = await service.startingOffset(s, sh, pos);

  const contentType = format === 'cbor' ? CBOR_TYPE : JSON_TYPE;
  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': crypto.randomUUID() });
  const write = (eventType: string, payload: unknown) =>
    res.write(encodeEventMessage({ ':event-type': eventType, ':content-type': contentType, ':message-type': 'event' }, encodeResponse(payload, format)));
  write('initial-response', {});

  let closed = false;
  const onClose = () => {
    closed = true;
  };
  req.on('close', onClose);
  res.on('close', onClose);
  const until = Date.now() + SUBSCRIPTION_MS;
  let lastEvent = 0;
  try {
    while (!closed && Date.now() < until) {
      s = await service.refreshStream(s.meta.name);
      sh = s.meta.shards.find((x) => x.partition === sh.partition) ?? sh;
      const r = await service.readShard(s, sh, offset, 10_000);
      offset = r.next;
      if (r.records.length > 0 || r.closed || Date.now() - lastEvent >= 1000) {
        write('SubscribeToShardEvent', {
          Records: r.records.map((x) => ({ ...service.recordOut(sh.partition, x), EncryptionType: undefined })),
          ContinuationSequenceNumber: sequenceNumber(sh.partition, offset - 1n),
          MillisBehindLatest: r.millisBehind,
          ChildShards: r.closed ? service.childShardsOf(s, sh) : undefined,
        });
        lastEvent = Date.now();
      }
      if (r.closed) break;
      if (r.records.length === 0) await new Promise((ok) => setTimeout(ok, POLL_MS));
    }
  } catch (err) {
    logger.warn({ err, consumerArn, shardId }, 'SubscribeToShard failed');
    const e = err instanceof KinesisError ? err : new KinesisError('InternalFailure', 'Internal service failure.', 500);
    if (!closed) {
      res.write(encodeEventMessage({ ':exception-type': e.type, ':content-type': contentType, ':message-type': 'exception' }, encodeResponse({ message: e.message }, format)));
    }
  } finally {
    req.off('close', onClose);
    if (!closed) res.end();
  }
}
