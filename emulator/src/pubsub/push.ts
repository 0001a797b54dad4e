// Push delivery: each leased message is POSTed to the endpoint as the standard JSON
// envelope; 102/200/201/202/204 ack it, anything else (or no answer within the ack
// deadline) makes it due again after a backoff (the retry policy's, else 100 ms
// doubling to 60 s per consecutive failure). An OIDC token config adds an
// `Authorization: Bearer` header with an unsigned JWT (alg none) naming the audience
// and service account, as an emulator cannot sign Google tokens.

import type { Logger } from 'pino';
import type { Sink, Delivery, SubscriptionRuntime } from './subscription.ts';
import { messageIdOf } from './subscription.ts';

const ACK_CODES = new Set([102, 200, 201, 202, 204]);
const MAX_IN_FLIGHT = 32;

function b64url(o: unknown): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}

export class PushSink implements Sink {
  #rt: SubscriptionRuntime;
  #log: Logger;
  #inFlight = 0;
  #failures = 0;
  #pausedUntil = 0;
  #closed = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(rt: SubscriptionRuntime, log: Logger) {
    this.#rt = rt;
    this.#log = log;
  }

  capacity(): number {
    if (this.#closed || Date.now() < this.#pausedUntil) return 0;
    // After failures, one message at a time until the endpoint answers again.
    return (this.#failures > 0 ? 1 : MAX_IN_FLIGHT) - this.#inFlight;
  }

  deadlineSeconds(): number {
    return this.#rt.cfg.ackDeadlineSeconds;
  }

  released(): void {}

  deliver(batch: Delivery[]): void {
    for (const d of batch) {
      this.#inFlight++;
      void this.#post(d).finally(() => {
        this.#inFlight--;
        if (!this.#closed) this.#rt.dispatch();
      });
    }
  }

  async #post(d: Delivery): Promise<void> {
    const cfg = this.#rt.cfg;
    const m = d.msg;
    const publishTime = new Date(Number(m.timestamp)).toISOString();
    const messageId = messageIdOf(m.partition, m.offset);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    let body: string;
    if (cfg.pushNoWrapper) {
      body = (m.value ?? Buffer.alloc(0)).toString('utf8');
      for (const [k, v] of Object.entries(m.attributes)) headers[`x-goog-pubsub-${k}`] = v;
    } else {
      const envelope: Record<string, unknown> = {
        message: {
          data: (m.value ?? Buffer.alloc(0)).toString('base64'),
          attributes: m.attributes,
          messageId,
          message_id: messageId,
          publishTime,
          publish_time: publishTime,
          ...(m.key?.length ? { orderingKey: m.key.toString('utf8') } : {}),
        },
        subscription: cfg.name,
      };
      if (cfg.deadLetterTopic) envelope.deliveryAttempt = d.deliveryAttempt;
      body = JSON.stringify(envelope);
    }
    if (cfg.pushOidc) {
      const now = Math.floor(Date.now() / 1000);
      const aud = cfg.pushOidc.audience || cfg.pushEndpoint;
      const claims = { iss: 'https://accounts.google.com', aud, email: cfg.pushOidc.serviceAccountEmail, email_verified: true, iat: now, exp: now + 3600, sub: cfg.pushOidc.serviceAccountEmail };
      headers.authorization = `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
    }
    let ok = false;
    let why = '';
    try {
      const res = await fetch(cfg.pushEndpoint, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(cfg.ackDeadlineSeconds * 1000),
      });
      await res.arrayBuffer().catch(() => undefined);
      ok = ACK_CODES.has(res.status);
      why = `HTTP ${res.status}`;
    } catch (err) {
      why = (err as Error).name === 'TimeoutError' ? 'timeout' : (err as Error).message;
    }
    if (this.#closed) return;
    if (ok) {
      this.#failures = 0;
      this.#rt.ack([d.ackId]);
      await this.#rt.persist().catch(() => {});
    } else {
      this.#failures++;
      const backoff = this.#rt.cfg.retryMinSeconds !== null ? 0 : Math.min(60_000, 100 * 2 ** Math.min(this.#failures - 1, 10));
      this.#log.debug({ subscription: cfg.name, endpoint: cfg.pushEndpoint, why, backoff }, 'push delivery failed');
      this.#pausedUntil = Date.now() + backoff;
      this.#rt.modifyAckDeadline([d.ackId], 0);
      if (backoff > 0) {
        if (this.#timer) clearTimeout(this.#timer);
        this.#timer = setTimeout(() => this.#rt.dispatch(), backoff + 5);
        this.#timer.unref();
      }
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
  }
}
