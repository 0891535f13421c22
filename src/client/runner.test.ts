import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.ts';
import type { Logger } from '../base/log.ts';
import { FakeClock, flushMicrotasks } from './fake-clock.ts';
import type { EventHandlers } from './informer.ts';
import { Controller, type EventSource } from './runner.ts';
import { ItemExponentialRateLimiter } from './ratelimit.ts';

/** An informer stand-in the test drives: sync on demand, emit events by hand. */
class FakeInformer implements EventSource {
  handlers = new Set<EventHandlers<KubeObject>>();
  private synced = false;
  private waiters: (() => void)[] = [];
  hasSynced() {
    return this.synced;
  }
  whenSynced(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    return new Promise((resolve) => {
      this.waiters.push(() => resolve(true));
      signal?.addEventListener('abort', () => resolve(false), { once: true });
    });
  }
  sync() {
    this.synced = true;
    for (const w of this.waiters.splice(0)) w();
  }
  addEventHandler(h: EventHandlers<KubeObject>) {
    this.handlers.add(h);
    return () => void this.handlers.delete(h);
  }
  add(obj: KubeObject) {
    for (const h of this.handlers) h.onAdd?.(obj, false);
  }
  update(a: KubeObject, b: KubeObject) {
    for (const h of this.handlers) h.onUpdate?.(a, b);
  }
  delete(obj: KubeObject) {
    for (const h of this.handlers) h.onDelete?.(obj);
  }
}

const obj = (name: string, owner?: string): KubeObject => ({
  metadata: { name, namespace: 'd', ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: owner, controller: true }] : undefined },
});

function logger(lines: string[] = []): Logger {
  const l: Logger = { info: () => {}, debug: () => {}, warn: (m, f) => lines.push(`${m} ${JSON.stringify(f)}`), error: (m, f) => lines.push(`${m} ${JSON.stringify(f)}`), child: () => l };
  return l;
}

/** A controllable reconcile: each call waits until the test settles it. */
function controllable() {
  const calls: { key: string; signal: AbortSignal; resolve(v?: unknown): void; reject(e: Error): void }[] = [];
  const waiters: { n: number; resolve(): void }[] = [];
  const reconcile = (key: string, signal: AbortSignal) =>
    new Promise<any>((resolve, reject) => {
      calls.push({ key, signal, resolve, reject });
      for (const w of waiters.splice(0)) if (calls.length >= w.n) w.resolve();
      else waiters.push(w);
    });
  const whenCalls = (n: number) => (calls.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })));
  return { calls, reconcile, whenCalls };
}

test('runner: waits for sync, reconciles each key, forgets on success, retries failures with per-key back-off', async () => {
  const clock = new FakeClock();
  const inf = new FakeInformer();
  const warnings: string[] = [];
  const r = controllable();
  const c = new Controller({ name: 'test', log: logger(warnings), informers: [inf], reconcile: r.reconcile, clock, rateLimiter: new ItemExponentialRateLimiter(5, 1000) });
  const ac = new AbortController();
  const running = c.run(ac.signal);
  await flushMicrotasks();
  inf.add(obj('a'));
  await flushMicrotasks();
  assert.equal(r.calls.length, 0, 'no reconcile before the caches synced');
  assert.equal(c.queue.len(), 1);
  inf.sync();
  await r.whenCalls(1);
  assert.equal(r.calls[0]!.key, 'd/a');
  r.calls[0]!.reject(new Error('conflict'));
  await clock.whenTimers(1);
  assert.deepEqual(clock.pendingDelays(), [5]);
  assert.match(warnings[0]!, /reconcile failed; will retry.*"key":"d\/a"/);
  await clock.advance(5);
  await r.whenCalls(2);
  r.calls[1]!.reject(new Error('again'));
  await clock.whenTimers(1);
  assert.deepEqual(clock.pendingDelays(), [10], 'exponential per key');
  await clock.advance(10);
  await r.whenCalls(3);
  r.calls[2]!.resolve();
  await flushMicrotasks();
  assert.equal(c.queue.numRequeues('d/a'), 0, 'forgotten after success');
  ac.abort();
  await running;
  assert.equal(clock.pending(), 0);
  assert.equal(inf.handlers.size, 0, 'handlers removed');
});

