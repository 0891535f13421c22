import { test } from 'node:test';
import assert from 'node:assert/strict';
import { storedJson } from './stored-json.ts';

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

const tree = deepFreeze({ 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"main"}': { '.': {}, 'f:image': {} } } } });
const entry = (fieldsV1: unknown, manager = 'm') => ({ manager, operation: 'Update', apiVersion: 'v1', time: '2026-11-22T05:00:00Z', fieldsType: 'FieldsV1', fieldsV1 });
const pod = (managedFields: unknown, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels: { app: 'x' }, ...extra, managedFields },
  spec: { containers: [{ name: 'main', image: 'nginx' }] },
});

test('the text is exactly JSON.stringify, with shared frozen trees, unfrozen ones and none', () => {
  const cases = [
    pod([entry(tree)]),
    pod([entry(tree), entry(tree, 'other')]),
    pod([entry({ 'f:spec': {} }), entry(tree, 'b')]),
    pod([]),
    pod(undefined),
    pod([entry(tree), null, 'x', Object.freeze(entry(tree, 'frozen entry'))]),
    { apiVersion: 'v1', kind: 'ConfigMap', data: { a: 'b' } },
  ];
  for (const c of cases) {
    assert.equal(storedJson(c as never), JSON.stringify(c));
    assert.equal(storedJson(c as never), JSON.stringify(c)); // the tree's JSON from the memo
  }
});

test('an object containing a placeholder text is stringified plainly; entries are left as they were', () => {
  const sneaky = pod([entry(tree)], { annotations: { a: '\u0000skiff-stored-json:fieldsV1:0' } });
  assert.equal(storedJson(sneaky as never), JSON.stringify(sneaky));
  const before = pod([entry(tree)], { annotations: { '\u0000skiff-stored-json:fieldsV1:0': 'key too' } });
  assert.equal(storedJson(before as never), JSON.stringify(before));
  assert.equal((sneaky.metadata.managedFields as any)[0].fieldsV1, tree);
});
