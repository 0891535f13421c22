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

test('random adds, removes and reads match a plain sorted set; read arrays are snapshots', () => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const idx = new KeyIndex();
  const model = new Map<string, string>(); // key -> namespace
  const expected = (ns?: string) =>
    [...model].filter(([, n]) => !ns || n === ns).map(([k]) => k).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let snapshot: { keys: readonly string[]; copy: string[] } | undefined;
  for (let step = 0; step < 20000; step++) {
    const ns = `ns${rand(3)}`;
    const key = `/p/${ns}/k${rand(1500)}`;
    const op = rand(10);
    if (op < 5) {
      idx.add(key, ns);
      model.set(key, ns);
    } else if (op < 8) {
      idx.remove(key, ns);
      model.delete(key);
    } else if (op < 9) {
      const which = rand(2) === 0 ? undefined : ns;
      const got = idx.keys(which);
      assert.deepEqual([...got], expected(which));
      if (!snapshot || rand(4) === 0) snapshot = { keys: got, copy: [...got] };
    } else {
      assert.equal(idx.size, model.size);
    }
    if (snapshot && step % 97 === 0) assert.deepEqual([...snapshot.keys], snapshot.copy);
  }
  assert.deepEqual([...idx.keys()], expected());
  for (const ns of ['ns0', 'ns1', 'ns2']) assert.deepEqual([...idx.keys(ns)], expected(ns));
});

test('a removed key added back before any read stays listed once', () => {
  const idx = new KeyIndex();
  idx.add('/p/a/1', 'a');
  idx.add('/p/a/2', 'a');
  assert.deepEqual(idx.keys('a'), ['/p/a/1', '/p/a/2']);
  idx.remove('/p/a/1', 'a');
  idx.add('/p/a/1', 'a');
  idx.add('/p/a/1', 'a');
  idx.add('/p/a/0', 'a');
  idx.remove('/p/a/0', 'a');
  idx.remove('/p/a/9', 'a');
  assert.equal(idx.size, 2);
  assert.deepEqual(idx.keys(), ['/p/a/1', '/p/a/2']);
  assert.deepEqual(idx.keys('a'), ['/p/a/1', '/p/a/2']);
});

test('many adds without a read stay correct across automatic folds', () => {
  const idx = new KeyIndex();
  const keys: string[] = [];
  for (let i = 0; i < 5000; i++) keys.push(`/p/n/${(i * 7919) % 5000}`);
  for (const k of keys) idx.add(k, 'n');
  for (let i = 0; i < 5000; i += 2) idx.remove(`/p/n/${i}`, 'n');
  const want = keys.filter((k) => Number(k.slice(5)) % 2 === 1).sort();
  assert.equal(idx.size, 2500);
  assert.deepEqual([...idx.keys('n')], want);
  assert.deepEqual([...idx.keys()], want);
});
