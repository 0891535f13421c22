import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { parseLabelSelector } from '../../api/selectors.ts';
import type { LabelSelector } from '../../api/selectors.ts';
import { makeSelectorsFor, newPodTopologySpread } from './podtopologyspread.ts';
import { fakeSnapshot, filterReasons, makeNode, makePod, nodeInfoWith, runScore } from './testutil.ts';

const SKEW = "Unschedulable: node(s) didn't match pod topology spread constraints";
const LABEL = "UnschedulableAndUnresolvable: node(s) didn't match pod topology spread constraints (missing required label)";
const HOST = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';

const web = (name: string, labels: Record<string, string> = {}) => makePod(name, { labels: { app: 'web', ...labels } });

function cluster(opts: { taintZ2?: boolean; bare?: boolean; n3Pods?: KubeObject[] } = {}) {
  const taints = opts.taintZ2 ? [{ key: 'maint', effect: 'NoSchedule' }] : undefined;
  const nodes = [
    nodeInfoWith(makeNode('n1', { labels: { [ZONE]: 'z1' } }), [web('a', { rev: '1' }), web('b', { rev: '1' }), makePod('other')]),
    nodeInfoWith(makeNode('n2', { labels: { [ZONE]: 'z1' } }), [web('c', { rev: '2' })]),
    nodeInfoWith(makeNode('n3', { labels: { [ZONE]: 'z2' }, ...(taints ? { taints } : {}) }), opts.n3Pods ?? []),
    nodeInfoWith(makeNode('n4', { labels: { [ZONE]: 'z2' }, ...(taints ? { taints } : {}) })),
  ];
  if (opts.bare) nodes.push(nodeInfoWith(makeNode('bare')));
  return nodes;
}

function spread(topologyKey: string, maxSkew: number, extra: any = {}, when = 'DoNotSchedule') {
  return { maxSkew, topologyKey, whenUnsatisfiable: when, labelSelector: { matchLabels: { app: 'web' } }, ...extra };
}

function plugin(nodes: ReturnType<typeof cluster>, selectorsFor?: (pod: KubeObject) => LabelSelector[]) {
  const snap = fakeSnapshot(nodes);
  return { pl: newPodTopologySpread({}, { snapshot: () => snap, ...(selectorsFor ? { selectorsFor } : {}) }), snap };
}

test('PodTopologySpread filter: maxSkew, minDomains, missing labels, policies, matchLabelKeys', () => {
  const cases: [string, { nodes?: Parameters<typeof cluster>[0]; labels?: Record<string, string>; spec: any }, Record<string, string>][] = [
    ['no constraints and no owner: skipped', { spec: {} }, { n1: '', n2: '', n3: '', n4: '' }],
    ['zone maxSkew 1', { spec: { topologySpreadConstraints: [spread(ZONE, 1)] } }, { n1: SKEW, n2: SKEW, n3: '', n4: '' }],
    ['zone maxSkew 4', { spec: { topologySpreadConstraints: [spread(ZONE, 4)] } }, { n1: '', n2: '', n3: '', n4: '' }],
    ['hostname maxSkew 1', { spec: { topologySpreadConstraints: [spread(HOST, 1)] } }, { n1: SKEW, n2: SKEW, n3: '', n4: '' }],
    [
      'a node without the key',
      { nodes: { bare: true }, spec: { topologySpreadConstraints: [spread(ZONE, 4)] } },
      { n1: '', n2: '', n3: '', n4: '', bare: LABEL },
    ],
    [
      'ScheduleAnyway constraints do not filter',
      { spec: { topologySpreadConstraints: [spread(ZONE, 1, {}, 'ScheduleAnyway')] } },
      { n1: '', n2: '', n3: '', n4: '' },
    ],
    [
      'global minimum from the least loaded zone',
      { nodes: { n3Pods: [web('d')] }, spec: { topologySpreadConstraints: [spread(ZONE, 3)] } },
      { n1: '', n2: '', n3: '', n4: '' },
    ],
    [
      'minDomains above the domain count makes the minimum 0',
      { nodes: { n3Pods: [web('d')] }, spec: { topologySpreadConstraints: [spread(ZONE, 3, { minDomains: 3 })] } },
      { n1: SKEW, n2: SKEW, n3: '', n4: '' },
    ],
    [
      'nodeAffinityPolicy Honor: only nodes the pod may use are domains',
      { spec: { nodeSelector: { [ZONE]: 'z1' }, topologySpreadConstraints: [spread(HOST, 1)] } },
      { n1: SKEW, n2: '', n3: '', n4: '' },
    ],
    [
      'nodeAffinityPolicy Ignore: every node is a domain',
      { spec: { nodeSelector: { [ZONE]: 'z1' }, topologySpreadConstraints: [spread(HOST, 1, { nodeAffinityPolicy: 'Ignore' })] } },
      { n1: SKEW, n2: SKEW, n3: '', n4: '' },
    ],
    [
      'nodeTaintsPolicy Honor: tainted zone is no domain',
      { nodes: { taintZ2: true }, spec: { topologySpreadConstraints: [spread(ZONE, 1, { nodeTaintsPolicy: 'Honor' })] } },
      { n1: '', n2: '', n3: '', n4: '' },
    ],
    [
      'nodeTaintsPolicy Ignore (default): tainted zone still counts',
      { nodes: { taintZ2: true }, spec: { topologySpreadConstraints: [spread(ZONE, 1)] } },
      { n1: SKEW, n2: SKEW, n3: '', n4: '' },
    ],
    [
      'matchLabelKeys narrows to the same revision',
      { labels: { app: 'web', rev: '2' }, spec: { topologySpreadConstraints: [spread(HOST, 1, { matchLabelKeys: ['rev'] })] } },
      { n1: '', n2: SKEW, n3: '', n4: '' },
    ],
    [
      'a pod not matching its own selector adds no self count',
      { labels: { app: 'api' }, spec: { topologySpreadConstraints: [spread(ZONE, 3)] } },
      { n1: '', n2: '', n3: '', n4: '' },
    ],
  ];
  for (const [name, tc, want] of cases) {
    const nodes = cluster(tc.nodes);
    const { pl, snap } = plugin(nodes);
    const pod = makePod('p', { labels: tc.labels ?? { app: 'web' }, spec: tc.spec });
    assert.deepEqual(filterReasons(pl, pod, nodes, snap), want, name);
  }
});

