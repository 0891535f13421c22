import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { CycleState } from '../framework/types.ts';
import { newPodInfo } from '../framework/podinfo.ts';
import { newInterPodAffinity } from './interpodaffinity.ts';
import { fakeSnapshot, filterReasons, makeNode, makePod, nodeInfoWith, runScore } from './testutil.ts';

const AFF = "UnschedulableAndUnresolvable: node(s) didn't match pod affinity rules";
const ANTI = "Unschedulable: node(s) didn't match pod anti-affinity rules";
const EXISTING = "Unschedulable: node(s) didn't satisfy existing pods anti-affinity rules";

const term = (labels: Record<string, string>, topologyKey: string, extra: any = {}) => ({ labelSelector: { matchLabels: labels }, topologyKey, ...extra });
const required = (kind: 'podAffinity' | 'podAntiAffinity', ...terms: any[]) => ({ affinity: { [kind]: { requiredDuringSchedulingIgnoredDuringExecution: terms } } });
const preferred = (kind: 'podAffinity' | 'podAntiAffinity', weight: number, t: any) => ({
  affinity: { [kind]: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight, podAffinityTerm: t }] } },
});

function cluster(extra: { n3?: KubeObject[] } = {}) {
  return [
    nodeInfoWith(makeNode('n1', { labels: { zone: 'z1' } }), [makePod('web-1', { labels: { app: 'web' } })]),
    nodeInfoWith(makeNode('n2', { labels: { zone: 'z1' } })),
    nodeInfoWith(makeNode('n3', { labels: { zone: 'z2' } }), extra.n3 ?? []),
    nodeInfoWith(makeNode('nozone')),
  ];
}

function plugin(nodes = cluster(), ns: Record<string, Record<string, string>> = {}) {
  const snap = fakeSnapshot(nodes, ns);
  return { pl: newInterPodAffinity({}, { snapshot: () => snap }), snap, nodes };
}

test('InterPodAffinity filter: required affinity and anti-affinity of the incoming pod', () => {
  const cases: [string, any, Record<string, string>[] | Record<string, string>, Record<string, Record<string, string>>?][] = [
    ['no affinity anywhere: skipped', {}, { n1: '', n2: '', n3: '', nozone: '' }],
    ['affinity to web by zone', required('podAffinity', term({ app: 'web' }, 'zone')), { n1: '', n2: '', n3: AFF, nozone: AFF }],
    ['anti-affinity to web by hostname', required('podAntiAffinity', term({ app: 'web' }, 'kubernetes.io/hostname')), { n1: ANTI, n2: '', n3: '', nozone: '' }],
    ['anti-affinity to web by zone', required('podAntiAffinity', term({ app: 'web' }, 'zone')), { n1: ANTI, n2: ANTI, n3: '', nozone: '' }],
    [
      'affinity in another namespace finds nothing; the pod does not match itself',
      required('podAffinity', term({ app: 'web' }, 'zone', { namespaces: ['other'] })),
      { n1: AFF, n2: AFF, n3: AFF, nozone: AFF },
    ],
    [
      'namespaceSelector selects the default namespace by its labels',
      required('podAffinity', term({ app: 'web' }, 'zone', { namespaceSelector: { matchLabels: { team: 'a' } } })),
      { n1: '', n2: '', n3: AFF, nozone: AFF },
      { default: { team: 'a' } },
    ],
    [
      'both affinity terms must match the same pod',
      required('podAffinity', term({ app: 'web' }, 'zone'), term({ tier: 'front' }, 'zone')),
      { n1: AFF, n2: AFF, n3: AFF, nozone: AFF },
    ],
  ];
  for (const [name, spec, want, ns] of cases) {
    const { pl, snap, nodes } = plugin(cluster(), ns ?? {});
    assert.deepEqual(filterReasons(pl, makePod('p', { spec }), nodes, snap), want, name);
  }
});

test('InterPodAffinity filter: the first pod of a self-affine group', () => {
  const { pl, snap, nodes } = plugin();
  const spec = required('podAffinity', term({ app: 'new' }, 'zone'));
  // Nothing matches anywhere, but the pod matches its own term: any node with the key will do.
  assert.deepEqual(filterReasons(pl, makePod('p', { labels: { app: 'new' }, spec }), nodes, snap), { n1: '', n2: '', n3: '', nozone: AFF });
  // Without matching itself it waits.
  assert.deepEqual(filterReasons(pl, makePod('p', { spec }), nodes, snap), { n1: AFF, n2: AFF, n3: AFF, nozone: AFF });
});

