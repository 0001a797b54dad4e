// Hands out producer ids for InitProducerId. Ids are reserved in blocks in the
// coordination store, so an id is never reused after a restart and several
// brokers sharing a store never hand out the same one.

import { CasConflictError, type CoordinationStore } from '../../cluster/store/coordination-store.ts';

const KEY = 'producer-ids/next-block';
const BLOCK_SIZE = 1000n;

export class ProducerIdManager {
  private readonly store: CoordinationStore;
  private next = 0n;
  private end = 0n;
  private reserving: Promise<void> | null = null;

  constructor(store: CoordinationStore) {
    this.store = store;
  }

  async nextId(): Promise<bigint> {
    while (this.next >= this.end) {
      this.reserving ??= this.reserveBlock().finally(() => { this.reserving = null; });
      await this.reserving;
    }
    return this.next++;
  }

  private async reserveBlock(): Promise<void> {
    for (;;) {
      const current = await this.store.get(KEY);
      const start = current ? BigInt(current.value) : 0n;
      try {
        await this.store.put(KEY, String(start + BLOCK_SIZE), current?.version ?? 0);
        this.next = start;
        this.end = start + BLOCK_SIZE;
        return;
      } catch (err) {
        if (!(err instanceof CasConflictError)) throw err;
      }
    }
  }
}
