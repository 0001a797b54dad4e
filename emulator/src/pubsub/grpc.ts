// gRPC: google.pubsub.v1.Publisher and Subscriber over the service. StreamingPull
// as the Node client uses it: the first request names the subscription and the
// stream's ack deadline and flow control; `{}` requests are keepalives; acks and
// deadline changes may come on the stream or as unary calls. Closing the server
// ends every stream with UNAVAILABLE, which makes clients reopen.

import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { PubsubService } from './service.ts';
import { ApiError, toApiError, invalid } from './errors.ts';
import type { Sink, Delivery, SubscriptionRuntime } from './subscription.ts';
import { loadProtos } from './protos.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

let statusType: protobuf.Type | null = null;
let errorInfoType: protobuf.Type | null = null;

function grpcError(err: unknown): Partial<grpc.StatusObject> {
  const e = toApiError(err);
  const metadata = new grpc.Metadata();
  const info = (e as ApiError & { errorInfo?: Obj }).errorInfo;
  if (info) {
    try {
      metadata.set('grpc-status-details-bin', statusDetails(e.code, e.message, info));
    } catch {
      /* the status alone still tells the client what failed */
    }
  }
  return { code: e.code, details: e.message, metadata };
}

function statusDetails(code: number, message: string, info: Obj): Buffer {
  {
    // google.rpc.Status with an ErrorInfo detail, as the client reads it for exactly-once acks.
    if (!statusType) {
      const root = loadProtos().root;
      statusType = root.lookupType('google.rpc.Status');
      errorInfoType = root.lookupType('google.rpc.ErrorInfo');
    }
    const detail = errorInfoType!.encode(errorInfoType!.fromObject(info)).finish();
    const st = statusType.encode(
      statusType.fromObject({ code, message, details: [{ typeUrl: 'type.googleapis.com/google.rpc.ErrorInfo', value: detail }] }),
    ).finish();
    return Buffer.from(st);
  }
}

const UNARY: Record<string, string> = {
  CreateTopic: 'createTopic',
  UpdateTopic: 'updateTopic',
  Publish: 'publish',
  GetTopic: 'getTopic',
  ListTopics: 'listTopics',
  ListTopicSubscriptions: 'listTopicSubscriptions',
  ListTopicSnapshots: 'listTopicSnapshots',
  DeleteTopic: 'deleteTopic',
  DetachSubscription: 'detachSubscription',
  CreateSubscription: 'createSubscription',
  GetSubscription: 'getSubscription',
  UpdateSubscription: 'updateSubscription',
  ListSubscriptions: 'listSubscriptions',
  DeleteSubscription: 'deleteSubscription',
  ModifyAckDeadline: 'modifyAckDeadline',
  Acknowledge: 'acknowledge',
  ModifyPushConfig: 'modifyPushConfig',
  GetSnapshot: 'getSnapshot',
  ListSnapshots: 'listSnapshots',
  CreateSnapshot: 'createSnapshot',
  UpdateSnapshot: 'updateSnapshot',
  DeleteSnapshot: 'deleteSnapshot',
  Seek: 'seek',
  Pull: 'pull',
};

class StreamSink implements Sink {
  outstanding = 0;
  outstandingBytes = 0;
  maxMessages: number;
  maxBytes: number;
  deadline: number;
  blocked = false;
  #call: grpc.ServerDuplexStream<Obj, Obj>;
  #svc: PubsubService;
  #rt: SubscriptionRuntime;

  constructor(call: grpc.ServerDuplexStream<Obj, Obj>, svc: PubsubService, rt: SubscriptionRuntime, first: Obj) {
    this.#call = call;
    this.#svc = svc;
    this.#rt = rt;
    this.maxMessages = Number(first.maxOutstandingMessages ?? 0);
    this.maxBytes = Number(first.maxOutstandingBytes ?? 0);
    this.deadline = Number(first.streamAckDeadlineSeconds);
  }

  capacity(): number {
    if (this.blocked) return 0;
    if (this.maxBytes > 0 && this.outstandingBytes >= this.maxBytes) return 0;
    const byCount = this.maxMessages > 0 ? this.maxMessages - this.outstanding : 1000;
    return Math.max(0, byCount);
  }

  deadlineSeconds(): number {
    return this.deadline;
  }

