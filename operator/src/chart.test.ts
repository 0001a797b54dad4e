// The chart's values.yaml satisfies its values.schema.json (Helm checks this at
// install; the test renderer does not), and the schema refuses typical mistakes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { load } from 'js-yaml';
import { repoRoot } from './api/generate.ts';

const chart = `${repoRoot}/charts/tributary-operator`;
const schema = JSON.parse(fs.readFileSync(`${chart}/values.schema.json`, 'utf8'));
const values = load(fs.readFileSync(`${chart}/values.yaml`, 'utf8')) as Record<string, unknown>;

/** The draft-07 subset the schema uses: type, properties, additionalProperties, required, enum, minimum/maximum, minLength, items. */
function validate(s: any, v: any, path: string, out: string[]): void {
  const t = Array.isArray(v) ? 'array' : v === null ? 'null' : Number.isInteger(v) ? 'integer' : typeof v;
  if (s.type && !(s.type === t || (s.type === 'number' && t === 'integer'))) return void out.push(`${path}: ${t}, want ${s.type}`);
  if (s.enum && !s.enum.includes(v)) out.push(`${path}: not one of ${s.enum.join(', ')}`);
  if (s.minimum !== undefined && v < s.minimum) out.push(`${path}: below ${s.minimum}`);
  if (s.maximum !== undefined && v > s.maximum) out.push(`${path}: above ${s.maximum}`);
  if (s.minLength !== undefined && String(v).length < s.minLength) out.push(`${path}: shorter than ${s.minLength}`);
  if (t === 'object') {
    for (const r of s.required ?? []) if (!(r in v)) out.push(`${path}.${r}: required`);
    for (const [k, x] of Object.entries(v)) {
      if (s.properties?.[k]) validate(s.properties[k], x, `${path}.${k}`, out);
      else if (s.additionalProperties === false) out.push(`${path}.${k}: not allowed`);
      else if (typeof s.additionalProperties === 'object') validate(s.additionalProperties, x, `${path}.${k}`, out);
    }
  }
  if (t === 'array' && s.items) v.forEach((x: unknown, i: number) => validate(s.items, x, `${path}[${i}]`, out));
}

test('values.yaml satisfies values.schema.json', () => {
  const out: string[] = [];
  validate(schema, values, 'values', out);
  assert.deepEqual(out, []);
});

test('values.schema.json refuses unknown keys, wrong types and enums', () => {
  const out: string[] = [];
  validate(schema, { ...values, replicas: 2, replicaCount: '2', image: { repository: 'x', pullPolicy: 'Sometimes' } }, 'values', out);
  assert.deepEqual(out, ['values.replicaCount: string, want integer', 'values.image.pullPolicy: not one of Always, IfNotPresent, Never', 'values.replicas: not allowed']);
});
