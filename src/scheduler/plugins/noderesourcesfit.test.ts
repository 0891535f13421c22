import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newPodInfo } from '../framework/podinfo.ts';
import { fitsRequest, newNodeResourcesFit } from './noderesourcesfit.ts';
import { brokenLinear } from './resourceallocation.ts';
import { filterReasons, makeNode, makePod, nodeInfoWith, runScore } from './testutil.ts';

const U = 'Unschedulable: ';

test('NodeResourcesFit filter: upstream reasons', () => {
  const pl = newNodeResourcesFit({ ignoredResources: ['example.com/ignored'], ignoredResourceGroups: ['ignored.io'] });
  const node = (name: string, alloc: Record<string, string>, pods: Record<string, string>[] = []) =>
    nodeInfoWith(makeNode(name, { allocatable: alloc }), pods.map((r, i) => makePod(`${name}-${i}`, { requests: r })));
  const nodes = [
    node('roomy', { cpu: '8', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi', 'example.com/gpu': '4' }),
    node('busy', { cpu: '4', memory: '8Gi', pods: '110' }, [{ cpu: '3500m', memory: '7Gi' }]),
    node('full', { cpu: '4', memory: '8Gi', pods: '1' }, [{}]),
  ];
  const cases: [string, Record<string, string> | undefined, Record<string, string>][] = [
    ['best effort pod: only the pod count matters', undefined, { roomy: '', busy: '', full: `${U}Too many pods` }],
    ['1 cpu', { cpu: '1' }, { roomy: '', busy: `${U}Insufficient cpu`, full: `${U}Too many pods` }],
    ['cpu and memory', { cpu: '1', memory: '2Gi' }, { roomy: '', busy: `${U}Insufficient cpu, Insufficient memory`, full: `${U}Too many pods` }],
    ['exactly the rest fits', { cpu: '500m', memory: '1Gi' }, { roomy: '', busy: '', full: `${U}Too many pods` }],
    [
      'ephemeral storage',
      { 'ephemeral-storage': '1Gi' },
      { roomy: '', busy: `${U}Insufficient ephemeral-storage`, full: `${U}Too many pods, Insufficient ephemeral-storage` },
    ],
    ['extended resource', { 'example.com/gpu': '2' }, { roomy: '', busy: `${U}Insufficient example.com/gpu`, full: `${U}Too many pods, Insufficient example.com/gpu` }],
    ['ignored extended resources', { 'example.com/ignored': '1', 'ignored.io/thing': '5' }, { roomy: '', busy: '', full: `${U}Too many pods` }],
    ['hugepages are never ignored', { 'hugepages-2Mi': '2Mi' }, { roomy: `${U}Insufficient hugepages-2Mi`, busy: `${U}Insufficient hugepages-2Mi`, full: `${U}Too many pods, Insufficient hugepages-2Mi` }],
  ];
  for (const [name, requests, want] of cases) assert.deepEqual(filterReasons(pl, makePod('p', requests ? { requests } : {}), nodes), want, name);

  // Init containers and overhead count.
  const initHeavy = makePod('p', { spec: { initContainers: [{ name: 'i', image: 'i', resources: { requests: { cpu: '6' } } }] } });
  assert.deepEqual(filterReasons(pl, initHeavy, nodes.slice(0, 2)), { roomy: '', busy: `${U}Insufficient cpu` });
  const overhead = makePod('p', { requests: { cpu: '400m' }, spec: { overhead: { cpu: '200m' } } });
  assert.deepEqual(filterReasons(pl, overhead, nodes.slice(0, 2)), { roomy: '', busy: `${U}Insufficient cpu` });
});

test('fitsRequest reports requested, used and capacity', () => {
  const ni = nodeInfoWith(makeNode('n', { allocatable: { cpu: '2', memory: '1Gi', pods: '10' } }), [makePod('x', { requests: { cpu: '1500m' } })]);
  assert.deepEqual(fitsRequest(newPodInfo(makePod('p', { requests: { cpu: '1' } })).request, ni), [
    { resourceName: 'cpu', reason: 'Insufficient cpu', requested: 1000, used: 1500, capacity: 2000 },
  ]);
});

const scoreNodes = () => [
  nodeInfoWith(makeNode('half', { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } }), [makePod('x', { requests: { cpu: '1', memory: '2Gi' } })]),
  nodeInfoWith(makeNode('big', { allocatable: { cpu: '8', memory: '8Gi', pods: '110' } })),
];
const incoming = () => makePod('p', { requests: { cpu: '1', memory: '2Gi' } });

test('NodeResourcesFit score strategies', () => {
  assert.deepEqual(runScore(newNodeResourcesFit(), incoming(), scoreNodes()), { half: 50, big: 81 }, 'LeastAllocated');
  assert.deepEqual(runScore(newNodeResourcesFit({ scoringStrategy: { type: 'MostAllocated' } }), incoming(), scoreNodes()), { half: 50, big: 18 }, 'MostAllocated');
  const rtc = newNodeResourcesFit({
    scoringStrategy: {
      type: 'RequestedToCapacityRatio',
      requestedToCapacityRatio: {
        shape: [
          { utilization: 0, score: 0 },
          { utilization: 100, score: 10 },
        ],
      },
    },
  });
  assert.deepEqual(runScore(rtc, incoming(), scoreNodes()), { half: 50, big: 19 }, 'RequestedToCapacityRatio');
  const cpuHeavy = newNodeResourcesFit({
    scoringStrategy: {
      type: 'LeastAllocated',
      resources: [
        { name: 'cpu', weight: 3 },
        { name: 'memory', weight: 1 },
      ],
    },
  });
  // big: cpu 87×3 + memory 75 = 336 / 4 = 84
  assert.deepEqual(runScore(cpuHeavy, incoming(), scoreNodes()), { half: 50, big: 84 }, 'weights');
  // A pod without requests is scored with 100m / 200Mi.
  assert.deepEqual(runScore(newNodeResourcesFit(), makePod('p'), scoreNodes()), { half: 72, big: 97 }, 'non-zero defaults');
  // An extended resource the node lacks is left out instead of scoring zero.
  const withGpu = newNodeResourcesFit({
    scoringStrategy: {
      resources: [
        { name: 'cpu', weight: 1 },
        { name: 'example.com/gpu', weight: 1 },
      ],
    },
  });
  assert.deepEqual(runScore(withGpu, makePod('p', { requests: { cpu: '1', 'example.com/gpu': '1' } }), scoreNodes()), { half: 50, big: 87 }, 'missing scalar');
});

test('brokenLinear interpolates and clamps', () => {
  const f = brokenLinear([
    { utilization: 10, score: 20 },
    { utilization: 50, score: 100 },
    { utilization: 100, score: 0 },
  ]);
  assert.deepEqual([0, 10, 30, 50, 75, 100, 120].map(f), [20, 20, 60, 100, 50, 0, 0]);
});

test('NodeResourcesFit events', () => {
  const pl = newNodeResourcesFit();
  const evs = pl.eventsToRegister();
  const del = evs.find((e) => e.event.resource === 'Pod')!;
  assert.equal(del.hint!(makePod('p'), makePod('x', { nodeName: 'n' }), undefined), 'Queue');
  assert.equal(del.hint!(makePod('p'), makePod('x'), undefined), 'QueueSkip');
  const add = evs.find((e) => e.event.action === 'Add')!;
  const upd = evs.find((e) => e.event.action === 'UpdateNodeAllocatable')!;
  const pod = makePod('p', { requests: { cpu: '6' } });
  assert.equal(add.hint!(pod, undefined, makeNode('n', { allocatable: { cpu: '8', memory: '1Gi', pods: '10' } })), 'Queue');
  assert.equal(add.hint!(pod, undefined, makeNode('n', { allocatable: { cpu: '4', memory: '1Gi', pods: '10' } })), 'QueueSkip');
  const small = makeNode('n', { allocatable: { cpu: '4', memory: '1Gi', pods: '10' } });
  const grown = makeNode('n', { allocatable: { cpu: '8', memory: '1Gi', pods: '10' } });
  const memOnly = makeNode('n', { allocatable: { cpu: '8', memory: '2Gi', pods: '10' } });
  assert.equal(upd.hint!(pod, small, grown), 'Queue');
  assert.equal(upd.hint!(pod, grown, memOnly), 'QueueSkip', 'only memory grew and the pod wants no memory');
});
