// The etcd client's fault policy without an etcd: which failures are retried, and that
// retrying stays within its budget (fake time).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failedBeforeSending, faultHandling, retryableRead, WatchBackoff, withRetry, type RetryBudget, type Sleeper } from './etcd-faults.ts';

class FakeTime implements Sleeper {
  t = 0;
  readonly sleeps: number[] = [];
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
  }
}

const unsent = new Error('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1');
const dropped = new Error('14 UNAVAILABLE: Connection dropped');
const tooBig = new Error('8 RESOURCE_EXHAUSTED: grpc: received message larger than max (3000051 vs. 2097152)');
const conflict = new Error('3 INVALID_ARGUMENT: etcdserver: request is too large');

test('failures before sending are retried for any call; broken connections only for reads', () => {
  assert.equal(failedBeforeSending(unsent), true);
  assert.equal(failedBeforeSending(new Error('14 UNAVAILABLE: etcdserver: no leader')), true);
  assert.equal(failedBeforeSending(new Error('8 RESOURCE_EXHAUSTED: etcdserver: too many requests')), true);
  for (const err of [dropped, tooBig, conflict, new Error('14 UNAVAILABLE: etcdserver: request timed out'), 'not an error']) {
    assert.equal(failedBeforeSending(err), false, String(err));
  }
  assert.equal(retryableRead(dropped), true);
  assert.equal(retryableRead(new Error('14 UNAVAILABLE: etcdserver: leader changed')), true);
  // Already retried by the client's global policy; not again by the read wrapper.
  assert.equal(retryableRead(unsent), false);
  assert.equal(retryableRead(tooBig), false);
  assert.equal(retryableRead(conflict), false);
});

test('withRetry: exponential back-off, bounded by attempts and by elapsed time; other errors at once', async () => {
  const budget: RetryBudget = { maxAttempts: 10, maxElapsedMs: 1000, initialDelayMs: 25, maxDelayMs: 300 };
  let time = new FakeTime();
  let calls = 0;
  await assert.rejects(
    withRetry(async () => {
      calls++;
      throw unsent;
    }, failedBeforeSending, budget, time),
    (err) => err === unsent,
  );
  // 25 + 50 + 100 + 200 + 300 + 300 = 975 ms; one more 300 ms wait would pass 1000 ms.
  assert.deepEqual(time.sleeps, [25, 50, 100, 200, 300, 300]);
  assert.equal(calls, 7);

  time = new FakeTime();
  calls = 0;
  await assert.rejects(
    withRetry(async () => {
      calls++;
      throw unsent;
    }, failedBeforeSending, { ...budget, maxAttempts: 3 }, time),
  );
  assert.equal(calls, 3);

  time = new FakeTime();
  calls = 0;
  await assert.rejects(
    withRetry(async () => {
      calls++;
      throw dropped;
    }, failedBeforeSending, budget, time),
    (err) => err === dropped,
  );
  assert.equal(calls, 1);
  assert.deepEqual(time.sleeps, []);

  time = new FakeTime();
  calls = 0;
  const value = await withRetry(
    async () => {
      if (++calls < 3) throw unsent;
      return 'ok';
    },
    failedBeforeSending,
    budget,
    time,
  );
  assert.equal(value, 'ok');
  assert.equal(calls, 3);
});

test('the client policies: the global one retries only unsent calls, the host one passes through', async () => {
  const policies = faultHandling({ maxAttempts: 3, maxElapsedMs: 1000, initialDelayMs: 1, maxDelayMs: 1 });
  let calls = 0;
  await assert.rejects(
    policies.global!.execute(() => {
      calls++;
      throw unsent;
    }),
  );
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(
    policies.global!.execute(() => {
      calls++;
      throw tooBig;
    }),
  );
  assert.equal(calls, 1);

  const host = policies.host!('127.0.0.1:2379');
  for (let i = 0; i < 5; i++) {
    await assert.rejects(
      host.execute(() => {
        throw tooBig;
      }),
      (err) => err === tooBig, // never "circuit breaker is open"
    );
  }
  assert.equal(await host.execute(() => 42), 42);
});

test('watch reconnect back-off doubles up to its cap, with jitter', () => {
  let b = new WatchBackoff(100, 1000);
  const durations: number[] = [];
  for (let i = 0; i < 8; i++) {
    durations.push(b.duration);
    b = b.next();
  }
  const bases = [100, 200, 400, 800, 1000, 1000, 1000, 1000];
  durations.forEach((d, i) => assert.ok(d >= bases[i] * 0.8 && d <= bases[i] * 1.2, `${d} vs ${bases[i]}`));
});
