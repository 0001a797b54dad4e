// Encoders and decoders derived from a MessageSpec, with the semantics of
// Kafka's message generator:
// - a field exists in a version when `versions` contains it; a decoded object
//   always carries every field, with the field's default where the version
//   lacks it, so handlers can read any field whatever the version;
// - flexible versions use compact strings/bytes/arrays (unsigned varint
//   length + 1) and end every struct with a tagged-field section;
// - a field is tagged in the versions of `taggedVersions`; it is written only
//   when its value differs from the default; unknown tags are skipped;
// - an absent (undefined) property is encoded as the field's default.
// Each (spec, version) is compiled once into closures and cached.

import { ProtocolError } from '../primitives/protocol-error.ts';
import { Reader } from '../primitives/reader.ts';
import { Writer } from '../primitives/writer.ts';
import type { FieldSpec, MessageSpec, PrimitiveType } from './types.ts';
import { inVersions, parseVersions } from './versions.ts';

type Enc = (w: Writer, v: any) => void;
type Dec = (r: Reader) => any;

export interface CompiledMessage {
  readonly spec: MessageSpec;
  readonly version: number;
  readonly flexible: boolean;
  /** Appends the body to a writer. */
  write(w: Writer, body: any): void;
  /** Reads a body at the reader's position. */
  read(r: Reader): any;
}

const EMPTY = Buffer.alloc(0);
const cache = new WeakMap<MessageSpec, Map<number, CompiledMessage>>();

/** The codec of one message version, compiled on first use. */
export function compileMessage(spec: MessageSpec, version: number): CompiledMessage {
  let byVersion = cache.get(spec);
  if (!byVersion) cache.set(spec, (byVersion = new Map()));
  let compiled = byVersion.get(version);
  if (compiled) return compiled;
  if (!inVersions(spec.validVersions, version)) {
    throw new Error(`${spec.name} has no version ${version} (valid: ${spec.validVersions})`);
  }
  const flexible = inVersions(spec.flexibleVersions, version);
  const struct = compileStruct(spec.name, spec.fields, version, flexible);
  compiled = { spec, version, flexible, write: struct.enc, read: struct.dec };
  byVersion.set(version, compiled);
  return compiled;
}

/** Encodes a body alone (no header) into a new Buffer. */
export function encodeMessage(spec: MessageSpec, version: number, body: any): Buffer {
  const w = new Writer();
  compileMessage(spec, version).write(w, body);
  return w.finish();
}

/** Decodes a body alone (no header); trailing bytes are an error here. */
export function decodeMessage(spec: MessageSpec, version: number, buf: Buffer): any {
  const r = new Reader(buf);
  const body = compileMessage(spec, version).read(r);
  if (r.remaining() !== 0) throw new ProtocolError(`${spec.name} v${version}: ${r.remaining()} trailing bytes`);
  return body;
}

/** The value a field has when absent (fresh for arrays, structs and uuids). */
export function fieldDefault(f: FieldSpec): () => any {
  const t = f.type;
  if (f.default !== undefined) {
    const d = f.default;
    if (d === null) return () => null;
    if (t === 'int64') {
      const b = BigInt(d as any);
      return () => b;
    }
    if (t === 'bool') {
      const b = d === true || d === 'true';
      return () => b;
    }
    if (isNumeric(t)) {
      const n = typeof d === 'string' ? Number(d) : Number(d);
      return () => n;
    }
    return () => d;
  }
  const everNullable = parseVersions(f.nullableVersions) !== null;
  if (t.startsWith('[]')) return () => [];
  switch (t) {
    case 'bool': return () => false;
    case 'int64': return () => 0n;
    case 'string': return everNullable ? () => null : () => '';
    case 'bytes': case 'records': return everNullable ? () => null : () => EMPTY;
    case 'uuid': return () => Buffer.alloc(16);
    case 'struct': {
      const subs = (f.fields ?? []).map((s) => [s.name, fieldDefault(s)] as const);
      return () => {
        const o: Record<string, unknown> = {};
        for (const [name, d] of subs) o[name] = d();
        return o;
      };
    }
    default: return () => 0;
  }
}

function nonNullDefault(f: FieldSpec): () => any {
  if (f.type.startsWith('[]')) return () => [];
  if (f.type === 'string') return () => '';
  if (f.type === 'bytes' || f.type === 'records') return () => EMPTY;
  if (f.type === 'struct') return fieldDefault({ ...f, default: undefined });
  return fieldDefault(f);
}

