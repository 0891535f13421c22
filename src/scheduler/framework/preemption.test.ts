import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../api/types.ts';
import { silentLogger } from '../../base/log.ts';
import { FakeClock } from '../../client/fake-clock.ts';
import { newNodeResourcesFit } from '../plugins/noderesourcesfit.ts';
import { newPrioritySort } from '../plugins/prioritysort.ts';
import { newTaintToleration } from '../plugins/tainttoleration.ts';
import type { PodStatusPatch, SchedulerApi, SchedulerEvent } from '../api.ts';
import { newPodInfo } from './podinfo.ts';
import { DefaultPreemption, filterPodsWithPDBViolation, pickOneNodeForPreemption } from './preemption.ts';
import { Framework } from './runtime.ts';
import { snapshotOf } from './snapshot.ts';
import { makeNode, makePod } from './testing.ts';
import { Code, CycleState } from './types.ts';

class RecordingApi implements SchedulerApi {
  deleted: string[] = [];
  patches: Array<{ pod: string; patch: PodStatusPatch }> = [];
  events: SchedulerEvent[] = [];
  async bind(): Promise<void> {}
  async patchPodStatus(pod: KubeObject, patch: PodStatusPatch): Promise<void> {
    this.patches.push({ pod: pod.metadata.name!, patch });
  }
  async deletePod(pod: KubeObject): Promise<void> {
    this.deleted.push(pod.metadata.name!);
  }
  recordEvent(e: SchedulerEvent): void {
    this.events.push(e);
  }
}

function setup(nodes: KubeObject[], pods: KubeObject[], pdbs: KubeObject[] = []) {
  const api = new RecordingApi();
  const clock = new FakeClock(Date.parse('2026-01-01T01:00:00Z'));
  const preemption = new DefaultPreemption({ api, clock, log: silentLogger, listPDBs: () => pdbs, random: () => 0 });
  const fw = new Framework({ profile: { schedulerName: 'default-scheduler', plugins: [newPrioritySort(), newTaintToleration(), newNodeResourcesFit(), preemption] }, clock, log: silentLogger });
  const snap = snapshotOf(nodes, pods);
  fw.setSnapshot(snap);
  return {
    api,
    fw,
    /** One full attempt for `pod`: filter, then PostFilter. */
    async attempt(pod: KubeObject) {
      const state = new CycleState();
      const pi = newPodInfo(pod);
      const found = fw.findNodesThatFitPod(state, pi, snap);
      assert.equal(found.feasible.length, 0, 'the preemptor must not fit as is');
      return fw.runPostFilterPlugins(state, pi, found.diagnosis.nodeToStatus);
    },
  };
}

const node = (name: string, cpu = '2') => makeNode(name, { cpu });
const running = (name: string, nodeName: string, priority: number, cpu = '1', extra: Partial<{ labels: Record<string, string>; startTime: string }> = {}) =>
  makePod(name, { node: nodeName, priority, cpu, labels: extra.labels, startTime: extra.startTime ?? '2026-01-01T00:00:00Z' });

test('the lowest-importance pods that free enough room are the victims; the node is nominated', async () => {
  const s = setup([node('n1')], [running('keep', 'n1', 2), running('evict', 'n1', 1)]);
  const preemptor = makePod('high', { priority: 10, cpu: '1' });
  const { result, status } = await s.attempt(preemptor);
  assert.ok(status.isSuccess(), status.message());
  assert.equal(result?.nominatedNodeName, 'n1');
  assert.deepEqual(s.api.deleted, ['evict']);
  const cond = s.api.patches.find((p) => p.pod === 'evict')!.patch.conditions![0]!;
  assert.equal(cond.type, 'DisruptionTarget');
  assert.equal(cond.reason, 'PreemptionByScheduler');
  assert.equal(cond.message, 'default-scheduler: preempting to accommodate a higher priority pod');
  assert.equal(s.api.events[0]!.reason, 'Preempted');
  assert.equal(s.api.events[0]!.note, `Preempted by pod ${preemptor.metadata.uid} on node n1`);
});

test('victims are as few as possible: higher-importance pods are reprieved first', async () => {
  // 4 cpu node full with four 1-cpu pods; the preemptor needs 2 cpu.
  const pods = [running('p1', 'n1', 1), running('p2', 'n1', 2), running('p3', 'n1', 3), running('p4', 'n1', 4)];
  const s = setup([node('n1', '4')], pods);
  const { status } = await s.attempt(makePod('high', { priority: 10, cpu: '2' }));
  assert.ok(status.isSuccess());
  assert.deepEqual(s.api.deleted.sort(), ['p1', 'p2']);
});

test('node choice: fewest PDB violations first', async () => {
  const pdb = { metadata: { name: 'pdb', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'db' } } }, status: { disruptionsAllowed: 0 } };
  const s = setup([node('n1', '1'), node('n2', '1')], [running('db', 'n1', 1, '1', { labels: { app: 'db' } }), running('web', 'n2', 5, '1', { labels: { app: 'web' } })], [pdb]);
  const { result } = await s.attempt(makePod('high', { priority: 10, cpu: '1' }));
  assert.equal(result?.nominatedNodeName, 'n2', 'a higher-priority victim is better than breaking a budget');
});

