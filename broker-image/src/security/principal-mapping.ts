// ssl.principal.mapping.rules (KIP-371): a certificate subject → a user name,
// in Kafka's syntax, first matching rule wins:
//   RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L,DEFAULT
// A rule applies when its pattern matches the whole DN; /L or /U lower- or
// upper-cases the result; DEFAULT keeps the DN as it is.

export type PrincipalRule = { kind: 'default' } | { kind: 'rule'; pattern: RegExp; replacement: string; caseFold: '' | 'L' | 'U' };

/** Reads up to the next unescaped '/', keeping escapes as they are (they mean the same to the regex). */
function until(s: string, i: number): [string, number] {
  let out = '';
  while (i < s.length && s[i] !== '/') {
    if (s[i] === '\\' && i + 1 < s.length) out += s[i++];
    out += s[i++];
  }
  if (s[i] !== '/') throw new Error(`unterminated rule near '${s.slice(Math.max(0, i - 20))}'`);
  return [out, i + 1];
}

export function parsePrincipalRules(text: string): PrincipalRule[] {
  const rules: PrincipalRule[] = [];
  let i = 0;
  const skip = () => { while (i < text.length && /[\s,]/.test(text[i]!)) i++; };
  for (skip(); i < text.length; skip()) {
    if (text.startsWith('DEFAULT', i)) {
      rules.push({ kind: 'default' });
      i += 7;
    } else if (text.startsWith('RULE:', i)) {
      let pattern: string;
      let replacement: string;
      [pattern, i] = until(text, i + 5);
      [replacement, i] = until(text, i);
      let caseFold: '' | 'L' | 'U' = '';
      if (text[i] === 'L' || text[i] === 'U') caseFold = text[i++] as 'L' | 'U';
      let regex: RegExp;
      try {
        regex = new RegExp(`^(?:${pattern})$`);
      } catch (err) {
        throw new Error(`invalid pattern '${pattern}': ${(err as Error).message}`);
      }
      rules.push({ kind: 'rule', pattern: regex, replacement: replacement.replaceAll('\\/', '/'), caseFold });
    } else {
      throw new Error(`expected RULE:pattern/replacement/[LU] or DEFAULT at '${text.slice(i, i + 30)}'`);
    }
    skip();
  }
  return rules.length > 0 ? rules : [{ kind: 'default' }];
}

/** The user name for a DN, or null when no rule matches (the connection is then refused, as in Kafka). */
export function mapPrincipal(rules: PrincipalRule[], dn: string): string | null {
  for (const r of rules) {
    if (r.kind === 'default') return dn;
    if (!r.pattern.test(dn)) continue;
    const name = dn.replace(r.pattern, r.replacement);
    return r.caseFold === 'L' ? name.toLowerCase() : r.caseFold === 'U' ? name.toUpperCase() : name;
  }
  return null;
}
