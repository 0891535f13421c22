import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../api/types.ts';
import { silentLogger } from '../../base/log.ts';
import { FakeClock } from '../../client/fake-clock.ts';
import { prioritySortLess } from '../plugins/prioritysort.ts';
import { AssignedPodDelete, NodeAdd, nodeSchedulingPropertiesChange } from './events.ts';
import { newPodInfo } from './podinfo.ts';
import { type QueueProfile, SchedulingQueue } from './queue.ts';
import { makeNode, makePod } from './testing.ts';
import { type ClusterEventWithHint, Code, type QueuedPodInfo, Status } from './types.ts';

function profile(hints: Record<string, ClusterEventWithHint[]>, gate = true): QueueProfile {
  const map = new Map(Object.entries(hints));
  return {
    runPreEnqueuePlugins(pod: KubeObject): Status {
      if (gate && (pod.spec?.schedulingGates?.length ?? 0) > 0) {
        const st = new Status(Code.Pending, ['waiting for scheduling gates']);
        st.plugin = 'SchedulingGates';
        return st;
      }
      return Status.success();
    },
    queueingHints: () => map,
  };
}

const HINTS: Record<string, ClusterEventWithHint[]> = {
  // Rejected for resources: a new node helps only if it is big enough (label says so here).
  Fit: [
    { event: { resource: 'Node', action: 'Add' }, hint: (_pod, _old, n) => (n?.metadata.labels?.big === 'true' ? 'Queue' : 'QueueSkip') },
    { event: { resource: 'Pod', action: 'Delete' } },
  ],
  Taints: [{ event: { resource: 'Node', action: 'UpdateNodeTaint' } }],
  Affinity: [{ event: { resource: 'Pod', action: 'UpdatePodLabel' } }],
  SchedulingGates: [{ event: { resource: 'Pod', action: 'UpdatePodSchedulingGatesEliminated' } }],
};

function setup(hints = HINTS) {
  const clock = new FakeClock(1_000_000);
  const q = new SchedulingQueue({ clock, log: silentLogger, less: prioritySortLess, profiles: new Map([['default-scheduler', profile(hints)]]) });
  return { clock, q };
}

/** Pop `pod` and fail it with the given rejecting plugins. */
function fail(q: SchedulingQueue, qpi: QueuedPodInfo, plugins: string[]): void {
  qpi.unschedulablePlugins = new Set(plugins);
  q.addUnschedulableIfNotPresent(qpi);
  q.done(qpi.podInfo.pod.metadata.uid!);
}

test('activeQ pops by priority, then by arrival', async () => {
  const { clock, q } = setup();
  q.add(newPodInfo(makePod('low', { priority: 1 })));
  await clock.advance(10);
  q.add(newPodInfo(makePod('high-late', { priority: 10 })));
  await clock.advance(10);
  q.add(newPodInfo(makePod('low-late', { priority: 1 })));
  q.add(newPodInfo(makePod('high-later', { priority: 10 })));
  const order = [q.tryPop(), q.tryPop(), q.tryPop(), q.tryPop()].map((x) => x?.podInfo.pod.metadata.name);
  assert.deepEqual(order, ['high-late', 'high-later', 'low', 'low-late']);
  assert.equal(q.tryPop(), undefined);
  assert.equal(q.schedulingCycle(), 4);
});

test('a failed attempt with an error backs off 1 s, doubling per attempt up to 10 s', async () => {
  const { clock, q } = setup();
  const pod = makePod('p');
  const uid = pod.metadata.uid!;
  q.add(newPodInfo(pod));
  const expected = [1000, 2000, 4000, 8000, 10_000, 10_000];
  for (const backoff of expected) {
    const qpi = q.tryPop()!;
    assert.ok(qpi, 'pod pops');
    fail(q, qpi, []);
    assert.equal(q.locate(uid), 'backoff');
    await clock.advance(backoff - 1);
    q.flushBackoffQCompleted();
    assert.equal(q.locate(uid), 'backoff', `still backing off just before ${backoff} ms`);
    await clock.advance(1);
    q.flushBackoffQCompleted();
    assert.equal(q.locate(uid), 'active', `released after ${backoff} ms`);
  }
});

