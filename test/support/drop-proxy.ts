// A TCP proxy in front of a broker that can lose a Produce response on the wire:
// the request reaches the broker (which appends the batch), the response is
// swallowed and the connection is cut, so the client cannot know the batch was
// written and sends it again. That is the retry an idempotent producer must not
// turn into a duplicate.
//
// For clients to stay on the proxy after bootstrap, the broker must advertise the
// proxy's address: start the proxy, start the broker with
// `advertised.listeners=PLAINTEXT://127.0.0.1:<proxy.port>`, then setTarget().
import net from 'node:net';

export interface DropProxy {
  port: number;
  setTarget(host: string, port: number): void;
  /** Swallow the next `n` Produce responses (each one cuts its connection); `onDrop` runs after each. */
  dropProduceResponses(n: number, onDrop?: () => void): void;
  /** Produce requests seen, and Produce responses dropped so far. */
  stats(): { produceRequests: number; dropped: number };
  close(): Promise<void>;
}

const PRODUCE = 0;

/** Splits a byte stream into whole frames (int32 size prefix), keeping the remainder. */
class Frames {
  private pending: Buffer = Buffer.alloc(0);
  push(d: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? d : Buffer.concat([this.pending, d]);
    const out: Buffer[] = [];
    while (this.pending.length >= 4) {
      const n = this.pending.readInt32BE(0);
      if (this.pending.length < 4 + n) break;
      out.push(this.pending.subarray(0, 4 + n));
      this.pending = this.pending.subarray(4 + n);
    }
    return out;
  }
}

export async function startDropProxy(): Promise<DropProxy> {
  let targetHost = '127.0.0.1';
  let targetPort = 0;
  let toDrop = 0;
  let dropHook: (() => void) | undefined;
  let dropped = 0;
  let produceRequests = 0;
  const sockets = new Set<net.Socket>();

  const server = net.createServer((down) => {
    const up = net.connect({ host: targetHost, port: targetPort });
    sockets.add(down);
    sockets.add(up);
    const produceIds = new Set<number>(); // correlation ids of Produce requests awaiting a response
    const fromClient = new Frames();
    const fromBroker = new Frames();
    const end = () => {
      down.destroy();
      up.destroy();
      sockets.delete(down);
      sockets.delete(up);
    };
    down.on('data', (d: Buffer) => {
      for (const f of fromClient.push(d)) {
        if (f.length >= 12 && f.readInt16BE(4) === PRODUCE) {
          produceRequests++;
          produceIds.add(f.readInt32BE(8));
        }
        up.write(f);
      }
    });
    up.on('data', (d: Buffer) => {
      for (const f of fromBroker.push(d)) {
        const correlationId = f.readInt32BE(4);
        if (produceIds.delete(correlationId) && toDrop > 0) {
          toDrop--;
          dropped++;
          end();
          dropHook?.();
          return;
        }
        down.write(f);
      }
    });
    down.on('close', end);
    up.on('close', end);
    down.on('error', end);
    up.on('error', end);
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => res());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    setTarget: (h, p) => {
      targetHost = h;
      targetPort = p;
    },
    dropProduceResponses: (n, onDrop) => {
      toDrop += n;
      dropHook = onDrop;
    },
    stats: () => ({ produceRequests, dropped }),
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
}
