// The examples are valid against the CRD schemas (types, enums, patterns,
// bounds) and pass the operator's own semantic checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { loadAll } from 'js-yaml';
import { applyDefaults } from './api/schema.ts';
import { kafkaClusterSpec, kafkaTopicSpec } from './api/v1alpha1.ts';
import type { KafkaCluster, KafkaTopic } from './api/v1alpha1.ts';
import { validateCluster } from './desired/cluster.ts';
import { validateTopic } from './desired/topic.ts';
import { repoRoot } from './api/generate.ts';

/** Checks a value against a structural schema (the subset the CRDs use). */
function check(schema: any, v: unknown, path: string, out: string[]): void {
  if (v === undefined || v === null) return;
  if (schema['x-kubernetes-int-or-string']) {
    if (typeof v !== 'number' && typeof v !== 'string') out.push(`${path}: not int-or-string`);
    return;
  }
  switch (schema.type) {
    case 'object':
      if (typeof v !== 'object' || Array.isArray(v)) return void out.push(`${path}: not an object`);
      for (const r of schema.required ?? []) if (!(r in (v as object))) out.push(`${path}.${r}: required`);
      for (const [k, x] of Object.entries(v as object)) {
        const p = schema.properties?.[k] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
        if (p) check(p, x, `${path}.${k}`, out);
        else if (!schema['x-kubernetes-preserve-unknown-fields']) out.push(`${path}.${k}: unknown field`);
      }
      return;
    case 'array':
      if (!Array.isArray(v)) return void out.push(`${path}: not an array`);
      v.forEach((x, i) => check(schema.items, x, `${path}[${i}]`, out));
      return;
    case 'integer':
      if (!Number.isInteger(v)) return void out.push(`${path}: not an integer`);
      if (schema.minimum !== undefined && (v as number) < schema.minimum) out.push(`${path}: below ${schema.minimum}`);
      if (schema.maximum !== undefined && (v as number) > schema.maximum) out.push(`${path}: above ${schema.maximum}`);
      return;
    case 'string':
      if (typeof v !== 'string') return void out.push(`${path}: not a string`);
      if (schema.enum && !schema.enum.includes(v)) out.push(`${path}: not one of ${schema.enum}`);
      if (schema.pattern && !new RegExp(schema.pattern).test(v)) out.push(`${path}: does not match ${schema.pattern}`);
      return;
    case 'boolean':
      if (typeof v !== 'boolean') out.push(`${path}: not a boolean`);
  }
}

test('examples/ are valid KafkaClusters and KafkaTopics', () => {
  const files = fs.readdirSync(`${repoRoot}/examples`).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 3);
  let clusters = 0;
  let topics = 0;
  for (const f of files) {
    for (const doc of loadAll(fs.readFileSync(`${repoRoot}/examples/${f}`, 'utf8')) as any[]) {
      if (!doc) continue;
      const problems: string[] = [];
      if (doc.kind === 'KafkaCluster') {
        check(kafkaClusterSpec.json, doc.spec, 'spec', problems);
        const kc: KafkaCluster = { ...doc, metadata: { ...doc.metadata, namespace: 'default' }, spec: applyDefaults(kafkaClusterSpec, doc.spec) };
        problems.push(...validateCluster(kc));
        clusters++;
      } else if (doc.kind === 'KafkaTopic') {
        check(kafkaTopicSpec.json, doc.spec, 'spec', problems);
        const kt: KafkaTopic = { ...doc, spec: applyDefaults(kafkaTopicSpec, doc.spec) };
        problems.push(...validateTopic(kt, 3));
        topics++;
      } else problems.push(`unexpected kind ${doc.kind}`);
      assert.deepEqual(problems, [], `${f} ${doc.kind}/${doc.metadata?.name}`);
    }
  }
  assert.ok(clusters >= 2 && topics >= 2);
});
