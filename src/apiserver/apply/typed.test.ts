import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, fieldPE, keyPE, path, pathString, valuePE, type Json, type JsonMap } from './fieldpath.ts';
import { ssaSchemaForKind, zeroObject, type SsaSchema } from './schema.ts';
import { compare, ensureNamedFieldsAreMembers, merge, removeItems, toFieldSet, validateApplied } from './typed.ts';

const DEPLOY = ssaSchemaForKind('apps', 'Deployment');
const POD = ssaSchemaForKind('', 'Pod');
const SERVICE = ssaSchemaForKind('', 'Service');

const names = (s: FieldSet): string[] => s.paths().map(pathString);

function pod(spec: JsonMap, metadata: JsonMap = { name: 'p' }): JsonMap {
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
}

test('list types come from the strategic table plus upstream overrides', () => {
  const spec = POD.fields!.spec!;
  const containers = spec.fields!.containers!;
  assert.deepEqual(containers.keys, ['name']);
  assert.deepEqual(containers.item!.fields!.ports!.keys, ['containerPort', 'protocol']);
  assert.deepEqual(containers.item!.fields!.env!.keys, ['name']);
  assert.equal(spec.fields!.tolerations, undefined, 'tolerations: atomic (unknown → atomic)');
  assert.equal(POD.fields!.status!.fields!.hostIPs!.list, 'atomic');
  assert.deepEqual(SERVICE.fields!.spec!.fields!.ports!.keys, ['port', 'protocol']);
  assert.equal(DEPLOY.fields!.spec!.fields!.selector!.atomic, true);
  assert.equal(POD.fields!.metadata!.fields!.finalizers!.list, 'set');
  assert.equal(ssaSchemaForKind('batch', 'Job').fields!.status!.fields!.conditions!.list, 'atomic');
});

test('toFieldSet: leaves, list-map elements with ".", map keys, atomic values, empty objects', () => {
  const obj = pod({
    containers: [{ name: 'main', image: 'nginx', ports: [{ containerPort: 80 }], resources: {}, args: ['a', 'b'] }],
    nodeSelector: { disk: 'ssd' },
    tolerations: [{ key: 'k', operator: 'Exists' }],
  }, { name: 'p', labels: { app: 'web' }, finalizers: ['x/y'] });
  const got = names(toFieldSet(obj, POD));
  assert.deepEqual(got, [
    '.apiVersion',
    '.kind',
    '.metadata.name',
    '.metadata.finalizers[="x/y"]',
    '.metadata.labels.app',
    '.spec.nodeSelector',
    '.spec.tolerations',
    '.spec.containers[name="main"]',
    '.spec.containers[name="main"].args',
    '.spec.containers[name="main"].image',
    '.spec.containers[name="main"].name',
    '.spec.containers[name="main"].resources',
    '.spec.containers[name="main"].ports[containerPort=80,protocol="TCP"]',
    '.spec.containers[name="main"].ports[containerPort=80,protocol="TCP"].containerPort',
  ]);
});

test('toFieldSet of an unknown kind: maps all the way down (keys are not fields)', () => {
  const s = ssaSchemaForKind('example.com', 'Widget');
  const set = toFieldSet({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: { x: 1 }, tags: ['a'] } }, s);
  assert.deepEqual(names(set), ['.apiVersion', '.kind', '.metadata.name', '.spec.size', '.spec.tags', '.spec.size.x']);
});

test('merge: list-map elements merge by key, new ones where upstream puts them', () => {
  const live = pod({
    containers: [
      { name: 'a', image: 'a:1', env: [{ name: 'X', value: '1' }] },
      { name: 'b', image: 'b:1' },
    ],
  });
  const cfg = pod({
    containers: [
      { name: 'c', image: 'c:1' },
      { name: 'a', image: 'a:2', env: [{ name: 'Y', value: '2' }] },
    ],
  });
  const out = merge(live, cfg, POD) as any;
  assert.deepEqual(out.spec.containers, [
    { name: 'c', image: 'c:1' },
    { name: 'a', image: 'a:2', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] },
    { name: 'b', image: 'b:1' },
  ]);
});

test('merge: sets union, atomic lists and atomic structs are replaced, maps merge', () => {
  const live = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', finalizers: ['a', 'b'], labels: { x: '1' } },
    spec: { selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'k', operator: 'Exists' }] }, template: { spec: { tolerations: [{ key: 'a' }, { key: 'b' }] } } },
  };
  const cfg = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', finalizers: ['c', 'a'], labels: { y: '2' } },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { spec: { tolerations: [{ key: 'c' }] } } },
  };
  const out = merge(live, cfg, DEPLOY) as any;
  assert.deepEqual(out.metadata.finalizers, ['c', 'a', 'b']);
  assert.deepEqual(out.metadata.labels, { x: '1', y: '2' });
  assert.deepEqual(out.spec.selector, { matchLabels: { app: 'web' } }, 'LabelSelector is atomic');
  assert.deepEqual(out.spec.template.spec.tolerations, [{ key: 'c' }], 'tolerations are atomic');
});