  deliver(batch: Delivery[]): void {
    this.outstanding += batch.length;
    for (const d of batch) this.outstandingBytes += d.msg.size;
    const ok = this.#call.write({
      receivedMessages: batch.map((d) => this.#svc.received(this.#rt, d)),
      subscriptionProperties: {
        exactlyOnceDeliveryEnabled: this.#rt.cfg.exactlyOnce,
        messageOrderingEnabled: this.#rt.cfg.enableMessageOrdering,
      },
    });
    if (!ok) {
      this.blocked = true;
      this.#call.once('drain', () => {
        this.blocked = false;
        this.#rt.dispatch();
      });
    }
  }

  onEnd: ((err: Error) => void) | null = null;

  end(err: Error): void {
    this.onEnd?.(err);
  }

  released(n: number, bytes: number): void {
    this.outstanding = Math.max(0, this.outstanding - n);
    this.outstandingBytes = Math.max(0, this.outstandingBytes - bytes);
  }
}

export function createGrpcServer(svc: PubsubService): { server: grpc.Server; closeStreams(): void } {
  const protos = loadProtos().grpc as any;
  const v1 = protos.google.pubsub.v1;
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 20 << 20, 'grpc.max_send_message_length': 20 << 20 });
  const streams = new Map<grpc.ServerDuplexStream<Obj, Obj>, (err?: unknown) => void>();

  const unary = (method: string) => (call: grpc.ServerUnaryCall<Obj, Obj>, cb: grpc.sendUnaryData<Obj>) => {
    const fn = (svc as any)[method] as (req: Obj, c?: unknown) => Promise<Obj>;
    const cancel = { cancelled: () => call.cancelled, onCancel: (f: () => void) => call.once('cancelled', f) };
    fn.call(svc, call.request, cancel).then(
      (res) => cb(null, res),
      (err) => {
        if (!(err instanceof ApiError)) svc.log.warn({ err: (err as Error).message, method }, 'request failed');
        cb(grpcError(err));
      },
    );
  };

  const impl = (service: any): grpc.UntypedServiceImplementation => {
    const out: grpc.UntypedServiceImplementation = {};
    for (const name of Object.keys(service.service)) {
      if (name === 'StreamingPull') continue;
      const method = UNARY[name];
      out[name] = method
        ? unary(method)
        : (_call: unknown, cb: grpc.sendUnaryData<Obj>) => cb({ code: grpc.status.UNIMPLEMENTED, details: `${name} is not implemented by this emulator.` });
    }
    return out;
  };

  const subscriber = impl(v1.Subscriber);
  subscriber.StreamingPull = (call: grpc.ServerDuplexStream<Obj, Obj>) => {
    let sink: StreamSink | null = null;
    let rt: SubscriptionRuntime | null = null;
    let done = false;
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      streams.delete(call);
      if (rt && sink) rt.sinks.delete(sink);
      if (err) call.emit('error', grpcError(err));
      else call.end();
    };
    streams.set(call, finish);
    call.on('data', (req: Obj) => {
      if (done) return;
      try {
        if (!sink) {
          if (!req.subscription) throw invalid('The first StreamingPullRequest must name a subscription.');
          rt = svc.active(req.subscription);
          const d = Number(req.streamAckDeadlineSeconds ?? 0);
          if (d < 10 || d > 600) throw invalid(`Invalid stream_ack_deadline_seconds: ${d}. It must be between 10 and 600 seconds.`);
          sink = new StreamSink(call, svc, rt, req);
          sink.onEnd = (err) => finish(err);
          rt.sinks.add(sink);
        } else if (req.streamAckDeadlineSeconds && Number(req.streamAckDeadlineSeconds) >= 10) {
          sink.deadline = Math.min(600, Number(req.streamAckDeadlineSeconds));
        }
        const r = rt!;
        if (req.ackIds?.length) {
          r.validateAckIds(req.ackIds);
          r.ack(req.ackIds);
          void r.persist().catch(() => {});
        }
        const mods: string[] = req.modifyDeadlineAckIds ?? [];
        const secs: number[] = req.modifyDeadlineSeconds ?? [];
        if (mods.length !== secs.length) throw invalid('modify_deadline_ack_ids and modify_deadline_seconds must have the same length.');
        mods.forEach((a, i) => {
          r.validateAckIds([a]);
          r.modifyAckDeadline([a], Number(secs[i]));
        });
        r.dispatch();
      } catch (err) {
        finish(err);
      }
    });
    call.on('end', () => finish());
    call.on('cancelled', () => finish());
    call.on('error', () => finish());
  };

  server.addService(v1.Publisher.service, impl(v1.Publisher));
  server.addService(v1.Subscriber.service, subscriber);
  return {
    server,
    closeStreams: () => {
      for (const finish of [...streams.values()]) finish(new ApiError(grpc.status.UNAVAILABLE, 'The emulator is shutting down; reconnect.'));
    },
  };
}
