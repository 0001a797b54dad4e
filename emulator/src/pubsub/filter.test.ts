import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter } from './filter.ts';

test('filters: the attribute language', () => {
  const m = { color: 'red', size: 'large', 'x-y': '1' };
  const ok = (f: string) => compileFilter(f)!(m);
  assert.equal(ok('attributes:color'), true);
  assert.equal(ok('attributes:shape'), false);
  assert.equal(ok('attributes.color = "red"'), true);
  assert.equal(ok('attributes.color != "red"'), false);
  assert.equal(ok('NOT attributes.color = "blue"'), true);
  assert.equal(ok('-attributes:color'), false);
  assert.equal(ok('hasPrefix(attributes.size, "lar")'), true);
  assert.equal(ok('attributes.color = "red" AND attributes.size = "small"'), false);
  assert.equal(ok('attributes.color = "blue" OR (attributes:size AND attributes.x-y = "1")'), true);
  assert.equal(compileFilter(''), null);
  for (const bad of ['attributes.color = red', 'attr:x', 'attributes:a AND attributes:b OR attributes:c', '(attributes:a', 'x'.repeat(300)]) {
    assert.throws(() => compileFilter(bad), /Invalid filter/, bad);
  }
});
