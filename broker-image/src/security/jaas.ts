// Kafka's JAAS config line, as users copy it from Kafka's docs:
//   org.apache.kafka.common.security.plain.PlainLoginModule required
//     username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";
// The broker's PLAIN users are the `user_<name>="<password>"` options.

export interface JaasEntry {
  loginModule: string;
  flag: string;
  options: Map<string, string>;
}

export function parseJaas(text: string): JaasEntry[] {
  const entries: JaasEntry[] = [];
  let i = 0;
  const s = text;
  const skipSpace = () => { while (i < s.length && /\s/.test(s[i]!)) i++; };
  const word = () => {
    skipSpace();
    const start = i;
    while (i < s.length && /[^\s=;"]/.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  for (;;) {
    skipSpace();
    if (i >= s.length) break;
    const loginModule = word();
    const flag = word();
    if (!loginModule || !/^(required|requisite|sufficient|optional)$/.test(flag)) {
      throw new Error(`expected "<LoginModule> required|requisite|sufficient|optional" at '${s.slice(0, 60)}'`);
    }
    const options = new Map<string, string>();
    for (;;) {
      skipSpace();
      if (i >= s.length) throw new Error('missing ";" at the end of the login module entry');
      if (s[i] === ';') { i++; break; }
      const key = word();
      skipSpace();
      if (!key || s[i] !== '=') throw new Error(`expected key=value near '${s.slice(i, i + 30)}'`);
      i++;
      skipSpace();
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i++];
        }
        if (s[i] !== '"') throw new Error(`unterminated quoted value for ${key}`);
        i++;
      } else {
        value = word();
      }
      options.set(key, value);
    }
    entries.push({ loginModule, flag, options });
  }
  return entries;
}

/** `user_<name>="<password>"` options of every entry: name → password. */
export function parseJaasUsers(text: string): Map<string, string> {
  const users = new Map<string, string>();
  for (const entry of parseJaas(text)) {
    for (const [k, v] of entry.options) if (k.startsWith('user_') && k.length > 5) users.set(k.slice(5), v);
  }
  return users;
}
