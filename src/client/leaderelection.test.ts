import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../base/log.ts';
import { ApiClient } from './client.ts';
import { FakeClock, flushMicrotasks } from './fake-clock.ts';
import { FakeTransport, statusReply, type RecordedRequest } from './fake-transport.ts';
import { LeaderElector, type LeaseSpec } from './leaderelection.ts';

const silent: Logger = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent };

/** One Lease in memory with compare-and-swap on resourceVersion, as the API server keeps it. */
function leaseServer() {
  const state: { lease?: { metadata: Record<string, unknown>; spec: LeaseSpec }; rv: number; down: Set<string> } = { rv: 0, down: new Set() };
  const path = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases';
  const fake = new FakeTransport((req: RecordedRequest) => {
    const who = (req.body as { spec?: LeaseSpec } | undefined)?.spec?.holderIdentity;
    if (who && state.down.has(who)) return statusReply(503, 'ServiceUnavailable', 'partitioned');
    if (req.method === 'GET' && req.path === `${path}/sched`) return state.lease ? { body: state.lease } : statusReply(404, 'NotFound');
    const body = req.body as { metadata: Record<string, unknown>; spec: LeaseSpec };
    if (req.method === 'POST' && req.path === path) {
      if (state.lease) return statusReply(409, 'AlreadyExists');
      state.lease = { metadata: { ...body.metadata, resourceVersion: String(++state.rv) }, spec: body.spec };
      return { status: 201, body: state.lease };
    }
    if (req.method === 'PUT' && req.path === `${path}/sched`) {
      if (!state.lease) return statusReply(404, 'NotFound');
      if (body.metadata.resourceVersion !== state.lease.metadata.resourceVersion) return statusReply(409, 'Conflict', 'the object has been modified');
      state.lease = { metadata: { ...body.metadata, resourceVersion: String(++state.rv) }, spec: body.spec };
      return { body: state.lease };
    }
    return undefined;
  });
  return { state, client: new ApiClient({ transport: fake }) };
}

function candidate(client: ApiClient, clock: FakeClock, identity: string, log: string[]) {
  return new LeaderElector({
    client,
    namespace: 'kube-system',
    name: 'sched',
    identity,
    clock,
    log: silent,
    random: () => 0,
    onStartedLeading: (signal) => {
      log.push(`${identity} started`);
      signal.addEventListener('abort', () => log.push(`${identity} signal aborted`));
    },
    onStoppedLeading: () => log.push(`${identity} stopped`),
    onNewLeader: (id) => log.push(`${identity} sees ${id}`),
  });
}

test('leader election: one leader at a time; renewals keep it; a partitioned leader steps down and the other takes over after the lease expires', async () => {
  const clock = new FakeClock();
  const { state, client } = leaseServer();
  const log: string[] = [];
  const a = candidate(client, clock, 'a', log);
  const b = candidate(client, clock, 'b', log);
  const acA = new AbortController();
  const acB = new AbortController();
  const runA = a.run(acA.signal);
  await clock.whenTimers(1); // a leads, waiting to renew
  const runB = b.run(acB.signal);
  await clock.whenTimers(2); // b waits to retry
  assert.equal(a.isLeader(), true);
  assert.equal(b.isLeader(), false);
  assert.equal(b.getLeader(), 'a');
  assert.deepEqual(state.lease!.spec.holderIdentity, 'a');
  assert.equal(state.lease!.spec.leaseDurationSeconds, 15);
  assert.equal(state.lease!.spec.leaseTransitions, 0);
  assert.match(state.lease!.spec.renewTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

  // 20 s of renewals: a keeps the lease, b never gets it.
  await clock.advance(20_000);
  assert.equal(a.isLeader(), true);
  assert.equal(state.lease!.spec.holderIdentity, 'a');
  const renewed = Date.parse(state.lease!.spec.renewTime!);
  assert.ok(renewed > clock.now() - 3000, 'renewed within the last retry period');

  // a is cut off from the API server: when a renewal cannot succeed within renewDeadline
  // (10 s, counted from the attempt after its last success) it stops leading.
  state.down.add('a');
  await clock.advance(12_000);
  await runA;
  assert.equal(b.isLeader(), false, 'the lease b observed is still valid');
  assert.equal(log.filter((l) => l.startsWith('a ')).join(' | '), 'a sees a | a started | a signal aborted | a stopped');
  assert.equal(state.lease!.spec.holderIdentity, 'a', 'nobody released it');

  // b takes over once the lease it last saw renewed is 15 s old (by b's own clock).
  await clock.advance(6_000);
  assert.equal(b.isLeader(), true);
  assert.equal(state.lease!.spec.holderIdentity, 'b');
  assert.equal(state.lease!.spec.leaseTransitions, 1);
  assert.ok(log.includes('b started'));
  acB.abort();
  await runB;
  assert.equal(clock.pending(), 0);
});

test('leader election: stopping the leader releases the lease so the next candidate takes over at its next retry', async () => {
  const clock = new FakeClock();
  const { state, client } = leaseServer();
  const log: string[] = [];
  const a = candidate(client, clock, 'a', log);
  const b = candidate(client, clock, 'b', log);
  const acA = new AbortController();
  const acB = new AbortController();
  const runA = a.run(acA.signal);
  await clock.whenTimers(1);
  const runB = b.run(acB.signal);
  await clock.whenTimers(2);
  acA.abort();
  await runA;
  assert.equal(state.lease!.spec.holderIdentity, '');
  assert.equal(state.lease!.spec.leaseDurationSeconds, 1);
  assert.deepEqual(log.filter((l) => l.startsWith('a ')), ['a sees a', 'a started', 'a signal aborted', 'a stopped']);
  await clock.advance(2_000); // b's retry period
  await flushMicrotasks();
  assert.equal(b.isLeader(), true);
  assert.equal(state.lease!.spec.leaseTransitions, 1);
  acB.abort();
  await runB;
  assert.equal(clock.pending(), 0);
});

test('leader election: options are checked; a candidate stopped before leading calls no callback', async () => {
  const { client } = leaseServer();
  assert.throws(() => new LeaderElector({ client, namespace: 'n', name: 'x', identity: 'i', log: silent, leaseDurationMs: 5000, renewDeadlineMs: 5000, onStartedLeading() {} }));
  assert.throws(() => new LeaderElector({ client, namespace: 'n', name: 'x', identity: 'i', log: silent, renewDeadlineMs: 2000, retryPeriodMs: 2000, onStartedLeading() {} }));
  const clock = new FakeClock();
  const { state, client: c2 } = leaseServer();
  state.lease = { metadata: { name: 'sched', namespace: 'kube-system', resourceVersion: '1' }, spec: { holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: new Date(clock.now()).toISOString() } };
  const log: string[] = [];
  const e = candidate(c2, clock, 'e', log);
  const ac = new AbortController();
  const run = e.run(ac.signal);
  await clock.whenTimers(1);
  ac.abort();
  await run;
  assert.deepEqual(log, ['e sees other']);
  assert.equal(clock.pending(), 0);
});
