import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../base/log.ts';
import { FakeClock } from '../../client/fake-clock.ts';
import { fitErrorMessage, newDiagnosis } from './diagnosis.ts';
import { Nominator } from './nominator.ts';
import { newPodInfo } from './podinfo.ts';
import { Framework, numFeasibleNodesToFind, type PluginEntry } from './runtime.ts';
import { snapshotOf } from './snapshot.ts';
import { FakeFilter, makeNode, makePod } from './testing.ts';
import { Code, CycleState, type NodeInfo, type NodeScore, type Plugin, type PodInfo, Status } from './types.ts';

function fw(plugins: Array<Plugin | PluginEntry>, extra: { pct?: number; random?: () => number } = {}) {
  return new Framework({ profile: { schedulerName: 'default-scheduler', plugins, percentageOfNodesToScore: extra.pct }, clock: new FakeClock(), log: silentLogger, random: extra.random });
}

const nodes = (n: number) => Array.from({ length: n }, (_, i) => makeNode(`n${i}`));

test('numFeasibleNodesToFind follows upstream: all below 100, adaptive 50% - n/125 (min 5%), at least 100', () => {
  assert.equal(numFeasibleNodesToFind(0, 50), 50);
  assert.equal(numFeasibleNodesToFind(0, 99), 99);
  assert.equal(numFeasibleNodesToFind(0, 100), 100); // 49% of 100 = 49 → at least 100
  assert.equal(numFeasibleNodesToFind(0, 1000), 420); // 50 - 8 = 42%
  assert.equal(numFeasibleNodesToFind(0, 5000), 500); // 50 - 40 = 10%
  assert.equal(numFeasibleNodesToFind(0, 6000), 300); // 50 - 48 = 2% → 5%
  assert.equal(numFeasibleNodesToFind(0, 20_000), 1000); // 5%
  assert.equal(numFeasibleNodesToFind(30, 1000), 300);
  assert.equal(numFeasibleNodesToFind(1, 1000), 100);
  assert.equal(numFeasibleNodesToFind(100, 1000), 1000);
  assert.equal(numFeasibleNodesToFind(undefined, 250), 120); // 48% of 250
});

test('every extension point runs in configured order, and Skip at PreFilter/PreScore skips the Filter/Score', async () => {
  const calls: string[] = [];
  const mk = (name: string, skipFilter = false, skipScore = false): Plugin =>
    ({
      name,
      preFilter: () => (calls.push(`${name}.preFilter`), { status: skipFilter ? Status.skip() : Status.success() }),
      filter: () => (calls.push(`${name}.filter`), Status.success()),
      preScore: () => (calls.push(`${name}.preScore`), skipScore ? Status.skip() : Status.success()),
      score: () => (calls.push(`${name}.score`), { score: 1, status: Status.success() }),
      reserve: () => (calls.push(`${name}.reserve`), Status.success()),
      unreserve: () => void calls.push(`${name}.unreserve`),
      permit: () => (calls.push(`${name}.permit`), { status: Status.success() }),
      preBind: async () => (calls.push(`${name}.preBind`), Status.success()),
      bind: async () => (calls.push(`${name}.bind`), name === 'A' ? Status.skip() : Status.success()),
      postBind: () => void calls.push(`${name}.postBind`),
    }) as unknown as Plugin;
  const f = fw([mk('A'), mk('B', true, true), mk('C')]);
  const snap = snapshotOf(nodes(1));
  const state = new CycleState();
  const pi = newPodInfo(makePod('p'));
  const found = f.findNodesThatFitPod(state, pi, snap);
  assert.equal(found.feasible.length, 1);
  f.prioritizeNodes(state, pi, found.feasible); // one node: upstream would not score, the runtime still can
  assert.ok(f.runReservePluginsReserve(state, pi, 'n0').isSuccess());
  assert.ok(f.runPermitPlugins(state, pi, 'n0').isSuccess());
  assert.ok((await f.runPreBindPlugins(state, pi, 'n0')).isSuccess());
  assert.ok((await f.runBindPlugins(state, pi, 'n0')).isSuccess());
  f.runPostBindPlugins(state, pi, 'n0');
  f.runReservePluginsUnreserve(state, pi, 'n0');
  assert.deepEqual(calls, [
    'A.preFilter', 'B.preFilter', 'C.preFilter',
    'A.filter', 'C.filter',
    'A.preScore', 'B.preScore', 'C.preScore',
    'A.score', 'C.score',
    'A.reserve', 'B.reserve', 'C.reserve',
    'A.permit', 'B.permit', 'C.permit',
    'A.preBind', 'B.preBind', 'C.preBind',
    'A.bind', 'B.bind', // A skipped, B bound: C is not asked
    'A.postBind', 'B.postBind', 'C.postBind',
    'C.unreserve', 'B.unreserve', 'A.unreserve',
  ]);
});

