// Java-style .properties parsing (the format of Kafka's server.properties):
// `key=value` or `key: value`, `#`/`!` comments, backslash line continuations.

export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].trimStart();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i].trimStart();
    }
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (!m) {
      out.set(line.trim(), '');
      continue;
    }
    out.set(m[1], m[2].trim());
  }
  return out;
}
