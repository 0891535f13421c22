import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../api/types.ts';
import { silentLogger } from '../base/log.ts';
import { FakeClock } from '../client/fake-clock.ts';
import type { PodStatusPatch, SchedulerApi, SchedulerEvent } from './api.ts';
import { namespaceEventHandlers, nodeEventHandlers, podEventHandlers, podInfoFor } from './eventhandlers.ts';
import { SchedulerCache } from './framework/cache.ts';
import { DefaultPreemption } from './framework/preemption.ts';
import { PriorityResolver } from './framework/priority.ts';
import { SchedulingQueue } from './framework/queue.ts';
import { Framework, type PluginEntry } from './framework/runtime.ts';
import { CacheSnapshot } from './framework/snapshot.ts';
import { makeNode, makePod } from './framework/testing.ts';
import { DEFAULT_PLUGIN_ORDER, DEFAULT_SCORE_WEIGHTS, defaultPlugins } from './plugins/registry.ts';
import { Scheduler } from './scheduler.ts';

const key = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** The scheduler with default plugins over an in-memory "API": writes are applied and fed back as informer events. */
class Harness implements SchedulerApi {
  readonly clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  readonly pods = new Map<string, KubeObject>();
  readonly priorityClasses = new Map<string, KubeObject>();
  readonly bound: Array<{ pod: string; node: string }> = [];
  readonly deleted: string[] = [];
  readonly events: SchedulerEvent[] = [];
  failBinds = 0;
  rv = 1;
  readonly scheduler: Scheduler;
  readonly queue: SchedulingQueue;
  readonly cache: SchedulerCache;
  private readonly podH;
  private readonly nodeH;

  constructor(profiles = ['default-scheduler']) {
    const snapshot = new CacheSnapshot();
    const resolver = new PriorityResolver({ get: (n) => this.priorityClasses.get(n), list: () => [...this.priorityClasses.values()] });
    const frameworks = profiles.map((name) => {
      const plugins = defaultPlugins({ snapshot: () => snapshot, bind: (pod, node) => this.bind(pod, node) });
      const preemption = new DefaultPreemption({ api: this, clock: this.clock, log: silentLogger, listPDBs: () => [], random: () => 0 });
      const byName = new Map([...plugins, preemption].map((p) => [p.name, p]));
      const entries: PluginEntry[] = DEFAULT_PLUGIN_ORDER.filter((n) => byName.has(n)).map((n) => ({ plugin: byName.get(n)!, weight: DEFAULT_SCORE_WEIGHTS[n] }));
      return new Framework({ profile: { schedulerName: name, plugins: entries }, clock: this.clock, log: silentLogger, random: () => 0.5 });
    });
    this.queue = new SchedulingQueue({ clock: this.clock, log: silentLogger, less: (a, b) => frameworks[0]!.less(a, b), profiles: new Map(frameworks.map((f) => [f.profileName, f])) });
    this.cache = new SchedulerCache({ clock: this.clock, log: silentLogger });
    this.scheduler = new Scheduler({
      profiles: frameworks,
      queue: this.queue,
      cache: this.cache,
      api: this,
      clock: this.clock,
      log: silentLogger,
      getPod: (ns, name) => this.pods.get(`${ns}/${name}`),
      podInfoOf: (pod) => podInfoFor(resolver, pod),
      snapshot,
    });
    const deps = { cache: this.cache, queue: this.queue, profiles: this.scheduler.profiles, resolver };
    this.podH = podEventHandlers(deps);
    this.nodeH = nodeEventHandlers(deps);
    namespaceEventHandlers(deps);
  }

  // ---- the "cluster" ----
  addNode(node: KubeObject): void {
    this.nodeH.onAdd!(node, false);
  }
  updateNode(old: KubeObject, node: KubeObject): void {
    this.nodeH.onUpdate!(old, node);
  }
  addPod(pod: KubeObject): KubeObject {
    const p = { ...pod, metadata: { ...pod.metadata, resourceVersion: String(this.rv++) } };
    this.pods.set(key(p), p);
    this.podH.onAdd!(p, false);
    return p;
  }
  private updatePod(next: KubeObject): void {
    const old = this.pods.get(key(next));
    if (!old) return;
    const p = { ...next, metadata: { ...next.metadata, resourceVersion: String(this.rv++) } };
    this.pods.set(key(p), p);
    this.podH.onUpdate!(old, p);
  }
  removePod(name: string): void {
    const p = this.pods.get(name);
    if (!p) return;
    this.pods.delete(name);
    this.podH.onDelete!(p);
  }
  pod(name: string): KubeObject {
    return this.pods.get(`default/${name}`)!;
  }
  condition(name: string): Record<string, unknown> | undefined {
    return (this.pod(name).status?.conditions ?? []).find((c: { type: string }) => c.type === 'PodScheduled');
  }

