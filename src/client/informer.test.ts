import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.ts';
import type { Logger } from '../base/log.ts';
import { ApiClient } from './client.ts';
import { Lister, Store } from './cache.ts';
import { FakeClock } from './fake-clock.ts';
import { FakeTransport, statusReply, type RecordedRequest } from './fake-transport.ts';
import { SharedInformer } from './informer.ts';
import { listWatchFor } from './reflector.ts';
import { SharedInformerFactory, stripManagedFields } from './factory.ts';

function pod(name: string, rv: string, labels?: Record<string, string>, ns = 'd'): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, resourceVersion: rv, labels } };
}

/** A fake API serving a paged list of `state.items` at `state.rv`; watches are driven by the test. */
function fakeApi(state: { items: KubeObject[]; rv: string; failLists?: number }) {
  const lists: RecordedRequest[] = [];
  const fake = new FakeTransport((req) => {
    if (req.stream) return undefined;
    lists.push(req);
    if (state.failLists && state.failLists-- > 0) return statusReply(503, 'ServiceUnavailable', 'not ready');
    const limit = Number(req.query.limit ?? 0) || state.items.length;
    const start = req.query.continue ? Number(req.query.continue) : 0;
    const end = Math.min(state.items.length, start + limit);
    const metadata: Record<string, unknown> = { resourceVersion: state.rv };
    if (end < state.items.length) metadata.continue = String(end);
    return { body: { kind: 'PodList', apiVersion: 'v1', metadata, items: state.items.slice(start, end).map((o) => structuredClone(o)) } };
  });
  return { fake, lists };
}

interface Recorded {
  events: string[];
}

function recordingLogger(lines: string[]): Logger {
  const l: Logger = {
    info: () => {},
    debug: () => {},
    warn: (m, f) => lines.push(`warn ${m} ${JSON.stringify(f)}`),
    error: (m, f) => lines.push(`error ${m} ${JSON.stringify(f)}`),
    child: () => l,
  };
  return l;
}

function makeInformer(fake: FakeTransport, clock: FakeClock, extra: { resyncMs?: number; log?: Logger } = {}) {
  const client = new ApiClient({ transport: fake });
  const rec: Recorded = { events: [] };
  const inf = new SharedInformer({
    name: 'pods',
    listWatch: listWatchFor(client.resource('', 'v1', 'pods')),
    log: extra.log ?? recordingLogger([]),
    clock,
    freeze: true,
    pageSize: 2,
    random: () => 1,
    resyncMs: extra.resyncMs,
  });
  inf.addEventHandler({
    onAdd: (o, initial) => rec.events.push(`add ${o.metadata.name}@${o.metadata.resourceVersion}${initial ? ' (initial)' : ''}`),
    onUpdate: (a, b) => rec.events.push(`update ${a.metadata.name}@${a.metadata.resourceVersion}->${b.metadata.resourceVersion}`),
    onDelete: (o) => rec.events.push(`delete ${o.metadata.name}@${o.metadata.resourceVersion}`),
  });
  return { inf, rec };
}

test('informer: paged list, then watch from the list RV with bookmarks; events reach store and handlers in order', async () => {
  const clock = new FakeClock();
  const state = { items: [pod('a', '1'), pod('b', '2'), pod('c', '3')], rv: '10' };
  const { fake, lists } = fakeApi(state);
  const { inf, rec } = makeInformer(fake, clock);
  const ac = new AbortController();
  const running = inf.run(ac.signal);
  try {
    assert.equal(await inf.whenSynced(ac.signal), true);
    assert.equal(inf.hasSynced(), true);
    assert.deepEqual(lists.map((l) => l.query), [{ limit: '2' }, { limit: '2', continue: '2' }]);
    assert.deepEqual(rec.events, ['add a@1 (initial)', 'add b@2 (initial)', 'add c@3 (initial)']);

    const w = await fake.nextWatch();
    assert.equal(w.request.query.resourceVersion, '10');
    assert.equal(w.request.query.allowWatchBookmarks, 'true');
    const timeout = Number(w.request.query.timeoutSeconds);
    assert.ok(timeout >= 300 && timeout < 600 + 1);

    rec.events.length = 0;
    w.send('ADDED', pod('d', '11'));
    w.send('MODIFIED', pod('a', '12', { x: 'y' }));
    w.send('DELETED', pod('b', '13'));
    w.send('DELETED', pod('never-seen', '14'));
    w.bookmark('20');
    w.end();

    // The stream ended normally after delivering events: re-watch at once from the bookmark's RV.
    const w2 = await fake.nextWatch();
    assert.equal(w2.request.query.resourceVersion, '20');
    assert.equal(inf.lastSyncResourceVersion(), '20');
    assert.deepEqual(rec.events, ['add d@11', 'update a@1->12', 'delete b@13']);
    assert.deepEqual(inf.store.keys().sort(), ['d/a', 'd/c', 'd/d']);
    assert.deepEqual(inf.lister.get('d', 'a')!.metadata.labels, { x: 'y' });
    assert.equal(lists.length, 2, 'no relist');
  } finally {
    ac.abort();
    await running;
  }
  assert.equal(clock.pending(), 0, 'no timers left');
  assert.ok(fake.watches.every((w) => w.isClosed), 'every watch closed');
});

