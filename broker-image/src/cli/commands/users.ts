// `tributary users`: SCRAM credentials, shaped like
//   kafka-configs --alter --add-config 'SCRAM-SHA-256=[iterations=8192,password=alice-secret]' --entity-type users --entity-name alice
// as --add-scram/--delete-scram/--describe. The password is salted and
// iterated here; only the salted password travels (AlterUserScramCredentials).

import { randomBytes } from 'node:crypto';
import { BrokerConnection } from '../../client/connection.ts';
import { errorName } from '../../protocol/errors.ts';
import { hashOf, isScramMechanism, MIN_ITERATIONS, saltedPassword, SCRAM_MECHANISM_IDS, scramMechanismById, type ScramMechanism } from '../../security/scram.ts';
import { parseFlags, requireFlag, UsageError } from '../usage.ts';

const DESCRIBE = 50;
const ALTER = 51;

export async function users(args: string[]): Promise<number> {
  const f = parseFlags(args, {
    'bootstrap-server': { type: 'string' },
    'entity-name': { type: 'string', multiple: true },
    'add-scram': { type: 'string' },
    'delete-scram': { type: 'string' },
    describe: { type: 'boolean' },
  });
  const actions = (['add-scram', 'delete-scram', 'describe'] as const).filter((a) => f[a] !== undefined);
  if (actions.length !== 1) throw new UsageError('exactly one of --add-scram, --delete-scram or --describe is required');
  const names = f['entity-name'] ?? [];
  if (actions[0] !== 'describe' && names.length !== 1) throw new UsageError('--add-scram and --delete-scram need one --entity-name');
  // Parse before connecting: a malformed option never reaches the broker.
  const upsertions = f['add-scram'] !== undefined ? parseAddScram(f['add-scram'], names[0]!) : [];
  const deletions = f['delete-scram'] !== undefined ? parseDeleteScram(f['delete-scram'], names[0]!) : [];
  const conn = await BrokerConnection.open(requireFlag(f['bootstrap-server'], 'bootstrap-server'));
  try {
    if (actions[0] === 'describe') return await describe(conn, names);
    const res = await conn.request(ALTER, 0, { deletions, upsertions });
    let code = 0;
    for (const r of res.results) {
      if (r.errorCode !== 0) {
        console.error(`Error altering SCRAM credentials of '${r.user}': ${errorName(r.errorCode)}${r.errorMessage ? `: ${r.errorMessage}` : ''}`);
        code = 1;
      } else {
        console.log(`Completed updating SCRAM credentials for user-principal '${r.user}'.`);
      }
    }
    return code;
  } finally {
    conn.close();
  }
}

/** `SCRAM-SHA-256=[iterations=8192,password=secret],SCRAM-SHA-512=[password=secret]` */
export function parseAddScram(value: string, user: string): { name: string; mechanism: number; iterations: number; salt: Buffer; saltedPassword: Buffer }[] {
  const out = [];
  const re = /(SCRAM-SHA-\d+)=\[(.*?)\](?:,|$)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(value)) !== null) {
    consumed = re.lastIndex;
    const mechanism = m[1]!;
    if (!isScramMechanism(mechanism)) throw new UsageError(`--add-scram: unknown mechanism ${mechanism} (SCRAM-SHA-256, SCRAM-SHA-512)`);
    const opts = new Map<string, string>();
    // password= takes everything after it, so a ',' inside a password survives.
    const inner = m[2]!;
    const pw = inner.search(/(?:^|,)password=/);
    if (pw >= 0) opts.set('password', inner.slice(inner.indexOf('password=', pw) + 9));
    for (const part of (pw >= 0 ? inner.slice(0, pw) : inner).split(',').filter(Boolean)) {
      const [k, v] = part.split('=', 2);
      if (k !== 'iterations' || v === undefined) throw new UsageError(`--add-scram: unknown option '${part}' for ${mechanism} (iterations=N, password=P)`);
      opts.set(k, v);
    }
    const password = opts.get('password');
    if (!password) throw new UsageError(`--add-scram: ${mechanism} needs password=...`);
    const iterations = Number(opts.get('iterations') ?? MIN_ITERATIONS);
    if (!Number.isInteger(iterations)) throw new UsageError(`--add-scram: iterations must be an integer`);
    const salt = randomBytes(32);
    out.push({ name: user, mechanism: SCRAM_MECHANISM_IDS[mechanism], iterations, salt, saltedPassword: saltedPassword(hashOf(mechanism), password, salt, iterations) });
  }
  if (out.length === 0 || consumed !== value.length) throw new UsageError(`--add-scram: expected 'SCRAM-SHA-256=[iterations=8192,password=...]', got '${value}'`);
  return out;
}

function parseDeleteScram(value: string, user: string): { name: string; mechanism: number }[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean).map((mechanism) => {
    if (!isScramMechanism(mechanism)) throw new UsageError(`--delete-scram: unknown mechanism ${mechanism} (SCRAM-SHA-256, SCRAM-SHA-512)`);
    return { name: user, mechanism: SCRAM_MECHANISM_IDS[mechanism] };
  });
}

async function describe(conn: BrokerConnection, names: string[]): Promise<number> {
  const res = await conn.request(DESCRIBE, 0, { users: names.length > 0 ? names.map((name) => ({ name })) : null });
  if (res.errorCode !== 0) {
    console.error(`Error describing SCRAM credentials: ${errorName(res.errorCode)}${res.errorMessage ? `: ${res.errorMessage}` : ''}`);
    return 1;
  }
  let code = 0;
  for (const r of res.results) {
    if (r.errorCode !== 0) {
      console.error(`Error describing SCRAM credentials of '${r.user}': ${errorName(r.errorCode)}${r.errorMessage ? `: ${r.errorMessage}` : ''}`);
      code = 1;
      continue;
    }
    const configs = r.credentialInfos.map((c: { mechanism: number; iterations: number }) => `${scramMechanismById(c.mechanism) as ScramMechanism}=iterations=${c.iterations}`);
    console.log(`SCRAM credential configs for user-principal '${r.user}' are ${configs.join(', ')}`);
  }
  return code;
}