  /** Schedule everything ready, wait for the binding cycles and the informer echo. */
  async settle(): Promise<void> {
    for (let i = 0; i < 10; i++) {
      await this.scheduler.drain();
      await this.scheduler.idle();
      await new Promise((r) => setImmediate(r));
      if (this.queue.stats().active === 0) return;
    }
  }

  // ---- SchedulerApi ----
  async bind(pod: KubeObject, nodeName: string): Promise<void> {
    if (this.failBinds > 0) {
      this.failBinds--;
      throw new Error('etcd is having a bad day');
    }
    const cur = this.pods.get(key(pod));
    if (!cur) throw Object.assign(new Error('not found'), { httpCode: 404 });
    if (cur.spec?.nodeName) throw Object.assign(new Error('already bound'), { httpCode: 409 });
    this.bound.push({ pod: pod.metadata.name!, node: nodeName });
    queueMicrotask(() => this.updatePod({ ...cur, spec: { ...cur.spec, nodeName } }));
  }
  async patchPodStatus(pod: KubeObject, patch: PodStatusPatch): Promise<void> {
    const cur = this.pods.get(key(pod));
    if (!cur) return;
    const status = { ...(cur.status ?? {}) };
    if (patch.conditions) {
      const conds = [...(status.conditions ?? [])].filter((c: { type: string }) => !patch.conditions!.some((n) => n.type === c.type));
      status.conditions = [...conds, ...patch.conditions];
    }
    if (patch.nominatedNodeName !== undefined) status.nominatedNodeName = patch.nominatedNodeName ?? undefined;
    this.updatePod({ ...cur, status });
  }
  async deletePod(pod: KubeObject): Promise<void> {
    this.deleted.push(pod.metadata.name!);
  }
  recordEvent(e: SchedulerEvent): void {
    this.events.push(e);
  }
  eventsFor(name: string, reason?: string): SchedulerEvent[] {
    return this.events.filter((e) => e.regarding.metadata.name === name && (!reason || e.reason === reason));
  }
}

const CP_TAINT = [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }];

test('pods are bound, counted on their node while binding, and get a Scheduled event', async () => {
  const h = new Harness();
  h.addNode(makeNode('a', { cpu: '2' }));
  h.addNode(makeNode('b', { cpu: '2' }));
  for (let i = 0; i < 4; i++) h.addPod(makePod(`p${i}`, { cpu: '1' }));
  await h.settle();
  assert.equal(h.bound.length, 4);
  const perNode = new Map<string, number>();
  for (const b of h.bound) perNode.set(b.node, (perNode.get(b.node) ?? 0) + 1);
  assert.deepEqual([...perNode.values()], [2, 2], 'never more than fits');
  const ev = h.eventsFor('p0', 'Scheduled')[0]!;
  assert.equal(ev.type, 'Normal');
  assert.equal(ev.action, 'Binding');
  assert.match(ev.note, /^Successfully assigned default\/p0 to [ab]$/);
  assert.equal(h.cache.assumedPodCount(), 0, 'every binding was confirmed by the informer');
  assert.equal(h.pod('p0').spec.nodeName !== undefined, true);
});

test("a pod that fits nowhere stays Pending with upstream's message, then schedules when a node that fits appears", async () => {
  const h = new Harness();
  h.addNode(makeNode('small', { cpu: '1' }));
  h.addNode(makeNode('cp1', { cpu: '8', taints: CP_TAINT }));
  h.addNode(makeNode('cp2', { cpu: '8', taints: CP_TAINT }));
  h.addPod(makePod('big', { cpu: '2' }));
  await h.settle();
  assert.equal(h.bound.length, 0);
  const msg =
    '0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. ' +
    'preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling..';
  const failed = h.eventsFor('big', 'FailedScheduling');
  assert.equal(failed.length, 1);
  assert.equal(failed[0]!.type, 'Warning');
  assert.equal(failed[0]!.note, msg);
  assert.deepEqual(
    { ...h.condition('big'), lastTransitionTime: undefined },
    { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: msg, lastProbeTime: null, lastTransitionTime: undefined },
  );
  assert.equal(h.queue.locate(h.pod('big').metadata.uid!), 'unschedulable');

  // An unrelated change (a label on the small node) does not retry it; a big node does.
  const small = makeNode('small', { cpu: '1' });
  h.updateNode(small, { ...small, metadata: { ...small.metadata, labels: { ...small.metadata.labels, team: 'x' } } });
  assert.equal(h.queue.locate(h.pod('big').metadata.uid!), 'unschedulable');
  h.addNode(makeNode('big-node', { cpu: '4' }));
  assert.equal(h.queue.locate(h.pod('big').metadata.uid!), 'backoff');
  await h.clock.advance(1000);
  await h.settle();
  assert.deepEqual(h.bound, [{ pod: 'big', node: 'big-node' }]);
  assert.equal(h.eventsFor('big', 'Scheduled').length, 1);
});

