// PEM values as Kafka takes them: a file path, or the PEM text itself in the
// property. In a .properties file that text is usually folded with backslash
// continuations, which joins its lines, so each block is re-wrapped here
// (OpenSSL wants the BEGIN line, 64-column base64, the END line).

import { readFileSync } from 'node:fs';

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

export function normalizePem(text: string): string {
  const blocks: string[] = [];
  for (const m of text.replaceAll('\\n', '\n').matchAll(BLOCK)) {
    const body = m[2]!;
    // Encrypted legacy keys carry headers (Proc-Type, DEK-Info) before a blank line: keep those blocks as they are.
    if (body.includes(':')) {
      blocks.push(m[0]);
      continue;
    }
    const b64 = body.replace(/\s+/g, '');
    blocks.push(`-----BEGIN ${m[1]}-----\n${b64.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END ${m[1]}-----`);
  }
  return blocks.join('\n') + '\n';
}

/** The PEM text of a property: inline PEM, or the contents of the file it names. */
export function pemProperty(key: string, value: string): string {
  if (value.includes('-----BEGIN')) return normalizePem(value);
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    throw new Error(`${key}: cannot read ${value}: ${(err as Error).message}`);
  }
}