test('a rejected pod waits in the unschedulable pool until an event its rejecting plugin registered says Queue', async () => {
  const { clock, q } = setup();
  const pod = makePod('p');
  const uid = pod.metadata.uid!;
  q.add(newPodInfo(pod));
  fail(q, q.tryPop()!, ['Fit']);
  assert.equal(q.locate(uid), 'unschedulable');

  // An event no rejecting plugin registered: nothing moves.
  q.moveAllToActiveOrBackoff({ resource: 'Node', action: 'UpdateNodeTaint' }, makeNode('n'), makeNode('n'));
  assert.equal(q.locate(uid), 'unschedulable');
  // Registered, but the hint says skip (a small node).
  q.moveAllToActiveOrBackoff(NodeAdd, undefined, makeNode('small'));
  assert.equal(q.locate(uid), 'unschedulable');
  // Registered and the hint says Queue: still within its 1 s backoff → backoffQ.
  q.moveAllToActiveOrBackoff(NodeAdd, undefined, makeNode('big', { labels: { big: 'true' } }));
  assert.equal(q.locate(uid), 'backoff');
  await clock.advance(1000);
  assert.equal(q.tryPop()?.podInfo.pod.metadata.uid, uid);
});

test('a requeued pod whose backoff is over goes straight to activeQ; a registration without hint always queues', async () => {
  const { clock, q } = setup();
  const pod = makePod('p');
  q.add(newPodInfo(pod));
  fail(q, q.tryPop()!, ['Fit']);
  await clock.advance(5000);
  q.moveAllToActiveOrBackoff(AssignedPodDelete, makePod('gone', { node: 'n1' }), undefined);
  assert.equal(q.locate(pod.metadata.uid!), 'active');
});

test('pods rejected by several plugins move when any of them says Queue; node updates map to specific action types', async () => {
  const { q } = setup();
  const pod = makePod('p');
  q.add(newPodInfo(pod));
  fail(q, q.tryPop()!, ['Fit', 'Taints']);
  const old = makeNode('n1', { taints: [{ key: 'k', effect: 'NoSchedule' }] });
  const cur = makeNode('n1');
  const events = nodeSchedulingPropertiesChange(cur, old);
  assert.deepEqual(
    events.map((e) => e.action),
    ['UpdateNodeTaint'],
  );
  for (const e of events) q.moveAllToActiveOrBackoff(e, old, cur);
  assert.equal(q.locate(pod.metadata.uid!), 'backoff');
});

test('an event seen while the pod was in flight requeues it when it fails', () => {
  const { q } = setup();
  const pod = makePod('p');
  q.add(newPodInfo(pod));
  const qpi = q.tryPop()!;
  assert.equal(q.locate(pod.metadata.uid!), 'inFlight');
  q.moveAllToActiveOrBackoff(NodeAdd, undefined, makeNode('big', { labels: { big: 'true' } }));
  fail(q, qpi, ['Fit']);
  assert.equal(q.locate(pod.metadata.uid!), 'backoff');

  // Without a helpful event meanwhile, a failure parks the pod.
  const pod2 = makePod('p2');
  q.add(newPodInfo(pod2));
  const qpi2 = q.tryPop()!;
  q.moveAllToActiveOrBackoff(NodeAdd, undefined, makeNode('small'));
  fail(q, qpi2, ['Fit']);
  assert.equal(q.locate(pod2.metadata.uid!), 'unschedulable');
});

