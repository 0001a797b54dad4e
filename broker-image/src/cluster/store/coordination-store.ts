// Cluster metadata lives in a coordination store behind this interface: a
// versioned key-value map with compare-and-swap. Backends: `local` (a file
// under the data dir, for the single embedded broker); etcd and Kubernetes
// backends come with multi-broker clusters. No consensus of our own.

export interface VersionedValue {
  value: string;
  /** Increases on every write of the key; 0 means "must not exist" in a CAS. */
  version: number;
}

export class CasConflictError extends Error {
  override name = 'CasConflictError';
}

export interface CoordinationStore {
  get(key: string): Promise<VersionedValue | null>;
  /** Keys (with values) under a prefix, in key order. */
  list(prefix: string): Promise<Map<string, VersionedValue>>;
  /**
   * Writes a key. With `expectedVersion`, only if the key is at that version
   * (0: absent); otherwise throws CasConflictError. Returns the new version.
   */
  put(key: string, value: string, expectedVersion?: number): Promise<number>;
  delete(key: string, expectedVersion?: number): Promise<void>;
  close(): Promise<void>;
}
