// Simulated nodes against a real ApiServer in-process (memory backend) through the client's
// in-process transport: nodes registered with their shape, leases created, bound pods Running,
// graceful deletes confirmed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../store/memory.ts';
import { silentLogger } from '../base/log.ts';
import { ApiServer } from '../apiserver/server.ts';
import { ApiClient } from '../client/client.ts';
import { InProcessTransport } from '../client/inprocess-transport.ts';
import { SharedInformerFactory } from '../client/factory.ts';
import { parseLabels, parseTaints, startSimNodes } from './simnodes.ts';

test('parseLabels and parseTaints', () => {
  assert.deepEqual(parseLabels('zone=a, tier=gpu'), { zone: 'a', tier: 'gpu' });
  assert.throws(() => parseLabels('nope'), /not key=value/);
  assert.deepEqual(parseTaints('dedicated=gpu:NoSchedule,spot:PreferNoSchedule'), [
    { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
    { key: 'spot', effect: 'PreferNoSchedule' },
  ]);
  assert.throws(() => parseTaints('a=b:Sometimes'), /NoSchedule/);
});

test('simulated nodes register, hold leases, run bound pods and confirm deletes', async () => {
  const backend = new MemoryBackend({ retainRevisions: 0 });
  const api = await ApiServer.start({ backend, log: silentLogger });
  const ac = new AbortController();
  try {
    const client = new ApiClient({ transport: new InProcessTransport({ handler: api, user: { name: 'system:node:sim', groups: ['system:nodes'] } }) });
    const informers = new SharedInformerFactory({ client, log: silentLogger });
    const { names } = await startSimNodes(
      { client, informers, log: silentLogger, count: 3, cpu: '8', memory: '16Gi', labels: { zone: 'z1' }, taints: [{ key: 'sim', effect: 'NoSchedule' }] },
      ac.signal,
    );
    assert.deepEqual(names, ['sim-node-0', 'sim-node-1', 'sim-node-2']);
    const node = await client.resource('', 'v1', 'nodes').get(undefined, 'sim-node-1');
    assert.equal(node.status.allocatable.cpu, '8');
    assert.equal(node.status.allocatable.memory, '16Gi');
    assert.equal(node.metadata.labels!.zone, 'z1');
    assert.deepEqual(node.spec.taints, [{ key: 'sim', effect: 'NoSchedule' }]);
    assert.equal(node.status.conditions.find((c: any) => c.type === 'Ready').status, 'True');

    const pods = client.resource('', 'v1', 'pods');
    const podsInformer = informers.informer('', 'v1', 'pods');
    const running = new Promise<void>((resolve) =>
      podsInformer.addEventHandler({ onUpdate: (_o, p) => p.metadata.name === 'p1' && p.status?.phase === 'Running' && resolve() }),
    );
    await pods.create('default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1' }, spec: { nodeName: 'sim-node-2', containers: [{ name: 'c', image: 'busybox' }] } });
    await running;
    const p1 = await pods.get('default', 'p1');
    assert.equal(p1.status.containerStatuses[0].ready, true);
    assert.match(p1.status.podIP, /^10\.\d+\.\d+\.\d+$/);
    const lease = await client.resource('coordination.k8s.io', 'v1', 'leases').get('kube-node-lease', 'sim-node-0');
    assert.equal(lease.spec.holderIdentity, 'sim-node-0');

    const gone = new Promise<void>((resolve) => podsInformer.addEventHandler({ onDelete: (p) => p.metadata.name === 'p1' && resolve() }));
    const marked = (await pods.delete('default', 'p1')) as any;
    assert.ok(marked.metadata.deletionTimestamp); // graceful: waits for the node
    await gone;
  } finally {
    ac.abort();
    await api.close();
    await backend.close();
  }
});
