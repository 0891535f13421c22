import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newNodeUnschedulable } from './nodeunschedulable.ts';
import { filterReasons, makeNode, makePod, nodeInfoWith } from './testutil.ts';

test('NodeUnschedulable: cordoned nodes take only pods tolerating the unschedulable taint', () => {
  const pl = newNodeUnschedulable();
  const nodes = [nodeInfoWith(makeNode('open')), nodeInfoWith(makeNode('cordoned', { unschedulable: true }))];
  const cases: [string, any[] | undefined, Record<string, string>][] = [
    ['no tolerations', undefined, { open: '', cordoned: "UnschedulableAndUnresolvable: node(s) were unschedulable" }],
    ['tolerates by key', [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }], { open: '', cordoned: '' }],
    ['tolerates everything', [{ operator: 'Exists' }], { open: '', cordoned: '' }],
    ['wrong effect', [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }], { open: '', cordoned: "UnschedulableAndUnresolvable: node(s) were unschedulable" }],
  ];
  for (const [name, tolerations, want] of cases) {
    assert.deepEqual(filterReasons(pl, makePod('p', { spec: tolerations ? { tolerations } : {} }), nodes), want, name);
  }
});

test('NodeUnschedulable: an uncordoned node requeues', () => {
  const pl = newNodeUnschedulable();
  const nodeEv = pl.eventsToRegister().find((e) => e.event.resource === 'Node' && e.event.action === 'UpdateNodeTaint')!;
  const pod = makePod('p');
  assert.equal(nodeEv.hint!(pod, makeNode('n', { unschedulable: true }), makeNode('n')), 'Queue');
  assert.equal(nodeEv.hint!(pod, makeNode('n'), makeNode('n', { unschedulable: true })), 'QueueSkip');
});
