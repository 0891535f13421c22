import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../api/types.ts';
import { silentLogger } from '../../base/log.ts';
import { FakeClock } from '../../client/fake-clock.ts';
import { SchedulerCache } from './cache.ts';
import { newPodInfo } from './podinfo.ts';
import { CacheSnapshot, NodeTree } from './snapshot.ts';
import { makeNode, makePod } from './testing.ts';

function setup(ttl = 0) {
  const clock = new FakeClock();
  return { clock, cache: new SchedulerCache({ clock, log: silentLogger, assumedPodTTLMs: ttl }) };
}

function bound(pod: KubeObject, node: string): KubeObject {
  return { ...pod, spec: { ...pod.spec, nodeName: node } };
}

test('assume counts the pod on its node at once; forget undoes it', () => {
  const { cache } = setup();
  cache.addNode(makeNode('n1'));
  const pod = bound(makePod('p', { cpu: '500m' }), 'n1');
  cache.assumePod(newPodInfo(pod));
  assert.ok(cache.isAssumedPod(pod));
  assert.equal(cache.nodeInfo('n1')!.requested.milliCPU, 500);
  assert.throws(() => cache.assumePod(newPodInfo(pod)), /can't be assumed/);
  cache.forgetPod(pod);
  assert.equal(cache.isAssumedPod(pod), false);
  assert.equal(cache.nodeInfo('n1')!.requested.milliCPU, 0);
  assert.equal(cache.podCount(), 0);
});

test('the informer confirms an assumed pod (on the node it was really bound to)', () => {
  const { cache } = setup();
  cache.addNode(makeNode('n1'));
  cache.addNode(makeNode('n2'));
  const pod = makePod('p', { cpu: '1' });
  cache.assumePod(newPodInfo(bound(pod, 'n1')));
  cache.finishBinding(bound(pod, 'n1'));
  cache.addPod(bound(pod, 'n2'));
  assert.equal(cache.isAssumedPod(pod), false);
  assert.equal(cache.nodeInfo('n1')!.requested.milliCPU, 0);
  assert.equal(cache.nodeInfo('n2')!.requested.milliCPU, 1000);
  cache.removePod(bound(pod, 'n2'));
  assert.equal(cache.nodeInfo('n2')!.pods.length, 0);
});

test('an assumed pod expires after the TTL once its binding finished, never before', async () => {
  const { clock, cache } = setup(30_000);
  cache.addNode(makeNode('n1'));
  const pod = bound(makePod('p', { cpu: '1' }), 'n1');
  cache.assumePod(newPodInfo(pod));
  await clock.advance(60_000);
  cache.cleanupAssumedPods();
  assert.ok(cache.isAssumedPod(pod), 'binding still in progress: kept');
  cache.finishBinding(pod);
  await clock.advance(29_999);
  cache.cleanupAssumedPods();
  assert.ok(cache.isAssumedPod(pod));
  await clock.advance(1);
  cache.cleanupAssumedPods();
  assert.equal(cache.isAssumedPod(pod), false);
  assert.equal(cache.nodeInfo('n1')!.requested.milliCPU, 0);

  // Without a TTL (upstream's default), assumed pods never expire.
  const never = setup(0);
  never.cache.addNode(makeNode('n1'));
  never.cache.assumePod(newPodInfo(pod));
  never.cache.finishBinding(pod);
  await never.clock.advance(3_600_000);
  never.cache.cleanupAssumedPods();
  assert.ok(never.cache.isAssumedPod(pod));
});

test('snapshots copy only nodes changed since their generation and keep NodeInfo identity', () => {
  const { cache } = setup();
  for (let i = 0; i < 5; i++) cache.addNode(makeNode(`n${i}`));
  const snap = new CacheSnapshot();
  cache.updateSnapshot(snap);
  assert.equal(snap.numNodes(), 5);
  const before = snap.get('n3')!;
  const g0 = snap.generation;

  // Nothing changed: the generation stays.
  cache.updateSnapshot(snap);
  assert.equal(snap.generation, g0);

  const pod = bound(makePod('p', { cpu: '2' }), 'n3');
  cache.addPod(pod);
  assert.equal(snap.get('n3')!.requested.milliCPU, 0, 'the snapshot does not see the change yet');
  cache.updateSnapshot(snap);
  assert.ok(snap.generation > g0);
  assert.equal(snap.get('n3'), before, 'same object');
  assert.equal(before.requested.milliCPU, 2000);
  assert.ok(snap.nodeInfos().includes(before));

  // The snapshot is independent of later cache changes.
  cache.removePod(pod);
  assert.equal(before.requested.milliCPU, 2000);
  cache.updateSnapshot(snap);
  assert.equal(before.requested.milliCPU, 0);
});

test('nodes coming and going re-list the snapshot; pods seen before their node are kept', () => {
  const { cache } = setup();
  const early = bound(makePod('early', { cpu: '1' }), 'late-node');
  cache.addPod(early);
  cache.addNode(makeNode('a'));
  const snap = new CacheSnapshot();
  cache.updateSnapshot(snap);
  assert.deepEqual(snap.nodeInfos().map((n) => n.name), ['a'], 'a node known only from pods is not listed');
  cache.addNode(makeNode('late-node'));
  cache.updateSnapshot(snap);
  assert.deepEqual(snap.nodeInfos().map((n) => n.name).sort(), ['a', 'late-node']);
  assert.equal(snap.get('late-node')!.requested.milliCPU, 1000);

  cache.removeNode(makeNode('late-node'));
  cache.updateSnapshot(snap);
  assert.deepEqual(snap.nodeInfos().map((n) => n.name), ['a']);
  assert.equal(snap.get('late-node'), undefined);
  assert.equal(cache.nodeCount(), 1);
  // Its pod is still known; removing it drops the placeholder.
  assert.ok(cache.nodeInfo('late-node'));
  cache.removePod(early);
  assert.equal(cache.nodeInfo('late-node'), undefined);
});

test('affinity lists, namespace labels and image counts reach the snapshot', () => {
  const { cache } = setup();
  cache.addNode(makeNode('a', { images: [{ names: ['nginx:1.25', 'docker.io/library/nginx:1.25'], sizeBytes: 100 }] }));
  cache.addNode(makeNode('b', { images: [{ names: ['nginx:1.25'], sizeBytes: 100 }] }));
  cache.setNamespace({ metadata: { name: 'team', labels: { env: 'prod' } } });
  const snap = new CacheSnapshot();
  cache.updateSnapshot(snap);
  assert.equal(snap.imageNodeCount('nginx:1.25'), 2);
  assert.equal(snap.imageNodeCount('docker.io/library/nginx:1.25'), 1);
  assert.deepEqual(snap.namespaceLabels('team'), { env: 'prod' });
  assert.equal(snap.havePodsWithAffinity().length, 0);

  const anti = bound(
    makePod('anti', { labels: { app: 'x' }, extra: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'x' } }, topologyKey: 'kubernetes.io/hostname' }] } } } }),
    'b',
  );
  cache.addPod(anti);
  cache.removeNode(makeNode('a', { images: [{ names: ['nginx:1.25', 'docker.io/library/nginx:1.25'], sizeBytes: 100 }] }));
  cache.updateSnapshot(snap);
  assert.deepEqual(snap.havePodsWithAffinity().map((n) => n.name), ['b']);
  assert.deepEqual(snap.havePodsWithRequiredAntiAffinity().map((n) => n.name), ['b']);
  assert.equal(snap.imageNodeCount('nginx:1.25'), 1);
  assert.equal(snap.imageNodeCount('docker.io/library/nginx:1.25'), 0);

  // Incremental upkeep: the node leaves the lists when its last such pod goes.
  cache.addNode(makeNode('c'));
  const other = bound(makePod('other', { extra: { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'x' } }, topologyKey: 'kubernetes.io/hostname' }] } } } }), 'c');
  cache.addPod(other);
  cache.updateSnapshot(snap);
  assert.deepEqual(snap.havePodsWithAffinity().map((n) => n.name).sort(), ['b', 'c']);
  cache.removePod(anti);
  cache.updateSnapshot(snap);
  assert.deepEqual(snap.havePodsWithAffinity().map((n) => n.name), ['c']);
  assert.deepEqual(snap.havePodsWithRequiredAntiAffinity().map((n) => n.name), []);
});

test('the node tree interleaves zones', () => {
  const t = new NodeTree();
  const z = (name: string, zone: string) => makeNode(name, { labels: { 'topology.kubernetes.io/zone': zone } });
  for (const n of [z('a1', 'a'), z('a2', 'a'), z('a3', 'a'), z('b1', 'b'), z('c1', 'c'), z('c2', 'c')]) t.add(n);
  assert.deepEqual(t.list(), ['a1', 'b1', 'c1', 'a2', 'c2', 'a3']);
  t.update(z('a1', 'c'));
  assert.deepEqual(t.list(), ['a2', 'b1', 'c1', 'a3', 'c2', 'a1']);
  t.remove(z('b1', 'b'));
  assert.equal(t.numNodes, 5);
});
