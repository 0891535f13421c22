// The default plugins run by the real framework: the FailedScheduling message users read, and
// the choices the default profile makes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { silentLogger } from '../../base/log.ts';
import { realClock } from '../../client/clock.ts';
import { Framework } from '../framework/runtime.ts';
import { fitErrorMessage } from '../framework/diagnosis.ts';
import { CycleState } from '../framework/types.ts';
import type { NodeInfo, Snapshot } from '../framework/types.ts';
import { newPodInfo } from '../framework/podinfo.ts';
import { defaultPluginEntries } from './registry.ts';
import { fakeSnapshot, makeNode, makePod, nodeInfoWith } from './testutil.ts';

function framework(snap: Snapshot): Framework {
  const fw = new Framework({
    profile: { schedulerName: 'default-scheduler', plugins: defaultPluginEntries({ snapshot: () => snap, bind: async () => {} }) },
    clock: realClock,
    log: silentLogger,
  });
  fw.setSnapshot(snap);
  return fw;
}

function schedule(nodes: NodeInfo[], pod: KubeObject): { node?: string; message?: string } {
  const snap = fakeSnapshot(nodes);
  const fw = framework(snap);
  const pi = newPodInfo(pod);
  const state = new CycleState();
  const r = fw.findNodesThatFitPod(state, pi, snap);
  if (r.error) throw new Error(r.error.message());
  if (r.feasible.length === 0) return { message: fitErrorMessage(nodes.length, r.diagnosis) };
  const { totals, error } = fw.prioritizeNodes(state, pi, r.feasible);
  if (error) throw new Error(error.message());
  return { node: fw.selectHost(r.feasible, totals)!.name };
}

const controlPlane = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };

test('an over-large pod: the upstream FailedScheduling message', () => {
  const nodes = [
    nodeInfoWith(makeNode('worker', { allocatable: { cpu: '2', memory: '4Gi', pods: '110' } })),
    nodeInfoWith(makeNode('cp-1', { taints: [controlPlane] })),
    nodeInfoWith(makeNode('cp-2', { taints: [controlPlane] })),
  ];
  const r = schedule(nodes, makePod('big', { requests: { cpu: '3' } }));
  assert.equal(r.message, '0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }.');
});

test('the default profile prefers the emptier node and honours nodeSelector', () => {
  const nodes = [
    nodeInfoWith(makeNode('busy', { labels: { disk: 'ssd' } }), [makePod('x', { requests: { cpu: '3', memory: '6Gi' } })]),
    nodeInfoWith(makeNode('idle', { labels: { disk: 'hdd' } })),
  ];
  assert.equal(schedule(nodes, makePod('p', { requests: { cpu: '500m', memory: '1Gi' } })).node, 'idle');
  assert.equal(schedule(nodes, makePod('p', { requests: { cpu: '500m' }, spec: { nodeSelector: { disk: 'ssd' } } })).node, 'busy');
  assert.equal(
    schedule(nodes, makePod('p', { spec: { nodeSelector: { disk: 'nvme' } } })).message,
    "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.",
  );
});

test('required anti-affinity spreads replicas one per node', () => {
  const anti = {
    affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] } },
  };
  const nodes = [nodeInfoWith(makeNode('a')), nodeInfoWith(makeNode('b'))];
  const placed: string[] = [];
  for (let i = 0; i < 2; i++) {
    const pod = makePod(`web-${i}`, { labels: { app: 'web' }, spec: anti });
    const r = schedule(nodes, pod);
    placed.push(r.node!);
    const ni = nodes.find((n) => n.name === r.node)!;
    nodes[nodes.indexOf(ni)] = nodeInfoWith(ni.node, [...ni.pods.map((p) => p.pod), pod]);
  }
  assert.deepEqual([...placed].sort(), ['a', 'b']);
  const third = schedule(nodes, makePod('web-2', { labels: { app: 'web' }, spec: anti }));
  assert.equal(third.message, "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules.");
});
