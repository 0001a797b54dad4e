// gRPC: google.pubsub.v1.Publisher and Subscriber over the service. StreamingPull
// as the Node client uses it: the first request names the subscription and the
// stream's ack deadline and flow control; `{}` requests are keepalives; acks and
// deadline changes may come on the stream or as unary calls. Closing the server
// ends every stream with UNAVAILABLE, which makes clients reopen.
//
// Replicas: a stream gets this replica's own partitions through a local sink, and the
// others' through a forwarded StreamingPull to each owner, relayed; acks go to the
// replica serving their partition. When the owners of the topic's partitions change,
// the stream ends with UNAVAILABLE and the client reopens it against the new map.

import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { PubsubService } from './service.ts';
import { ApiError, toApiError, invalid } from './errors.ts';
import type { Sink, Delivery, SubscriptionRuntime } from './subscription.ts';
import { loadProtos } from './protos.ts';
import { isForwarded } from './replicas/peers.ts';

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
    const fn = (svc as any)[method] as (req: Obj, c?: unknown, forwarded?: boolean) => Promise<Obj>;
    const cancel = { cancelled: () => call.cancelled, onCancel: (f: () => void) => call.once('cancelled', f) };
    fn.call(svc, call.request, cancel, isForwarded(call.metadata)).then(
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
    const forwarded = isForwarded(call.metadata);
    let sink: StreamSink | null = null;
    let rt: SubscriptionRuntime | null = null;
    let done = false;
    const upstreams = new Map<string, grpc.ClientDuplexStream<Obj, Obj>>();
    const onOwners = (kafkaTopic: string) => {
      if (rt && rt.cfg.kafkaTopic === kafkaTopic) finish(new ApiError(grpc.status.UNAVAILABLE, 'The subscription\'s partitions moved between replicas; reconnect.'));
    };
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      streams.delete(call);
      svc.ownersChanged.delete(onOwners);
      if (rt && sink) rt.sinks.delete(sink);
      for (const u of upstreams.values()) u.cancel();
      if (err) call.emit('error', grpcError(err));
      else call.end();
    };
    streams.set(call, finish);
    // Other replicas' partitions: one forwarded stream per owner, relayed as they come.
    // One that fails is opened again (to whoever owns the partitions by then) rather
    // than ending the client's stream: a client's reconnect backoff grows with each
    // failure, while a dead owner's partitions move only after the group's session
    // timeout — and that move ends this stream once, on purpose (onOwners).
    const openUpstreams = async (first: Obj) => {
      const { remote } = await svc.remoteOwners(rt!);
      if (done) return;
      for (const addr of remote) {
        if (upstreams.has(addr)) continue;
        const up = svc.peers.streamingPull(addr);
        upstreams.set(addr, up);
        up.on('data', (res: Obj) => {
          if (!done) call.write(res);
        });
        let retried = false;
        const again = () => {
          if (retried || done) return;
          retried = true;
          if (upstreams.get(addr) === up) upstreams.delete(addr);
          setTimeout(() => void openUpstreams(first).catch(() => {}), 500).unref();
        };
        up.on('error', again);
        up.on('end', again);
        up.write({
          subscription: first.subscription,
          streamAckDeadlineSeconds: first.streamAckDeadlineSeconds,
          maxOutstandingMessages: first.maxOutstandingMessages,
          maxOutstandingBytes: first.maxOutstandingBytes,
          clientId: first.clientId,
        });
      }
    };
    /** Acks and deadline changes to the replica serving each one's partition. */
    const route = (r: SubscriptionRuntime, ids: string[], secs: number | null) => {
      for (const [owner, list] of svc.routeAckIds(r, ids, forwarded)) {
        if (owner === '') {
          if (secs === null) {
            r.ack(list);
            void r.persist().catch(() => {});
          } else r.modifyAckDeadline(list, secs);
          continue;
        }
        const up = upstreams.get(owner);
        if (up) up.write(secs === null ? { ackIds: list } : { modifyDeadlineAckIds: list, modifyDeadlineSeconds: list.map(() => secs) });
        else {
          const req = { subscription: r.cfg.name, ackIds: list, ...(secs === null ? {} : { ackDeadlineSeconds: secs }) };
          void svc.peers.unary(owner, secs === null ? 'Acknowledge' : 'ModifyAckDeadline', req).catch(() => {});
        }
      }
    };
    call.on('data', (req: Obj) => {
      if (done) return;
      try {
        if (!sink) {
          if (!req.subscription) throw invalid('The first StreamingPullRequest must name a subscription.');
          rt = svc.active(req.subscription);
          const d = Number(req.streamAckDeadlineSeconds ?? 0);
          if (d < 10 || d > 600) throw invalid(`Invalid stream_ack_deadline_seconds: ${d}. It must be between 10 and 600 seconds.`);
          if (forwarded && rt.parts.size === 0) throw new ApiError(grpc.status.UNAVAILABLE, 'This replica no longer serves the subscription; reconnect.');
          sink = new StreamSink(call, svc, rt, req);
          sink.onEnd = (err) => finish(err);
          rt.sinks.add(sink);
          svc.ownersChanged.add(onOwners);
          if (!forwarded) void openUpstreams(req).catch((err) => finish(err));
        } else if (req.streamAckDeadlineSeconds && Number(req.streamAckDeadlineSeconds) >= 10) {
          sink.deadline = Math.min(600, Number(req.streamAckDeadlineSeconds));
        }
        const r = rt!;
        if (req.ackIds?.length) {
          r.validateAckIds(req.ackIds);
          route(r, req.ackIds, null);
        }
        const mods: string[] = req.modifyDeadlineAckIds ?? [];
        const secs: number[] = req.modifyDeadlineSeconds ?? [];
        if (mods.length !== secs.length) throw invalid('modify_deadline_ack_ids and modify_deadline_seconds must have the same length.');
        r.validateAckIds(mods);
        const bySecs = new Map<number, string[]>();
        mods.forEach((a, i) => {
          const n = Number(secs[i]);
          let l = bySecs.get(n);
          if (!l) bySecs.set(n, (l = []));
          l.push(a);
        });
        for (const [n, ids] of bySecs) route(r, ids, n);
        r.dispatch();
      } catch (err) {
        finish(err);
      }
    });
    call.on('end', () => finish());
    call.on('cancelled', () => finish());
    call.on('error', () => finish());
  };

  const schemaService: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(v1.SchemaService.service)) {
    const method = name[0].toLowerCase() + name.slice(1);
    schemaService[name] = (call: grpc.ServerUnaryCall<Obj, Obj>, cb: grpc.sendUnaryData<Obj>) => {
      const fn = (svc.schemas as any)[method] as ((req: Obj) => Promise<Obj>) | undefined;
      if (!fn) return cb({ code: grpc.status.UNIMPLEMENTED, details: `${name} is not implemented by this emulator.` });
      fn.call(svc.schemas, call.request).then(
        (res) => cb(null, res),
        (err) => cb(grpcError(err)),
      );
    };
  }
  server.addService(v1.SchemaService.service, schemaService);
  server.addService(v1.Publisher.service, impl(v1.Publisher));
  server.addService(v1.Subscriber.service, subscriber);
  return {
    server,
    closeStreams: () => {
      for (const finish of [...streams.values()]) finish(new ApiError(grpc.status.UNAVAILABLE, 'The emulator is shutting down; reconnect.'));
    },
  };
}