test('the first rejecting filter wins and is named in the status', () => {
  const first = new FakeFilter('First', { n1: () => Status.unschedulable('Insufficient cpu') });
  const second = new FakeFilter('Second', { n1: () => Status.unresolvable('never reached'), n2: () => Status.unresolvable("node(s) didn't match Pod's node affinity/selector") });
  const f = fw([first, second]);
  const res = f.findNodesThatFitPod(new CycleState(), newPodInfo(makePod('p')), snapshotOf(nodes(3)));
  assert.deepEqual(res.feasible.map((n) => n.name), ['n0']);
  assert.equal(res.diagnosis.nodeToStatus.get('n1')?.plugin, 'First');
  assert.equal(res.diagnosis.nodeToStatus.get('n2')?.plugin, 'Second');
  assert.deepEqual([...res.diagnosis.unschedulablePlugins].sort(), ['First', 'Second']);
  assert.deepEqual(second.calls, ['n0', 'n2']);
});

test('filtering stops after enough feasible nodes and the next pod starts where the last stopped', () => {
  const filter = new FakeFilter('F');
  const f = fw([filter]);
  const snap = snapshotOf(nodes(1000)); // adaptive: 42% → 420 nodes
  const pi = newPodInfo(makePod('p'));
  const a = f.findNodesThatFitPod(new CycleState(), pi, snap);
  assert.equal(a.feasible.length, 420);
  assert.equal(a.feasible[0]!.name, 'n0');
  const b = f.findNodesThatFitPod(new CycleState(), pi, snap);
  assert.equal(b.feasible[0]!.name, 'n420');
  const c = f.findNodesThatFitPod(new CycleState(), pi, snap);
  assert.equal(c.feasible[0]!.name, 'n840');
  assert.equal(c.feasible[419]!.name, 'n259', 'wraps around');

  // An explicit percentage, and rejected nodes count as processed.
  const g = fw([new FakeFilter('F', { n0: () => Status.unschedulable('no') })], { pct: 10 });
  const d = g.findNodesThatFitPod(new CycleState(), pi, snap);
  assert.equal(d.feasible.length, 100);
  assert.equal(d.diagnosis.nodeToStatus.size, 1);
  const e = g.findNodesThatFitPod(new CycleState(), pi, snap);
  assert.equal(e.feasible[0]!.name, 'n101');
});

test('PreFilter node sets restrict the nodes; absent nodes get an unresolvable status naming the plugin', () => {
  const pre = {
    name: 'NodeName',
    preFilter: () => ({ result: { nodeNames: new Set(['n2', 'missing']) }, status: Status.success() }),
  } as unknown as Plugin;
  const filter = new FakeFilter('F', { n2: () => Status.unschedulable('Insufficient cpu') });
  const f = fw([pre, filter]);
  const res = f.findNodesThatFitPod(new CycleState(), newPodInfo(makePod('p')), snapshotOf(nodes(3)));
  assert.equal(res.feasible.length, 0);
  assert.deepEqual(filter.calls, ['n2']);
  assert.equal(fitErrorMessage(3, res.diagnosis), "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeName].");
});