test('runner: one key is never reconciled twice at once; events during a reconcile run it again afterwards', async () => {
  const clock = new FakeClock();
  const inf = new FakeInformer();
  inf.sync();
  const r = controllable();
  const c = new Controller({ name: 'test', log: logger(), informers: [inf], reconcile: r.reconcile, clock, workers: 3 });
  const ac = new AbortController();
  const running = c.run(ac.signal);
  await flushMicrotasks();
  inf.add(obj('a'));
  inf.add(obj('b'));
  await r.whenCalls(2);
  inf.update(obj('a'), obj('a'));
  inf.update(obj('a'), obj('a'));
  await flushMicrotasks();
  assert.deepEqual(r.calls.map((x) => x.key), ['d/a', 'd/b'], 'a is not handed to the idle third worker');
  r.calls[0]!.resolve();
  await r.whenCalls(3);
  assert.equal(r.calls[2]!.key, 'd/a', 'once more, collapsed');
  r.calls[1]!.resolve();
  r.calls[2]!.resolve();
  await flushMicrotasks();
  assert.equal(r.calls.length, 3);
  ac.abort();
  await running;
});

test('runner: keyOf maps objects to their owner key; requeueAfterMs schedules a later run; abort reaches the reconcile in hand', async () => {
  const clock = new FakeClock();
  const owners = new FakeInformer();
  const pods = new FakeInformer();
  owners.sync();
  pods.sync();
  const r = controllable();
  const c = new Controller({
    name: 'rs',
    log: logger(),
    informers: [owners, pods],
    sources: [{ informer: owners }, { informer: pods, keyOf: (o: KubeObject) => (o.metadata.ownerReferences?.[0] ? `${o.metadata.namespace}/${o.metadata.ownerReferences[0].name}` : undefined) }],
    reconcile: r.reconcile,
    clock,
  });
  const ac = new AbortController();
  const running = c.run(ac.signal);
  await flushMicrotasks();
  pods.add(obj('orphan'));
  pods.delete(obj('p1', 'rs1'));
  await r.whenCalls(1);
  assert.equal(r.calls[0]!.key, 'd/rs1');
  r.calls[0]!.resolve({ requeueAfterMs: 30_000 });
  await clock.whenTimers(1);
  assert.deepEqual(clock.pendingDelays(), [30_000]);
  await clock.advance(30_000);
  await r.whenCalls(2);
  assert.equal(r.calls[1]!.key, 'd/rs1');
  // Re-parenting: both the old and the new owner converge.
  r.calls[1]!.resolve();
  pods.update(obj('p2', 'rs1'), obj('p2', 'rs2'));
  await r.whenCalls(3);
  assert.equal(r.calls[2]!.key, 'd/rs2');
  r.calls[2]!.resolve();
  await r.whenCalls(4);
  assert.equal(r.calls[3]!.key, 'd/rs1');
  const inHand = r.calls[3]!;
  let stopped = false;
  const done = running.then(() => (stopped = true));
  ac.abort();
  assert.equal(inHand.signal.aborted, true);
  await flushMicrotasks();
  assert.equal(stopped, false, 'run waits for the reconcile in hand');
  inHand.reject(new Error('aborted'));
  await done;
  assert.equal(clock.pending(), 0);
});

test('runner: aborting before the caches sync stops cleanly', async () => {
  const inf = new FakeInformer();
  const r = controllable();
  const c = new Controller({ name: 'x', log: logger(), informers: [inf], reconcile: r.reconcile, clock: new FakeClock() });
  const ac = new AbortController();
  const running = c.run(ac.signal);
  inf.add(obj('a'));
  ac.abort();
  await running;
  assert.equal(r.calls.length, 0);
  assert.equal(inf.handlers.size, 0);
});
