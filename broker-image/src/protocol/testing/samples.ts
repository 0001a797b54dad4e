// Test support: representative bodies generated from a schema (every field
// that exists in the version set to a non-default value, or to null where
// nullable), and the object a decoder must return for them.

import { readFileSync } from 'node:fs';
import { fieldDefault } from '../schema/codec.ts';
import type { FieldSpec, MessageSpec } from '../schema/types.ts';
import { inVersions } from '../schema/versions.ts';

export interface SampleOptions {
  /** Set nullable fields to null instead of a value. */
  nulls?: boolean;
  /** Elements per array. */
  arrayLength?: number;
}

export function sampleBody(spec: MessageSpec, version: number, opts: SampleOptions = {}): Record<string, unknown> {
  return sampleStruct(spec.fields, version, opts, 0);
}

function sampleStruct(fields: FieldSpec[], version: number, opts: SampleOptions, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  fields.forEach((f, i) => {
    if (!inVersions(f.versions, version)) return;
    if (opts.nulls && inVersions(f.nullableVersions, version)) {
      o[f.name] = null;
      return;
    }
    o[f.name] = sampleValue(f, version, opts, depth, i);
  });
  return o;
}

function samplePrimitive(t: string, name: string, i: number): unknown {
  switch (t) {
    case 'bool': return true;
    case 'int8': return 5 + i;
    case 'int16': return 300 + i;
    case 'uint16': return 60000 + i;
    case 'int32': return 123456 + i;
    case 'uint32': return 3000000000 + i;
    case 'int64': return -1234567890123n - BigInt(i);
    case 'float64': return 1.5 + i;
    case 'string': return `näme-${name}-${i}`;
    case 'bytes': case 'records': return Buffer.from(`bytes:${name}:${i}`);
    case 'uuid': return Buffer.from(Array.from({ length: 16 }, (_, k) => (k * 7 + i + 1) & 0xff));
    default: throw new Error(`no sample for ${t}`);
  }
}

function sampleValue(f: FieldSpec, version: number, opts: SampleOptions, depth: number, i: number): unknown {
  const n = opts.arrayLength ?? 2;
  if (f.type === 'struct') return sampleStruct(f.fields ?? [], version, opts, depth + 1);
  if (f.type === '[]struct') return Array.from({ length: n }, () => sampleStruct(f.fields ?? [], version, opts, depth + 1));
  if (f.type.startsWith('[]')) return Array.from({ length: n }, (_, k) => samplePrimitive(f.type.slice(2), f.name, i + k));
  return samplePrimitive(f.type, f.name, i);
}

/** What decoding the encoding of `body` at `version` must yield: its fields, defaults for the rest. */
export function expectedDecode(spec: MessageSpec, version: number, body: Record<string, unknown>): Record<string, unknown> {
  return expectStruct(spec.fields, version, body);
}

function expectStruct(fields: FieldSpec[], version: number, body: any): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) {
    const present = inVersions(f.versions, version);
    const v = body?.[f.name];
    if (!present || v === undefined) {
      o[f.name] = fieldDefault(f)();
      continue;
    }
    if (v === null) o[f.name] = null;
    else if (f.type === 'struct') o[f.name] = expectStruct(f.fields ?? [], version, v);
    else if (f.type === '[]struct') o[f.name] = (v as unknown[]).map((e) => expectStruct(f.fields ?? [], version, e));
    else o[f.name] = v;
  }
  return o;
}

/** Reads a fixture: hex digits, whitespace and `#` comments to the end of a line. */
export function readHexFixture(url: URL): Buffer {
  const text = readFileSync(url, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .join('')
    .replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new Error(`bad hex fixture ${url.pathname}`);
  return Buffer.from(text, 'hex');
}
