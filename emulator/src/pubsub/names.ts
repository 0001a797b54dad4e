// Resource names and their Kafka topic names.
//
// A Pub/Sub topic `projects/P/topics/T` is the Kafka topic named T: the same log a
// Kafka client (or a Kinesis stream of that name) reads and writes. Projects share
// the cluster's one topic namespace, so `projects/a/topics/T` and
// `projects/b/topics/T` are the same log. Topic IDs that use characters Kafka does
// not allow (`~`, `+`, `%`) map to `_` followed by the ID with `_ ~ + %` written as
// `_5F _7E _2B _25`; a Pub/Sub ID starts with a letter, so the leading `_` makes the
// mapping reversible. Kafka topics whose names are not valid Pub/Sub IDs (internal
// topics such as `__consumer_offsets`, names starting with a digit) are not listed.

import { invalid } from './errors.ts';

const ID = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;
const KAFKA_SAFE = /^[A-Za-z0-9._-]+$/;

export interface Name {
  project: string;
  id: string;
}

export function validId(id: string): boolean {
  return ID.test(id) && !id.toLowerCase().startsWith('goog');
}

function parse(name: string, kind: 'topics' | 'subscriptions' | 'snapshots' | 'schemas', field: string): Name {
  const m = /^projects\/([^/]+)\/([a-z]+)\/([^/]+)$/.exec(name ?? '');
  if (!m || m[2] !== kind) throw invalid(`Invalid [${field}] name: (name=${name})`);
  if (!validId(m[3])) throw invalid(`Invalid [${field}] name: (name=${name})`);
  return { project: m[1], id: m[3] };
}

export const parseTopic = (name: string, field = 'topics') => parse(name, 'topics', field);
export const parseSubscription = (name: string, field = 'subscriptions') => parse(name, 'subscriptions', field);
export const parseSnapshot = (name: string, field = 'snapshots') => parse(name, 'snapshots', field);
export const parseSchema = (name: string, field = 'schemas') => parse(name, 'schemas', field);

export function parseProject(name: string): string {
  const m = /^projects\/([^/]+)$/.exec(name ?? '');
  if (!m) throw invalid(`Invalid [projects] name: (name=${name})`);
  return m[1];
}

export function kafkaTopicFor(topicId: string): string {
  const k = KAFKA_SAFE.test(topicId)
    ? topicId
    : '_' + topicId.replace(/[_~+%]/g, (c) => '_' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
  if (k.length > 249) throw invalid(`Topic ID too long for a Kafka topic name (${k.length} > 249 characters once encoded): ${topicId}`);
  return k;
}

/** The Pub/Sub topic ID of a Kafka topic, or null when it has none. */
export function topicIdFor(kafkaTopic: string): string | null {
  let id: string;
  if (kafkaTopic.startsWith('_')) {
    id = kafkaTopic.slice(1).replace(/_([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    if (KAFKA_SAFE.test(id) || kafkaTopicFor(id) !== kafkaTopic) return null;
  } else {
    id = kafkaTopic;
  }
  return validId(id) ? id : null;
}

export const DELETED_TOPIC = '_deleted-topic_';