test('informer: 410 Expired relists; deletes missed while the watch was down arrive with the last known state', async () => {
  const clock = new FakeClock();
  const state = { items: [pod('a', '1'), pod('b', '2')], rv: '5' };
  const { fake, lists } = fakeApi(state);
  const { inf, rec } = makeInformer(fake, clock);
  const ac = new AbortController();
  const running = inf.run(ac.signal);
  try {
    await inf.whenSynced(ac.signal);
    const w = await fake.nextWatch();
    w.send('MODIFIED', pod('b', '6'));
    // Meanwhile on the server: b deleted, a updated, c created, history compacted.
    state.items = [pod('a', '30'), pod('c', '31')];
    state.rv = '40';
    w.error(410, 'Expired', 'too old resource version: 6 (25)');
    const w2 = await fake.nextWatch();
    assert.equal(lists.length, 2, 'relisted once');
    assert.equal(w2.request.query.resourceVersion, '40');
    assert.equal(w.isClosed, true);
    assert.deepEqual(rec.events.slice(2), ['update b@2->6', 'add c@31', 'update a@1->30', 'delete b@6']);
    assert.deepEqual(inf.store.keys().sort(), ['d/a', 'd/c']);
    assert.equal(clock.pending(), 0, 'the first 410 relists at once, without back-off');
  } finally {
    ac.abort();
    await running;
  }
});

test('informer: a failed list backs off (1 s → 2 s ...) on the clock; a broken watch re-watches from the last RV without relisting', async () => {
  const clock = new FakeClock();
  const state = { items: [pod('a', '1')], rv: '3', failLists: 2 };
  const { fake, lists } = fakeApi(state);
  const warnings: string[] = [];
  const { inf } = makeInformer(fake, clock, { log: recordingLogger(warnings) });
  const ac = new AbortController();
  const running = inf.run(ac.signal);
  try {
    await clock.whenTimers(1);
    assert.deepEqual(clock.pendingDelays(), [1000]);
    await clock.advance(1000);
    await clock.whenTimers(1);
    assert.deepEqual(clock.pendingDelays(), [2000]);
    assert.equal(inf.hasSynced(), false);
    await clock.advance(2000);
    assert.equal(await inf.whenSynced(ac.signal), true);
    assert.equal(lists.length, 3);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /list failed/);

    const w = await fake.nextWatch();
    w.send('MODIFIED', pod('a', '4'));
    w.fail();
    await clock.whenTimers(1);
    assert.deepEqual(clock.pendingDelays(), [1000], 'back-off was reset by the successful list');
    await clock.advance(1000);
    const w2 = await fake.nextWatch();
    assert.equal(w2.request.query.resourceVersion, '4');
    assert.equal(lists.length, 3, 'no relist for a broken stream');

    // A watch that ends at once with nothing delivered is not retried in a busy loop.
    w2.end();
    await clock.whenTimers(1);
    assert.equal(clock.pendingDelays()[0], 2000);
  } finally {
    ac.abort();
    await running;
  }
  assert.equal(clock.pending(), 0);
});

