import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../api/types.ts';
import { silentLogger } from '../../base/log.ts';
import { FakeClock } from '../../client/fake-clock.ts';
import { fitErrorMessage } from './diagnosis.ts';
import { addPod, setNode } from './nodeinfo.ts';
import { Nominator } from './nominator.ts';
import { newPodInfo } from './podinfo.ts';
import { Framework, type PluginEntry } from './runtime.ts';
import { type CacheSnapshot, snapshotOf } from './snapshot.ts';
import { FakeFilter, makeNode, makePod } from './testing.ts';
import { CycleState, type Plugin } from './types.ts';
import { defaultPluginEntries } from '../plugins/registry.ts';

/** A deterministic [0, 1) sequence (so two frameworks break ties identically). */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function defaultFramework(snap: () => CacheSnapshot, reuse: boolean, random: () => number, extra: Array<Plugin | PluginEntry> = []): Framework {
  const plugins = [...defaultPluginEntries({ snapshot: snap, bind: async () => {} }), ...extra];
  return new Framework({ profile: { schedulerName: 'default-scheduler', plugins }, clock: new FakeClock(), log: silentLogger, random, reuseNodeResults: reuse });
}

/** One scheduling cycle as the scheduler runs it; the pod is then added to its node (as assumed). */
function scheduleOne(f: Framework, snap: CacheSnapshot, pod: KubeObject): { host?: string; message?: string } {
  f.setSnapshot(snap);
  const pi = newPodInfo(pod);
  const state = new CycleState();
  const found = f.findNodesThatFitPod(state, pi, snap);
  assert.equal(found.error, undefined);
  if (found.feasible.length === 0) return { message: fitErrorMessage(snap.numNodes(), found.diagnosis) };
  let host: string;
  if (found.feasible.length === 1) host = found.feasible[0]!.name;
  else {
    const { totals, error } = f.prioritizeNodes(state, pi, found.feasible);
    assert.equal(error, undefined);
    host = f.selectHost(found.feasible, totals)!.name;
  }
  addPod(snap.get(host)!, newPodInfo({ ...pod, spec: { ...pod.spec, nodeName: host } }));
  return { host };
}

function cluster(n: number): KubeObject[] {
  const rnd = seeded(7);
  return Array.from({ length: n }, (_, i) => {
    const r = rnd();
    return makeNode(`n${i}`, {
      cpu: String(1 + Math.floor(rnd() * 4)),
      memory: `${2 + Math.floor(rnd() * 6)}Gi`,
      pods: String(3 + Math.floor(rnd() * 8)),
      labels: { zone: `z${i % 3}`, disk: rnd() < 0.5 ? 'ssd' : 'hdd' },
      ...(r < 0.1 ? { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] } : r < 0.2 ? { taints: [{ key: 'spot', effect: 'PreferNoSchedule' }] } : {}),
      ...(r > 0.95 ? { unschedulable: true } : {}),
    });
  });
}

const SHAPES: Array<(i: number) => KubeObject> = [
  (i) => makePod(`small-${i}`, { cpu: '100m', memory: '128Mi' }),
  (i) => makePod(`big-${i}`, { cpu: '900m', memory: '1Gi' }),
  (i) => makePod(`tol-${i}`, { cpu: '200m', extra: { tolerations: [{ key: 'dedicated', operator: 'Exists' }] } }),
  (i) => makePod(`ssd-${i}`, { cpu: '300m', memory: '512Mi', extra: { nodeSelector: { disk: 'ssd' } } }),
  (i) => makePod(`port-${i}`, { cpu: '50m', extra: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }] }] } }),
  (i) => makePod(`none-${i}`),
];

test('reusing node results picks exactly the nodes (and prints exactly the failures) computing everything does', () => {
  // Over 100 nodes, so only part of the list is filtered per pod and the round-robin start moves.
  const nodes = cluster(240);
  const snapA = snapshotOf(nodes);
  const snapB = snapshotOf(nodes);
  const memo = defaultFramework(() => snapA, true, seeded(42));
  const plain = defaultFramework(() => snapB, false, seeded(42));
  const order = seeded(3);
  let failures = 0;
  for (let i = 0; i < 1200; i++) {
    const pod = SHAPES[Math.floor(order() * SHAPES.length)]!(i);
    const a = scheduleOne(memo, snapA, pod);
    const b = scheduleOne(plain, snapB, structuredClone(pod));
    assert.deepEqual(a, b, `pod ${i} (${pod.metadata.name})`);
    if (a.message) failures++;
  }
  // The run must have exercised both outcomes and reused most results.
  assert.ok(failures > 0 && failures < 1200, `failures ${failures}`);
  assert.ok(memo.memoStats.filterReused > memo.memoStats.filterRuns, JSON.stringify(memo.memoStats));
  assert.ok(memo.memoStats.scoreReused > 0, JSON.stringify(memo.memoStats));
  assert.equal(plain.memoStats.filterReused + plain.memoStats.filterRuns, 0);
});

