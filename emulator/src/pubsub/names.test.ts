import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaTopicFor, topicIdFor, parseTopic, parseSubscription } from './names.ts';

test('Kafka topic names: plain IDs unchanged, others escaped and reversible', () => {
  assert.equal(kafkaTopicFor('orders.v1-x_y'), 'orders.v1-x_y');
  assert.equal(kafkaTopicFor('a~b+c%d_e'), '_a_7Eb_2Bc_25d_5Fe');
  for (const id of ['orders', 'a~b+c%d_e', 'x_5F~', 'abc%%']) assert.equal(topicIdFor(kafkaTopicFor(id)), id);
  assert.equal(topicIdFor('__consumer_offsets'), null);
  assert.equal(topicIdFor('__tributary_pubsub'), null);
  assert.equal(topicIdFor('1abc'), null);
  assert.equal(topicIdFor('googthing'), null);
  assert.equal(topicIdFor('_abc'), null, 'an escaped name must contain an escape');
});

test('resource names: project and ID checked', () => {
  assert.deepEqual(parseTopic('projects/p/topics/abc'), { project: 'p', id: 'abc' });
  assert.throws(() => parseTopic('projects/p/topics/ab'), /Invalid \[topics\] name/);
  assert.throws(() => parseTopic('projects/p/subscriptions/abc'), /Invalid/);
  assert.throws(() => parseTopic('projects/p/topics/goog-x'), /Invalid/);
  assert.throws(() => parseSubscription('projects/p/subscriptions/a b c'), /Invalid/);
  assert.throws(() => parseTopic('topics/abc'), /Invalid/);
});
