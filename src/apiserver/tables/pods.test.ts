import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { podPrinter, podTemplatePrinter } from './pods.ts';

const now = new Date('2026-03-01T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();

function pod(over: { metadata?: any; spec?: any; status?: any }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', creationTimestamp: ago(300), ...over.metadata },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ...over.spec },
    status: over.status ?? {},
  };
}

const running = { running: { startedAt: ago(290) } };
const readyCond = { type: 'Ready', status: 'True' };

const cases: { name: string; pod: KubeObject; cells: unknown[] }[] = [
  {
    name: 'running 2/2 pod',
    pod: pod({
      spec: { nodeName: 'node-1', containers: [{ name: 'app' }, { name: 'sidecar' }] },
      status: {
        phase: 'Running',
        podIP: '10.244.0.5',
        podIPs: [{ ip: '10.244.0.5' }],
        conditions: [readyCond],
        containerStatuses: [
          { name: 'app', ready: true, restartCount: 0, state: running },
          { name: 'sidecar', ready: true, restartCount: 0, state: running },
        ],
      },
    }),
    cells: ['web-1', '2/2', 'Running', '0', '5m', '10.244.0.5', 'node-1', '<none>', '<none>'],
  },
  {
    name: 'crash looping container shows the reason and when it last restarted',
    pod: pod({
      spec: { nodeName: 'node-1' },
      status: {
        phase: 'Running',
        podIP: '10.244.0.6',
        containerStatuses: [
          {
            name: 'app',
            ready: false,
            restartCount: 5,
            state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(30) } },
          },
        ],
      },
    }),
    cells: ['web-1', '0/1', 'CrashLoopBackOff', '5 (30s ago)', '5m', '10.244.0.6', 'node-1', '<none>', '<none>'],
  },
  {
    name: 'terminating pod',
    pod: pod({
      metadata: { deletionTimestamp: ago(-30), deletionGracePeriodSeconds: 30 },
      spec: { nodeName: 'node-1' },
      status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }] },
    }),
    cells: ['web-1', '1/1', 'Terminating', '0', '5m', '<none>', 'node-1', '<none>', '<none>'],
  },
  {
    name: 'deleted pod on a lost node is Unknown',
    pod: pod({
      metadata: { deletionTimestamp: ago(10) },
      status: { phase: 'Running', reason: 'NodeLost', containerStatuses: [{ name: 'app', ready: true, state: running }] },
    }),
    cells: ['web-1', '1/1', 'Unknown', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'completed pod',
    pod: pod({
      status: {
        phase: 'Succeeded',
        containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
      },
    }),
    cells: ['web-1', '0/1', 'Completed', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'a completed container while another still runs and the pod is ready',
    pod: pod({
      spec: { containers: [{ name: 'once' }, { name: 'app' }] },
      status: {
        phase: 'Running',
        conditions: [readyCond],
        containerStatuses: [
          { name: 'once', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          { name: 'app', ready: true, state: running },
        ],
      },
    }),
    cells: ['web-1', '1/2', 'Running', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'a completed container while another still runs, pod not ready',
    pod: pod({
      spec: { containers: [{ name: 'once' }, { name: 'app' }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: [
          { name: 'once', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          { name: 'app', ready: true, state: running },
        ],
      },
    }),
    cells: ['web-1', '1/2', 'NotReady', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'pending, not scheduled yet',
    pod: pod({ status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] } }),
    cells: ['web-1', '0/1', 'Pending', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'scheduling gated',
    pod: pod({ status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] } }),
    cells: ['web-1', '0/1', 'SchedulingGated', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'container creating',
    pod: pod({
      spec: { nodeName: 'node-1' },
      status: { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, state: { waiting: { reason: 'ContainerCreating' } } }] },
    }),
    cells: ['web-1', '0/1', 'ContainerCreating', '0', '5m', '<none>', 'node-1', '<none>', '<none>'],
  },
  {
    name: 'evicted pod keeps its status reason',
    pod: pod({
      status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' },
    }),
    cells: ['web-1', '0/1', 'Evicted', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'container killed by a signal without a reason',
    pod: pod({
      status: { phase: 'Failed', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 137, signal: 9 } } }] },
    }),
    cells: ['web-1', '0/1', 'Signal:9', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'container exited non-zero without a reason',
    pod: pod({
      status: { phase: 'Failed', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 3 } } }] },
    }),
    cells: ['web-1', '0/1', 'ExitCode:3', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  },
];

