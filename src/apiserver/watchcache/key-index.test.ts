import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyIndex, lowerBound } from './key-index.ts';

test('keys stay sorted overall and per namespace through adds and removes', () => {
  const idx = new KeyIndex();
  idx.add('/p/b/2', 'b');
  idx.add('/p/a/9', 'a');
  idx.add('/p/b/1', 'b');
  idx.add('/p/a/9', 'a'); // duplicate: no-op
  assert.deepEqual(idx.keys(), ['/p/a/9', '/p/b/1', '/p/b/2']);
  assert.deepEqual(idx.keys('b'), ['/p/b/1', '/p/b/2']);
  assert.deepEqual(idx.keys('zzz'), []);
  idx.remove('/p/b/1', 'b');
  idx.remove('/p/a/9', 'a');
  idx.remove('/p/missing', 'a');
  assert.deepEqual(idx.keys(), ['/p/b/2']);
  assert.deepEqual(idx.keys('a'), []);
  assert.equal(idx.size, 1);
  idx.reset([{ key: '/p/z', namespace: '' }, { key: '/p/c', namespace: '' }]);
  assert.deepEqual(idx.keys(), ['/p/c', '/p/z']);
  assert.deepEqual(idx.keys(''), ['/p/c', '/p/z']);
});

test('lowerBound finds the first key >= the probe', () => {
  const keys = ['a', 'c', 'e'];
  assert.equal(lowerBound(keys, ''), 0);
  assert.equal(lowerBound(keys, 'c'), 1);
  assert.equal(lowerBound(keys, 'c\u0000'), 2);
  assert.equal(lowerBound(keys, 'z'), 3);
});