test('PodTopologySpread score: soft constraints and the system defaults', () => {
  const nodes = cluster();
  const { pl } = plugin(nodes, (pod) => (pod.metadata.labels?.app === 'web' ? [parseLabelSelector('app=web')] : []));
  const cases: [string, KubeObject, Record<string, number>][] = [
    ['zone', makePod('p', { labels: { app: 'web' }, spec: { topologySpreadConstraints: [spread(ZONE, 1, {}, 'ScheduleAnyway')] } }), { n1: 0, n2: 0, n3: 100, n4: 100 }],
    ['hostname', makePod('p', { labels: { app: 'web' }, spec: { topologySpreadConstraints: [spread(HOST, 1, {}, 'ScheduleAnyway')] } }), { n1: 0, n2: 50, n3: 100, n4: 100 }],
    // hostname maxSkew 3 (weight ln 6) + zone maxSkew 5 (weight ln 4) from the owner's selector.
    ['system defaults for an owned pod', makePod('p', { labels: { app: 'web' } }), { n1: 42, n2: 57, n3: 100, n4: 100 }],
    ['no owner: no defaults', makePod('p', { labels: { app: 'api' } }), { n1: 0, n2: 0, n3: 0, n4: 0 }],
  ];
  for (const [name, pod, want] of cases) assert.deepEqual(runScore(pl, pod, nodes), want, name);

  // Own constraints ignore nodes without the key; the system defaults still spread them by host.
  const withBare = cluster({ bare: true });
  const p2 = plugin(withBare, () => [parseLabelSelector('app=web')]).pl;
  const own = makePod('p', { labels: { app: 'web' }, spec: { topologySpreadConstraints: [spread(ZONE, 1, {}, 'ScheduleAnyway')] } });
  assert.equal(runScore(p2, own, withBare).bare, 0);
  assert.equal(runScore(p2, makePod('p', { labels: { app: 'web' } }), withBare).bare, 100);
});

test('makeSelectorsFor: services selecting the pod and its controller', () => {
  const svc = (name: string, selector?: Record<string, string>): KubeObject => ({ metadata: { name, namespace: 'default' }, spec: selector ? { selector } : {} });
  const selectorsFor = makeSelectorsFor({
    services: () => [svc('web', { app: 'web' }), svc('headless'), svc('api', { app: 'api' })],
    replicationController: () => undefined,
    replicaSet: (_ns, name) => (name === 'web-abc' ? { metadata: { name }, spec: { selector: { matchLabels: { app: 'web', hash: 'abc' } } } } : undefined),
    statefulSet: () => undefined,
  });
  const pod = makePod('p', {
    labels: { app: 'web', hash: 'abc' },
    meta: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'x', controller: true }] },
  });
  assert.deepEqual(
    selectorsFor(pod).map((s) => s.toString()),
    ['app=web', 'app=web,hash=abc'],
  );
  assert.deepEqual(selectorsFor(makePod('lonely', { labels: { app: 'x' } })), []);
});

test('PodTopologySpread events', () => {
  const { pl } = plugin(cluster());
  const evs = pl.eventsToRegister();
  const pod = makePod('p', { labels: { app: 'web' }, spec: { topologySpreadConstraints: [spread(ZONE, 1)] } });
  const podAdd = evs.find((e) => e.event.resource === 'Pod' && e.event.action === 'Add')!;
  const nodeAdd = evs.find((e) => e.event.resource === 'Node' && e.event.action === 'Add')!;
  const nodeLabel = evs.find((e) => e.event.resource === 'Node' && e.event.action === 'UpdateNodeLabel')!;
  assert.equal(podAdd.hint!(pod, undefined, makePod('w', { labels: { app: 'web' }, nodeName: 'n1' })), 'Queue');
  assert.equal(podAdd.hint!(pod, undefined, makePod('w', { labels: { app: 'api' }, nodeName: 'n1' })), 'QueueSkip');
  assert.equal(podAdd.hint!(pod, undefined, makePod('w', { namespace: 'x', labels: { app: 'web' }, nodeName: 'n1' })), 'QueueSkip');
  assert.equal(nodeAdd.hint!(pod, undefined, makeNode('n', { labels: { [ZONE]: 'z3' } })), 'Queue');
  assert.equal(nodeAdd.hint!(pod, undefined, makeNode('n')), 'QueueSkip');
  assert.equal(nodeLabel.hint!(pod, makeNode('n', { labels: { [ZONE]: 'z1' } }), makeNode('n', { labels: { [ZONE]: 'z2' } })), 'Queue');
  assert.equal(nodeLabel.hint!(pod, makeNode('n', { labels: { [ZONE]: 'z1' } }), makeNode('n', { labels: { [ZONE]: 'z1', x: 'y' } })), 'QueueSkip');
});