test('an update of an unschedulable pod asks the plugins that registered that kind of change', async () => {
  const { q } = setup();
  const pod = makePod('p', { labels: { a: '1' } });
  q.add(newPodInfo(pod));
  fail(q, q.tryPop()!, ['Affinity']);
  // A status-only change is not an update.
  const statusOnly = { ...pod, status: { ...pod.status, message: 'x' } };
  q.update(pod, newPodInfo(statusOnly));
  assert.equal(q.locate(pod.metadata.uid!), 'unschedulable');
  const relabeled = { ...pod, metadata: { ...pod.metadata, labels: { a: '2' } } };
  q.update(pod, newPodInfo(relabeled));
  assert.equal(q.locate(pod.metadata.uid!), 'backoff');
  assert.equal(q.get(pod.metadata.uid!)?.podInfo.pod.metadata.labels?.a, '2');
});

test('gated pods are kept aside until their gates are removed', () => {
  const { q } = setup();
  const pod = makePod('gated', { gates: ['example.com/wait'] });
  q.add(newPodInfo(pod));
  assert.equal(q.locate(pod.metadata.uid!), 'gated');
  assert.equal(q.tryPop(), undefined);
  // Unrelated events do not release it; a wildcard event re-runs PreEnqueue, which still gates.
  q.moveAllToActiveOrBackoff(NodeAdd, undefined, makeNode('big', { labels: { big: 'true' } }));
  q.flushUnschedulablePodsLeftover();
  assert.equal(q.locate(pod.metadata.uid!), 'gated');
  // Another change that keeps the gate: still gated.
  const relabeled = { ...pod, metadata: { ...pod.metadata, labels: { x: 'y' } } };
  q.update(pod, newPodInfo(relabeled));
  assert.equal(q.locate(pod.metadata.uid!), 'gated');
  const ungated = { ...relabeled, spec: { ...relabeled.spec, schedulingGates: [] } };
  q.update(relabeled, newPodInfo(ungated));
  assert.equal(q.locate(pod.metadata.uid!), 'active');
  assert.equal(q.tryPop()?.podInfo.pod.metadata.name, 'gated');
});

test('pods unschedulable for more than 5 minutes are retried', async () => {
  const { clock, q } = setup();
  const pod = makePod('p');
  q.add(newPodInfo(pod));
  fail(q, q.tryPop()!, ['Fit']);
  await clock.advance(5 * 60_000);
  q.flushUnschedulablePodsLeftover();
  assert.equal(q.locate(pod.metadata.uid!), 'unschedulable', 'exactly 5 minutes is not more than 5 minutes');
  await clock.advance(1);
  q.flushUnschedulablePodsLeftover();
  assert.equal(q.locate(pod.metadata.uid!), 'active');
});

test('run() flushes on its own timers; pop() waits for a pod and resolves undefined when closed', async () => {
  const { clock, q } = setup();
  const ac = new AbortController();
  q.run(ac.signal);
  const pod = makePod('p');
  q.add(newPodInfo(pod));
  fail(q, q.tryPop()!, []);
  const popped = q.pop();
  await clock.advance(1000);
  assert.equal((await popped)?.podInfo.pod.metadata.name, 'p');

  const waiting = q.pop();
  ac.abort();
  assert.equal(await waiting, undefined);
  assert.equal(clock.pending(), 0, 'no timer left behind');
});

test('deleting a pod removes it from wherever it waits, nominations included', () => {
  const { q } = setup();
  const a = makePod('a', { nominatedNode: 'n1' });
  const b = makePod('b');
  q.add(newPodInfo(a));
  q.add(newPodInfo(b));
  assert.equal(q.nominator.podsForNode('n1').length, 1);
  fail(q, q.tryPop()!, ['Fit']);
  q.delete(a);
  q.delete(b);
  assert.deepEqual(q.stats(), { active: 0, backoff: 0, unschedulable: 0, gated: 0, inFlight: 0 });
  assert.equal(q.nominator.podsForNode('n1').length, 0);
});

test('activate() moves unschedulable pods to activeQ at once', () => {
  const { q } = setup();
  const pod = makePod('p');
  q.add(newPodInfo(pod));
  fail(q, q.tryPop()!, ['Fit']);
  q.activate([pod]);
  assert.equal(q.locate(pod.metadata.uid!), 'active');
});