test('compare: added, modified and removed paths; new list-map elements and maps are members', () => {
  const a = pod({ containers: [{ name: 'main', image: 'nginx:1' }] }, { name: 'p' });
  const b = pod({ containers: [{ name: 'main', image: 'nginx:2', env: [{ name: 'A', value: '1' }] }], restartPolicy: 'Never' }, { name: 'p', labels: { x: 'y' } });
  const c = compare(a, b, POD);
  assert.deepEqual(names(c.modified), ['.spec.containers[name="main"].image']);
  assert.deepEqual(names(c.added), [
    '.metadata.labels',
    '.metadata.labels.x',
    '.spec.restartPolicy',
    '.spec.containers[name="main"].env',
    '.spec.containers[name="main"].env[name="A"]',
    '.spec.containers[name="main"].env[name="A"].name',
    '.spec.containers[name="main"].env[name="A"].value',
  ]);
  assert.ok(c.removed.empty());
  const back = compare(b, a, POD);
  assert.ok(back.removed.has(path('spec', 'restartPolicy')));
  assert.ok(back.added.empty());
});

test('compare against the empty object of a kind: non-pointer structs are not "added"', () => {
  const zero = { ...zeroObject(DEPLOY), apiVersion: 'apps/v1', kind: 'Deployment' };
  const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 1, template: { spec: { containers: [{ name: 'c' }] } } } };
  const c = compare(zero, d, DEPLOY);
  assert.ok(!c.added.has(path('spec')));
  assert.ok(!c.added.has(path('spec', 'template')));
  assert.ok(!c.added.has(path('spec', 'template', 'spec', 'containers')), 'containers is null, not absent, in the empty object');
  assert.ok(c.added.has([...path('spec', 'template', 'spec', 'containers'), keyPE([['name', 'c']])]));
});

test('removeItems: members go, emptied maps become null, list elements by key', () => {
  const obj = pod({ containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] }, { name: 'p', labels: { only: '1' } });
  const set = FieldSet.of(
    path('metadata', 'labels', 'only'),
    [...path('spec', 'containers'), keyPE([['name', 'a']])],
  );
  const out = removeItems(obj, set, POD) as any;
  assert.equal(out.metadata.labels, null);
  assert.deepEqual(out.spec.containers, [{ name: 'b', image: 'y' }]);
  assert.deepEqual(obj.spec!, { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] }, 'input untouched');
});

test('ensureNamedFieldsAreMembers: struct fields with members below become members, map keys do not', () => {
  const set = FieldSet.of(path('metadata', 'labels', 'app'), path('spec', 'replicas'));
  const out = ensureNamedFieldsAreMembers(set, DEPLOY);
  assert.deepEqual(names(out), ['.metadata', '.spec', '.metadata.labels', '.metadata.labels.app', '.spec.replicas']);
});

test('validateApplied: duplicate keys and unidentifiable elements, worded as upstream', () => {
  const errs = validateApplied(
    pod({
      containers: [
        { name: 'a', env: [{ name: 'X' }, { name: 'X' }, { value: 'v' }], ports: [{ name: 'http' }] },
        { name: 'a' },
      ],
    }) as Json,
    POD,
  );
  assert.deepEqual(errs.map((e) => `${e.path}: ${e.message}`).sort(), [
    '.spec.containers: duplicate entries for key [name="a"]',
    '.spec.containers[name="a"].env: duplicate entries for key [name="X"]',
    '.spec.containers[name="a"].env: element 2: associative list with keys has an element that omits all key fields ["name"] (and doesn\'t have default values for any key fields)',
  ]);
  // A port without containerPort is keyed by the protocol default alone: not an error.
  assert.deepEqual(validateApplied(pod({ containers: [{ name: 'a', ports: [{ name: 'http' }] }] }) as Json, POD), []);
});

test('set elements: a map in a set is an error', () => {
  const s: SsaSchema = { fields: { xs: { list: 'set' } } };
  assert.deepEqual(validateApplied({ xs: [{ a: 1 }] }, s).map((e) => e.message), ["element 0: associative list without keys has an element that's a map type"]);
  assert.deepEqual(names(toFieldSet({ xs: ['b', 'a'] }, s)), ['.xs[="a"]', '.xs[="b"]']);
  void fieldPE;
  void valuePE;
});
