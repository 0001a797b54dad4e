import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../api/schema.ts';
import { API_VERSION, kafkaTopicSpec } from '../api/v1alpha1.ts';
import type { KafkaTopic } from '../api/v1alpha1.ts';
import { clusterOf, planIsEmpty, planTopic, topicName, validateTopic } from './topic.ts';

function kt(spec: Record<string, unknown>, labels?: Record<string, string>): KafkaTopic {
  return { apiVersion: API_VERSION, kind: 'KafkaTopic', metadata: { name: 'orders', namespace: 'ns', ...(labels ? { labels } : {}) }, spec: applyDefaults(kafkaTopicSpec, spec) };
}

test('name and cluster: spec first, then metadata.name / the cluster label', () => {
  assert.equal(topicName(kt({})), 'orders');
  assert.equal(topicName(kt({ topicName: 'Orders.v2' })), 'Orders.v2');
  assert.equal(clusterOf(kt({ clusterRef: { name: 'a' } })), 'a');
  assert.equal(clusterOf(kt({}, { 'kafka.tributary.dev/cluster': 'b' })), 'b');
  assert.equal(clusterOf(kt({})), undefined);
});

test('validation: config keys the broker accepts, rf not above the broker count', () => {
  assert.deepEqual(validateTopic(kt({ clusterRef: { name: 'a' }, config: { 'retention.ms': 1000 } }), 3), []);
  assert.match(validateTopic(kt({ clusterRef: { name: 'a' }, config: { 'bogus.key': 1 } }), 3)[0]!, /unknown or unsupported topic config 'bogus.key'/);
  assert.deepEqual(validateTopic(kt({ clusterRef: { name: 'a' }, replicationFactor: 3 }), 1), ["spec.replicationFactor 3 is more than the cluster's 1 brokers"]);
  assert.match(validateTopic(kt({}), 1)[0]!, /no cluster/);
});

test('plan: create when absent', () => {
  const p = planTopic(kt({ partitions: 3, config: { 'cleanup.policy': 'compact' } }), undefined);
  assert.deepEqual(p.create, { name: 'orders', partitions: 3, replicationFactor: -1, config: { 'cleanup.policy': 'compact' } });
});

test('plan: grow partitions, set and delete config overrides, nothing when in sync', () => {
  const actual = { topicId: 'x', partitions: 2, replicationFactor: 1, config: { 'retention.ms': '1000', 'segment.bytes': '1048576' } };
  const p = planTopic(kt({ partitions: 4, config: { 'retention.ms': 2000 } }), actual);
  assert.equal(p.createPartitions, 4);
  assert.deepEqual(p.setConfig, { 'retention.ms': '2000' });
  assert.deepEqual(p.deleteConfig, ['segment.bytes']);
  assert.deepEqual(p.refused, []);
  assert.ok(planIsEmpty(planTopic(kt({ partitions: 2, config: { 'retention.ms': '1000', 'segment.bytes': 1048576 } }), actual)));
});

test('plan: partition decrease and replication-factor change refused with a reason', () => {
  const actual = { topicId: 'x', partitions: 4, replicationFactor: 1, config: {} };
  const p = planTopic(kt({ partitions: 2, replicationFactor: 3 }), actual);
  assert.equal(p.createPartitions, undefined);
  assert.deepEqual(p.refused.map((r) => r.reason), ['PartitionDecreaseNotSupported', 'ReplicationFactorChangeNotSupported']);
  assert.match(p.refused[0]!.message, /cannot remove partitions/);
});
