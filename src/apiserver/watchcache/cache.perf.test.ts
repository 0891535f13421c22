// Performance guard for the watch cache at the sizes the project targets: LIST of 10k pods
// (with JSON encoding) and fan-out of one change to 1,000 watchers. Bounds carry ample slack
// for a shared 2-core machine; the figures are printed for comparison with the targets
// (LIST ≤ 150 ms, fan-out p99 ≤ 100 ms).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeBackend } from './fake-backend.test-util.ts';
import { WatchCache } from './cache.ts';

function pod(i: number, phase: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `web-${i}`, namespace: `ns-${i % 20}`, uid: `uid-${i}`, labels: { app: 'web', idx: String(i) } },
    spec: { nodeName: `node-${i % 50}`, containers: [{ name: 'c', image: 'nginx:1.25', env: Array.from({ length: 8 }, (_, j) => ({ name: `E${j}`, value: `v${j}` })) }] },
    status: { phase, podIP: `10.0.${i % 250}.${i % 200}`, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

test('10k-object LIST and 1,000-watcher fan-out stay fast', async (t) => {
  const backend = new FakeBackend();
  const N = 10_000;
  for (let i = 0; i < N; i++) await backend.create(`/registry/pods/ns-${i % 20}/web-${i}`, JSON.stringify(pod(i, 'Running')));
  const cache = new WatchCache({ backend, prefix: '/registry/pods/' });
  const ctrl = new AbortController();
  t.after(() => ctrl.abort());
  await cache.start(ctrl.signal);

  let listMs = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    const res = await cache.list({});
    const body = '{"items":[' + res.items.map((o) => cache.objectJson(o)).join(',') + ']}';
    listMs = Math.min(listMs, performance.now() - t0);
    assert.equal(res.items.length, N);
    assert.equal(JSON.parse(body).items[N - 1].metadata.resourceVersion, res.items[N - 1].metadata.resourceVersion);
  }

  const W = 1000;
  let received = 0;
  for (let i = 0; i < W; i++) {
    const name = `web-${i}`;
    cache.watch({
      signal: ctrl.signal,
      resourceVersion: String(cache.revision),
      filter: i % 2 ? (o) => o.metadata.name === name : undefined,
      onEvent: (e) => {
        if (e.type !== 'BOOKMARK') {
          e.objectJson();
          received++;
        }
      },
      onClose: () => {},
    });
  }
  const E = 200;
  const lat: number[] = [];
  for (let k = 0; k < E; k++) {
    const cur = (await backend.get(`/registry/pods/ns-${k % 20}/web-${k}`))!;
    const t0 = performance.now();
    const kv = await backend.update(cur.key, JSON.stringify(pod(k, 'Pending')), cur.modRevision);
    await cache.waitForRevision(kv.modRevision);
    lat.push(performance.now() - t0);
  }
  lat.sort((a, b) => a - b);
  const p99 = lat[Math.floor(E * 0.99)];
  t.diagnostic(`LIST 10k + encode: ${listMs.toFixed(1)} ms; fan-out to ${W} watchers p50 ${lat[E / 2].toFixed(2)} ms p99 ${p99.toFixed(2)} ms`);
  assert.equal(received, E * (W / 2) + E / 2); // every unfiltered watcher, plus the named watcher of odd pods
  assert.ok(listMs < 600, `LIST took ${listMs} ms`);
  assert.ok(p99 < 400, `fan-out p99 ${p99} ms`);
});
