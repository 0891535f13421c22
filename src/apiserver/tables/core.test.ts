import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import {
  componentStatusPrinter,
  configMapPrinter,
  namespacePrinter,
  nodePrinter,
  resourceQuotaPrinter,
  secretPrinter,
  serviceAccountPrinter,
} from './core.ts';
import { eventPrinter } from './events.ts';

const now = new Date('2026-03-01T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();
const meta = (name: string, extra: object = {}) => ({ name, creationTimestamp: ago(20 * 86400), ...extra });

test('node printer', () => {
  const node = (labels: Record<string, string>, spec: object, conditions: object[], addresses: object[] = []): KubeObject => ({
    metadata: meta('node-1', { labels }),
    spec,
    status: {
      conditions,
      addresses,
      nodeInfo: { kubeletVersion: 'v1.32.0-skiff', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0-18-amd64', containerRuntimeVersion: 'crun://1.14' },
    },
  });
  const ready = { type: 'Ready', status: 'True' };
  const cases: { name: string; obj: KubeObject; cells: unknown[] }[] = [
    {
      name: 'ready control-plane node',
      obj: node(
        { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/master': 'true', 'kubernetes.io/hostname': 'node-1' },
        {},
        [{ type: 'MemoryPressure', status: 'False' }, ready],
        [
          { type: 'Hostname', address: 'node-1' },
          { type: 'InternalIP', address: '192.168.1.10' },
        ],
      ),
      cells: ['node-1', 'Ready', 'control-plane,master', '20d', 'v1.32.0-skiff', '192.168.1.10', '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.1.0-18-amd64', 'crun://1.14'],
    },
    {
      name: 'cordoned worker',
      obj: node({ 'kubernetes.io/role': 'worker', 'node-role.kubernetes.io/': '' }, { unschedulable: true }, [ready], [
        { type: 'ExternalIP', address: '203.0.113.4' },
      ]),
      cells: ['node-1', 'Ready,SchedulingDisabled', 'worker', '20d', 'v1.32.0-skiff', '<none>', '203.0.113.4', 'Debian GNU/Linux 12 (bookworm)', '6.1.0-18-amd64', 'crun://1.14'],
    },
    {
      name: 'not ready node',
      obj: node({}, {}, [{ type: 'Ready', status: 'Unknown' }]),
      cells: ['node-1', 'NotReady', '<none>', '20d', 'v1.32.0-skiff', '<none>', '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.1.0-18-amd64', 'crun://1.14'],
    },
  ];
  for (const c of cases) assert.deepEqual(nodePrinter.print(c.obj, { now }), c.cells, c.name);
  const fresh: KubeObject = { metadata: meta('new'), spec: { unschedulable: true } };
  assert.deepEqual(nodePrinter.print(fresh, { now }), ['new', 'Unknown,SchedulingDisabled', '<none>', '20d', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
});

test('namespace, configmap, secret, service account printers', () => {
  assert.deepEqual(namespacePrinter.print({ metadata: meta('default'), status: { phase: 'Active' } }, { now }), ['default', 'Active', '20d']);
  assert.deepEqual(namespacePrinter.print({ metadata: meta('gone'), status: { phase: 'Terminating' } }, { now })[1], 'Terminating');
  assert.deepEqual(configMapPrinter.print({ metadata: meta('cfg'), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }, { now }), ['cfg', 3, '20d']);
  assert.deepEqual(configMapPrinter.print({ metadata: meta('empty') }, { now }), ['empty', 0, '20d']);
  assert.deepEqual(secretPrinter.print({ metadata: meta('tls'), type: 'kubernetes.io/tls', data: { 'tls.crt': 'x', 'tls.key': 'y' } }, { now }), [
    'tls',
    'kubernetes.io/tls',
    2,
    '20d',
  ]);
  assert.deepEqual(serviceAccountPrinter.print({ metadata: meta('default') }, { now }), ['default', 0, '20d']);
  assert.deepEqual(serviceAccountPrinter.print({ metadata: meta('builder'), secrets: [{ name: 'builder-token' }] }, { now })[1], 1);
});

test('resource quota printer', () => {
  const rq: KubeObject = {
    metadata: meta('compute'),
    spec: { hard: { pods: '10' } },
    status: {
      hard: { 'limits.memory': '2Gi', pods: '10', 'requests.cpu': '1', 'limits.cpu': '2', configmaps: '5' },
      used: { 'limits.memory': '0.5Gi', pods: '3', 'requests.cpu': '0.25', configmaps: '1' },
    },
  };
  assert.deepEqual(resourceQuotaPrinter.print(rq, { now }), [
    'compute',
    'configmaps: 1/5, pods: 3/10, requests.cpu: 250m/1',
    'limits.cpu: 0/2, limits.memory: 512Mi/2Gi',
    '20d',
  ]);
  assert.deepEqual(resourceQuotaPrinter.print({ metadata: meta('new') }, { now }), ['new', '', '', '20d']);
});

test('component status printer', () => {
  assert.deepEqual(componentStatusPrinter.print({ metadata: meta('etcd-0'), conditions: [{ type: 'Healthy', status: 'True', message: 'ok' }] }, { now }), [
    'etcd-0',
    'Healthy',
    'ok',
    '',
  ]);
  assert.deepEqual(componentStatusPrinter.print({ metadata: meta('x') }, { now }), ['x', 'Unknown', '', '']);
});

test('event printer, core/v1 and events.k8s.io/v1', () => {
  const core: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: meta('web-1.17f0a', { namespace: 'default' }),
    involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', fieldPath: 'spec.containers{app}' },
    reason: 'BackOff',
    message: 'Back-off restarting failed container app in pod web-1\n',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: ago(600),
    lastTimestamp: ago(45),
    count: 7,
    type: 'Warning',
  };
  assert.deepEqual(eventPrinter.print(core, { now }), [
    '45s',
    'Warning',
    'BackOff',
    'pod/web-1',
    'spec.containers{app}',
    'kubelet, node-1',
    'Back-off restarting failed container app in pod web-1',
    '10m',
    7,
    'web-1.17f0a',
  ]);

  const singleton: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: meta('sched.1', { namespace: 'default' }),
    involvedObject: { kind: 'Pod', name: 'web-2' },
    reason: 'Scheduled',
    message: 'Successfully assigned default/web-2 to node-1',
    eventTime: ago(90) + '',
    reportingComponent: 'default-scheduler',
    reportingInstance: 'default-scheduler-node-1',
    type: 'Normal',
  };
  assert.deepEqual(eventPrinter.print(singleton, { now }), [
    '90s',
    'Normal',
    'Scheduled',
    'pod/web-2',
    '',
    'default-scheduler, default-scheduler-node-1',
    'Successfully assigned default/web-2 to node-1',
    '90s',
    1,
    'sched.1',
  ]);

  const series: KubeObject = {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: meta('node-1.abc'),
    regarding: { kind: 'Node', name: 'node-1' },
    reason: 'NodeNotReady',
    note: 'Node node-1 status is now: NodeNotReady',
    eventTime: ago(3 * 3600),
    series: { count: 12, lastObservedTime: ago(125) },
    reportingController: 'node-controller',
    type: 'Normal',
  };
  assert.deepEqual(eventPrinter.print(series, { now }), [
    '2m5s',
    'Normal',
    'NodeNotReady',
    'node/node-1',
    '',
    'node-controller',
    'Node node-1 status is now: NodeNotReady',
    '3h',
    12,
    'node-1.abc',
  ]);

  assert.deepEqual(
    eventPrinter.columns.map((c) => [c.name, c.priority]),
    [['Last Seen', 0], ['Type', 0], ['Reason', 0], ['Object', 0], ['Subobject', 1], ['Source', 1], ['Message', 0], ['First Seen', 1], ['Count', 1], ['Name', 1]],
  );
});
