import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonMemo, spliceResourceVersion } from './json-memo.ts';
import type { KubeObject } from '../../api/types.ts';

function parsed(text: string, rv: string): KubeObject {
  const obj = JSON.parse(text);
  obj.metadata ??= {};
  obj.metadata.resourceVersion = rv;
  return obj;
}

test('the stored text with the resourceVersion spliced in parses to the object', () => {
  const texts = [
    '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","labels":{"x":"y"}},"spec":{"metadata":{"name":"nested"}}}',
    '{"metadata":{},"spec":{}}',
    '{"kind":"Node","count":3,"ok":true,"none":null,"metadata":{"name":"n"}}',
  ];
  for (const text of texts) {
    const obj = parsed(text, '42');
    const s = spliceResourceVersion(obj, text);
    assert.ok(s, text);
    assert.deepEqual(JSON.parse(s), obj, text);
  }
});

test('texts of another shape are not spliced (the memo falls back to stringify)', () => {
  const cases = [
    '{ "metadata": {"name":"spaced"} }', // not compact
    '{"spec":{"a":1},"metadata":{"name":"late"}}', // an object before metadata
    '{"kind":"A","5":"x","metadata":{"name":"intkey"}}', // parsed key order differs from the text
    '{"kind":"A","kind":"B","metadata":{}}', // duplicate keys
  ];
  const memo = new JsonMemo();
  for (const text of cases) {
    const obj = parsed(text, '7');
    assert.equal(spliceResourceVersion(obj, text), undefined, text);
    memo.seed(obj, text);
    assert.equal(memo.json(obj), JSON.stringify(obj));
  }
});

test('json is computed once per object', () => {
  const memo = new JsonMemo();
  const text = '{"kind":"Pod","metadata":{"name":"a"}}';
  const obj = parsed(text, '3');
  memo.seed(obj, text);
  const first = memo.json(obj);
  assert.equal(first, '{"kind":"Pod","metadata":{"resourceVersion":"3","name":"a"}}');
  assert.equal(memo.json(obj), first);
  const plain: KubeObject = { metadata: { name: 'b' } };
  assert.equal(memo.json(plain), JSON.stringify(plain));
});

test('bytes are encoded once per object, in a buffer of their own, and decode to the JSON', () => {
  const memo = new JsonMemo();
  const text = '{"kind":"Pod","metadata":{"name":"ünï"},"data":{"k":"\u2603"}}';
  const obj = parsed(text, '9');
  memo.seed(obj, text);
  const b = memo.bytes(obj);
  assert.equal(memo.bytes(obj), b);
  const want = '{"kind":"Pod","metadata":{"resourceVersion":"9","name":"ünï"},"data":{"k":"\u2603"}}';
  assert.equal(b.toString('utf8'), want);
  assert.equal(memo.json(obj), want);
  // small objects are not slices of Buffer's shared pool (one would keep 8 KiB alive)
  assert.equal(b.byteOffset, 0);
  assert.equal(b.buffer.byteLength, b.length);
  const big: KubeObject = { metadata: { name: 'big' }, data: { x: 'y'.repeat(10_000) } };
  assert.equal(memo.bytes(big).toString('utf8'), JSON.stringify(big));
});
