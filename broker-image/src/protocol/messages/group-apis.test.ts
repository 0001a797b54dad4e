import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldSpec, MessageSpec, Versions } from '../schema/types.ts';
import { groupAndSecurityApis } from './group-apis.ts';

/** [min, max] of a version range; max is Infinity for 'N+', null for 'none'. */
function range(v: Versions): [number, number] | null {
  if (v === 'none') return null;
  const plus = /^(\d+)\+$/.exec(v);
  if (plus) return [Number(plus[1]), Infinity];
  const span = /^(\d+)-(\d+)$/.exec(v);
  if (span) return [Number(span[1]), Number(span[2])];
  const one = /^(\d+)$/.exec(v);
  if (one) return [Number(one[1]), Number(one[1])];
  throw new Error(`bad version range ${v}`);
}

function within(inner: Versions, outer: Versions): boolean {
  const i = range(inner);
  const o = range(outer);
  if (i === null) return true;
  if (o === null) return false;
  return i[0] >= o[0] && i[0] <= o[1];
}

// Kafka's (apiKey → [validVersions, flexibleVersions]) for the versions we serve.
const kafkaVersions: Record<number, [string, string]> = {
  8: ['0-9', '8+'], 9: ['0-9', '6+'], 10: ['0-5', '3+'], 11: ['0-9', '6+'], 12: ['0-4', '4+'],
  13: ['0-5', '4+'], 14: ['0-5', '4+'], 15: ['0-5', '5+'], 16: ['0-4', '3+'], 17: ['0-1', 'none'],
  22: ['0-4', '2+'], 29: ['0-3', '2+'], 30: ['0-3', '2+'], 31: ['0-3', '2+'], 36: ['0-2', '2+'],
  42: ['0-2', '2+'], 43: ['0-2', '2+'], 45: ['0', '0+'], 46: ['0', '0+'], 47: ['0', 'none'],
  50: ['0', '0+'], 51: ['0', '0+'], 61: ['0', '0+'],
};

function checkFields(where: string, fields: FieldSpec[], parentVersions: Versions, msg: MessageSpec): void {
  const names = new Set<string>();
  const tags = new Set<number>();
  for (const f of fields) {
    const at = `${where}.${f.name}`;
    assert.ok(!names.has(f.name), `${at}: duplicate name`);
    names.add(f.name);
    assert.ok(within(f.versions, msg.validVersions), `${at}: versions ${f.versions} outside ${msg.validVersions}`);
    assert.ok(within(f.versions, parentVersions), `${at}: versions ${f.versions} outside parent ${parentVersions}`);
    if (f.nullableVersions) {
      assert.ok(within(f.nullableVersions, f.versions), `${at}: nullableVersions outside versions`);
    }
    if (f.taggedVersions !== undefined || f.tag !== undefined) {
      assert.equal(typeof f.tag, 'number', `${at}: tagged field without tag`);
      assert.ok(within(f.taggedVersions ?? 'none', msg.flexibleVersions), `${at}: tagged outside flexible`);
      assert.ok(!tags.has(f.tag!), `${at}: duplicate tag ${f.tag}`);
      tags.add(f.tag!);
    }
    if (f.type === 'int64' && f.default !== undefined) {
      assert.equal(typeof f.default, 'bigint', `${at}: int64 default must be a bigint`);
    }
    const isStruct = f.type === 'struct' || f.type === '[]struct';
    assert.equal(isStruct, Array.isArray(f.fields), `${at}: fields exactly on struct types`);
    if (f.fields) checkFields(at, f.fields, f.versions, msg);
  }
}

test('every API is listed once and matches Kafka version ranges', () => {
  const keys = groupAndSecurityApis.map((a) => a.apiKey).sort((a, b) => a - b);
  assert.deepEqual(keys, Object.keys(kafkaVersions).map(Number).sort((a, b) => a - b));
  for (const api of groupAndSecurityApis) {
    const [valid, flexible] = kafkaVersions[api.apiKey]!;
    for (const msg of [api.request, api.response]) {
      assert.equal(msg.validVersions, valid, `${msg.name} validVersions`);
      assert.equal(msg.flexibleVersions, flexible, `${msg.name} flexibleVersions`);
    }
    assert.equal(api.request.name, `${api.name}Request`);
    assert.equal(api.response.name, `${api.name}Response`);
  }
});

test('fields are structurally sane', () => {
  for (const api of groupAndSecurityApis) {
    for (const msg of [api.request, api.response]) {
      checkFields(msg.name, msg.fields, msg.validVersions, msg);
    }
  }
});

test('the range checker itself rejects what it should', () => {
  assert.equal(within('3+', '0-2'), false);
  assert.equal(within('1', '0-2'), true);
  assert.equal(within('0+', 'none'), false);
});
