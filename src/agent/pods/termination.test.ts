import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { FakeClock, flushMicrotasks } from '../../client/testing.ts';
import { TerminationOrdering } from './termination.ts';

function pod(inits: { name: string; sidecar?: boolean }[], containers: string[]): KubeObject {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'u' },
    spec: { initContainers: inits.map((i) => ({ name: i.name, image: 'b', ...(i.sidecar ? { restartPolicy: 'Always' } : {}) })), containers: containers.map((name) => ({ name, image: 'b' })) },
  };
}

/** Stop every running container "at once" as the worker does; each stops instantly when its turn comes. */
async function stopOrder(p: KubeObject, running: string[]): Promise<string[]> {
  const clock = new FakeClock();
  const o = new TerminationOrdering(p, running, clock);
  const order: string[] = [];
  await Promise.all(running.map(async (name) => {
    await o.waitForTurn(name, 30);
    order.push(name);
    o.terminated(name);
  }));
  return order;
}

const cases: { name: string; pod: KubeObject; running: string[]; want: string[] }[] = [
  { name: 'no sidecars: all at once, spec order', pod: pod([{ name: 'i' }], ['a', 'b']), running: ['a', 'b'], want: ['a', 'b'] },
  { name: 'one sidecar after the main containers', pod: pod([{ name: 's', sidecar: true }], ['a', 'b']), running: ['s', 'a', 'b'], want: ['a', 'b', 's'] },
  { name: 'sidecars in reverse order of definition', pod: pod([{ name: 's1', sidecar: true }, { name: 'i' }, { name: 's2', sidecar: true }, { name: 's3', sidecar: true }], ['a']), running: ['s1', 's2', 's3', 'a'], want: ['a', 's3', 's2', 's1'] },
  { name: 'a sidecar not running holds nobody up', pod: pod([{ name: 's1', sidecar: true }, { name: 's2', sidecar: true }], ['a']), running: ['s1', 'a'], want: ['a', 's1'] },
  { name: 'main containers already gone: sidecars still in reverse order', pod: pod([{ name: 's1', sidecar: true }, { name: 's2', sidecar: true }], ['a']), running: ['s1', 's2'], want: ['s2', 's1'] },
];

for (const c of cases) {
  test(`termination order: ${c.name}`, async () => {
    assert.deepEqual(await stopOrder(c.pod, c.running), c.want);
  });
}

test('termination order: a sidecar waits at most what is left of its grace period, and says how long it waited', async () => {
  const clock = new FakeClock();
  const o = new TerminationOrdering(pod([{ name: 's', sidecar: true }], ['a']), ['s', 'a'], clock);
  let waited: number | undefined;
  void o.waitForTurn('s', 5).then((w) => (waited = w));
  await clock.advance(4_999);
  assert.equal(waited, undefined, 'still waiting for the main container');
  await clock.advance(1);
  await flushMicrotasks();
  assert.equal(waited, 5);
  // once the main container is gone, no wait and no timer left behind
  o.terminated('a');
  assert.equal(await o.waitForTurn('s', 5), 0);
  assert.equal(clock.pending(), 0);
});
