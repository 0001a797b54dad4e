// Calls to other replicas, through the same Pub/Sub gRPC API clients use, marked with
// `x-tributary-forwarded` so the receiving replica serves from what it owns and never
// forwards again (no loops, even while two replicas disagree about the owner map).

import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '../protos.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

export const FORWARDED = 'x-tributary-forwarded';

export function isForwarded(metadata: grpc.Metadata | undefined): boolean {
  return !!metadata && metadata.get(FORWARDED).length > 0;
}

export class Peers {
  #clients = new Map<string, grpc.Client & Obj>();

  #client(addr: string): grpc.Client & Obj {
    let c = this.#clients.get(addr);
    if (!c) {
      const Subscriber = (loadProtos().grpc as any).google.pubsub.v1.Subscriber;
      c = new Subscriber(addr, grpc.credentials.createInsecure(), {
        'grpc.max_receive_message_length': 20 << 20,
        'grpc.max_send_message_length': 20 << 20,
      }) as grpc.Client & Obj;
      this.#clients.set(addr, c);
    }
    return c;
  }

  #meta(): grpc.Metadata {
    const m = new grpc.Metadata();
    m.set(FORWARDED, '1');
    return m;
  }

  unary(addr: string, method: 'Pull' | 'Acknowledge' | 'ModifyAckDeadline', req: Obj, timeoutMs = 15_000): Promise<Obj> {
    const c = this.#client(addr);
    const fn = c[method[0].toLowerCase() + method.slice(1)] as (r: Obj, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, res: Obj) => void) => void;
    return new Promise((resolve, reject) => {
      fn.call(c, req, this.#meta(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  streamingPull(addr: string): grpc.ClientDuplexStream<Obj, Obj> {
    return this.#client(addr).streamingPull(this.#meta()) as grpc.ClientDuplexStream<Obj, Obj>;
  }

  close(): void {
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
  }
}