test('a node whose pods changed is evaluated again (generation), not answered from the memo', () => {
  const snap = snapshotOf([makeNode('n0', { cpu: '1' }), makeNode('n1', { cpu: '1' })]);
  const f = defaultFramework(() => snap, true, seeded(1));
  assert.ok(scheduleOne(f, snap, makePod('a', { cpu: '600m' })).host);
  assert.ok(scheduleOne(f, snap, makePod('b', { cpu: '600m' })).host);
  // Both nodes now hold 600m: the third pod of the same shape fits nowhere.
  assert.equal(scheduleOne(f, snap, makePod('c', { cpu: '600m' })).message, '0/2 nodes are available: 2 Insufficient cpu.');
  // Room frees on n1 (a bigger allocatable): the next pod of the same signature sees it at once.
  const n1 = snap.get('n1')!;
  setNode(n1, makeNode('n1', { cpu: '2' }));
  assert.equal(scheduleOne(f, snap, makePod('d', { cpu: '600m' })).host, 'n1');
});

test('a changed Node object (a taint, cordoning) is evaluated again', () => {
  const snap = snapshotOf([makeNode('n0')]);
  const f = defaultFramework(() => snap, true, seeded(1));
  assert.equal(scheduleOne(f, snap, makePod('a', { cpu: '10m' })).host, 'n0');
  setNode(snap.get('n0')!, makeNode('n0', { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }));
  assert.equal(scheduleOne(f, snap, makePod('b', { cpu: '10m' })).message, '0/1 nodes are available: 1 node(s) had untolerated taint {k: v}.');
  setNode(snap.get('n0')!, makeNode('n0', { unschedulable: true }));
  assert.equal(scheduleOne(f, snap, makePod('c', { cpu: '10m' })).message, '0/1 nodes are available: 1 node(s) were unschedulable.');
  setNode(snap.get('n0')!, makeNode('n0'));
  assert.equal(scheduleOne(f, snap, makePod('d', { cpu: '10m' })).host, 'n0');
});

test('another node list (nodes added, removed or replaced at the same position) is not answered from the old one', () => {
  const f = defaultFramework(() => snap1, true, seeded(1));
  const snap1 = snapshotOf([makeNode('n0', { taints: [{ key: 'k', effect: 'NoSchedule' }] }), makeNode('n1')]);
  assert.equal(scheduleOne(f, snap1, makePod('a', { cpu: '10m' })).host, 'n1');
  // Same length, different nodes at each position.
  const snap2 = snapshotOf([makeNode('n1', { taints: [{ key: 'k', effect: 'NoSchedule' }] }), makeNode('n0')]);
  assert.equal(scheduleOne(f, snap2, makePod('b', { cpu: '10m' })).host, 'n0');
  // A longer list.
  const snap3 = snapshotOf([makeNode('n0', { taints: [{ key: 'k', effect: 'NoSchedule' }] }), makeNode('n1', { taints: [{ key: 'k', effect: 'NoSchedule' }] }), makeNode('n2')]);
  assert.equal(scheduleOne(f, snap3, makePod('c', { cpu: '10m' })).host, 'n2');
});

test('pods with different signatures get their own answers', () => {
  const snap = snapshotOf([makeNode('n0', { taints: [{ key: 'k', effect: 'NoSchedule' }], labels: { disk: 'ssd' } }), makeNode('n1')]);
  const f = defaultFramework(() => snap, true, seeded(1));
  assert.equal(scheduleOne(f, snap, makePod('plain', { cpu: '10m' })).host, 'n1');
  assert.equal(scheduleOne(f, snap, makePod('tolerates', { cpu: '10m', extra: { tolerations: [{ key: 'k', operator: 'Exists' }], nodeSelector: { disk: 'ssd' } } })).host, 'n0');
  assert.equal(scheduleOne(f, snap, makePod('bigger', { cpu: '5' })).message, '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: }.');
  assert.equal(scheduleOne(f, snap, makePod('selector', { cpu: '10m', extra: { nodeSelector: { disk: 'ssd' } } })).message, "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {k: }.");
});

test('a Filter plugin that does not sign pods runs on every node every time; nominated pods turn reuse off', () => {
  const snap = snapshotOf([makeNode('n0'), makeNode('n1')]);
  const fake = new FakeFilter('Fake');
  const f = defaultFramework(() => snap, true, seeded(1), [fake]);
  for (let i = 0; i < 3; i++) scheduleOne(f, snap, makePod(`p${i}`, { cpu: '10m' }));
  assert.equal(fake.calls.length, 6);
  assert.equal(f.memoStats.filterReused, 0);

  const g = defaultFramework(() => snap, true, seeded(1));
  g.nominator = new Nominator();
  scheduleOne(g, snap, makePod('warm', { cpu: '10m' }));
  const before = g.memoStats.filterReused;
  g.nominator.add(newPodInfo(makePod('nominated', { cpu: '3900m', priority: 10 })), 'n0');
  assert.equal(scheduleOne(g, snap, makePod('after', { cpu: '200m' })).host, 'n1');
  assert.equal(g.memoStats.filterReused, before);
});
