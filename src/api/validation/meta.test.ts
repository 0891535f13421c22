import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateLabelSelectorObject, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { causeString } from './field.ts';
import { nameIsDNSLabel, nameIsDNSSubdomain } from './names.ts';
import { semanticDiff, semanticEqual } from './equality.ts';

const lines = (errs: Parameters<typeof causeString>[0][]) => errs.map(causeString);
const NS = { nameFn: nameIsDNSSubdomain, namespaced: true };

test('object metadata on create', () => {
  assert.deepEqual(lines(validateObjectMeta({ name: 'ok', namespace: 'default' }, NS)), []);
  assert.deepEqual(lines(validateObjectMeta({ namespace: 'default' }, NS)), ['metadata.name: Required value: name or generateName is required']);
  assert.deepEqual(lines(validateObjectMeta({ name: 'x' }, NS)), ['metadata.namespace: Required value']);
  assert.deepEqual(lines(validateObjectMeta({ name: 'x', namespace: 'a' }, { nameFn: nameIsDNSLabel, namespaced: false })), [
    'metadata.namespace: Forbidden: not allowed on this type',
  ]);
  assert.deepEqual(lines(validateObjectMeta({ name: 'web-abcde', generateName: 'web-', namespace: 'd' }, NS)), []);
  const errs = validateObjectMeta(
    {
      name: 'x',
      namespace: 'Bad_NS',
      labels: { 'bad key!': 'v', ok: 'not ok' },
      annotations: { 'a/b/c': 'x' },
      finalizers: ['custom', 'example.com/f'],
      generation: -1,
    },
    NS,
  );
  assert.deepEqual(
    errs.map((e) => `${e.field} ${e.reason}`),
    [
      'metadata.namespace FieldValueInvalid',
      'metadata.generation FieldValueInvalid',
      'metadata.labels FieldValueInvalid',
      'metadata.labels FieldValueInvalid',
      'metadata.annotations FieldValueInvalid',
      'metadata.finalizers[0] FieldValueInvalid',
    ],
  );
  assert.equal(errs[5]!.message, 'Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified');
});

test('owner references', () => {
  const errs = validateObjectMeta(
    {
      name: 'x',
      namespace: 'd',
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: '1', controller: true },
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'b', uid: '2', controller: true },
        { apiVersion: '', kind: '', name: '', uid: '' },
      ],
    },
    NS,
  );
  assert.deepEqual(
    errs.map((e) => e.field),
    ['metadata.ownerReferences', 'metadata.ownerReferences.apiVersion', 'metadata.ownerReferences.kind', 'metadata.ownerReferences.name', 'metadata.ownerReferences.uid'],
  );
  assert.match(errs[0]!.message, /Only one reference can have Controller set to true. Found "true" in references for ReplicaSet\/a and ReplicaSet\/b$/);
});

test('object metadata on update', () => {
  const old = { name: 'x', namespace: 'd', uid: 'u1', creationTimestamp: '2024-01-01T00:00:00Z' };
  assert.deepEqual(lines(validateObjectMetaUpdate({ name: 'x', namespace: 'd' }, old)), [], 'omitted system fields are fine');
  assert.deepEqual(lines(validateObjectMetaUpdate({ name: 'y', namespace: 'd', uid: 'u2' }, old)), [
    'metadata.name: Invalid value: "y": field is immutable',
    'metadata.uid: Invalid value: "u2": field is immutable',
  ]);
  assert.deepEqual(
    lines(validateObjectMetaUpdate({ name: 'x', namespace: 'd', finalizers: ['b/x', 'a/y'] }, { ...old, deletionTimestamp: '2024-01-02T00:00:00Z' })),
    ['metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"a/y", "b/x"}'],
  );
});

test('label selector objects', () => {
  assert.deepEqual(lines(validateLabelSelectorObject({ matchLabels: { app: 'a' } }, 'spec.selector')), []);
  assert.deepEqual(
    lines(
      validateLabelSelectorObject(
        {
          matchExpressions: [
            { key: 'a', operator: 'In' },
            { key: 'b', operator: 'Exists', values: ['x'] },
            { key: 'c', operator: 'Near', values: ['x'] },
          ],
        },
        'spec.selector',
      ),
    ),
    [
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      'spec.selector.matchExpressions[2].operator: Invalid value: "Near": not a valid selector operator',
    ],
  );
});

test('semantic equality treats absent and zero values alike', () => {
  assert.ok(semanticEqual({ a: undefined, b: [] }, { c: {} }));
  assert.ok(semanticEqual({ hostNetwork: false }, {}));
  assert.ok(semanticEqual({ cpu: '1000m' }, { cpu: '1' }));
  assert.ok(!semanticEqual({ cpu: '1' }, { cpu: '2' }));
  assert.ok(!semanticEqual(['a', 'b'], ['b', 'a']));
  assert.ok(!semanticEqual({ x: 'a' }, { x: 'b' }));
  assert.deepEqual(semanticDiff({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 3] }, d: 'x' }), ['b.c[1]', 'd']);
});