function isNumeric(t: string): boolean {
  return t === 'int8' || t === 'int16' || t === 'uint16' || t === 'int32' || t === 'uint32' || t === 'float64';
}

interface CompiledStruct {
  enc: Enc;
  dec: Dec;
  /** Minimum encoded size, for checking array lengths before allocating. */
  minSize: number;
  /** True when every field of the value equals its default (tagged struct fields). */
  isDefault: (v: any) => boolean;
}

interface Step {
  name: string;
  path: string;
  enc: Enc;
  dec: Dec;
  def: () => any;
  /** Default used when encoding an absent property. */
  encDef: () => any;
  /** Writer/Reader method name when the field is one call. */
  inline: string | null;
}

interface TaggedStep extends Step {
  tag: number;
  isDefault: (v: any) => boolean;
}

function compileStruct(path: string, fields: FieldSpec[], version: number, flexible: boolean): CompiledStruct {
  const regular: Step[] = [];
  const tagged: TaggedStep[] = [];
  // Per declared field, in order: how to produce its decoded value.
  const decodeOrder: { name: string; kind: 'regular' | 'tagged' | 'absent'; dec: Dec; def: () => any; inline: string | null }[] = [];
  const defaultChecks: { name: string; isDefault: (v: any) => boolean }[] = [];
  let minSize = flexible ? 1 : 0;

  for (const f of fields) {
    const def = fieldDefault(f);
    const fpath = `${path}.${f.name}`;
    const present = inVersions(f.versions, version);
    defaultChecks.push({ name: f.name, isDefault: isDefaultFn(f, fpath, version, flexible, def) });
    if (!present) {
      decodeOrder.push({ name: f.name, kind: 'absent', dec: null as unknown as Dec, def, inline: null });
      continue;
    }
    const isTagged = flexible && inVersions(f.taggedVersions, version);
    const nullable = inVersions(f.nullableVersions, version);
    const { enc, dec, minSize: fmin } = compileField(f, fpath, version, flexible, nullable);
    // A null default (nullable in some versions) encodes as the type's empty value where this version forbids null.
    const encDef = def() === null && !nullable ? nonNullDefault(f) : def;
    const inline = f.type.startsWith('[]') || f.type === 'struct' ? null : inlineMethod(f.type, flexible, nullable);
    if (isTagged) {
      if (f.tag === undefined) throw new Error(`${fpath}: taggedVersions without a tag`);
      const isDefault = defaultChecks[defaultChecks.length - 1]!.isDefault;
      tagged.push({ name: f.name, path: fpath, enc, dec, def, encDef, inline, tag: f.tag, isDefault });
      decodeOrder.push({ name: f.name, kind: 'tagged', dec, def, inline });
    } else {
      regular.push({ name: f.name, path: fpath, enc, dec, def, encDef, inline });
      decodeOrder.push({ name: f.name, kind: 'regular', dec, def, inline });
      minSize += fmin;
    }
  }
  tagged.sort((a, b) => a.tag - b.tag);
  for (let i = 1; i < tagged.length; i++) {
    if (tagged[i]!.tag === tagged[i - 1]!.tag) throw new Error(`${path}: duplicate tag ${tagged[i]!.tag} in v${version}`);
  }
  const byTag = new Map(tagged.map((t) => [t.tag, t]));

  // Tagged-field section writer (rarely non-empty: kept as a closure).
  const nTagged = tagged.length;
  const writeTagged = (w: Writer, o: any): void => {
    let count = 0;
    for (let i = 0; i < nTagged; i++) {
      const s = tagged[i]!;
      const v = o[s.name];
      if (v !== undefined && !s.isDefault(v)) count++;
    }
    w.uvarint(count);
    for (let i = 0; i < nTagged && count > 0; i++) {
      const s = tagged[i]!;
      const v = o[s.name];
      if (v === undefined || s.isDefault(v)) continue;
      w.uvarint(s.tag);
      w.sized(() => s.enc(w, v));
    }
  };
  const onTag = (obj: any) => (tag: number, sub: Reader): boolean => {
    const s = byTag.get(tag);
    if (!s) return false;
    obj[s.name] = s.dec(sub);
    return true;
  };

  // Generated code: one function per struct and version, reading into an object
  // literal (one hidden class) and writing with direct Writer calls. Closures
  // and constants are passed in as arguments; property names are JSON-quoted.
  const argValues: unknown[] = [];
  const bind = (value: unknown): string => {
    argValues.push(value);
    return `a${argValues.length - 1}`;
  };
  const constant = (value: unknown, factory: () => any): string => {
    if (value === null || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
    if (typeof value === 'bigint') return `${value}n`;
    return `${bind(factory)}()`;
  };
  const notNullFor = (fpath: string) => bind(() => notNull(fpath, version));

  const decParts: string[] = [];
  for (const d of decodeOrder) {
    const key = JSON.stringify(d.name);
    if (d.kind === 'regular') {
      decParts.push(`${key}: ${d.inline ? `r.${d.inline}()` : `${bind(d.dec)}(r)`}`);
    } else {
      decParts.push(`${key}: ${constant(d.def(), d.def)}`);
    }
  }
  const decSrc = `return function decode(r) {
  const o = { ${decParts.join(', ')} };
  ${!flexible ? '' : nTagged === 0 ? 'r.taggedFields();' : `r.taggedFields(${bind(onTag)}(o));`}
  return o;
};`;

  const encLines: string[] = [];
  for (const s of regular) {
    const key = JSON.stringify(s.name);
    encLines.push(`v = o[${key}];`);
    encLines.push(`if (v === undefined) v = ${constant(s.encDef(), s.encDef)};`);
    if (s.inline) {
      if (s.inline.toLowerCase().includes('string') && !s.inline.startsWith('compactNullable') && s.inline !== 'nullableString') {
        encLines.push(`if (v === null) ${notNullFor(s.path)}();`);
      }
      encLines.push(`w.${s.inline}(v);`);
    } else {
      encLines.push(`${bind(s.enc)}(w, v);`);
    }
  }
  const encSrc = `return function encode(w, o) {
  if (o == null) o = {};
  let v;
  ${encLines.join('\n  ')}
  ${!flexible ? '' : nTagged === 0 ? 'w.uvarint(0);' : `${bind(writeTagged)}(w, o);`}
};`;
  const names = argValues.map((_, i) => `a${i}`);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const dec = new Function(...names, decSrc)(...argValues) as Dec;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const enc = new Function(...names, encSrc)(...argValues) as Enc;

  const isDefault = (v: any): boolean => {
    if (v === null || v === undefined) return true;
    for (const c of defaultChecks) {
      const fv = v[c.name];
      if (fv !== undefined && !c.isDefault(fv)) return false;
    }
    return true;
  };
  return { enc, dec, minSize, isDefault };
}

/** Whether a value equals the field's default (decides if a tagged field is written). */
function isDefaultFn(f: FieldSpec, path: string, version: number, flexible: boolean, def: () => any): (v: any) => boolean {
  const d = def();
  const t = f.type;
  if (t.startsWith('[]')) {
    if (d === null) return (v) => v === null;
    return (v) => v !== null && v.length === 0;
  }
  switch (t) {
    case 'int64': return (v) => v !== null && BigInt(v) === d;
    case 'uuid': return (v) => v === null || (v as Buffer).equals(d);
    case 'bytes': case 'records':
      return d === null ? (v) => v === null : (v) => v !== null && totalLength(v) === 0;
    case 'struct': {
      if (d === null) return (v) => v === null;
      const sub = compileStruct(path, f.fields ?? [], version, flexible);
      return (v) => v !== null && sub.isDefault(v);
    }
    default: return (v) => v === d;
  }
}

function totalLength(v: Buffer | Buffer[]): number {
  if (!Array.isArray(v)) return v.length;
  let n = 0;
  for (const b of v) n += b.length;
  return n;
}

interface CompiledField {
  enc: Enc;
  dec: Dec;
  minSize: number;
}

function notNull(path: string, version: number): never {
  throw new ProtocolError(`${path} is not nullable in version ${version}`);
}

function compileField(f: FieldSpec, path: string, version: number, flexible: boolean, nullable: boolean): CompiledField {
  const t = f.type;
  if (t === 'struct') {
    const s = compileStruct(path, f.fields ?? [], version, flexible);
    if (!nullable) {
      return { enc: (w, v) => s.enc(w, v === null ? notNull(path, version) : v), dec: s.dec, minSize: s.minSize };
    }
    // Nullable structs: an int8 marker, -1 for null, 1 before the struct.
    return {
      enc: (w, v) => {
        if (v === null) w.int8(-1);
        else { w.int8(1); s.enc(w, v); }
      },
      dec: (r) => (r.int8() < 0 ? null : s.dec(r)),
      minSize: 1,
    };
  }
  if (t.startsWith('[]')) {
    const elemType = t.slice(2);
    let elem: CompiledField;
    if (elemType === 'struct') {
      const s = compileStruct(path, f.fields ?? [], version, flexible);
      elem = { enc: s.enc, dec: s.dec, minSize: s.minSize };
    } else {
      elem = compilePrimitive(elemType as PrimitiveType, path, version, flexible, false);
    }
    const ee = elem.enc;
    const ed = elem.dec;
    const min = elem.minSize;
    const enc: Enc = (w, v) => {
      if (v === null) {
        if (!nullable) notNull(path, version);
        w.arrayLength(null, flexible);
        return;
      }
      const n = v.length;
      w.arrayLength(n, flexible);
      for (let i = 0; i < n; i++) ee(w, v[i]);
    };
    const dec: Dec = flexible
      ? (nullable ? (r) => r.compactNullableArray(ed, min) : (r) => r.compactArray(ed, min))
      : (nullable ? (r) => r.nullableArray(ed, min) : (r) => r.array(ed, min));
    return { enc, dec, minSize: flexible ? 1 : 4 };
  }
  return compilePrimitive(t as PrimitiveType, path, version, flexible, nullable);
}

/** Writer/Reader methods for the types whose encoding is one method call. */
function inlineMethod(t: string, flexible: boolean, nullable: boolean): string | null {
  switch (t) {
    case 'int8': case 'int16': case 'uint16': case 'int32': case 'uint32': case 'int64': case 'float64':
      return t;
    case 'string':
      return flexible ? (nullable ? 'compactNullableString' : 'compactString') : (nullable ? 'nullableString' : 'string');
    default:
      return null;
  }
}

function compilePrimitive(t: PrimitiveType, path: string, version: number, flexible: boolean, nullable: boolean): CompiledField {
  switch (t) {
    case 'bool': return { enc: (w, v) => w.bool(!!v), dec: (r) => r.bool(), minSize: 1 };
    case 'int8': return { enc: (w, v) => w.int8(v), dec: (r) => r.int8(), minSize: 1 };
    case 'int16': return { enc: (w, v) => w.int16(v), dec: (r) => r.int16(), minSize: 2 };
    case 'uint16': return { enc: (w, v) => w.uint16(v), dec: (r) => r.uint16(), minSize: 2 };
    case 'int32': return { enc: (w, v) => w.int32(v), dec: (r) => r.int32(), minSize: 4 };
    case 'uint32': return { enc: (w, v) => w.uint32(v), dec: (r) => r.uint32(), minSize: 4 };
    case 'int64': return { enc: (w, v) => w.int64(v), dec: (r) => r.int64(), minSize: 8 };
    case 'float64': return { enc: (w, v) => w.float64(v), dec: (r) => r.float64(), minSize: 8 };
    case 'uuid': return { enc: (w, v) => w.uuid(v), dec: (r) => Buffer.from(r.uuid()), minSize: 16 };
    case 'string':
      if (flexible) {
        return nullable
          ? { enc: (w, v) => w.compactNullableString(v), dec: (r) => r.compactNullableString(), minSize: 1 }
          : { enc: (w, v) => w.compactString(v === null ? notNull(path, version) : v), dec: (r) => r.compactString(), minSize: 1 };
      }
      return nullable
        ? { enc: (w, v) => w.nullableString(v), dec: (r) => r.nullableString(), minSize: 2 }
        : { enc: (w, v) => w.string(v === null ? notNull(path, version) : v), dec: (r) => r.string(), minSize: 2 };
    case 'bytes':
    case 'records': {
      // records may be given as a list of buffers (log segment slices) to avoid a concat;
      // large ones are referenced by the writer, not copied.
      const enc: Enc = (w, v) => {
        if (v === null) {
          if (!nullable) notNull(path, version);
          if (flexible) w.uvarint(0);
          else w.int32(-1);
          return;
        }
        const n = Array.isArray(v) ? totalLength(v) : v.length;
        if (flexible) w.uvarint(n + 1);
        else w.int32(n);
        if (Array.isArray(v)) for (const b of v) w.rawRef(b);
        else w.rawRef(v);
      };
      const dec: Dec = flexible
        ? (nullable ? (r) => r.compactNullableBytes() : (r) => r.compactBytes())
        : (nullable ? (r) => r.nullableBytes() : (r) => r.bytes());
      return { enc, dec, minSize: flexible ? 1 : 4 };
    }
    default:
      throw new Error(`${path}: unknown type '${t as string}'`);
  }
}
