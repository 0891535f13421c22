import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newNodePorts } from './nodeports.ts';
import { filterReasons, makeNode, makePod, nodeInfoWith } from './testutil.ts';

const REJECT = "Unschedulable: node(s) didn't have free ports for the requested pod ports";

function withPorts(name: string, ports: any[], nodeName?: string) {
  return makePod(name, { ...(nodeName ? { nodeName } : {}), spec: { containers: [{ name: 'c', image: 'i', ports }] } });
}

test('NodePorts: host port conflicts', () => {
  const pl = newNodePorts();
  const nodes = [
    nodeInfoWith(makeNode('free')),
    nodeInfoWith(makeNode('any80'), [withPorts('x', [{ containerPort: 80, hostPort: 80 }])]),
    nodeInfoWith(makeNode('ip53'), [withPorts('y', [{ containerPort: 53, hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.1' }])]),
  ];
  const cases: [string, any[], Record<string, string>][] = [
    ['no host ports: skipped', [{ containerPort: 80 }], { free: '', any80: '', ip53: '' }],
    ['80/TCP on any address', [{ containerPort: 8080, hostPort: 80 }], { free: '', any80: REJECT, ip53: '' }],
    ['80/UDP is a different port', [{ containerPort: 80, hostPort: 80, protocol: 'UDP' }], { free: '', any80: '', ip53: '' }],
    ['80 on a specific address still conflicts with 0.0.0.0', [{ containerPort: 80, hostPort: 80, hostIP: '10.0.0.9' }], { free: '', any80: REJECT, ip53: '' }],
    ['53/UDP on another address', [{ containerPort: 53, hostPort: 53, protocol: 'UDP', hostIP: '10.0.0.2' }], { free: '', any80: '', ip53: '' }],
    ['53/UDP on all addresses', [{ containerPort: 53, hostPort: 53, protocol: 'UDP' }], { free: '', any80: '', ip53: REJECT }],
  ];
  for (const [name, ports, want] of cases) assert.deepEqual(filterReasons(pl, withPorts('p', ports), nodes), want, name);
});

test('NodePorts events: deleting a pod holding a wanted port requeues', () => {
  const pl = newNodePorts();
  const del = pl.eventsToRegister().find((e) => e.event.action === 'Delete')!;
  const pod = withPorts('p', [{ containerPort: 80, hostPort: 80 }]);
  assert.equal(del.hint!(pod, withPorts('x', [{ containerPort: 80, hostPort: 80 }], 'n'), undefined), 'Queue');
  assert.equal(del.hint!(pod, withPorts('x', [{ containerPort: 81, hostPort: 81 }], 'n'), undefined), 'QueueSkip');
  assert.equal(del.hint!(pod, withPorts('x', [{ containerPort: 80, hostPort: 80 }]), undefined), 'QueueSkip', 'unscheduled pod');
});