test('node choice: lowest highest-victim priority, then lowest priority sum, then fewest victims', async () => {
  {
    const s = setup([node('n1', '1'), node('n2', '1')], [running('a', 'n1', 5), running('b', 'n2', 3)]);
    assert.equal((await s.attempt(makePod('high', { priority: 10, cpu: '1' }))).result?.nominatedNodeName, 'n2');
  }
  {
    // Both need two victims, top priority 3 on both; sums 6 vs 4.
    const pods = [running('a1', 'n1', 3), running('a2', 'n1', 3), running('b1', 'n2', 3), running('b2', 'n2', 1)];
    const s = setup([node('n1', '2'), node('n2', '2')], pods);
    assert.equal((await s.attempt(makePod('high', { priority: 10, cpu: '2' }))).result?.nominatedNodeName, 'n2');
  }
  {
    // Same top priority (2); n1 needs two 500m victims, n2 one 1-cpu victim.
    const pods = [running('a1', 'n1', 2, '500m'), running('a2', 'n1', 2, '500m'), running('b1', 'n2', 2, '1')];
    const s = setup([node('n1', '1'), node('n2', '1')], pods);
    assert.equal((await s.attempt(makePod('high', { priority: 10, cpu: '1' }))).result?.nominatedNodeName, 'n2');
  }
});

test('node choice: the latest-started highest-priority victims lose least work', async () => {
  const pods = [running('old', 'n1', 1, '1', { startTime: '2026-01-01T00:00:00Z' }), running('new', 'n2', 1, '1', { startTime: '2026-01-01T00:30:00Z' })];
  const s = setup([node('n1', '1'), node('n2', '1')], pods);
  assert.equal((await s.attempt(makePod('high', { priority: 10, cpu: '1' }))).result?.nominatedNodeName, 'n2');
});

test('PDB-protected pods are reprieved before others when either would do', async () => {
  const pdb = { metadata: { name: 'pdb', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'db' } } }, status: { disruptionsAllowed: 0 } };
  const s = setup([node('n1', '2')], [running('db', 'n1', 1, '1', { labels: { app: 'db' } }), running('web', 'n1', 1, '1', { labels: { app: 'web' } })], [pdb]);
  const { status } = await s.attempt(makePod('high', { priority: 10, cpu: '1' }));
  assert.ok(status.isSuccess());
  assert.deepEqual(s.api.deleted, ['web']);
});

test('preemptionPolicy Never: not eligible, with upstream message', async () => {
  const s = setup([node('n1', '1')], [running('low', 'n1', 1)]);
  const { status } = await s.attempt(makePod('high', { priority: 10, cpu: '1', preemptionPolicy: 'Never' }));
  assert.equal(status.code, Code.Unschedulable);
  assert.equal(status.message(), 'preemption: not eligible due to preemptionPolicy=Never.');
  assert.deepEqual(s.api.deleted, []);
});

test('no victims and unresolvable nodes: the preemption message counts both, and any nomination is cleared', async () => {
  const tainted = makeNode('tainted', { cpu: '8', taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] });
  const s = setup([node('n1', '1'), node('n2', '1'), tainted], [running('same', 'n1', 10), running('higher', 'n2', 20)]);
  const { result, status } = await s.attempt(makePod('mid', { priority: 10, cpu: '1' }));
  assert.equal(status.code, Code.Unschedulable);
  assert.equal(status.message(), 'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.');
  assert.equal(result?.nominatedNodeName, '');
});

test('a pod whose earlier victims are still terminating on its nominated node waits', async () => {
  const terminating = {
    ...running('victim', 'n1', 1),
    metadata: { ...running('victim', 'n1', 1).metadata, deletionTimestamp: '2026-01-01T00:59:00Z' },
    status: { phase: 'Running', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler' }] },
  };
  const s = setup([node('n1', '1')], [terminating]);
  const { status } = await s.attempt(makePod('high', { priority: 10, cpu: '1', nominatedNode: 'n1' }));
  assert.equal(status.message(), 'preemption: not eligible due to a terminating pod on the nominated node.');
});

test('filterPodsWithPDBViolation consumes budgets in order and ignores already-disrupted pods', () => {
  const pdb = { metadata: { name: 'pdb', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'x' } } }, status: { disruptionsAllowed: 1, disruptedPods: { c: '2026-01-01T00:00:00Z' } } };
  const pis = ['a', 'b', 'c'].map((n) => newPodInfo(makePod(n, { labels: { app: 'x' } })));
  const other = newPodInfo(makePod('d', { ns: 'other', labels: { app: 'x' } }));
  const { violating, nonViolating } = filterPodsWithPDBViolation([...pis, other], [pdb]);
  assert.deepEqual(violating.map((p) => p.pod.metadata.name), ['b']);
  assert.deepEqual(nonViolating.map((p) => p.pod.metadata.name), ['a', 'c', 'd']);
});

test('pickOneNodeForPreemption keeps candidate order on full ties', () => {
  const v = (name: string) => newPodInfo(makePod(name, { priority: 1, startTime: '2026-01-01T00:00:00Z' }));
  const pick = pickOneNodeForPreemption(
    [
      { name: 'x', victims: [v('1')], numPDBViolations: 0 },
      { name: 'y', victims: [v('2')], numPDBViolations: 0 },
    ],
    0,
  );
  assert.equal(pick?.name, 'x');
});
