// Schema definitions and message validation, with the maintained libraries: avsc for
// Avro (JSON and binary encodings), protobufjs for Protocol Buffers (proto3 JSON and
// wire format). A definition compiles once; compiled ones are cached by text.

import avro from 'avsc';
import protobuf from 'protobufjs';
import { invalid } from '../errors.ts';

export type SchemaType = 'AVRO' | 'PROTOCOL_BUFFER';
export type Encoding = 'JSON' | 'BINARY';

export interface Compiled {
  /** Throws INVALID_ARGUMENT when the message does not conform. */
  check(data: Buffer, encoding: Encoding): void;
}

const cache = new Map<string, Compiled>();

export function compileSchema(type: string, definition: string): Compiled {
  const key = `${type}\n${definition}`;
  let c = cache.get(key);
  if (!c) {
    if (type === 'AVRO') c = compileAvro(definition);
    else if (type === 'PROTOCOL_BUFFER') c = compileProto(definition);
    else throw invalid(`Invalid schema type: ${type || 'TYPE_UNSPECIFIED'}.`);
    if (cache.size > 1000) cache.clear();
    cache.set(key, c);
  }
  return c;
}

function compileAvro(definition: string): Compiled {
  let t: avro.Type;
  try {
    t = avro.Type.forSchema(JSON.parse(definition));
  } catch (err) {
    throw invalid(`Could not parse schema definition: ${(err as Error).message}`);
  }
  return {
    check(data, encoding) {
      try {
        if (encoding === 'BINARY') t.fromBuffer(data); // throws on a short or over-long buffer
        else if (!t.isValid(t.fromString(data.toString('utf8')))) throw new Error('value does not match the schema');
      } catch (err) {
        throw invalid(`Could not parse message: ${(err as Error).message}`);
      }
    },
  };
}

/** The one top-level message type of a .proto definition (Pub/Sub's rule). */
function topMessage(ns: protobuf.NamespaceBase): protobuf.Type[] {
  const out: protobuf.Type[] = [];
  for (const n of ns.nestedArray) {
    if (n instanceof protobuf.Type) out.push(n);
    else if (n instanceof protobuf.Namespace) out.push(...topMessage(n));
  }
  return out;
}

function compileProto(definition: string): Compiled {
  let type: protobuf.Type;
  try {
    const parsed = protobuf.parse(definition, { keepCase: true });
    if (parsed.imports?.length || parsed.weakImports?.length) throw new Error('imports are not allowed');
    parsed.root.resolveAll();
    const top = topMessage(parsed.root);
    if (top.length !== 1) throw new Error(`exactly one top-level message type is required (found ${top.length})`);
    type = top[0];
  } catch (err) {
    throw invalid(`Could not parse schema definition: ${(err as Error).message}`);
  }
  return {
    check(data, encoding) {
      try {
        if (encoding === 'BINARY') {
          wireCheck(type, data);
          const m = type.decode(data);
          const why = type.verify(m);
          if (why) throw new Error(why);
        } else {
          const obj = JSON.parse(data.toString('utf8'));
          strictFields(type, obj);
          const why = type.verify(type.toObject(type.fromObject(obj)));
          if (why) throw new Error(why);
        }
      } catch (err) {
        throw invalid(`Could not parse message: ${(err as Error).message}`);
      }
    },
  };
}

/** proto3 JSON: every key names a field (by its name or its JSON name), every value has the field's JSON type. */
function strictFields(type: protobuf.Type, obj: unknown): void {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Error(`${type.name}: expected a JSON object`);
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const f = type.fields[k] ?? type.fieldsArray.find((x) => x.options?.json_name === k || camel(x.name) === k);
    if (!f) throw new Error(`${type.name}: no field ${k}`);
    if (v === null) continue;
    f.resolve();
    if (f.map) {
      if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${type.name}.${k}: expected a JSON object`);
      for (const x of Object.values(v as Record<string, unknown>)) checkValue(f, x, `${type.name}.${k}`);
    } else if (f.repeated) {
      if (!Array.isArray(v)) throw new Error(`${type.name}.${k}: expected a JSON array`);
      for (const x of v) checkValue(f, x, `${type.name}.${k}`);
    } else checkValue(f, v, `${type.name}.${k}`);
  }
}

const INT = /^-?\d+$/;

function checkValue(f: protobuf.Field, v: unknown, where: string): void {
  const bad = () => new Error(`${where}: ${JSON.stringify(v)} is not a ${f.type}`);
  if (f.resolvedType instanceof protobuf.Type) return strictFields(f.resolvedType, v);
  if (f.resolvedType instanceof protobuf.Enum) {
    if (typeof v === 'string' ? !(v in f.resolvedType.values) : !Number.isInteger(v)) throw bad();
    return;
  }
  switch (f.type) {
    case 'string':
      if (typeof v !== 'string') throw bad();
      return;
    case 'bool':
      if (typeof v !== 'boolean') throw bad();
      return;
    case 'bytes':
      if (typeof v !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) throw bad();
      return;
    case 'double':
    case 'float':
      if (typeof v !== 'number' && !(typeof v === 'string' && (/^(NaN|-?Infinity)$/.test(v) || Number.isFinite(Number(v))))) throw bad();
      return;
    default: // the integer types, quoted or not
      if (!(typeof v === 'number' && Number.isInteger(v)) && !(typeof v === 'string' && INT.test(v))) throw bad();
  }
}

/**
 * The wire format's framing, field by field (nested messages too): protobufjs's
 * reader clamps a length that runs past the end instead of failing.
 */
function wireCheck(type: protobuf.Type, buf: Uint8Array): void {
  let pos = 0;
  const varint = (): number => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      if (pos >= buf.length || shift > 63) throw new Error('truncated varint');
      const b = buf[pos++];
      if (shift < 28) v |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v >>> 0;
    }
  };
  while (pos < buf.length) {
    const tag = varint();
    const wire = tag & 7;
    if (tag >>> 3 === 0) throw new Error('field number 0');
    if (wire === 0) varint();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const len = varint();
      if (pos + len > buf.length) throw new Error('length-delimited field runs past the end');
      const f = type.fieldsById[tag >>> 3];
      f?.resolve();
      if (f && f.resolvedType instanceof protobuf.Type && !f.map) wireCheck(f.resolvedType, buf.subarray(pos, pos + len));
      pos += len;
    } else throw new Error(`wire type ${wire} not supported`);
    if (pos > buf.length) throw new Error('truncated field');
  }
}

function camel(s: string): string {
  return s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}
