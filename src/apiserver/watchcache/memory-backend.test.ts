// The watch cache against the real in-memory Backend (src/store/memory.ts): the same contract
// the sqlite and etcd backends implement, so this checks our reading of it end to end.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../../store/memory.ts';
import { ContinueExpiredError, TooOldResourceVersionError, WatchCache, type WatchDelivery } from './cache.ts';

test('watch cache over MemoryBackend: sync, consistent list, replay, paging, compaction', async (t) => {
  const backend = new MemoryBackend({ retainRevisions: 0 });
  const ctrl = new AbortController();
  t.after(async () => {
    ctrl.abort();
    await backend.close();
  });
  const put = (ns: string, name: string, phase = 'Pending') =>
    backend.create(`/registry/pods/${ns}/${name}`, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name }, status: { phase } }));
  for (const n of ['a', 'b', 'c', 'd']) await put('default', n);
  await backend.create('/registry/services/default/svc', '{"metadata":{"name":"svc"}}');

  const cache = new WatchCache({ backend, prefix: '/registry/pods/', historySize: 3 });
  await cache.start(ctrl.signal);
  const first = await cache.list({ limit: 2 });
  assert.equal(first.resourceVersion, '5'); // proven through the services write
  assert.deepEqual(first.items.map((o) => o.metadata.name), ['a', 'b']);

  const events: WatchDelivery[] = [];
  cache.watch({ signal: ctrl.signal, resourceVersion: first.resourceVersion, onEvent: (e) => events.push(e), onClose: () => {} });
  const e = await put('default', 'e'); // 6: a write the list that follows must see
  const after = await cache.list({});
  assert.ok(Number(after.resourceVersion) >= e.modRevision);
  assert.deepEqual(after.items.map((o) => o.metadata.name), ['a', 'b', 'c', 'd', 'e']);
  assert.deepEqual(events.map((ev) => (ev.type === 'BOOKMARK' ? 'B' : `${ev.type} ${ev.object.metadata.name}`)), ['ADDED e']);

  // The second page is read at revision 5 from the store: 'e' is not in it.
  const second = await cache.list({ limit: 10, continueToken: first.continueToken });
  assert.deepEqual(second.items.map((o) => o.metadata.name), ['c', 'd']);
  assert.equal(second.resourceVersion, '5');

  for (const n of ['f', 'g', 'h']) await put('default', n);
  await cache.waitForRevision(9);
  assert.throws(() => cache.watch({ signal: ctrl.signal, resourceVersion: '5', onEvent: () => {}, onClose: () => {} }), TooOldResourceVersionError);
  await backend.compact(8);
  await assert.rejects(cache.list({ limit: 1, continueToken: first.continueToken }), ContinueExpiredError);
});
