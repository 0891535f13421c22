import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './fake-clock.ts';
import { WorkQueue } from './workqueue.ts';
import { BucketRateLimiter, defaultControllerRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter } from './ratelimit.ts';

test('workqueue: FIFO, repeated adds collapse', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.len(), 2);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
  assert.equal(q.len(), 0);
  q.shutDown();
});

test('workqueue: a key being processed is not handed out twice; an add meanwhile re-queues it after done', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  q.add('a');
  const k = await q.get();
  assert.equal(k, 'a');
  q.add('a'); // while processing
  q.add('a');
  assert.equal(q.len(), 0, 'not in the queue while processing');
  let second: string | undefined | null = null;
  const pending = q.get().then((v) => (second = v));
  await Promise.resolve();
  assert.equal(second, null, 'a second worker does not get it');
  q.done('a');
  await pending;
  assert.equal(second, 'a', 'done put it back, once');
  q.done('a');
  assert.equal(q.len(), 0);
  q.shutDown();
});

test('workqueue: a waiting get() is served by the next add', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  const g1 = q.get();
  const g2 = q.get();
  q.add('x');
  q.add('y');
  assert.deepEqual(await Promise.all([g1, g2]), ['x', 'y']);
  q.shutDown();
});

test('workqueue: addAfter fires on the clock and keeps the earliest time per key', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  q.addAfter('a', 1000);
  q.addAfter('a', 5000); // later: ignored
  q.addAfter('b', 3000);
  q.addAfter('b', 2000); // earlier: replaces
  q.addAfter('c', 0); // at once
  assert.equal(q.len(), 1);
  assert.equal(q.delayedLen(), 2);
  assert.deepEqual(clock.pendingDelays(), [1000, 2000]);
  await clock.advance(999);
  assert.equal(q.len(), 1);
  await clock.advance(1);
  assert.equal(q.len(), 2);
  await clock.advance(1000);
  assert.equal(q.len(), 3);
  assert.deepEqual([await q.get(), await q.get(), await q.get()], ['c', 'a', 'b']);
  assert.equal(clock.pending(), 0);
  q.shutDown();
});

test('workqueue: addRateLimited backs off per key; forget resets', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock, rateLimiter: new ItemExponentialRateLimiter(5, 1000_000) });
  q.addRateLimited('a');
  q.addRateLimited('a'); // 10 ms, later than the pending 5 ms: collapses
  assert.deepEqual(clock.pendingDelays(), [5]);
  assert.equal(q.numRequeues('a'), 2);
  await clock.advance(5);
  assert.equal(await q.get(), 'a');
  q.addRateLimited('a');
  assert.deepEqual(clock.pendingDelays(), [20]);
  q.forget('a');
  assert.equal(q.numRequeues('a'), 0);
  q.done('a');
  q.shutDown();
  assert.equal(clock.pending(), 0, 'shutDown clears timers');
});

test('workqueue: shutDown resolves waiting and later gets with undefined and ignores adds', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  const waiting = q.get();
  q.shutDown();
  assert.equal(await waiting, undefined);
  q.add('a');
  assert.equal(await q.get(), undefined);
  assert.equal(q.len(), 0);
});

test('workqueue: shutDownWithDrain waits for keys in processing', async () => {
  const q = new WorkQueue({ clock: new FakeClock() });
  q.add('a');
  await q.get();
  let drained = false;
  const d = q.shutDownWithDrain().then(() => (drained = true));
  await Promise.resolve();
  assert.equal(drained, false);
  q.done('a');
  await d;
  assert.equal(drained, true);
});

test('rate limiters: per-key exponential with cap; token bucket; max of both', () => {
  const exp = new ItemExponentialRateLimiter(5, 1000_000);
  const delays = Array.from({ length: 20 }, () => exp.when('k'));
  assert.deepEqual(delays.slice(0, 4), [5, 10, 20, 40]);
  assert.equal(delays.at(-1), 1000_000);
  assert.equal(exp.when('other'), 5, 'per key');

  const clock = new FakeClock();
  const bucket = new BucketRateLimiter({ qps: 10, burst: 3, clock });
  assert.deepEqual([bucket.when('a'), bucket.when('b'), bucket.when('c')], [0, 0, 0]);
  assert.equal(bucket.when('d'), 100, 'one token in debt: 100 ms at 10 qps');
  assert.equal(bucket.when('e'), 200);

  const max = new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 1000_000), new BucketRateLimiter({ qps: 10, burst: 1, clock }));
  assert.equal(max.when('x'), 5);
  assert.equal(max.when('x'), 100, 'the bucket dominates');
  assert.equal(max.numRequeues('x'), 2);
  max.forget('x');
  assert.equal(max.numRequeues('x'), 0);

  const def = defaultControllerRateLimiter(clock);
  const first100 = Array.from({ length: 100 }, (_, i) => def.when(`k${i}`));
  assert.ok(first100.every((d) => d === 5), 'burst of 100 distinct keys pays only the per-key delay');
  assert.equal(def.when('k100'), 100);
});
