// DescribeUserScramCredentials (50): which SCRAM mechanisms (and iteration
// counts) each user has. Null or empty users: every user with a credential.

import { ErrorCode } from '../../protocol/errors.ts';
import { ScramCredentials } from '../../security/scram-credentials.ts';
import { SCRAM_MECHANISM_IDS, type ScramMechanism } from '../../security/scram.ts';
import type { ApiHandler } from '../handler.ts';

const infos = (m: Map<ScramMechanism, number>) => [...m].map(([mechanism, iterations]) => ({ mechanism: SCRAM_MECHANISM_IDS[mechanism], iterations }));

export const describeUserScramCredentials: ApiHandler = {
  apiKey: 50,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const credentials = new ScramCredentials(ctx.broker.store);
    const names: string[] = (req.users ?? []).map((u: { name: string }) => u.name);
    const ok = { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null };
    if (names.length === 0) {
      const all = await credentials.describeAll();
      return { ...ok, results: [...all].sort(([a], [b]) => a.localeCompare(b)).map(([user, m]) => ({ user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos(m) })) };
    }
    const duplicates = new Set(names.filter((n, i) => names.indexOf(n) !== i));
    const results = [];
    for (const user of new Set(names)) {
      if (duplicates.has(user)) {
        results.push({ user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request', credentialInfos: [] });
        continue;
      }
      const m = await credentials.describe(user);
      if (m.size === 0) results.push({ user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to describe a user credential that does not exist', credentialInfos: [] });
      else results.push({ user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos(m) });
    }
    return { ...ok, results };
  },
};
