import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { ssaSchemaForKind } from './schema.ts';
import { ShapeMemo } from './shape.ts';
import { updateManagedFields } from './index.ts';

const pods = ssaSchemaForKind('', 'Pod');
const memo = new ShapeMemo<number>();
const shapeKey = (o: never, s: typeof pods) => memo.key(o, s);

function pod(name: string, containers: Record<string, unknown>[], extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: `2024-05-01T09:00:0${name.length % 10}Z`, labels: { app: name } },
    spec: { containers, ...extra },
  } as KubeObject;
}

test('shape keys: values do not matter, keys, kinds and list-element identities do', () => {
  const a = pod('a', [{ name: 'main', image: 'nginx:1', ports: [{ containerPort: 80 }] }]);
  const b = pod('bb', [{ name: 'main', image: 'nginx:2', ports: [{ containerPort: 80 }] }]);
  assert.equal(shapeKey(a as never, pods), shapeKey(b as never, pods));
  const otherName = pod('a', [{ name: 'side', image: 'nginx:1', ports: [{ containerPort: 80 }] }]);
  const otherPort = pod('a', [{ name: 'main', image: 'nginx:1', ports: [{ containerPort: 81 }] }]);
  const nullImage = pod('a', [{ name: 'main', image: null, ports: [{ containerPort: 80 }] }]);
  const noPorts = pod('a', [{ name: 'main', image: 'nginx:1', ports: [] }]);
  const emptyMap = pod('a', [{ name: 'main', image: 'nginx:1', ports: [{ containerPort: 80 }] }], { nodeSelector: {} });
  const fullMap = pod('a', [{ name: 'main', image: 'nginx:1', ports: [{ containerPort: 80 }] }], { nodeSelector: { x: 'y' } });
  const keys = [a, otherName, otherPort, nullImage, noPorts, emptyMap, fullMap].map((o) => shapeKey(o as never, pods));
  assert.equal(new Set(keys).size, keys.length);
});

test('shape keys: list elements are told apart exactly by their path elements', () => {
  const key = (containers: Record<string, unknown>[], extra: Record<string, unknown> = {}) => shapeKey(pod('a', containers, extra) as never, pods);
  const port = (p: Record<string, unknown>) => key([{ name: 'main', ports: [p] }]);
  assert.notEqual(port({ containerPort: 80, protocol: 'TCP' }), port({ containerPort: 80, protocol: 'UDP' }));
  assert.notEqual(port({ containerPort: 80 }), port({ containerPort: '80' }));
  // an element without any key field, or a null one, makes the list one atomic leaf
  const unkeyed = key([{ name: 'main', env: [{ value: 'x' }] }]);
  assert.notEqual(unkeyed, key([{ name: 'main', env: [{ name: 'A', value: 'x' }] }]));
  assert.equal(unkeyed, key([{ name: 'main', env: [{ value: 'y' }, { name: 'B' }] }]));
  assert.equal(key([null as never]), key([{ name: 'x' }, 'y' as never]));
  // set elements by value; duplicates and order count
  const fin = (f: unknown[]) => shapeKey({ ...pod('a', []), metadata: { name: 'a', finalizers: f } } as never, pods);
  const sets = [fin(['a', 'b']), fin(['a', 'c']), fin(['b', 'a']), fin(['a', 'a', 'b']), fin([1, 'b']), fin(['1', 'b'])];
  assert.equal(new Set(sets).size, sets.length);
  assert.equal(fin(['a', 'b']), fin(['a', 'b']));
  assert.equal(fin([{ x: 1 }]), fin([null]));
});

test('ShapeMemo stays bounded', () => {
  const m = new ShapeMemo<number>(3);
  for (let i = 0; i < 10; i++) m.set(String(i), i);
  assert.ok(m.size <= 3);
  assert.equal(m.get('9'), 9);
});

function created(o: KubeObject, manager = 'tester', now = new Date('2024-05-01T10:00:00Z')): unknown {
  updateManagedFields(undefined, o, { manager, now, apiVersion: 'v1', kind: 'Pod', hasStatus: true });
  return o.metadata.managedFields;
}

