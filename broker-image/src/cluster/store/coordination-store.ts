// Cluster metadata lives in a coordination store behind this interface: a
// versioned key-value map with compare-and-swap, leases that bind keys to a
// live process, and watches. Backends: `local` (a file under the data dir, for
// the single embedded broker), `etcd` and `kubernetes` (multi-broker). No
// consensus of our own: the backends delegate it to etcd or the apiserver.

export interface VersionedValue {
  value: string;
  /** Increases on every write of the key; 0 means "must not exist" in a CAS. */
  version: number;
}

export class CasConflictError extends Error {
  override name = 'CasConflictError';
}

/**
 * A lease keeps the keys written with it alive while its holder renews it (the
 * backend renews in the background). When the holder dies or loses the store
 * for longer than the TTL, the keys vanish for every reader: that is how broker
 * liveness and the controller election work.
 */
export interface Lease {
  readonly ttlMs: number;
  /** Resolves once, if the lease expired or could not be renewed in time. Not after revoke(). */
  readonly lost: Promise<void>;
  /** Ends the lease now: its keys are deleted. */
  revoke(): Promise<void>;
}

export interface Watch {
  close(): void;
}

export interface PutOptions {
  /** CAS: only write if the key is at this version (0: absent, including expired leased keys). */
  expectedVersion?: number;
  /** Bind the key to a lease: it disappears when the lease ends. */
  lease?: Lease;
}

export interface CoordinationStore {
  get(key: string): Promise<VersionedValue | null>;
  /** Keys (with values) under a prefix, in key order. */
  list(prefix: string): Promise<Map<string, VersionedValue>>;
  /**
   * Writes a key. With `expectedVersion`, only if the key is at that version
   * (0: absent); otherwise throws CasConflictError. Returns the new version.
   */
  put(key: string, value: string, opts?: PutOptions | number): Promise<number>;
  delete(key: string, expectedVersion?: number): Promise<void>;
  grantLease(ttlMs: number): Promise<Lease>;
  /**
   * Calls `onSnapshot` with every key under `prefix` once the watch is set up,
   * then again after changes (coalesced: a burst of writes may give one call;
   * a lapsed lease counts as a change). After a reconnection the backend
   * re-reads and calls it again, so the callback always sees the whole state.
   */
  watch(prefix: string, onSnapshot: (snapshot: Map<string, VersionedValue>) => void): Promise<Watch>;
  close(): Promise<void>;
}

/** `put`'s third argument: a bare number is the expected version (the original signature). */
export function putOptions(opts: PutOptions | number | undefined): PutOptions {
  return typeof opts === 'number' ? { expectedVersion: opts } : (opts ?? {});
}
