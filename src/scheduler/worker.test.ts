// The scheduler in a worker thread against the real API server (memory backend) in this
// thread: pods get bound and a Scheduled event, a pod that fits nowhere gets the upstream
// message, stats cross the thread, and stop() ends the worker.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../api/types.ts';
import { ApiServer } from '../apiserver/server.ts';
import { silentLogger } from '../base/log.ts';
import { ApiClient } from '../client/client.ts';
import { InProcessTransport } from '../client/inprocess-transport.ts';
import { MemoryBackend } from '../store/memory.ts';
import { makeNode, makePod } from './framework/testing.ts';
import { type PodEventRecord, SchedulerWorker } from './worker.ts';

/** Poll `check` until it returns a value, failing after 15 s (a deadline, not a sleep). */
async function until<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('the scheduler in a worker thread binds pods, writes events and conditions, and stops', async () => {
  const backend = new MemoryBackend({ retainRevisions: 0 });
  const server = await ApiServer.start({ backend, log: silentLogger });
  server.setReady();
  const client = new ApiClient({ transport: new InProcessTransport({ handler: server, user: { name: 'admin', groups: ['system:masters'] } }) });
  const records: PodEventRecord[] = [];
  const t0 = Date.now();
  const worker = SchedulerWorker.start({ handler: server, user: { name: 'system:kube-scheduler', groups: ['system:masters', 'system:authenticated'] }, onPodEvents: (items) => records.push(...items) });
  try {
    const nodes = client.resource('', 'v1', 'nodes');
    const pods = client.resource('', 'v1', 'pods');
    for (const n of ['w1', 'w2']) await nodes.create(undefined, makeNode(n, { cpu: '2' }));
    assert.equal(await worker.ready, true);
    const strip = (p: KubeObject): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: p.metadata.name, namespace: 'default' }, spec: p.spec });
    for (let i = 0; i < 4; i++) await pods.create('default', strip(makePod(`wp${i}`, { cpu: '500m' })));
    await pods.create('default', strip(makePod('huge', { cpu: '8' })));
    const bound = await until(async () => {
      const list = (await pods.list('default')).items.filter((p: KubeObject) => p.spec?.nodeName);
      return list.length === 4 ? list : undefined;
    }, '4 pods bound');
    assert.deepEqual(new Set(bound.map((p: KubeObject) => p.metadata.name)), new Set(['wp0', 'wp1', 'wp2', 'wp3']));
    const huge = await until(async () => {
      const p = await pods.get('default', 'huge');
      const c = (p.status?.conditions ?? []).find((x: { type: string }) => x.type === 'PodScheduled');
      return c ? c : undefined;
    }, 'the PodScheduled condition of the pod that fits nowhere');
    assert.equal(huge.reason, 'Unschedulable');
    assert.equal(huge.message, '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..');
    const scheduled = await until(async () => {
      const evs = (await client.resource('', 'v1', 'events').list('default')).items.filter((e: KubeObject) => e.reason === 'Scheduled');
      return evs.length === 4 ? evs : undefined;
    }, '4 Scheduled events');
    assert.match(scheduled[0]!.message, /^Successfully assigned default\/wp\d to w[12]$/);
    // The scheduler's pod informer, forwarded: each pod added unbound, then seen bound to the
    // node the API has; the pod that fits nowhere seen unschedulable.
    await until(async () => (records.filter((r) => r[0] === 'update' && r[3] !== '').length >= 4 && records.some((r) => r[2] === 'huge' && r[4]) ? true : undefined), 'forwarded pod events');
    for (const p of bound) {
      const mine = records.filter((r) => r[2] === p.metadata.name);
      assert.deepEqual(mine[0]!.slice(0, 5), ['add', 'default', p.metadata.name, '', false]);
      assert.equal(mine.find((r) => r[3] !== '')![3], p.spec.nodeName);
    }
    assert.ok(records.every((r) => r[5] >= t0 && r[5] <= Date.now()), 'event times are epoch milliseconds of their delivery');
    const stats = await worker.stats();
    assert.equal(stats.scheduler.scheduled, 4);
    assert.ok(stats.scheduler.unschedulable >= 1);
    assert.equal(stats.queue.unschedulable, 1);
  } finally {
    await worker.stop();
    await server.close();
    await backend.close();
  }
  await assert.rejects(worker.stats(), /worker/);
});
