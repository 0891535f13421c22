// The whole scheduler against the real API server, in-process on the memory backend, through
// the client's InProcessTransport and informers: what users see (bindings, the PodScheduled
// condition, FailedScheduling/Scheduled events, preemption) from real API objects; and leader
// election on a Lease.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { KubeObject } from '../api/types.ts';
import { ApiServer } from '../apiserver/server.ts';
import { silentLogger } from '../base/log.ts';
import { ApiClient } from '../client/client.ts';
import { SharedInformerFactory } from '../client/factory.ts';
import { FakeClock } from '../client/fake-clock.ts';
import type { SharedInformer } from '../client/informer.ts';
import { InProcessTransport } from '../client/inprocess-transport.ts';
import { MemoryBackend } from '../store/memory.ts';
import { type RunningScheduler, startScheduler } from './run.ts';

let backend: MemoryBackend;
let server: ApiServer;
let client: ApiClient;
let informers: SharedInformerFactory;
let running: RunningScheduler;
let events: SharedInformer<KubeObject>;
let pods: SharedInformer<KubeObject>;
const ac = new AbortController();
// The scheduler's own time (backoff, queue flushes) is fake: tests move it, nothing waits for it.
const clock = new FakeClock();

before(async () => {
  backend = new MemoryBackend({ retainRevisions: 0 });
  server = await ApiServer.start({ backend, log: silentLogger });
  server.setReady();
  client = new ApiClient({ transport: new InProcessTransport({ handler: server, user: { name: 'system:kube-scheduler', groups: ['system:masters'] } }) });
  informers = new SharedInformerFactory({ client, log: silentLogger });
  events = informers.informer('', 'v1', 'events');
  pods = informers.informer('', 'v1', 'pods');
  running = startScheduler({ client, informers, log: silentLogger, clock, signal: ac.signal, random: () => 0.5 });
  assert.ok(await running.ready);
  assert.ok(await events.whenSynced(ac.signal));
});

after(async () => {
  ac.abort();
  await running.done;
  await informers.shutdown();
  await server.close();
  await backend.close();
});

