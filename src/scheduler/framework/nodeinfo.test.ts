import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { addPod, hostPortConflicts, newNodeInfo, nodeInfoClone, removePod, setNode } from './nodeinfo.ts';
import { newPodInfo } from './podinfo.ts';

const Mi = 1024 * 1024;

function node(name: string, allocatable: Record<string, string>, images: any[] = []): KubeObject {
  return { metadata: { name }, status: { allocatable, images } };
}
function pod(uid: string, requests: Record<string, string>, extra: any = {}): KubeObject {
  return { metadata: { name: uid, namespace: 'ns', uid }, spec: { containers: [{ name: 'c', image: 'i', resources: { requests }, ports: extra.ports }], affinity: extra.affinity } };
}

test('add and remove pods keep the aggregates', () => {
  const ni = newNodeInfo(node('n1', { cpu: '4', memory: '8Gi', pods: '110' }, [{ names: ['nginx:1', 'docker.io/nginx:1'], sizeBytes: 5000 }]));
  assert.equal(ni.name, 'n1');
  assert.equal(ni.allocatable.milliCPU, 4000);
  assert.equal(ni.allocatable.allowedPodNumber, 110);
  assert.equal(ni.imageSizes.get('docker.io/nginx:1'), 5000);

  const g0 = ni.generation;
  const a = newPodInfo(pod('a', { cpu: '1', memory: '1Gi', 'example.com/x': '2' }, { ports: [{ containerPort: 80, hostPort: 80 }] }));
  const b = newPodInfo(
    pod('b', {}, { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: {}, topologyKey: 'h' }] } } }),
  );
  addPod(ni, a);
  addPod(ni, b);
  assert.ok(ni.generation > g0);
  assert.equal(ni.pods.length, 2);
  assert.deepEqual(ni.podsWithAffinity.map((p) => p.pod.metadata.uid), ['b']);
  assert.deepEqual(ni.podsWithRequiredAntiAffinity.map((p) => p.pod.metadata.uid), ['b']);
  assert.equal(ni.requested.milliCPU, 1000);
  assert.equal(ni.requested.memory, 1024 * Mi);
  assert.equal(ni.requested.scalar.get('example.com/x'), 2);
  assert.deepEqual(ni.nonZeroRequested, { milliCPU: 1100, memory: 1024 * Mi + 200 * Mi });
  assert.deepEqual(ni.usedPorts, [{ ip: '0.0.0.0', protocol: 'TCP', port: 80 }]);

  const snap = nodeInfoClone(ni);
  assert.equal(removePod(ni, a.pod), true);
  assert.equal(removePod(ni, a.pod), false, 'second removal finds nothing');
  assert.equal(ni.requested.milliCPU, 0);
  assert.equal(ni.requested.scalar.get('example.com/x'), 0);
  assert.deepEqual(ni.usedPorts, []);
  assert.deepEqual(ni.nonZeroRequested, { milliCPU: 100, memory: 200 * Mi });
  // The clone is untouched.
  assert.equal(snap.pods.length, 2);
  assert.equal(snap.requested.milliCPU, 1000);
  assert.equal(snap.usedPorts.length, 1);

  removePod(ni, b.pod);
  assert.equal(ni.podsWithAffinity.length, 0);
  assert.equal(ni.podsWithRequiredAntiAffinity.length, 0);

  const g1 = ni.generation;
  setNode(ni, node('n1', { cpu: '8' }));
  assert.equal(ni.allocatable.milliCPU, 8000);
  assert.equal(ni.imageSizes.size, 0);
  assert.ok(ni.generation > g1);
});

test('a placeholder NodeInfo from a name', () => {
  const ni = newNodeInfo('n2');
  assert.equal(ni.name, 'n2');
  assert.equal(ni.allocatable.milliCPU, 0);
});

test('host port conflicts as upstream', () => {
  const used = [
    { ip: '0.0.0.0', protocol: 'TCP', port: 80 },
    { ip: '10.0.0.1', protocol: 'UDP', port: 53 },
  ];
  const cases: [string, string, number, boolean][] = [
    ['', '', 80, true],
    ['10.0.0.2', 'TCP', 80, true], // 0.0.0.0 in use covers every address
    ['0.0.0.0', 'UDP', 53, true], // any address conflicts with a specific one
    ['10.0.0.1', 'UDP', 53, true],
    ['10.0.0.2', 'UDP', 53, false],
    ['', 'UDP', 80, false],
    ['', 'TCP', 0, false],
  ];
  for (const [ip, proto, port, want] of cases) assert.equal(hostPortConflicts(used, ip, proto, port), want, `${ip}/${proto}/${port}`);
});