test('informer: cached objects are frozen; a throwing handler is logged and others still run; late handlers get the cache replayed', async () => {
  const clock = new FakeClock();
  const { fake } = fakeApi({ items: [pod('a', '1', { app: 'web' })], rv: '2' });
  const errors: string[] = [];
  const { inf, rec } = makeInformer(fake, clock, { log: recordingLogger(errors) });
  inf.addEventHandler({
    onAdd: (o) => {
      o.metadata.labels!.app = 'mutated';
    },
  });
  const ac = new AbortController();
  const running = inf.run(ac.signal);
  try {
    await inf.whenSynced(ac.signal);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /event handler failed.*read only|event handler failed.*Cannot assign/);
    assert.deepEqual(rec.events, ['add a@1 (initial)']);
    const cached = inf.lister.get('d', 'a')!;
    assert.equal(cached.metadata.labels!.app, 'web');
    assert.throws(() => {
      (cached.metadata as Record<string, unknown>).name = 'x';
    }, TypeError);

    const late: string[] = [];
    const remove = inf.addEventHandler({ onAdd: (o, initial) => late.push(`${o.metadata.name} ${initial}`) });
    assert.deepEqual(late, ['a true']);
    remove();
    const sawB = new Promise<void>((resolve) => inf.addEventHandler({ onAdd: (o) => o.metadata.name === 'b' && resolve() }));
    const w = await fake.nextWatch();
    w.send('ADDED', pod('b', '3'));
    await sawB;
    assert.deepEqual(late, ['a true'], 'removed handler sees nothing more');
  } finally {
    ac.abort();
    await running;
  }
});

test('informer: periodic resync re-delivers every object as an update; whenSynced resolves false on abort', async () => {
  const clock = new FakeClock();
  const { fake } = fakeApi({ items: [pod('a', '1'), pod('b', '2')], rv: '2' });
  const { inf, rec } = makeInformer(fake, clock, { resyncMs: 60_000 });
  const ac = new AbortController();
  const running = inf.run(ac.signal);
  try {
    await inf.whenSynced(ac.signal);
    await fake.nextWatch();
    rec.events.length = 0;
    await clock.advance(60_000);
    assert.deepEqual(rec.events.sort(), ['update a@1->1', 'update b@2->2']);
    await clock.advance(60_000);
    assert.equal(rec.events.length, 4);
  } finally {
    ac.abort();
    await running;
  }
  assert.equal(clock.pending(), 0, 'resync timer cleared');

  const never = new SharedInformer({ name: 'x', listWatch: listWatchFor(new ApiClient({ transport: new FakeTransport() }).resource('', 'v1', 'pods')), log: recordingLogger([]), clock });
  const ac2 = new AbortController();
  const waiting = never.whenSynced(ac2.signal);
  ac2.abort();
  assert.equal(await waiting, false);
});

test('store and lister: keys, namespace index, selectors, custom indexers added late', () => {
  const store = new Store();
  store.replace([pod('a', '1', { app: 'web' }), pod('b', '1', { app: 'db' }), pod('c', '1', { app: 'web' }, 'other'), { metadata: { name: 'node-1' } }]);
  const lister = new Lister(store);
  assert.equal(lister.get('d', 'a')!.metadata.name, 'a');
  assert.equal(lister.get(undefined, 'node-1')!.metadata.name, 'node-1');
  assert.deepEqual(lister.list('d').map((o) => o.metadata.name).sort(), ['a', 'b']);
  assert.deepEqual(lister.list(undefined, 'app=web').map((o) => o.metadata.name).sort(), ['a', 'c']);
  assert.deepEqual(lister.list('d', 'app in (web,db),app!=db').map((o) => o.metadata.name), ['a']);
  store.addIndexer('app', (o) => (o.metadata.labels?.app ? [o.metadata.labels.app] : []));
  assert.deepEqual(lister.byIndex('app', 'web').map((o) => o.metadata.name).sort(), ['a', 'c']);
  store.upsert(pod('a', '2', { app: 'db' }));
  assert.deepEqual(lister.byIndex('app', 'web').map((o) => o.metadata.name), ['c']);
  assert.deepEqual(lister.byIndex('app', 'db').map((o) => o.metadata.name).sort(), ['a', 'b']);
  store.remove('d/b');
  assert.deepEqual(lister.byIndex('app', 'db').map((o) => o.metadata.name), ['a']);
  const diff = store.replace([pod('a', '3')]);
  assert.deepEqual(diff.deleted.map((o) => o.metadata.name).sort(), ['c', 'node-1']);
  assert.deepEqual(lister.byIndex('app', 'db'), []);
  assert.throws(() => store.addIndexer('app', () => []));
});