/** Resolves when `check` passes on the informer's objects; fails the test after 10 s without (a deadline, not a sleep). */
function until<T>(informer: SharedInformer<KubeObject>, check: () => T | undefined, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const first = check();
    if (first !== undefined) return resolve(first);
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}`));
    }, 10_000);
    const test = () => {
      const v = check();
      if (v === undefined) return;
      clearTimeout(timer);
      off();
      resolve(v);
    };
    const off = informer.addEventHandler({ onAdd: test, onUpdate: test });
  });
}

const nodes = () => client.resource('', 'v1', 'nodes');
const podsApi = () => client.resource('', 'v1', 'pods');

async function createNode(name: string, cpu: string, extra: { labels?: Record<string, string>; taints?: unknown[] } = {}): Promise<void> {
  const created = await nodes().create(undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(extra.labels ?? {}) } }, spec: extra.taints ? { taints: extra.taints } : {} });
  const alloc = { cpu, memory: '8Gi', pods: '110' };
  await nodes().updateStatus(undefined, { ...created, status: { capacity: alloc, allocatable: alloc, conditions: [{ type: 'Ready', status: 'True' }] } });
}

function podObj(name: string, cpu: string, spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu } } }], ...spec } };
}

const podNamed = (name: string) => pods.lister.get('default', name);
const eventFor = (name: string, reason: string) => events.lister.list('default').find((e) => e.involvedObject?.name === name && e.reason === reason);

test('an over-large pod stays Pending with the upstream message, then schedules when a node that fits is added', async () => {
  await createNode('small', '1');
  await createNode('cp1', '8', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] });
  await createNode('cp2', '8', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] });
  await podsApi().create('default', podObj('big', '2'));

  const expected =
    '0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. ' +
    'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling..';
  const cond = await until(pods, () => (podNamed('big')?.status?.conditions ?? []).find((c: { type: string; reason?: string }) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'), 'the Unschedulable condition');
  assert.equal(cond.status, 'False');
  assert.equal(cond.message, expected);
  const failed = await until(events, () => eventFor('big', 'FailedScheduling'), 'the FailedScheduling event');
  assert.equal(failed.type, 'Warning');
  assert.equal(failed.message, expected);
  assert.equal(podNamed('big')?.status?.phase, 'Pending');

  await createNode('large', '4');
  // The node event moves the pod out of the unschedulable pool; its 1 s backoff then passes.
  await clock.advance(1000);
  const bound = await until(pods, () => podNamed('big')?.spec?.nodeName, 'the binding');
  assert.equal(bound, 'large');
  const scheduled = await until(events, () => eventFor('big', 'Scheduled'), 'the Scheduled event');
  assert.equal(scheduled.type, 'Normal');
  assert.equal(scheduled.message, 'Successfully assigned default/big to large');
  const podScheduled = (podNamed('big')?.status?.conditions ?? []).find((c: { type: string }) => c.type === 'PodScheduled');
  assert.equal(podScheduled.status, 'True');
});

test('nodeSelector, resources and other schedulers: many pods bound where they fit', async () => {
  await createNode('zone-a-1', '2', { labels: { zone: 'a' } });
  await createNode('zone-a-2', '2', { labels: { zone: 'a' } });
  for (let i = 0; i < 6; i++) await podsApi().create('default', podObj(`sel-${i}`, '500m', { nodeSelector: { zone: 'a' } }));
  await podsApi().create('default', podObj('not-ours', '100m', { schedulerName: 'other-scheduler' }));
  const names = Array.from({ length: 6 }, (_, i) => `sel-${i}`);
  await until(pods, () => (names.every((n) => podNamed(n)?.spec?.nodeName) ? true : undefined), 'all six bound');
  const placed = names.map((n) => podNamed(n)!.spec.nodeName as string);
  assert.ok(placed.every((n) => n.startsWith('zone-a-')), placed.join(','));
  const perNode = placed.reduce<Record<string, number>>((m, n) => ((m[n] = (m[n] ?? 0) + 1), m), {});
  assert.ok(Object.values(perNode).every((c) => c <= 4), 'no node over its 2 cpu');
  assert.equal(podNamed('not-ours')?.spec?.nodeName, undefined);
  assert.equal(eventFor('not-ours', 'FailedScheduling'), undefined);
});

test('preemption through the API: the victim gets DisruptionTarget and is deleted, the preemptor is nominated and then bound', async () => {
  await client.resource('scheduling.k8s.io', 'v1', 'priorityclasses').create(undefined, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'critical' }, value: 1_000_000 });
  await createNode('solo', '1', { labels: { pool: 'solo' } });
  await podsApi().create('default', podObj('victim', '1', { nodeSelector: { pool: 'solo' } }));
  await until(pods, () => podNamed('victim')?.spec?.nodeName, 'the victim bound');
  await podsApi().create('default', podObj('vip', '1', { nodeSelector: { pool: 'solo' }, priorityClassName: 'critical' }));

  // Bound pods are deleted gracefully: the victim gets a deletionTimestamp (no kubelet here to finish it).
  const dying = await until(pods, () => (podNamed('victim')?.metadata.deletionTimestamp ? podNamed('victim') : undefined), 'the victim being deleted');
  const dt = (dying!.status?.conditions ?? []).find((c: { type: string }) => c.type === 'DisruptionTarget');
  assert.equal(dt?.reason, 'PreemptionByScheduler');
  await until(pods, () => podNamed('vip')?.status?.nominatedNodeName, 'the nomination');
  assert.equal(podNamed('vip')!.status.nominatedNodeName, 'solo');
  await until(events, () => eventFor('victim', 'Preempted'), 'the Preempted event');

  // Play the kubelet: finish the deletion.
  await podsApi().delete('default', 'victim', { gracePeriodSeconds: 0 });
  await until(pods, () => (podNamed('victim') ? undefined : true), 'the victim gone');
  await clock.advance(10_000);
  const node = await until(pods, () => podNamed('vip')?.spec?.nodeName, 'the preemptor bound');
  assert.equal(node, 'solo');
});

test('with leader election, the scheduler takes the kube-system/kube-scheduler Lease and schedules its profile', async () => {
  const ac2 = new AbortController();
  const factory = new SharedInformerFactory({ client, log: silentLogger });
  const second = startScheduler({
    client,
    informers: factory,
    log: silentLogger,
    signal: ac2.signal,
    profiles: [{ schedulerName: 'elected-scheduler' }],
    leaderElection: { identity: 'scheduler-test-1' },
  });
  try {
    assert.ok(await second.ready);
    await createNode('le-node', '1', { labels: { pool: 'le' } });
    await podsApi().create('default', podObj('elected', '100m', { schedulerName: 'elected-scheduler', nodeSelector: { pool: 'le' } }));
    assert.equal(await until(pods, () => podNamed('elected')?.spec?.nodeName, 'the elected scheduler binding'), 'le-node');
    const lease = await client.resource('coordination.k8s.io', 'v1', 'leases').get('kube-system', 'kube-scheduler');
    assert.equal(lease.spec?.holderIdentity, 'scheduler-test-1');
  } finally {
    ac2.abort();
    await second.done;
    await factory.shutdown();
  }
  const released = await client.resource('coordination.k8s.io', 'v1', 'leases').get('kube-system', 'kube-scheduler');
  assert.ok(!released.spec?.holderIdentity, 'released on shutdown');
});

test('a pod waiting for its PersistentVolumeClaim is retried when the claim appears bound', async () => {
  await createNode('pvc-node', '1', { labels: { pool: 'pvc' } });
  await podsApi().create(
    'default',
    podObj('with-claim', '100m', { nodeSelector: { pool: 'pvc' }, volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] }),
  );
  const cond = await until(pods, () => (podNamed('with-claim')?.status?.conditions ?? []).find((c: { type: string; reason?: string }) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'), 'the Unschedulable condition');
  const n = (await nodes().list(undefined)).items.length;
  assert.equal(cond.message, `0/${n} nodes are available: persistentvolumeclaim "data" not found. preemption: 0/${n} nodes are available: ${n} Preemption is not helpful for scheduling..`);
  await client.resource('', 'v1', 'persistentvolumeclaims').create('default', {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace: 'default' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeName: 'pv-data' },
  });
  await clock.advance(10_000);
  assert.equal(await until(pods, () => podNamed('with-claim')?.spec?.nodeName, 'the binding'), 'pvc-node');
});
