import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaError } from '../protocol/errors.ts';
import { logConfigFor, resolveTopicConfig, validateTopicConfig } from './topic-config.ts';

test('an override wins over the broker default, which wins over Kafka default', () => {
  const broker = new Map([['log.retention.hours', '24'], ['log.segment.bytes', '1000']]);
  const entries = new Map(resolveTopicConfig({ 'segment.bytes': '5000' }, broker).map((e) => [e.name, e]));
  assert.equal(entries.get('segment.bytes')!.value, '5000');
  assert.equal(entries.get('segment.bytes')!.source, 'DYNAMIC_TOPIC_CONFIG');
  assert.equal(entries.get('retention.ms')!.value, String(24 * 3600_000));
  assert.equal(entries.get('retention.ms')!.source, 'STATIC_BROKER_CONFIG');
  assert.equal(entries.get('cleanup.policy')!.value, 'delete');
  assert.equal(entries.get('cleanup.policy')!.source, 'DEFAULT_CONFIG');
});

test('log.retention.ms beats minutes and hours', () => {
  const c = logConfigFor({}, new Map([['log.retention.hours', '1'], ['log.retention.ms', '5']]));
  assert.equal(c.retentionMs, 5);
});

test('the log config reflects the topic', () => {
  const c = logConfigFor({ 'cleanup.policy': 'compact,delete', 'message.timestamp.type': 'LogAppendTime' }, new Map());
  assert.deepEqual(c.cleanupPolicy, ['compact', 'delete']);
  assert.equal(c.messageTimestampType, 'LogAppendTime');
  assert.equal(c.segmentBytes, 1024 * 1024 * 1024);
});

test('invalid topic configs are refused with INVALID_CONFIG naming the key', () => {
  const bad: Record<string, string>[] = [
    { 'retention.ms': 'forever' },
    { 'cleanup.policy': 'shred' },
    { 'no.such.key': '1' },
    { 'segment.bytes': '1' },
    { 'message.timestamp.type': 'Now' },
    { 'max.message.bytes': '99999999999' },
  ];
  for (const configs of bad) {
    assert.throws(() => validateTopicConfig(configs), (e: unknown) => e instanceof KafkaError && e.code === 40 && e.message.includes(Object.keys(configs)[0]));
  }
  validateTopicConfig({ 'retention.ms': '-1', 'cleanup.policy': 'compact' });
});

test('flush.messages and flush.ms reach the log; Long.MAX_VALUE means never', () => {
  assert.equal(logConfigFor({}, new Map()).flushMessages, undefined);
  assert.equal(logConfigFor({ 'flush.messages': '1' }, new Map()).flushMessages, 1);
  assert.equal(logConfigFor({}, new Map([['log.flush.interval.ms', '1000']])).flushMs, 1000);
  assert.throws(() => validateTopicConfig({ 'flush.messages': '0' }), /at least 1/);
});