test('creates of one shape share the remembered field set; other shapes get their own', () => {
  const first = created(pod('a', [{ name: 'main', image: 'x' }])) as any[];
  const second = created(pod('b', [{ name: 'main', image: 'y' }]), 'other', new Date('2024-05-01T11:00:00Z')) as any[];
  assert.deepEqual(first[0].fieldsV1, second[0].fieldsV1);
  assert.equal(second[0].manager, 'other');
  assert.equal(second[0].time, '2024-05-01T11:00:00Z');
  assert.deepEqual(Object.keys(second[0]), ['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1']);
  // A container of another name is another shape, with its own key.
  const third = created(pod('c', [{ name: 'side', image: 'y' }])) as any[];
  const containers = (third[0].fieldsV1 as any)['f:spec']['f:containers'];
  assert.deepEqual(Object.keys(containers), ['k:{"name":"side"}']);
  // The remembered set is shared and frozen: nobody can change it under another object.
  assert.ok(Object.isFrozen(first[0].fieldsV1));
  assert.throws(() => {
    (second[0].fieldsV1 as any)['f:spec'] = {};
  }, TypeError);
});

test('a create whose request carries managedFields is computed from them, not from the memo', () => {
  created(pod('a', [{ name: 'main', image: 'x' }]));
  const o = pod('d', [{ name: 'main', image: 'x' }]);
  o.metadata.managedFields = [
    { manager: 'earlier', operation: 'Update', apiVersion: 'v1', time: '2024-05-01T08:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:note': {} } } } },
  ] as never;
  const out = created(o) as any[];
  assert.deepEqual(out.map((e) => e.manager).sort(), ['earlier', 'tester']);
});

test('core/v1 Events: one shape whatever the involvedObject holds, unless it equals the zero value', () => {
  const events = ssaSchemaForKind('', 'Event');
  const ev = (name: string, involvedObject: Record<string, unknown>): KubeObject =>
    ({ apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'default' }, involvedObject, reason: 'Scheduled', message: `m ${name}` }) as KubeObject;
  const a = ev('a', { kind: 'Pod', namespace: 'default', name: 'p1', uid: 'u1' });
  const b = ev('b', { kind: 'Pod', namespace: 'default', name: 'p2', uid: 'u2' });
  const zero = ev('c', {});
  assert.equal(shapeKey(a as never, events), shapeKey(b as never, events));
  assert.notEqual(shapeKey(a as never, events), shapeKey(zero as never, events));
  // The remembered field sets are the ones computed for each: the zero involvedObject is not a field the writer set.
  const fieldsOf = (o: KubeObject) => {
    updateManagedFields(undefined, o, { manager: 'tester', now: new Date('2024-05-01T10:00:00Z'), apiVersion: 'v1', kind: 'Event', hasStatus: false });
    return (o.metadata.managedFields as any[])[0].fieldsV1;
  };
  const fa = fieldsOf(a);
  assert.deepEqual(fieldsOf(b), fa);
  assert.ok('f:involvedObject' in fa);
  assert.ok(!('f:involvedObject' in fieldsOf(zero)));
});

test('an object with more distinct names than a key can hold gets no key; its create is computed directly', () => {
  const labels: Record<string, string> = {};
  for (let i = 0; i < 70_000; i++) labels[`l${i}`] = 'x';
  const big = { ...pod('big', [{ name: 'main', image: 'x' }]), metadata: { name: 'big', labels } } as KubeObject;
  const own = new ShapeMemo<number>();
  assert.equal(own.key(big as never, pods), undefined);
  // the memo forgets its table (and every key made with it) and keys ordinary objects again
  const k1 = own.key(pod('a', [{ name: 'main' }]) as never, pods);
  assert.ok(k1);
  assert.equal(own.key(pod('b', [{ name: 'main' }]) as never, pods), k1);
  const entries = created(big) as any[];
  const set = entries[0].fieldsV1['f:metadata']['f:labels'];
  assert.ok(set['f:l0'] && set['f:l69999']);
});
