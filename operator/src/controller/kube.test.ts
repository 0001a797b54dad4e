import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectionPath, mergeDiff, microTime, objectPath } from './kube.ts';

test('mergeDiff nulls removed keys, recurses into objects, replaces lists', () => {
  assert.deepEqual(mergeDiff({ a: 1, config: { x: '1', y: '2' }, list: [1, 2] }, { config: { y: '3' }, list: [3] }), { a: null, config: { x: null, y: '3' }, list: [3] });
  assert.deepEqual(mergeDiff(undefined, { a: 1 }), { a: 1 });
});

test('paths and MicroTime', () => {
  assert.equal(collectionPath('apps/v1', 'StatefulSet', 'ns'), '/apis/apps/v1/namespaces/ns/statefulsets');
  assert.equal(objectPath({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' } }), '/api/v1/namespaces/n/configmaps/c');
  assert.equal(microTime(new Date('2026-01-02T03:04:05.678Z')), '2026-01-02T03:04:05.678000Z');
});