test('a PreFilter rejection reports its message once, not per node', () => {
  const pre = { name: 'InterPodAffinity', preFilter: () => ({ status: Status.unresolvable("node(s) didn't match pod affinity rules") }) } as unknown as Plugin;
  const f = fw([pre, new FakeFilter('F')]);
  const res = f.findNodesThatFitPod(new CycleState(), newPodInfo(makePod('p')), snapshotOf(nodes(3)));
  assert.equal(fitErrorMessage(3, res.diagnosis), "0/3 nodes are available: node(s) didn't match pod affinity rules.");
  assert.deepEqual([...res.diagnosis.unschedulablePlugins], ['InterPodAffinity']);
});

test('scores are normalized per plugin, multiplied by the weight and summed; ties are broken at random', () => {
  // Raw: byName gives n0=10, n1=20, n2=40 → normalized to 25, 50, 100 (weight 2).
  const byName = {
    name: 'ByName',
    score: (_s: CycleState, _p: PodInfo, n: NodeInfo) => ({ score: { n0: 10, n1: 20, n2: 40 }[n.name]!, status: Status.success() }),
    normalizeScore: (_s: CycleState, _p: PodInfo, scores: NodeScore[]) => {
      const max = Math.max(...scores.map((s) => s.score));
      for (const s of scores) s.score = Math.trunc((s.score * 100) / max);
      return Status.success();
    },
  } as unknown as Plugin;
  const flat = { name: 'Flat', score: (_s: CycleState, _p: PodInfo, n: NodeInfo) => ({ score: n.name === 'n0' ? 100 : 0, status: Status.success() }) } as unknown as Plugin;
  const f = fw([{ plugin: byName, weight: 2 }, { plugin: flat, weight: 3 }]);
  const snap = snapshotOf(nodes(3));
  const { totals, error } = f.prioritizeNodes(new CycleState(), newPodInfo(makePod('p')), snap.nodeInfos());
  assert.equal(error, undefined);
  assert.deepEqual([...totals], [25 * 2 + 300, 50 * 2, 100 * 2]);
  assert.equal(f.selectHost(snap.nodeInfos(), totals)?.name, 'n0');

  // Ties: the reservoir sampler picks the i-th tied node when random() < 1/i.
  const tie = new Float64Array([5, 5, 5]);
  assert.equal(fw([], { random: () => 0.99 }).selectHost(snap.nodeInfos(), tie)?.name, 'n0');
  assert.equal(fw([], { random: () => 0 }).selectHost(snap.nodeInfos(), tie)?.name, 'n2');
});

test('a score outside [0, 100] after normalization is an error', () => {
  const bad = { name: 'Bad', score: () => ({ score: 101, status: Status.success() }) } as unknown as Plugin;
  const { error } = fw([bad]).prioritizeNodes(new CycleState(), newPodInfo(makePod('p')), snapshotOf(nodes(1)).nodeInfos());
  assert.equal(error?.code, Code.Error);
  assert.match(error!.message(), /invalid score 101/);
});

test('nominated pods of higher priority count on their node; lower ones do not', () => {
  // A filter that rejects a node once it holds 1 pod.
  const one = { name: 'OnePod', filter: (_s: CycleState, _p: PodInfo, n: NodeInfo) => (n.pods.length >= 1 ? Status.unschedulable('Too many pods') : Status.success()) } as unknown as Plugin;
  const f = fw([one]);
  f.nominator = new Nominator();
  f.nominator.add(newPodInfo(makePod('nominated', { priority: 100 })), 'n0');
  const snap = snapshotOf(nodes(1));
  const low = f.findNodesThatFitPod(new CycleState(), newPodInfo(makePod('low', { priority: 10 })), snap);
  assert.equal(low.feasible.length, 0);
  const high = f.findNodesThatFitPod(new CycleState(), newPodInfo(makePod('high', { priority: 1000 })), snap);
  assert.equal(high.feasible.length, 1);
  assert.equal(snap.get('n0')!.pods.length, 0, 'the snapshot itself is untouched');
});

