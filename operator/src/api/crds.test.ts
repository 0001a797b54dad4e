import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { crdDirs, renderCrds, repoRoot } from './generate.ts';
import { applyDefaults } from './schema.ts';
import { kafkaClusterCrd, kafkaClusterSpec, kafkaTopicSpec } from './v1alpha1.ts';

test('committed CRDs (crds/ and the chart\'s crds/) equal the generated ones', () => {
  for (const dir of crdDirs) {
    const files = fs.readdirSync(path.join(repoRoot, dir)).filter((f) => f.endsWith('.yaml')).sort();
    assert.deepEqual(files, [...renderCrds().keys()].sort(), `${dir}: the set of files`);
    for (const [file, text] of renderCrds()) {
      assert.equal(fs.readFileSync(path.join(repoRoot, dir, file), 'utf8'), text, `${dir}/${file} is stale: run node operator/src/api/generate.ts`);
    }
  }
});

test('KafkaCluster CRD: scale and status subresources, printer columns, short names', () => {
  const v = (kafkaClusterCrd as any).spec.versions[0];
  assert.deepEqual(v.subresources.scale, { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' });
  assert.deepEqual(v.subresources.status, {});
  assert.ok(v.additionalPrinterColumns.some((c: any) => c.name === 'Ready' && c.jsonPath.includes('Ready')));
  assert.deepEqual((kafkaClusterCrd as any).spec.names.shortNames, ['kc', 'kafka']);
});

test('schema defaults fill an empty spec like the apiserver does', () => {
  const spec = applyDefaults(kafkaClusterSpec, {});
  assert.equal(spec.replicas, 3);
  assert.deepEqual(spec.listeners, [{ name: 'plain', port: 9092, type: 'internal', tls: false }]);
  assert.deepEqual(spec.storage, { type: 'persistent-claim', size: '10Gi', deleteClaim: false });
  assert.deepEqual(spec.metrics, { enabled: true });
  assert.equal(spec.emulator, undefined);
  const withEmu = applyDefaults(kafkaClusterSpec, { emulator: { enabled: true }, storage: { type: 'ephemeral' } });
  assert.deepEqual(withEmu.emulator, { enabled: true, replicas: 1, pubsub: { enabled: true, port: 8085 }, kinesis: { enabled: true, port: 4567 } });
  assert.deepEqual(withEmu.storage, { type: 'ephemeral', size: '10Gi', deleteClaim: false });
  assert.equal(applyDefaults(kafkaTopicSpec, {}).partitions, 1);
});
