import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FieldSet,
  comparePE,
  deserializePE,
  fieldPE,
  indexPE,
  keyPE,
  path,
  pathString,
  serializePE,
  valuePE,
  type Path,
} from './fieldpath.ts';

/** Parse a FieldsV1 text and write it back as JSON text. */
function roundTrip(text: string): string {
  return JSON.stringify(FieldSet.fromFieldsV1(JSON.parse(text)).toFieldsV1());
}

test('path elements serialize as upstream writes FieldsV1 keys', () => {
  const cases: [ReturnType<typeof fieldPE>, string][] = [
    [fieldPE('spec'), 'f:spec'],
    [keyPE([['protocol', 'TCP'], ['containerPort', 80]]), 'k:{"containerPort":80,"protocol":"TCP"}'],
    [keyPE([['name', 'main']]), 'k:{"name":"main"}'],
    [valuePE('example.com/finalizer'), 'v:"example.com/finalizer"'],
    [valuePE(3), 'v:3'],
    [valuePE(true), 'v:true'],
    [indexPE(2), 'i:2'],
    [valuePE('<a&b>'), 'v:"\\u003ca\\u0026b\\u003e"'],
  ];
  for (const [pe, text] of cases) {
    assert.equal(serializePE(pe), text);
    assert.equal(serializePE(deserializePE(text)!), text, `re-parse of ${text}`);
  }
});

test('non-normalized keys parse to the normalized form', () => {
  assert.equal(serializePE(deserializePE('k:{ "protocol":"UDP", "port":53}')!), 'k:{"port":53,"protocol":"UDP"}');
  assert.equal(serializePE(deserializePE('v: 7')!), 'v:7');
  assert.equal(deserializePE('x:whatever'), undefined, 'unknown element types are skipped');
  assert.throws(() => deserializePE('f'));
});

test('elements order: fields, then keys, then values (numbers, strings, booleans), then indexes', () => {
  const pes = [indexPE(1), valuePE(true), valuePE('b'), valuePE('a'), valuePE(10), valuePE(2), keyPE([['name', 'z']]), keyPE([['name', 'a']]), fieldPE('b'), fieldPE('a')];
  assert.deepEqual(pes.sort(comparePE).map(serializePE), [
    'f:a', 'f:b', 'k:{"name":"a"}', 'k:{"name":"z"}', 'v:2', 'v:10', 'v:"a"', 'v:"b"', 'v:true', 'i:1',
  ]);
});

test('path strings read as in conflict messages', () => {
  const p: Path = [...path('spec', 'template', 'spec', 'containers'), keyPE([['name', 'main']]), fieldPE('image')];
  assert.equal(pathString(p), '.spec.template.spec.containers[name="main"].image');
  assert.equal(pathString([fieldPE('ports'), keyPE([['containerPort', 80], ['protocol', 'TCP']])]), '.ports[containerPort=80,protocol="TCP"]');
  assert.equal(pathString([...path('metadata', 'finalizers'), valuePE('a')]), '.metadata.finalizers[="a"]');
  assert.equal(pathString([fieldPE('args'), indexPE(0)]), '.args[0]');
});

// The Server-Side Apply page's ConfigMap example, and the shapes kubectl shows for a Deployment.
const ROUND_TRIPS: [string, string, string][] = [
  [
    'docs ConfigMap example (written in sorted order)',
    '{"f:metadata":{"f:labels":{"f:test-label":{}}},"f:data":{"f:key":{}}}',
    '{"f:data":{"f:key":{}},"f:metadata":{"f:labels":{"f:test-label":{}}}}',
  ],
  [
    'a node that is itself a member carries "." first',
    '{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{"f:name":{},".":{},"f:ports":{".":{},"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{},"f:protocol":{}}},"f:image":{}}}}}}}',
    '{"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:name":{},"f:ports":{".":{},"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{},"f:protocol":{}}}}}}}}}',
  ],
  [
    'every element kind at one level, in upstream order',
    '{"i:0":{},"v:true":{},"v:\\"x\\"":{},"v:1":{},"k:{\\"port\\":80,\\"protocol\\":\\"UDP\\"}":{},"k:{\\"port\\":80,\\"protocol\\":\\"TCP\\"}":{},"f:b":{},"f:a":{}}',
    '{"f:a":{},"f:b":{},"k:{\\"port\\":80,\\"protocol\\":\\"TCP\\"}":{},"k:{\\"port\\":80,\\"protocol\\":\\"UDP\\"}":{},"v:1":{},"v:\\"x\\"":{},"v:true":{},"i:0":{}}',
  ],
  [
    'non-ASCII keys survive',
    '{"f:spec":{".":{},"f:apps":{"k:{\\"name\\":\\"app-🚀\\"}":{".":{},"f:name":{}}}}}',
    '{"f:spec":{".":{},"f:apps":{"k:{\\"name\\":\\"app-🚀\\"}":{".":{},"f:name":{}}}}}',
  ],
  ['finalizers as a set', '{"f:metadata":{"f:finalizers":{".":{},"v:\\"b\\"":{},"v:\\"a\\"":{}}}}', '{"f:metadata":{"f:finalizers":{".":{},"v:\\"a\\"":{},"v:\\"b\\"":{}}}}'],
  ['the empty set', '{}', '{}'],
];

for (const [name, input, want] of ROUND_TRIPS) {
  test(`FieldsV1 round trip: ${name}`, () => {
    assert.equal(roundTrip(input), want);
    assert.equal(roundTrip(want), want, 'the normalized form is a fixed point');
  });
}

test('a decoded set has the members and children the text says', () => {
  const s = FieldSet.fromFieldsV1({ 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:replicas': {} } });
  assert.ok(s.has(path('metadata', 'labels')));
  assert.ok(s.has(path('metadata', 'labels', 'app')));
  assert.ok(s.has(path('spec', 'replicas')));
  assert.ok(!s.has(path('spec')), 'a node with children is not a member unless "." says so');
  assert.deepEqual(s.paths().map(pathString), ['.metadata.labels', '.metadata.labels.app', '.spec.replicas']);
});

test('malformed FieldsV1 is an error', () => {
  assert.throws(() => FieldSet.fromFieldsV1({ 'k:not json': {} }));
  assert.throws(() => FieldSet.fromFieldsV1({ 'f:a': 1 }));
  assert.throws(() => FieldSet.fromFieldsV1([]));
});

test('set algebra follows upstream', () => {
  const ab = FieldSet.of(path('a', 'b'));
  const a = FieldSet.of(path('a'));
  const abc = FieldSet.of(path('a', 'b'), path('a', 'c'));
  const names = (s: FieldSet): string[] => s.paths().map(pathString);

  assert.deepEqual(names(ab.union(a)), ['.a', '.a.b']);
  assert.deepEqual(names(abc.intersection(FieldSet.of(path('a', 'c'), path('d')))), ['.a.c']);
  assert.deepEqual(names(abc.difference(FieldSet.of(path('a', 'b')))), ['.a.c']);
  assert.deepEqual(names(a.difference(ab)), ['.a'], 'parent - child = parent');
  assert.deepEqual(names(ab.difference(a)), ['.a.b'], 'a member does not remove the paths below it');
  assert.deepEqual(names(ab.recursiveDifference(a)), [], 'recursive difference does');
  assert.ok(abc.difference(abc).empty());
  assert.ok(FieldSet.of(path('x')).equals(FieldSet.fromFieldsV1({ 'f:x': {} })));
});