test('Permit Wait parks the pod until allowed; a timeout rejects it with upstream message', async () => {
  const clock = new FakeClock();
  const permit = { name: 'Gang', permit: () => ({ status: new Status(Code.Wait), timeoutMs: 10_000 }) } as unknown as Plugin;
  const f = new Framework({ profile: { schedulerName: 'default-scheduler', plugins: [permit] }, clock, log: silentLogger });
  const a = makePod('a');
  const b = makePod('b');
  assert.equal(f.runPermitPlugins(new CycleState(), newPodInfo(a), 'n0').code, Code.Wait);
  assert.equal(f.runPermitPlugins(new CycleState(), newPodInfo(b), 'n0').code, Code.Wait);
  const wa = f.waitOnPermit(a);
  const wb = f.waitOnPermit(b);
  f.getWaitingPod(a.metadata.uid!)!.allow('Gang');
  assert.ok((await wa).isSuccess());
  await clock.advance(10_000);
  const st = await wb;
  assert.equal(st.code, Code.Unschedulable);
  assert.equal(st.plugin, 'Gang');
  assert.equal(st.message(), 'rejected due to timeout after waiting 10s at plugin Gang');
  assert.equal(clock.pending(), 0);
});

test('FitError message: counts per reason, sorted as strings, PostFilter message appended as upstream', () => {
  const d = newDiagnosis();
  d.nodeToStatus.set('a', Status.unschedulable('Insufficient cpu'));
  d.nodeToStatus.set('b', Status.unresolvable('node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'));
  d.nodeToStatus.set('c', Status.unresolvable('node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'));
  d.postFilterMsg = 'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.';
  assert.equal(
    fitErrorMessage(3, d),
    '0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. ' +
      'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling..',
  );
  // Several reasons on one node count once each; "10 x" sorts before "2 y" (string order).
  const e = newDiagnosis();
  for (let i = 0; i < 10; i++) e.nodeToStatus.set(`x${i}`, Status.unschedulable('Insufficient memory'));
  e.nodeToStatus.set('y1', Status.unschedulable('Insufficient cpu', 'Insufficient memory'));
  e.nodeToStatus.set('y2', Status.unschedulable('Insufficient cpu'));
  assert.equal(fitErrorMessage(12, e), '0/12 nodes are available: 11 Insufficient memory, 2 Insufficient cpu.');
});

test('PreFilter: Unschedulable lets the later PreFilters run (preemption needs their state); Unresolvable stops at once', () => {
  const ran: string[] = [];
  const pre = (name: string, st: () => Status) => ({ name, preFilter: () => (ran.push(name), { status: st() }) }) as unknown as Plugin;
  const a = fw([pre('A', () => Status.unschedulable('a says no')), pre('B', () => Status.success())]);
  const r = a.runPreFilterPlugins(new CycleState(), newPodInfo(makePod('p')), snapshotOf(nodes(1)));
  assert.deepEqual(ran, ['A', 'B']);
  assert.equal(r.status.plugin, 'A');
  assert.equal(r.status.code, Code.Unschedulable);
  ran.length = 0;
  const b = fw([pre('A', () => Status.unresolvable('never')), pre('B', () => Status.success())]);
  assert.equal(b.runPreFilterPlugins(new CycleState(), newPodInfo(makePod('p')), snapshotOf(nodes(1))).status.code, Code.UnschedulableAndUnresolvable);
  assert.deepEqual(ran, ['A']);
  // Node sets that do not intersect: named, sorted, "simultaneously".
  const only = (name: string, set: string[]) => ({ name, preFilter: () => ({ result: { nodeNames: new Set(set) }, status: Status.success() }) }) as unknown as Plugin;
  const c = fw([only('Zeta', ['n0']), only('Alpha', ['n1'])]);
  const res = c.runPreFilterPlugins(new CycleState(), newPodInfo(makePod('p')), snapshotOf(nodes(2)));
  assert.equal(res.status.message(), "node(s) didn't satisfy plugin(s) [Alpha Zeta] simultaneously");
});
