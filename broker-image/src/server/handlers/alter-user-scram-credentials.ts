// AlterUserScramCredentials (51): upsertions carry the salted password the
// client derived (the password itself never travels); the broker stores
// StoredKey and ServerKey from it. One result per user; a user named twice in
// one request is DUPLICATE_RESOURCE, as in Kafka.

import { ErrorCode } from '../../protocol/errors.ts';
import { ScramCredentials } from '../../security/scram-credentials.ts';
import { credentialFromSaltedPassword, hashOf, MAX_ITERATIONS, MIN_ITERATIONS, scramMechanismById } from '../../security/scram.ts';
import type { ApiHandler } from '../handler.ts';

interface Deletion { name: string; mechanism: number }
interface Upsertion { name: string; mechanism: number; iterations: number; salt: Buffer; saltedPassword: Buffer }

export const alterUserScramCredentials: ApiHandler = {
  apiKey: 51,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const credentials = new ScramCredentials(ctx.broker.store);
    const deletions: Deletion[] = req.deletions ?? [];
    const upsertions: Upsertion[] = req.upsertions ?? [];
    const errors = new Map<string, { errorCode: number; errorMessage: string }>();
    const fail = (user: string, errorCode: number, errorMessage: string) => {
      if (!errors.has(user)) errors.set(user, { errorCode, errorMessage });
    };
    const seen = new Map<string, number>();
    for (const op of [...deletions, ...upsertions]) {
      const key = `${op.name}\u0000${op.mechanism}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    for (const op of [...deletions, ...upsertions]) {
      if (op.name === '') fail(op.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
      else if (!scramMechanismById(op.mechanism)) fail(op.name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, `Unknown SCRAM mechanism ${op.mechanism}`);
      else if ((seen.get(`${op.name}\u0000${op.mechanism}`) ?? 0) > 1) {
        fail(op.name, ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
      }
    }
    for (const u of upsertions) {
      const mechanism = scramMechanismById(u.mechanism);
      if (!mechanism) continue;
      if (u.iterations < MIN_ITERATIONS) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, `Iterations ${u.iterations} is less than the minimum ${MIN_ITERATIONS} for ${mechanism}`);
      else if (u.iterations > MAX_ITERATIONS) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, `Iterations ${u.iterations} is more than the maximum ${MAX_ITERATIONS} for ${mechanism}`);
      else if (!u.salt || u.salt.length === 0) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Salt must not be empty');
      else if (!u.saltedPassword || u.saltedPassword.length === 0) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Salted password must not be empty');
    }
    for (const d of deletions) {
      const mechanism = scramMechanismById(d.mechanism);
      if (!mechanism || errors.has(d.name)) continue;
      if (!(await credentials.get(mechanism, d.name))) fail(d.name, ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist');
    }
    // Nothing of a user is changed when any of its operations is refused.
    for (const d of deletions) {
      if (!errors.has(d.name)) await credentials.delete(scramMechanismById(d.mechanism)!, d.name);
    }
    for (const u of upsertions) {
      if (errors.has(u.name)) continue;
      const mechanism = scramMechanismById(u.mechanism)!;
      const salt = Buffer.from(u.salt);
      await credentials.put(mechanism, u.name, credentialFromSaltedPassword(hashOf(mechanism), Buffer.from(u.saltedPassword), salt, u.iterations));
    }
    const users = [...new Set([...deletions, ...upsertions].map((op) => op.name))];
    return {
      throttleTimeMs: 0,
      results: users.map((user) => ({ user, errorCode: errors.get(user)?.errorCode ?? ErrorCode.NONE, errorMessage: errors.get(user)?.errorMessage ?? null })),
    };
  },
};
