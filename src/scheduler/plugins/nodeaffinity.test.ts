import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newNodeAffinity } from './nodeaffinity.ts';
import { filterReasons, makeNode, makePod, nodeInfoWith, runScore } from './testutil.ts';

const NOT_MATCH = "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector";

const nodes = [
  nodeInfoWith(makeNode('a', { labels: { zone: 'z1', gpu: 'true', cores: '8' } })),
  nodeInfoWith(makeNode('b', { labels: { zone: 'z2', cores: '32' } })),
  nodeInfoWith(makeNode('c', { labels: { zone: 'z3' } })),
];

function required(...terms: any[]) {
  return { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } };
}

test('NodeAffinity filter: nodeSelector and required terms', () => {
  const pl = newNodeAffinity();
  const cases: [string, any, Record<string, string>][] = [
    ['nothing required: PreFilter skips', {}, { a: '', b: '', c: '' }],
    ['nodeSelector', { nodeSelector: { zone: 'z2' } }, { a: NOT_MATCH, b: '', c: NOT_MATCH }],
    ['In', required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1', 'z3'] }] }), { a: '', b: NOT_MATCH, c: '' }],
    ['NotIn matches a missing label', required({ matchExpressions: [{ key: 'gpu', operator: 'NotIn', values: ['true'] }] }), { a: NOT_MATCH, b: '', c: '' }],
    ['Exists', required({ matchExpressions: [{ key: 'gpu', operator: 'Exists' }] }), { a: '', b: NOT_MATCH, c: NOT_MATCH }],
    ['DoesNotExist', required({ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }), { a: NOT_MATCH, b: '', c: '' }],
    ['Gt', required({ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['10'] }] }), { a: NOT_MATCH, b: '', c: NOT_MATCH }],
    ['Lt', required({ matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['10'] }] }), { a: '', b: NOT_MATCH, c: NOT_MATCH }],
    [
      'terms are ORed',
      required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] }, { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] }),
      { a: '', b: '', c: NOT_MATCH },
    ],
    [
      'nodeSelector AND affinity',
      { nodeSelector: { zone: 'z1' }, ...required({ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] }) },
      { a: NOT_MATCH, b: NOT_MATCH, c: NOT_MATCH },
    ],
    ['an empty term matches nothing', required({}), { a: NOT_MATCH, b: NOT_MATCH, c: NOT_MATCH }],
    ['an invalid term matches nothing', required({ matchExpressions: [{ key: 'zone', operator: 'In', values: [] }] }), { a: NOT_MATCH, b: NOT_MATCH, c: NOT_MATCH }],
    [
      'matchFields narrows to named nodes',
      required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['b'] }] }),
      { a: 'UnschedulableAndUnresolvable: not in PreFilterResult', b: '', c: 'UnschedulableAndUnresolvable: not in PreFilterResult' },
    ],
    [
      'matchFields NotIn',
      required({ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['b'] }] }),
      { a: '', b: NOT_MATCH, c: '' },
    ],
    [
      'a term without matchFields disables narrowing',
      required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['b'] }] }, { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z3'] }] }),
      { a: NOT_MATCH, b: '', c: '' },
    ],
  ];
  for (const [name, spec, want] of cases) assert.deepEqual(filterReasons(pl, makePod('p', { spec }), nodes), want, name);
});

test('NodeAffinity PreFilter: conflicting metadata.name terms', () => {
  const pl = newNodeAffinity();
  const spec = required({
    matchFields: [
      { key: 'metadata.name', operator: 'In', values: ['a'] },
      { key: 'metadata.name', operator: 'In', values: ['b'] },
    ],
  });
  assert.deepEqual(filterReasons(pl, makePod('p', { spec }), nodes), { preFilter: 'UnschedulableAndUnresolvable: pod affinity terms conflict' });
});

test('NodeAffinity addedAffinity from the profile', () => {
  const pl = newNodeAffinity({
    addedAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['z3'] }] }] },
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z2'] }] } }],
    },
  });
  assert.deepEqual(filterReasons(pl, makePod('p'), nodes), {
    a: '',
    b: '',
    c: "UnschedulableAndUnresolvable: node(s) didn't match scheduler-enforced node affinity",
  });
  assert.deepEqual(runScore(pl, makePod('p'), nodes), { a: 0, b: 100, c: 0 });
});

test('NodeAffinity score: summed weights of preferred terms, normalized', () => {
  const pl = newNodeAffinity();
  const preferred = (terms: any[]) => ({ affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: terms } } });
  const spec = preferred([
    { weight: 2, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] } },
    { weight: 4, preference: { matchExpressions: [{ key: 'cores', operator: 'Exists' }] } },
    { weight: 5, preference: {} },
  ]);
  assert.deepEqual(runScore(pl, makePod('p', { spec }), nodes), { a: 100, b: 66, c: 0 });
  assert.deepEqual(runScore(pl, makePod('p'), nodes), { a: 0, b: 0, c: 0 }, 'no preferences: skipped');
});

test('NodeAffinity events: a node starting to match requeues', () => {
  const pl = newNodeAffinity();
  const [add, label] = pl.eventsToRegister();
  const pod = makePod('p', { spec: { nodeSelector: { zone: 'z9' } } });
  assert.equal(add!.hint!(pod, undefined, makeNode('n', { labels: { zone: 'z9' } })), 'Queue');
  assert.equal(add!.hint!(pod, undefined, makeNode('n', { labels: { zone: 'z1' } })), 'QueueSkip');
  assert.equal(label!.hint!(pod, makeNode('n'), makeNode('n', { labels: { zone: 'z9' } })), 'Queue');
  assert.equal(label!.hint!(pod, makeNode('n', { labels: { zone: 'z9' } }), makeNode('n', { labels: { zone: 'z9', x: 'y' } })), 'QueueSkip');
});
