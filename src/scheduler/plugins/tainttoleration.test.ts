import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newTaintToleration } from './tainttoleration.ts';
import { filterReasons, makeNode, makePod, nodeInfoWith, runScore } from './testutil.ts';

const cp = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };

test('TaintToleration filter: untolerated NoSchedule/NoExecute taints, upstream message', () => {
  const pl = newTaintToleration();
  const nodes = [
    nodeInfoWith(makeNode('plain')),
    nodeInfoWith(makeNode('cp', { taints: [cp] })),
    nodeInfoWith(makeNode('dedicated', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoExecute' }] })),
    nodeInfoWith(makeNode('soft', { taints: [{ key: 'soft', value: 'x', effect: 'PreferNoSchedule' }] })),
  ];
  const cases: [string, any[] | undefined, Record<string, string>][] = [
    [
      'no tolerations',
      undefined,
      {
        plain: '',
        cp: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }',
        dedicated: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {dedicated: gpu}',
        soft: '',
      },
    ],
    [
      'Exists on key with no effect tolerates every effect',
      [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' }, { key: 'dedicated', value: 'gpu' }],
      { plain: '', cp: '', dedicated: '', soft: '' },
    ],
    [
      'Equal with wrong value',
      [{ key: 'dedicated', operator: 'Equal', value: 'cpu', effect: 'NoExecute' }],
      {
        plain: '',
        cp: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }',
        dedicated: 'UnschedulableAndUnresolvable: node(s) had untolerated taint {dedicated: gpu}',
        soft: '',
      },
    ],
    ['empty key with Exists tolerates all', [{ operator: 'Exists' }], { plain: '', cp: '', dedicated: '', soft: '' }],
  ];
  for (const [name, tolerations, want] of cases) {
    assert.deepEqual(filterReasons(pl, makePod('p', { spec: tolerations ? { tolerations } : {} }), nodes), want, name);
  }
});

test('TaintToleration score: fewer untolerated PreferNoSchedule taints is better', () => {
  const pl = newTaintToleration();
  const pref = (key: string, value = '') => ({ key, value, effect: 'PreferNoSchedule' });
  const nodes = [
    nodeInfoWith(makeNode('none')),
    nodeInfoWith(makeNode('one', { taints: [pref('a')] })),
    nodeInfoWith(makeNode('two', { taints: [pref('a'), pref('b'), { key: 'hard', effect: 'NoSchedule' }] })),
  ];
  assert.deepEqual(runScore(pl, makePod('p'), nodes), { none: 100, one: 50, two: 0 });
  // Tolerating "a" (no effect = all effects) leaves only "b".
  assert.deepEqual(runScore(pl, makePod('p', { spec: { tolerations: [{ key: 'a', operator: 'Exists' }] } }), nodes), { none: 100, one: 100, two: 0 });
  // A toleration for another effect does not count.
  assert.deepEqual(runScore(pl, makePod('p', { spec: { tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoSchedule' }] } }), nodes), {
    none: 100,
    one: 50,
    two: 0,
  });
  // No PreferNoSchedule taint on any candidate: every node would score the same, so it is skipped.
  assert.deepEqual(runScore(pl, makePod('p'), [nodes[0]!]), { none: 0 });
});

test('TaintToleration events: a node losing the blocking taint requeues', () => {
  const pl = newTaintToleration();
  const ev = pl.eventsToRegister().find((e) => e.event.action === 'UpdateNodeTaint')!;
  const pod = makePod('p');
  assert.equal(ev.hint!(pod, makeNode('n', { taints: [cp] }), makeNode('n')), 'Queue');
  assert.equal(ev.hint!(pod, makeNode('n'), makeNode('n', { taints: [cp] })), 'QueueSkip');
  assert.equal(ev.hint!(pod, makeNode('n'), makeNode('n')), 'QueueSkip');
  const add = pl.eventsToRegister().find((e) => e.event.action === 'Add')!;
  assert.equal(add.hint!(pod, undefined, makeNode('n')), 'Queue');
});
