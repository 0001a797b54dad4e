// fast-check arbitraries derived from the message schemas themselves: a walk of
// a MessageSpec at one version gives every field that version has a value of
// its type (full numeric ranges, any Unicode, null where nullable), so each
// new schema in messages/ is fuzzed without writing anything for it.

import fc from 'fast-check';
import { encodeRequest } from '../codec.ts';
import { apis } from '../messages/index.ts';
import type { ApiSpec, FieldSpec, MessageSpec } from '../schema/types.ts';
import { inVersions, versionBounds } from '../schema/versions.ts';

const MAX_ARRAY = 3;
const MAX_DEPTH = 4;

function primitive(t: string): fc.Arbitrary<unknown> {
  switch (t) {
    case 'bool': return fc.boolean();
    case 'int8': return fc.integer({ min: -128, max: 127 });
    case 'int16': return fc.integer({ min: -32768, max: 32767 });
    case 'uint16': return fc.integer({ min: 0, max: 0xffff });
    case 'int32': return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'uint32': return fc.integer({ min: 0, max: 0xffffffff });
    case 'int64': return fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
    case 'float64': return fc.double();
    case 'string': return fc.string({ unit: 'binary', maxLength: 24 });
    case 'bytes': case 'records': return fc.uint8Array({ maxLength: 48 }).map((a) => Buffer.from(a));
    case 'uuid': return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a));
    default: throw new Error(`no arbitrary for type ${t}`);
  }
}

function fieldArb(f: FieldSpec, version: number, depth: number): fc.Arbitrary<unknown> {
  let arb: fc.Arbitrary<unknown>;
  const maxLength = depth >= MAX_DEPTH ? 0 : MAX_ARRAY;
  if (f.type === 'struct') arb = structArb(f.fields ?? [], version, depth + 1);
  else if (f.type === '[]struct') arb = fc.array(structArb(f.fields ?? [], version, depth + 1), { maxLength });
  else if (f.type.startsWith('[]')) arb = fc.array(primitive(f.type.slice(2)), { maxLength });
  else arb = primitive(f.type);
  return inVersions(f.nullableVersions, version) ? fc.option(arb, { nil: null, freq: 4 }) : arb;
}

function structArb(fields: FieldSpec[], version: number, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of fields) if (inVersions(f.versions, version)) shape[f.name] = fieldArb(f, version, depth);
  return fc.record(shape) as fc.Arbitrary<Record<string, unknown>>;
}

/** Bodies of `spec` at `version`: every field the version has, nothing else. */
export function bodyArb(spec: MessageSpec, version: number): fc.Arbitrary<Record<string, unknown>> {
  return structArb(spec.fields, version, 0);
}

export interface ApiVersion {
  api: ApiSpec;
  version: number;
}

/** Every (API, request version) of the registry. */
export function apiVersions(): ApiVersion[] {
  const out: ApiVersion[] = [];
  for (const api of apis.values()) {
    const [min, max] = versionBounds(api.request.validVersions);
    for (let v = min; v <= max; v++) out.push({ api, version: v });
  }
  return out;
}

export interface RequestCase extends ApiVersion {
  correlationId: number;
  clientId: string | null;
  body: Record<string, unknown>;
}

/** A random valid request of any registered API and version. */
export function requestArb(pairs: ApiVersion[] = apiVersions()): fc.Arbitrary<RequestCase> {
  return fc.constantFrom(...pairs).chain((p) =>
    fc.record({
      api: fc.constant(p.api),
      version: fc.constant(p.version),
      correlationId: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
      clientId: fc.option(fc.string({ maxLength: 16 }), { nil: null, freq: 5 }),
      body: bodyArb(p.api.request, p.version),
    }),
  );
}

/** The frame of a request case, without its int32 size prefix. */
export function requestFrame(c: RequestCase): Buffer {
  return encodeRequest({ apiKey: c.api.apiKey, apiVersion: c.version, correlationId: c.correlationId, clientId: c.clientId }, c.body).subarray(4);
}
