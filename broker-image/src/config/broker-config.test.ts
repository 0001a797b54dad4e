import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brokerConfigFrom, ConfigError, envOverrides } from './broker-config.ts';
import { parseProperties } from './properties.ts';

test('server.properties syntax: comments, separators, continuations', () => {
  const p = parseProperties('# comment\n! also\nnode.id=3\nlog.dirs : /a,/b\nlisteners PLAINTEXT://h:1\nlong=a\\\n  b\n');
  assert.equal(p.get('node.id'), '3');
  assert.equal(p.get('log.dirs'), '/a,/b');
  assert.equal(p.get('listeners'), 'PLAINTEXT://h:1');
  assert.equal(p.get('long'), 'ab');
  assert.equal(p.size, 4);
});

test('defaults are Kafka defaults', () => {
  const c = brokerConfigFrom(new Map());
  assert.equal(c.nodeId, 1);
  assert.equal(c.numPartitions, 1);
  assert.equal(c.autoCreateTopics, true);
  assert.equal(c.messageMaxBytes, 1048588);
  assert.equal(c.groupInitialRebalanceDelayMs, 3000);
  assert.deepEqual(c.listeners, [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }]);
});

test('broker.id is a synonym of node.id; advertised listeners default to listeners', () => {
  const c = brokerConfigFrom(new Map([['broker.id', '7'], ['listeners', 'PLAINTEXT://0.0.0.0:19092']]));
  assert.equal(c.nodeId, 7);
  assert.equal(c.advertisedListeners[0].port, 19092);
});

test('environment overrides map TRIBUTARY_A_B to a.b', () => {
  const env = envOverrides({ TRIBUTARY_LOG_RETENTION_HOURS: '24', PATH: '/bin' });
  assert.deepEqual([...env], [['log.retention.hours', '24']]);
});

test('bad values are refused with the key named', () => {
  assert.throws(() => brokerConfigFrom(new Map([['num.partitions', 'six']])), (e: Error) => e instanceof ConfigError && /num.partitions/.test(e.message));
  assert.throws(() => brokerConfigFrom(new Map([['num.partitions', '0']])), /minimum/);
  assert.throws(() => brokerConfigFrom(new Map([['listeners', 'localhost:9092']])), /NAME:\/\/host:port/);
  assert.throws(() => brokerConfigFrom(new Map([['listeners', 'INTERNAL://h:9093']])), /no security protocol/);
  assert.deepEqual(brokerConfigFrom(new Map([['listeners', 'INTERNAL://h:9093,SSL://h:9094'], ['listener.security.protocol.map', 'INTERNAL:SASL_SSL']])).listeners.map((l) => l.securityProtocol), ['SASL_SSL', 'SSL']);
  assert.throws(() => brokerConfigFrom(new Map([['auto.create.topics.enable', 'yes']])), /true or false/);
});
