import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newNodeResourcesBalancedAllocation } from './balancedallocation.ts';
import { makeNode, makePod, nodeInfoWith, runScore } from './testutil.ts';

test('NodeResourcesBalancedAllocation: 100 × (1 − std of the requested fractions)', () => {
  const pl = newNodeResourcesBalancedAllocation();
  const nodes = [
    nodeInfoWith(makeNode('half', { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } }), [makePod('x', { requests: { cpu: '1', memory: '2Gi' } })]),
    nodeInfoWith(makeNode('big', { allocatable: { cpu: '8', memory: '8Gi', pods: '110' } })),
    nodeInfoWith(makeNode('over', { allocatable: { cpu: '1', memory: '64Gi', pods: '110' } })),
  ];
  // half: 0.5/0.5 → 100; big: 0.125/0.25 → 93; over: cpu capped at 1 vs 1/32 → 51
  assert.deepEqual(runScore(pl, makePod('p', { requests: { cpu: '1', memory: '2Gi' } }), nodes), { half: 100, big: 93, over: 51 });
  // Best-effort pods are not scored at all.
  assert.deepEqual(runScore(pl, makePod('p'), nodes), { half: 0, big: 0, over: 0 });
  // Three resources use the full standard deviation.
  const three = newNodeResourcesBalancedAllocation({
    resources: [
      { name: 'cpu', weight: 1 },
      { name: 'memory', weight: 1 },
      { name: 'example.com/gpu', weight: 1 },
    ],
  });
  const gpuNode = nodeInfoWith(makeNode('g', { allocatable: { cpu: '4', memory: '4Gi', 'example.com/gpu': '4', pods: '10' } }));
  // fractions 0.25, 0.5, 1 → mean 0.5833, std 0.3118 → 68
  assert.deepEqual(runScore(three, makePod('p', { requests: { cpu: '1', memory: '2Gi', 'example.com/gpu': '4' } }), [gpuNode]), { g: 68 });
});