test("InterPodAffinity filter: existing pods' required anti-affinity", () => {
  const guard = makePod('guard', { labels: { app: 'db' }, spec: required('podAntiAffinity', term({ app: 'cache' }, 'zone')) });
  const { pl, snap, nodes } = plugin(cluster({ n3: [guard] }));
  assert.deepEqual(filterReasons(pl, makePod('p', { labels: { app: 'cache' } }), nodes, snap), { n1: '', n2: '', n3: EXISTING, nozone: '' });
  assert.deepEqual(filterReasons(pl, makePod('p', { labels: { app: 'other' } }), nodes, snap), { n1: '', n2: '', n3: '', nozone: '' });
  // Another namespace is outside the guard's term.
  assert.deepEqual(filterReasons(pl, makePod('p', { namespace: 'x', labels: { app: 'cache' } }), nodes, snap), { n1: '', n2: '', n3: '', nozone: '' });
});

test('InterPodAffinity addPod/removePod for preemption what-ifs', () => {
  const { pl, snap, nodes } = plugin();
  const pod = makePod('p', { spec: required('podAntiAffinity', term({ app: 'web' }, 'kubernetes.io/hostname')) });
  const pi = newPodInfo(pod);
  const state = new CycleState();
  assert.equal(pl.preFilter(state, pi, snap).status.isSuccess(), true);
  assert.equal(pl.filter(state, pi, nodes[0]!).message(), "node(s) didn't match pod anti-affinity rules");
  const web = nodes[0]!.pods[0]!;
  const copy = state.clone();
  pl.removePod(copy, pi, web, nodes[0]!);
  assert.equal(pl.filter(copy, pi, nodes[0]!).isSuccess(), true, 'without the web pod n1 fits');
  assert.equal(pl.filter(state, pi, nodes[0]!).isSuccess(), false, 'the original state is untouched');
  pl.addPod(copy, pi, web, nodes[1]!);
  assert.equal(pl.filter(copy, pi, nodes[1]!).isSuccess(), false, 'a web pod added to n2 blocks it');
});

test('InterPodAffinity score: preferred terms both ways and hard affinity weight', () => {
  const cases: [string, KubeObject, KubeObject[], Record<string, number>][] = [
    ['preferred affinity to web by zone', makePod('p', { spec: preferred('podAffinity', 5, term({ app: 'web' }, 'zone')) }), [], { n1: 100, n2: 100, n3: 0, nozone: 0 }],
    [
      'preferred anti-affinity to web by hostname',
      makePod('p', { spec: preferred('podAntiAffinity', 5, term({ app: 'web' }, 'kubernetes.io/hostname')) }),
      [],
      { n1: 0, n2: 100, n3: 100, nozone: 100 },
    ],
    [
      "an existing pod's preferred affinity to the incoming pod",
      makePod('p', { labels: { app: 'cache' } }),
      [makePod('db', { spec: preferred('podAffinity', 10, term({ app: 'cache' }, 'zone')) })],
      { n1: 0, n2: 0, n3: 100, nozone: 0 },
    ],
    [
      "an existing pod's required affinity counts with hardPodAffinityWeight",
      makePod('p', { labels: { app: 'cache' } }),
      [makePod('db', { spec: required('podAffinity', term({ app: 'cache' }, 'zone')) })],
      { n1: 0, n2: 0, n3: 100, nozone: 0 },
    ],
    ['nothing to prefer: skipped', makePod('p'), [], { n1: 0, n2: 0, n3: 0, nozone: 0 }],
  ];
  for (const [name, pod, onN3, want] of cases) {
    const { pl, nodes } = plugin(cluster({ n3: onN3 }));
    assert.deepEqual(runScore(pl, pod, nodes), want, name);
  }
});

test('InterPodAffinity events', () => {
  const { pl } = plugin();
  const evs = pl.eventsToRegister();
  const podAdd = evs.find((e) => e.event.resource === 'Pod' && e.event.action === 'Add')!;
  const podDel = evs.find((e) => e.event.resource === 'Pod' && e.event.action === 'Delete')!;
  const nodeAdd = evs.find((e) => e.event.resource === 'Node' && e.event.action === 'Add')!;
  const affine = makePod('p', { spec: required('podAffinity', term({ app: 'web' }, 'zone')) });
  const anti = makePod('p', { spec: required('podAntiAffinity', term({ app: 'web' }, 'zone')) });
  const web = makePod('w', { labels: { app: 'web' }, nodeName: 'n1' });
  assert.equal(podAdd.hint!(affine, undefined, web), 'Queue');
  assert.equal(podAdd.hint!(affine, undefined, makePod('w', { labels: { app: 'web' } })), 'QueueSkip', 'unscheduled pods do not count');
  assert.equal(podAdd.hint!(anti, undefined, web), 'QueueSkip');
  assert.equal(podDel.hint!(anti, web, undefined), 'Queue');
  assert.equal(podDel.hint!(affine, web, undefined), 'QueueSkip');
  assert.equal(nodeAdd.hint!(affine, undefined, makeNode('n', { labels: { zone: 'z9' } })), 'Queue');
  assert.equal(nodeAdd.hint!(affine, undefined, makeNode('n')), 'QueueSkip');
});
