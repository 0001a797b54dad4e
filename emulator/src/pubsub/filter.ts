// Pub/Sub's subscription filter language, over message attributes:
//   attributes:KEY            the attribute exists
//   attributes.KEY = "v"      equals (also !=)
//   hasPrefix(attributes.KEY, "p")
//   NOT e, -e, (e), e AND e …, e OR e …   (AND and OR do not mix without parentheses)
// Keys are identifiers ([A-Za-z0-9_-]) or double-quoted strings. At most 256 bytes.

import { invalid } from './errors.ts';

export type Filter = (attrs: Record<string, string>) => boolean;

type Tok = { t: 'str' | 'id' | 'op'; v: string };

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'") {
      let s = '';
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\' && i + 1 < src.length) i++;
        s += src[i++];
      }
      if (src[i] !== c) throw new Error('unterminated string');
      i++;
      out.push({ t: 'str', v: s });
    } else if (src.startsWith('!=', i)) {
      out.push({ t: 'op', v: '!=' });
      i += 2;
    } else if ('()=,.:-'.includes(c)) {
      out.push({ t: 'op', v: c });
      i++;
    } else if (/[A-Za-z0-9_]/.test(c)) {
      let s = '';
      while (i < src.length && /[A-Za-z0-9_-]/.test(src[i])) s += src[i++];
      out.push({ t: 'id', v: s });
    } else {
      throw new Error(`unexpected '${c}'`);
    }
  }
  return out;
}

export function compileFilter(src: string): Filter | null {
  if (!src) return null;
  if (Buffer.byteLength(src) > 256) throw invalid('Invalid filter: longer than 256 bytes.');
  let toks: Tok[];
  try {
    toks = lex(src);
  } catch (e) {
    throw invalid(`Invalid filter: ${(e as Error).message}.`);
  }
  let p = 0;
  const peek = () => toks[p];
  const fail = (why: string): never => {
    throw invalid(`Invalid filter: ${why} (at token ${p + 1} of "${src}").`);
  };
  const expectOp = (v: string) => {
    const t = toks[p];
    if (!t || t.t !== 'op' || t.v !== v) fail(`expected '${v}'`);
    p++;
  };
  const key = (): string => {
    const t = toks[p++];
    if (!t || (t.t !== 'id' && t.t !== 'str')) fail('expected an attribute key');
    return t!.v;
  };
  const str = (): string => {
    const t = toks[p++];
    if (!t || t.t !== 'str') fail('expected a quoted string');
    return t!.v;
  };
  const attr = (): { sep: string; k: string } => {
    const t = toks[p++];
    if (!t || t.t !== 'id' || t.v !== 'attributes') fail("expected 'attributes'");
    const sep = toks[p++];
    if (!sep || sep.t !== 'op' || (sep.v !== '.' && sep.v !== ':')) fail("expected '.' or ':' after attributes");
    return { sep: sep!.v, k: key() };
  };
  const primary = (): Filter => {
    const t = peek();
    if (!t) return fail('unexpected end');
    if (t.t === 'op' && t.v === '(') {
      p++;
      const e = expr();
      expectOp(')');
      return e;
    }
    if ((t.t === 'id' && t.v === 'NOT') || (t.t === 'op' && t.v === '-')) {
      p++;
      const e = primary();
      return (a) => !e(a);
    }
    if (t.t === 'id' && t.v === 'hasPrefix') {
      p++;
      expectOp('(');
      const a = attr();
      if (a.sep !== '.') fail('hasPrefix takes attributes.KEY');
      expectOp(',');
      const pre = str();
      expectOp(')');
      return (m) => m[a.k] !== undefined && m[a.k].startsWith(pre);
    }
    const a = attr();
    if (a.sep === ':') return (m) => m[a.k] !== undefined;
    const op = toks[p++];
    if (!op || op.t !== 'op' || (op.v !== '=' && op.v !== '!=')) fail("expected '=' or '!='");
    const v = str();
    return op!.v === '=' ? (m) => m[a.k] === v : (m) => m[a.k] !== v;
  };
  const expr = (): Filter => {
    const first = primary();
    const t = peek();
    if (!t || t.t !== 'id' || (t.v !== 'AND' && t.v !== 'OR')) return first;
    const kind = t.v;
    const parts = [first];
    while (peek()?.t === 'id' && (peek()!.v === 'AND' || peek()!.v === 'OR')) {
      if (peek()!.v !== kind) fail('AND and OR need parentheses to mix');
      p++;
      parts.push(primary());
    }
    return kind === 'AND' ? (m) => parts.every((f) => f(m)) : (m) => parts.some((f) => f(m));
  };
  const f = expr();
  if (p !== toks.length) fail('unexpected trailing input');
  return f;
}
