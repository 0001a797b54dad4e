// SCRAM credentials in the coordination store, one key per user and
// mechanism: users/scram/<mechanism>/<user> (the user name URI-encoded, so a
// '/' in it cannot step out of its folder). Shared by every broker of the cluster.

import type { CoordinationStore } from '../cluster/store/coordination-store.ts';
import { isScramMechanism, type ScramCredential, type ScramMechanism, SCRAM_MECHANISMS } from './scram.ts';

const PREFIX = 'users/scram/';

interface Stored {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}

const keyOf = (mechanism: ScramMechanism, user: string) => `${PREFIX}${mechanism}/${encodeURIComponent(user)}`;

export class ScramCredentials {
  private readonly store: CoordinationStore;

  constructor(store: CoordinationStore) {
    this.store = store;
  }

  async get(mechanism: ScramMechanism, user: string): Promise<ScramCredential | null> {
    const v = await this.store.get(keyOf(mechanism, user));
    if (!v) return null;
    const s = JSON.parse(v.value) as Stored;
    return {
      salt: Buffer.from(s.salt, 'base64'), iterations: s.iterations,
      storedKey: Buffer.from(s.storedKey, 'base64'), serverKey: Buffer.from(s.serverKey, 'base64'),
    };
  }

  async put(mechanism: ScramMechanism, user: string, cred: ScramCredential): Promise<void> {
    const stored: Stored = {
      salt: cred.salt.toString('base64'), iterations: cred.iterations,
      storedKey: cred.storedKey.toString('base64'), serverKey: cred.serverKey.toString('base64'),
    };
    await this.store.put(keyOf(mechanism, user), JSON.stringify(stored));
  }

  /** False when there was nothing to delete. */
  async delete(mechanism: ScramMechanism, user: string): Promise<boolean> {
    const key = keyOf(mechanism, user);
    if (!(await this.store.get(key))) return false;
    await this.store.delete(key);
    return true;
  }

  /** user → mechanism → iterations, for every user with a credential. */
  async describeAll(): Promise<Map<string, Map<ScramMechanism, number>>> {
    const out = new Map<string, Map<ScramMechanism, number>>();
    for (const [key, v] of await this.store.list(PREFIX)) {
      const [mechanism, encoded] = key.slice(PREFIX.length).split('/');
      if (!mechanism || encoded === undefined || !isScramMechanism(mechanism)) continue;
      const user = decodeURIComponent(encoded);
      if (!out.has(user)) out.set(user, new Map());
      out.get(user)!.set(mechanism, (JSON.parse(v.value) as Stored).iterations);
    }
    return out;
  }

  async describe(user: string): Promise<Map<ScramMechanism, number>> {
    const out = new Map<ScramMechanism, number>();
    for (const m of SCRAM_MECHANISMS) {
      const c = await this.get(m, user);
      if (c) out.set(m, c.iterations);
    }
    return out;
  }
}
