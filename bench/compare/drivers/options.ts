// What every driver is given besides the workload.
export interface DriverOptions {
  /** After the producers finished, give up on missing records after this long without a new one. */
  idleMs: number;
  /** Hard cap for the whole path. */
  deadlineMs: number;
  /** Records per produce/publish/PutRecords call (capped by each API's limit). */
  batch: number;
  /** Calls in flight per producer (Kinesis always 1: see drivers/kinesis.ts). */
  inflight: number;
  log: (line: string) => void;
  /** Called once producing is under way (about a third sent); the restart phase hooks in here. */
  midway?: () => Promise<void>;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}

/** Runs `send` over `ids` in chunks of `batch`, at most `inflight` at once, in order of start. */
export async function chunked(ids: Uint32Array, batch: number, inflight: number, send: (chunk: Uint32Array, sentBefore: number) => Promise<void>): Promise<void> {
  const running = new Set<Promise<void>>();
  let failure: unknown = null;
  for (let from = 0; from < ids.length && failure === null; from += batch) {
    const p: Promise<void> = send(ids.subarray(from, Math.min(ids.length, from + batch)), from)
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => running.delete(p));
    running.add(p);
    if (running.size >= inflight) await Promise.race(running);
  }
  await Promise.all(running);
  if (failure !== null) throw failure;
}

/** Logs `line()` every 30 s until the returned function is called (long runs show they are alive). */
export function progress(log: (line: string) => void, line: () => string): () => void {
  const t = setInterval(() => log(line()), 30_000);
  t.unref();
  return () => clearInterval(t);
}