test('factory: one informer per resource and scope; start runs them; waitForCacheSync; shutdown', async () => {
  const clock = new FakeClock();
  const { fake } = fakeApi({ items: [pod('a', '1')], rv: '1' });
  const factory = new SharedInformerFactory({ client: new ApiClient({ transport: fake }), log: recordingLogger([]), clock });
  const p1 = factory.informer('', 'v1', 'pods');
  assert.equal(factory.informer('', 'v1', 'pods'), p1);
  const scoped = factory.informer('', 'v1', 'pods', { namespace: 'd', labelSelector: 'app=web' });
  assert.notEqual(scoped, p1);
  const ac = new AbortController();
  factory.start(ac.signal);
  factory.start(ac.signal); // idempotent
  assert.equal(await factory.waitForCacheSync(ac.signal), true);
  await fake.nextWatch();
  await fake.nextWatch();
  const scopedList = fake.requests.find((r) => r.path === '/api/v1/namespaces/d/pods' && !r.stream)!;
  assert.equal(scopedList.query.labelSelector, 'app=web');
  ac.abort();
  await factory.shutdown();
  assert.ok(fake.watches.every((w) => w.isClosed));
  assert.equal(clock.pending(), 0);
});

test('factory transform: stripManagedFields drops managedFields from listed and watched objects before the cache and handlers see them', async () => {
  const clock = new FakeClock();
  const mf = [{ manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': {} } }];
  const listed = { ...pod('a', '1', { app: 'x' }), spec: { nodeName: 'n1' } };
  listed.metadata.managedFields = mf;
  const { fake } = fakeApi({ items: [listed], rv: '1' });
  const factory = new SharedInformerFactory({ client: new ApiClient({ transport: fake }), log: recordingLogger([]), clock, transform: stripManagedFields });
  const inf = factory.informer('', 'v1', 'pods');
  const seen: KubeObject[] = [];
  inf.addEventHandler({ onAdd: (o) => seen.push(o), onUpdate: (_old, o) => seen.push(o) });
  const ac = new AbortController();
  factory.start(ac.signal);
  try {
    assert.equal(await factory.waitForCacheSync(ac.signal), true);
    const w = await fake.nextWatch();
    const watched = pod('a', '2', { app: 'y' });
    watched.metadata.managedFields = mf;
    w.send('MODIFIED', watched);
    await inf.whenSynced(ac.signal);
    for (let i = 0; seen.length < 2 && i < 1000; i++) await new Promise((r) => setImmediate(r));
    for (const o of [...seen, inf.lister.get('d', 'a')!]) assert.equal('managedFields' in o.metadata, false);
    assert.deepEqual(seen.map((o) => o.metadata.labels), [{ app: 'x' }, { app: 'y' }], 'everything else is kept');
    assert.deepEqual(seen[0]!.spec, { nodeName: 'n1' });
  } finally {
    ac.abort();
    await factory.shutdown();
  }
});

test('informer: another ERROR event backs off and relists', async () => {
  const clock = new FakeClock();
  const state = { items: [pod('a', '1')], rv: '5' };
  const { fake, lists } = fakeApi(state);
  const { inf, rec } = makeInformer(fake, clock);
  const ac = new AbortController();
  const running = inf.run(ac.signal);
  try {
    await inf.whenSynced(ac.signal);
    const w = await fake.nextWatch();
    state.items = [pod('a', '1'), pod('b', '7')];
    state.rv = '8';
    w.error(500, 'InternalError', 'watch cache failure');
    await clock.whenTimers(1);
    assert.deepEqual(clock.pendingDelays(), [1000]);
    assert.equal(lists.length, 1);
    await clock.advance(1000);
    const w2 = await fake.nextWatch();
    assert.equal(lists.length, 2);
    assert.equal(w2.request.query.resourceVersion, '8');
    assert.ok(rec.events.includes('add b@7'));
  } finally {
    ac.abort();
    await running;
  }
  assert.equal(clock.pending(), 0);
});