test('a pod is retried when resources free up (an assigned pod is deleted)', async () => {
  const h = new Harness();
  h.addNode(makeNode('n', { cpu: '2' }));
  h.addPod(makePod('first', { cpu: '2' }));
  await h.settle();
  h.addPod(makePod('second', { cpu: '2' }));
  await h.settle();
  assert.equal(h.queue.locate(h.pod('second').metadata.uid!), 'unschedulable');
  h.removePod('default/first');
  await h.clock.advance(1000);
  await h.settle();
  assert.deepEqual(h.bound.map((b) => b.pod), ['first', 'second']);
});

test('pods for another scheduler are left alone; each profile schedules its own', async () => {
  const h = new Harness(['default-scheduler', 'second-scheduler']);
  h.addNode(makeNode('n'));
  h.addPod(makePod('mine', { schedulerName: 'second-scheduler' }));
  h.addPod(makePod('theirs', { schedulerName: 'someone-else' }));
  await h.settle();
  assert.deepEqual(h.bound.map((b) => b.pod), ['mine']);
  assert.deepEqual(h.queue.stats(), { active: 0, backoff: 0, unschedulable: 0, gated: 0, inFlight: 0 });
  assert.equal(h.eventsFor('theirs').length, 0);
});

test('a failed bind un-assumes the pod and retries it after backoff', async () => {
  const h = new Harness();
  h.addNode(makeNode('n', { cpu: '1' }));
  h.failBinds = 1;
  h.addPod(makePod('p', { cpu: '1' }));
  await h.settle();
  assert.equal(h.bound.length, 0);
  assert.equal(h.cache.assumedPodCount(), 0);
  assert.equal(h.cache.nodeInfo('n')!.requested.milliCPU, 0, 'the room is free again');
  assert.equal(h.queue.locate(h.pod('p').metadata.uid!), 'backoff');
  assert.equal(h.condition('p')?.reason, 'SchedulerError');
  await h.clock.advance(1000);
  await h.settle();
  assert.deepEqual(h.bound, [{ pod: 'p', node: 'n' }]);
});

test('gated pods wait for their gates; PriorityClass values order the queue', async () => {
  const h = new Harness();
  h.priorityClasses.set('important', { metadata: { name: 'important' }, value: 1000 });
  h.addNode(makeNode('n', { cpu: '1' }));
  h.addPod(makePod('gated', { cpu: '1', gates: ['wait'] }));
  h.addPod(makePod('normal', { cpu: '1' }));
  h.addPod(makePod('vip', { cpu: '1', extra: { priorityClassName: 'important' } }));
  await h.settle();
  assert.deepEqual(h.bound.map((b) => b.pod), ['vip'], 'the higher-priority pod went first');
  assert.equal(h.queue.locate(h.pod('gated').metadata.uid!), 'gated');
});

test('preemption: victims are deleted, the node nominated, and the preemptor lands there once they are gone', async () => {
  const h = new Harness();
  h.priorityClasses.set('high', { metadata: { name: 'high' }, value: 100 });
  h.addNode(makeNode('n', { cpu: '2' }));
  h.addPod(makePod('low1', { cpu: '1', priority: 1 }));
  h.addPod(makePod('low2', { cpu: '1', priority: 2 }));
  await h.settle();
  h.addPod(makePod('high', { cpu: '1', extra: { priorityClassName: 'high' } }));
  await h.settle();
  assert.deepEqual(h.deleted, ['low1']);
  assert.equal(h.pod('high').status.nominatedNodeName, 'n');
  assert.equal(h.eventsFor('low1', 'Preempted').length, 1);
  assert.equal(h.condition('high')?.message, '0/1 nodes are available: 1 Insufficient cpu.');
  // The victim terminates (the kubelet deletes it): the preemptor is retried and bound.
  h.removePod('default/low1');
  await h.clock.advance(2000);
  await h.settle();
  assert.deepEqual(h.bound.at(-1), { pod: 'high', node: 'n' });
});
