// The agent's Node: pure status building (capacity, allocatable after eviction reserves, stable
// transition times) and registration + lease + status writes against an in-process ApiServer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../store/memory.ts';
import { silentLogger } from '../base/log.ts';
import { ApiServer } from '../apiserver/server.ts';
import { ApiClient } from '../client/client.ts';
import { InProcessTransport } from '../client/inprocess-transport.ts';
import { buildNodeStatus, NodeHeartbeat, pickInternalIP, statusChanged, type HostFacts, type NodeHealth, type NodeShape } from './node.ts';

const facts: HostFacts = {
  hostname: 'h1',
  internalIP: '192.0.2.10',
  cpus: 2,
  memoryBytes: 4 * 1024 * 1024 * 1024,
  ephemeralStorageBytes: 100 * 1024 * 1024 * 1024,
  kernelVersion: '6.1.0',
  osImage: 'Debian GNU/Linux 12 (bookworm)',
  architecture: 'amd64',
  machineID: 'm',
  bootID: 'b',
  systemUUID: 'u',
};
const shape: NodeShape = { name: 'n1', facts, containerRuntimeVersion: 'crun://1.8.1', agentPort: 10250, maxPods: 110, podCIDR: '10.42.0.0/24' };
const healthy: NodeHealth = { ready: true, memoryPressure: false, diskPressure: false, pidPressure: false };

test('buildNodeStatus: capacity, allocatable minus eviction reserves, addresses, nodeInfo', () => {
  const s = buildNodeStatus(shape, healthy, '2026-01-01T00:00:00Z') as any;
  assert.deepEqual(s.capacity, { cpu: '2', memory: '4194304Ki', 'ephemeral-storage': '104857600Ki', pods: '110', 'hugepages-2Mi': '0' });
  assert.equal(s.allocatable.memory, `${4194304 - 102400}Ki`);
  assert.equal(s.allocatable['ephemeral-storage'], String(Math.floor(100 * 1024 * 1024 * 1024 * 0.9)));
  assert.deepEqual(s.addresses, [{ type: 'InternalIP', address: '192.0.2.10' }, { type: 'Hostname', address: 'n1' }]);
  assert.equal(s.daemonEndpoints.kubeletEndpoint.Port, 10250);
  assert.equal(s.nodeInfo.containerRuntimeVersion, 'crun://1.8.1');
  assert.equal(s.nodeInfo.kubeletVersion, 'v1.32.0');
  const ready = s.conditions.find((c: any) => c.type === 'Ready');
  assert.equal(ready.status, 'True');
  assert.equal(ready.reason, 'KubeletReady');
});

test('buildNodeStatus keeps lastTransitionTime while a condition holds, and moves it on change', () => {
  const a = buildNodeStatus(shape, healthy, '2026-01-01T00:00:00Z');
  const b = buildNodeStatus(shape, healthy, '2026-01-01T00:00:10Z', a) as any;
  const readyB = b.conditions.find((c: any) => c.type === 'Ready');
  assert.equal(readyB.lastTransitionTime, '2026-01-01T00:00:00Z');
  assert.equal(readyB.lastHeartbeatTime, '2026-01-01T00:00:10Z');
  assert.equal(statusChanged(a, b), false, 'only heartbeat times moved');
  const c = buildNodeStatus(shape, { ...healthy, ready: false, notReadyMessage: 'network not ready' }, '2026-01-01T00:00:20Z', b) as any;
  const readyC = c.conditions.find((x: any) => x.type === 'Ready');
  assert.equal(readyC.status, 'False');
  assert.equal(readyC.message, 'network not ready');
  assert.equal(readyC.lastTransitionTime, '2026-01-01T00:00:20Z');
  assert.equal(statusChanged(b, c), true);
});

test('pickInternalIP skips loopback and agent-made interfaces', () => {
  const v4 = (address: string, internal = false) => ({ address, family: 'IPv4', internal, netmask: '', mac: '', cidr: null }) as any;
  assert.equal(pickInternalIP({ lo: [v4('127.0.0.1', true)], skiff0: [v4('10.42.0.1')], eth0: [v4('192.0.2.5')] }, (n) => n.startsWith('skiff')), '192.0.2.5');
  assert.equal(pickInternalIP({ lo: [v4('127.0.0.1', true)] }, () => false), '127.0.0.1');
});

test('NodeHeartbeat registers the node, keeps a lease, and re-registers a restarted agent', async () => {
  const backend = new MemoryBackend({ retainRevisions: 0 });
  const api = await ApiServer.start({ backend, log: silentLogger });
  try {
    const client = new ApiClient({ transport: new InProcessTransport({ handler: api, user: { name: 'system:node:n1', groups: ['system:nodes'] } }) });
    let health = healthy;
    const hb = new NodeHeartbeat({ client, shape, log: silentLogger, health: () => health });
    const node = await hb.register();
    assert.equal(node.metadata.labels!['kubernetes.io/hostname'], 'n1');
    assert.equal(node.spec!.podCIDR, '10.42.0.0/24');
    await hb.renewLease();
    const lease = await client.resource('coordination.k8s.io', 'v1', 'leases').get('kube-node-lease', 'n1');
    assert.equal(lease.spec.holderIdentity, 'n1');
    assert.equal(lease.metadata.ownerReferences?.[0]?.uid, node.metadata.uid);

    health = { ...healthy, diskPressure: true };
    await hb.syncStatus();
    const after = await client.resource('', 'v1', 'nodes').get(undefined, 'n1');
    assert.equal(after.status.conditions.find((c: any) => c.type === 'DiskPressure').status, 'True');

    // A second agent process on the same node finds it registered and refreshes it.
    const again = await new NodeHeartbeat({ client, shape: { ...shape, agentPort: 10251 }, log: silentLogger, health: () => healthy }).register();
    assert.equal(again.metadata.uid, node.metadata.uid);
    const refreshed = await client.resource('', 'v1', 'nodes').get(undefined, 'n1');
    assert.equal(refreshed.status.daemonEndpoints.kubeletEndpoint.Port, 10251);
    assert.equal(refreshed.status.conditions.find((c: any) => c.type === 'DiskPressure').status, 'False');
  } finally {
    await api.close();
    await backend.close();
  }
});
