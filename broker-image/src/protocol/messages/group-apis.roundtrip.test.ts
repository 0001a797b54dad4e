import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage, fieldDefault } from '../schema/codec.ts';
import type { FieldSpec, MessageSpec } from '../schema/types.ts';
import { inVersions, versionBounds } from '../schema/versions.ts';
import { findCoordinator } from './find-coordinator.ts';
import { groupAndSecurityApis } from './group-apis.ts';
import { heartbeat } from './heartbeat.ts';

/** A value for every field of `fields` at `version`: samples where present (null where `nulls` and nullable), defaults elsewhere. */
function sample(fields: FieldSpec[], version: number, nulls: boolean, seed: { n: number }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (!inVersions(f.versions, version)) {
      out[f.name] = fieldDefault(f)();
      continue;
    }
    if (nulls && inVersions(f.nullableVersions, version)) {
      out[f.name] = null;
      continue;
    }
    out[f.name] = sampleOf(f, version, nulls, seed);
  }
  return out;
}

function sampleOf(f: FieldSpec, version: number, nulls: boolean, seed: { n: number }): unknown {
  const n = ++seed.n;
  switch (f.type) {
    case 'struct': return sample(f.fields!, version, nulls, seed);
    case '[]struct': return [sample(f.fields!, version, nulls, seed), sample(f.fields!, version, nulls, seed)];
    case 'bool': return true;
    case 'int8': return -(n % 100);
    case 'int16': return n * 3;
    case 'uint16': return n * 5;
    case 'int32': return -n * 1000;
    case 'uint32': return n * 70000;
    case 'int64': return BigInt(n) * 10_000_000_000n;
    case 'float64': return n + 0.5;
    case 'string': return `${f.name}-${n}-é`;
    case 'bytes': case 'records': return Buffer.from([n & 0xff, 1, 2]);
    case 'uuid': return Buffer.alloc(16, n);
    case '[]string': return [`a${n}`, `b${n}`];
    case '[]int32': return [n, -n];
    case '[]int64': return [BigInt(n)];
    default: throw new Error(`no sample for ${f.type}`);
  }
}

function allVersions(spec: MessageSpec): number[] {
  const [min, max] = versionBounds(spec.validVersions);
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}

test('every request and response of every version round-trips through the codec', () => {
  let checked = 0;
  for (const api of groupAndSecurityApis) {
    for (const spec of [api.request, api.response]) {
      for (const version of allVersions(spec)) {
        for (const nulls of [false, true]) {
          const body = sample(spec.fields, version, nulls, { n: 0 });
          const decoded = decodeMessage(spec, version, encodeMessage(spec, version, body));
          assert.deepEqual(decoded, body, `${spec.name} v${version}${nulls ? ' (nulls)' : ''}`);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 300, `checked ${checked}`);
});

test('Heartbeat v0 request bytes are Kafka\'s classic layout', () => {
  const bytes = encodeMessage(heartbeat.request, 0, { groupId: 'g', generationId: 2, memberId: 'm' });
  assert.deepEqual(bytes, Buffer.from([0, 1, 0x67, 0, 0, 0, 2, 0, 1, 0x6d]));
});

test('FindCoordinator v4 request bytes are the flexible batched layout', () => {
  const bytes = encodeMessage(findCoordinator.request, 4, { keyType: 1, coordinatorKeys: ['tx'] });
  // int8 keyType | compact array (n+1) of compact strings (len+1) | no tagged fields
  assert.deepEqual(bytes, Buffer.from([1, 2, 3, 0x74, 0x78, 0]));
});