const initSpec = { initContainers: [{ name: 'init-a' }, { name: 'init-b' }] };
const initCases: { name: string; statuses: any[]; status: string; restarts?: string }[] = [
  {
    name: 'first init container running',
    statuses: [
      { name: 'init-a', state: running },
      { name: 'init-b', state: { waiting: { reason: 'PodInitializing' } } },
    ],
    status: 'Init:0/2',
  },
  {
    name: 'second init container running',
    statuses: [
      { name: 'init-a', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      { name: 'init-b', state: running },
    ],
    status: 'Init:1/2',
  },
  {
    name: 'init container crash looping',
    statuses: [
      {
        name: 'init-a',
        restartCount: 3,
        state: { waiting: { reason: 'CrashLoopBackOff' } },
        lastState: { terminated: { exitCode: 1, finishedAt: ago(125) } },
      },
    ],
    status: 'Init:CrashLoopBackOff',
    restarts: '3 (2m5s ago)',
  },
  { name: 'init container failed', statuses: [{ name: 'init-a', state: { terminated: { exitCode: 1, reason: 'Error' } } }], status: 'Init:Error' },
  { name: 'init container exit code', statuses: [{ name: 'init-a', state: { terminated: { exitCode: 2 } } }], status: 'Init:ExitCode:2' },
  { name: 'init container signal', statuses: [{ name: 'init-a', state: { terminated: { exitCode: 1, signal: 15 } } }], status: 'Init:Signal:15' },
];

test('pod cells', () => {
  for (const c of cases) assert.deepEqual(podPrinter.print(c.pod, { now }), c.cells, c.name);
});

test('pod init progress', () => {
  for (const c of initCases) {
    const p = pod({ spec: initSpec, status: { phase: 'Pending', initContainerStatuses: c.statuses, containerStatuses: [] } });
    const cells = podPrinter.print(p, { now });
    assert.equal(cells[2], c.status, c.name);
    assert.equal(cells[3], c.restarts ?? '0', c.name);
    assert.equal(cells[1], '0/1', c.name);
  }
});

test('sidecar init containers count as containers and their restarts survive initialization', () => {
  const p = pod({
    spec: { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }, { name: 'migrate' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }, readyCond],
      initContainerStatuses: [
        {
          name: 'proxy',
          started: true,
          ready: true,
          restartCount: 2,
          state: running,
          lastState: { terminated: { exitCode: 1, finishedAt: ago(600) } },
        },
        { name: 'migrate', restartCount: 1, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      ],
      containerStatuses: [{ name: 'app', ready: true, restartCount: 1, state: running, lastState: { terminated: { exitCode: 1, finishedAt: ago(60) } } }],
    },
  });
  const cells = podPrinter.print(p, { now });
  // The non-sidecar init container's restart is not counted once the pod is initialized.
  assert.deepEqual(cells.slice(0, 4), ['web-1', '2/2', 'Running', '3 (60s ago)']);
});

test('pod wide columns: first of podIPs, nominated node, readiness gates', () => {
  const p = pod({
    spec: { readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] },
    status: {
      phase: 'Pending',
      podIPs: [{ ip: 'fd00::5' }, { ip: '10.0.0.5' }],
      nominatedNodeName: 'node-2',
      conditions: [
        { type: 'example.com/lb', status: 'True' },
        { type: 'example.com/dns', status: 'False' },
      ],
    },
  });
  assert.deepEqual(podPrinter.print(p, { now }).slice(5), ['fd00::5', '<none>', 'node-2', '1/2']);
});

test('finished pods carry a Completed row condition', () => {
  assert.deepEqual(podPrinter.conditions!(pod({ status: { phase: 'Succeeded' } }))?.[0]?.reason, 'Succeeded');
  assert.deepEqual(podPrinter.conditions!(pod({ status: { phase: 'Failed' } }))?.[0]?.type, 'Completed');
  assert.equal(podPrinter.conditions!(pod({ status: { phase: 'Running' } })), undefined);
});

test('pod columns', () => {
  assert.deepEqual(
    podPrinter.columns.map((c) => [c.name, c.type, c.priority]),
    [
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Status', 'string', 0],
      ['Restarts', 'string', 0],
      ['Age', 'string', 0],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ],
  );
  assert.equal(podPrinter.columns[0].format, 'name');
});

test('pod template cells', () => {
  const t: KubeObject = {
    metadata: { name: 'tpl' },
    template: { metadata: { labels: { b: '2', a: '1' } }, spec: { containers: [{ name: 'a', image: 'x:1' }, { name: 'b', image: 'y:2' }] } },
  };
  assert.deepEqual(podTemplatePrinter.print(t, { now }), ['tpl', 'a,b', 'x:1,y:2', 'a=1,b=2']);
});
