import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { FakeBackend } from './fake-backend.test-util.ts';
import {
  CacheNotReadyError,
  ContinueExpiredError,
  InvalidContinueError,
  ResourceVersionExpiredError,
  TooLargeResourceVersionError,
  TooOldResourceVersionError,
  WatchCache,
  type WatchCacheClock,
  type WatchDelivery,
  type WatchOpts,
} from './cache.ts';

const PREFIX = '/registry/pods/';
const key = (ns: string, name: string) => `${PREFIX}${ns}/${name}`;

function pod(ns: string, name: string, labels: Record<string, string> = {}, phase = 'Pending'): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name, labels }, status: { phase } };
}

/** Timers that fire only when the test advances time. */
class FakeClock implements WatchCacheClock {
  private t = 0;
  private nextId = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.nextId;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!due || e[1].at < due[1].at)) due = e;
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = end;
  }
  get pending(): number {
    return this.timers.size;
  }
}

async function setup(t: TestContext, opts: { historySize?: number; prefill?: KubeObject[] } = {}) {
  const backend = new FakeBackend();
  for (const o of opts.prefill ?? []) await backend.put(key(o.metadata.namespace!, o.metadata.name!), o);
  const clock = new FakeClock();
  const cache = new WatchCache({ backend, prefix: PREFIX, clock, historySize: opts.historySize });
  const ctrl = new AbortController();
  t.after(() => ctrl.abort());
  await cache.start(ctrl.signal);
  /** Write through the backend and wait until the cache has applied it. */
  const put = async (o: KubeObject) => {
    const rev = await backend.put(key(o.metadata.namespace!, o.metadata.name!), o);
    await cache.waitForRevision(rev);
    return rev;
  };
  const del = async (ns: string, name: string) => {
    const { revision } = await backend.delete(key(ns, name));
    await cache.waitForRevision(revision);
    return revision;
  };
  return { backend, cache, clock, ctrl, put, del };
}

function collect(cache: WatchCache, opts: Partial<WatchOpts> = {}) {
  const ctrl = new AbortController();
  const events: WatchDelivery[] = [];
  const state: { closed?: { err?: Error } } = {};
  const handle = cache.watch({
    signal: ctrl.signal,
    onEvent: (e) => events.push(e),
    onClose: (err) => {
      state.closed = { err };
    },
    ...opts,
  });
  const summary = () =>
    events.map((e) => (e.type === 'BOOKMARK' ? `BOOKMARK@${e.revision}${e.initialEventsEnd ? '!' : ''}` : `${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}`));
  return { events, state, ctrl, handle, summary };
}

const names = (items: KubeObject[]) => items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);

// ---------------------------------------------------------------- start / sync

test('start lists, sets resourceVersion on every object and follows later writes', async (t) => {
  const { backend, cache, put } = await setup(t, { prefill: [pod('a', 'x'), pod('b', 'y')] });
  await backend.put('/registry/services/a/s', { metadata: { name: 's' } }); // another prefix
  assert.equal(cache.ready, true);
  assert.equal(cache.size, 2);
  assert.equal(cache.get(key('a', 'x'))?.metadata.resourceVersion, '1');
  assert.equal(cache.revision, 2);
  const rev = await put(pod('a', 'z'));
  assert.equal(rev, 4);
  assert.equal(cache.revision, 4);
  assert.equal(cache.get(key('a', 'z'))?.metadata.resourceVersion, '4');
  assert.equal(cache.get('/registry/services/a/s'), undefined);
});

test('start retries a failing backend and rejects when aborted', async () => {
  const backend = new FakeBackend();
  let fail = 2;
  const list = backend.list.bind(backend);
  backend.list = async (prefix, opts) => {
    if (fail-- > 0) throw new Error('database is locked');
    return list(prefix, opts);
  };
  const clock = new FakeClock();
  const cache = new WatchCache({ backend, prefix: PREFIX, clock });
  const ctrl = new AbortController();
  const started = cache.start(ctrl.signal);
  while (fail >= 0) {
    await new Promise((r) => setImmediate(r));
    clock.advance(10_000);
  }
  await started;
  assert.equal(cache.ready, true);
  ctrl.abort();
  assert.equal(cache.ready, false);

  const never = new FakeBackend();
  never.list = async () => {
    throw new Error('down');
  };
  const c2 = new WatchCache({ backend: never, prefix: PREFIX, clock });
  const ctrl2 = new AbortController();
  const p = c2.start(ctrl2.signal);
  await new Promise((r) => setImmediate(r));
  ctrl2.abort(new Error('shutdown'));
  await assert.rejects(p, /shutdown/);
});

// ---------------------------------------------------------------- list

test('list filters by namespace and predicate, sorted by key, at the cache revision', async (t) => {
  const { cache } = await setup(t, {
    prefill: [pod('b', 'web-2', { app: 'web' }), pod('a', 'web-1', { app: 'web' }), pod('a', 'db', { app: 'db' }), pod('ab', 'x')],
  });
  const all = await cache.list({});
  assert.deepEqual(names(all.items), ['a/db', 'a/web-1', 'ab/x', 'b/web-2']);
  assert.equal(all.resourceVersion, '4');
  assert.equal(all.continueToken, undefined);
  assert.deepEqual(names((await cache.list({ namespace: 'a' })).items), ['a/db', 'a/web-1']);
  const web = await cache.list({ filter: (o) => o.metadata.labels?.app === 'web' });
  assert.deepEqual(names(web.items), ['a/web-1', 'b/web-2']);
  assert.deepEqual(names((await cache.list({ namespace: 'nope' })).items), []);
  assert.deepEqual(names((await cache.list({ resourceVersion: '0', namespace: 'b' })).items), ['b/web-2']);
});

test('paging from memory: tokens, remainingItemCount, filtered pages', async (t) => {
  const { cache } = await setup(t, { prefill: ['p1', 'p2', 'p3', 'p4', 'p5'].map((n, i) => pod('ns', n, { odd: String(i % 2 === 0) })) });
  const p1 = await cache.list({ limit: 2 });
  assert.deepEqual(names(p1.items), ['ns/p1', 'ns/p2']);
  assert.equal(p1.remainingItemCount, 3);
  assert.ok(p1.continueToken);
  const p2 = await cache.list({ limit: 2, continueToken: p1.continueToken });
  assert.deepEqual(names(p2.items), ['ns/p3', 'ns/p4']);
  assert.equal(p2.resourceVersion, p1.resourceVersion);
  assert.equal(p2.remainingItemCount, 1);
  const p3 = await cache.list({ limit: 2, continueToken: p2.continueToken });
  assert.deepEqual(names(p3.items), ['ns/p5']);
  assert.equal(p3.continueToken, undefined);
  assert.equal(p3.remainingItemCount, undefined);

  const odd = (o: KubeObject) => o.metadata.labels?.odd === 'true';
  const f1 = await cache.list({ limit: 2, filter: odd, namespace: 'ns' });
  assert.deepEqual(names(f1.items), ['ns/p1', 'ns/p3']);
  assert.equal(f1.remainingItemCount, undefined);
  const f2 = await cache.list({ limit: 2, filter: odd, namespace: 'ns', continueToken: f1.continueToken });
  assert.deepEqual(names(f2.items), ['ns/p5']);
  assert.equal(f2.continueToken, undefined);

  // resourceVersion=0 ignores limit (served whole, like upstream's cache).
  assert.equal((await cache.list({ limit: 2, resourceVersion: '0' })).items.length, 5);
  await assert.rejects(cache.list({ continueToken: 'garbage' }), InvalidContinueError);
  await assert.rejects(cache.list({ continueToken: p1.continueToken, resourceVersion: '3' }), /not allowed when using continue/);
});

test('a continue after later writes is served at the first page revision from the backend', async (t) => {
  const { backend, cache, put, del } = await setup(t, { prefill: ['p1', 'p2', 'p3', 'p4', 'p5'].map((n) => pod('ns', n)) });
  const p1 = await cache.list({ limit: 2 });
  assert.equal(p1.resourceVersion, '5');
  await put(pod('ns', 'p3', {}, 'Running')); // rev 6
  await del('ns', 'p4'); // rev 7
  await put(pod('ns', 'p0')); // rev 8
  await put(pod('ns', 'p6')); // rev 9
  backend.listCalls.length = 0;
  const p2 = await cache.list({ limit: 2, continueToken: p1.continueToken });
  assert.deepEqual(names(p2.items), ['ns/p3', 'ns/p4']);
  assert.equal(p2.items[0].status.phase, 'Pending'); // the state at revision 5
  assert.equal(p2.items[0].metadata.resourceVersion, '3');
  assert.equal(p2.resourceVersion, '5');
  assert.ok(backend.listCalls.length > 0 && backend.listCalls.every((c) => c.opts.revision === 5));
  const p3 = await cache.list({ limit: 2, continueToken: p2.continueToken });
  assert.deepEqual(names(p3.items), ['ns/p5']);
  assert.equal(p3.continueToken, undefined);

  // Filtered pages from the backend read on until `limit` matches.
  const even = (o: KubeObject) => ['p2', 'p4'].includes(o.metadata.name!);
  const f1 = await cache.list({ limit: 1, filter: even, resourceVersion: '5', resourceVersionMatch: 'Exact' });
  assert.deepEqual(names(f1.items), ['ns/p2']);
  const f2 = await cache.list({ limit: 1, filter: even, continueToken: f1.continueToken });
  assert.deepEqual(names(f2.items), ['ns/p4']);

  // Once compacted past the first page's revision the token is too old (410).
  await backend.compact(8);
  await assert.rejects(cache.list({ limit: 2, continueToken: p1.continueToken }), (e: unknown) => {
    assert.ok(e instanceof ContinueExpiredError);
    assert.equal(e.httpCode, 410);
    assert.match(e.message, /^The provided continue parameter is too old to display a consistent list result\. You can start a new list without the continue parameter\.$/);
    return true;
  });
});

test('exact lists read the requested revision; compacted → 410, future → 504', async (t) => {
  const { backend, cache, put } = await setup(t, { prefill: [pod('a', 'x')] });
  await put(pod('a', 'x', {}, 'Running'));
  await put(pod('a', 'y'));
  const at1 = await cache.list({ resourceVersion: '1', resourceVersionMatch: 'Exact' });
  assert.deepEqual(names(at1.items), ['a/x']);
  assert.equal(at1.items[0].status.phase, 'Pending');
  assert.equal(at1.resourceVersion, '1');
  const at3 = await cache.list({ resourceVersion: '3', resourceVersionMatch: 'Exact' });
  assert.equal(at3.items.length, 2);
  await backend.compact(2);
  await assert.rejects(cache.list({ resourceVersion: '1', resourceVersionMatch: 'Exact' }), ResourceVersionExpiredError);
  await assert.rejects(cache.list({ resourceVersion: '99', resourceVersionMatch: 'Exact' }), TooLargeResourceVersionError);
});

test('a consistent list after a write sees the write, even before the watch delivers it', async (t) => {
  const { backend, cache, clock } = await setup(t, { prefill: [pod('a', 'x')] });
  backend.hold = true;
  await backend.put(key('a', 'late'), pod('a', 'late'));
  assert.equal(cache.revision, 1);
  // The cache catches up while the list waits.
  const listing = cache.list({});
  await new Promise((r) => setImmediate(r));
  backend.release();
  const res = await listing;
  assert.deepEqual(names(res.items), ['a/late', 'a/x']);
  assert.equal(res.resourceVersion, '2');

  // A stuck watch: after the bounded wait the list is answered from the backend state.
  await backend.put(key('a', 'stuck'), pod('a', 'stuck'));
  const listing2 = cache.list({ namespace: 'a' });
  await new Promise((r) => setImmediate(r));
  clock.advance(3000);
  const res2 = await listing2;
  assert.deepEqual(names(res2.items), ['a/late', 'a/stuck', 'a/x']);
  assert.equal(res2.resourceVersion, '3');
  assert.equal(cache.get(key('a', 'stuck')), undefined); // the cache itself is still behind
  backend.release();
  await cache.waitForRevision(3);
  assert.ok(cache.get(key('a', 'stuck')));
});

test('revisions spent on other resources are proven, not waited for', async (t) => {
  const { backend, cache } = await setup(t, { prefill: [pod('a', 'x')] });
  await backend.put('/registry/services/a/s1', {});
  await backend.put('/registry/services/a/s2', {});
  backend.listCalls.length = 0;
  const res = await cache.list({});
  assert.equal(res.resourceVersion, '3');
  assert.deepEqual(names(res.items), ['a/x']);
  assert.equal(backend.listCalls.length, 1); // one verification read
  assert.equal(cache.revision, 3);
  const again = await cache.list({ limit: 1 });
  assert.equal(again.resourceVersion, '3');
  assert.equal(backend.listCalls.length, 1); // now served from memory directly
  // A watch from the list's revision works and sees only later changes.
  const w = collect(cache, { resourceVersion: res.resourceVersion });
  const rev = await backend.put(key('a', 'y'), pod('a', 'y'));
  await cache.waitForRevision(rev);
  assert.deepEqual(w.summary(), ['ADDED y@4']);
});

test('resourceVersion N lists wait for N; a never-written N is too large (504)', async (t) => {
  const { backend, cache, clock } = await setup(t, { prefill: [pod('a', 'x')] });
  assert.equal((await cache.list({ resourceVersion: '1' })).resourceVersion, '1');
  backend.hold = true;
  await backend.put(key('a', 'y'), pod('a', 'y'));
  const waiting = cache.list({ resourceVersion: '2' });
  await new Promise((r) => setImmediate(r));
  backend.release();
  assert.deepEqual(names((await waiting).items), ['a/x', 'a/y']);

  const tooNew = cache.list({ resourceVersion: '50' });
  await new Promise((r) => setImmediate(r));
  clock.advance(3000);
  await assert.rejects(tooNew, (e: unknown) => {
    assert.ok(e instanceof TooLargeResourceVersionError);
    assert.equal(e.httpCode, 504);
    assert.equal(e.message, 'Too large resource version: 50, current: 2');
    return true;
  });
  await assert.rejects(cache.list({ resourceVersion: 'abc' }), /Invalid value: "abc"/);
});

// ---------------------------------------------------------------- watch

test('watch from 0 or unset: synthetic ADDED for current objects, then changes', async (t) => {
  const { cache, put, del } = await setup(t, { prefill: [pod('a', 'x'), pod('b', 'y'), pod('a', 'z')] });
  const w0 = collect(cache, { resourceVersion: '0' });
  const wAll = collect(cache, {});
  const wNs = collect(cache, { resourceVersion: '0', namespace: 'a' });
  assert.deepEqual(w0.summary(), ['ADDED x@1', 'ADDED z@3', 'ADDED y@2']);
  await put(pod('a', 'x', {}, 'Running'));
  await put(pod('b', 'y', {}, 'Running'));
  const rev = await del('a', 'z');
  assert.deepEqual(w0.summary(), ['ADDED x@1', 'ADDED z@3', 'ADDED y@2', 'MODIFIED x@4', 'MODIFIED y@5', `DELETED z@${rev}`]);
  assert.deepEqual(wAll.summary(), w0.summary());
  assert.deepEqual(wNs.summary(), ['ADDED x@1', 'ADDED z@3', 'MODIFIED x@4', 'DELETED z@6']);
  const deleted = w0.events.at(-1) as Extract<WatchDelivery, { object: unknown }>;
  assert.equal(deleted.object.metadata.name, 'z');
  assert.equal(deleted.revision, 6);
  assert.equal(cache.get(key('a', 'z')), undefined);
});

test('watch from N replays history after N, then live changes, without duplicates', async (t) => {
  const { cache, put } = await setup(t, { prefill: [pod('a', 'x')] });
  await put(pod('a', 'y')); // 2
  await put(pod('a', 'x', {}, 'Running')); // 3
  await put(pod('b', 'z')); // 4
  const w = collect(cache, { resourceVersion: '2' });
  assert.deepEqual(w.summary(), ['MODIFIED x@3', 'ADDED z@4']);
  await put(pod('a', 'w')); // 5
  assert.deepEqual(w.summary(), ['MODIFIED x@3', 'ADDED z@4', 'ADDED w@5']);
  const wNs = collect(cache, { resourceVersion: '1', namespace: 'b' });
  assert.deepEqual(wNs.summary(), ['ADDED z@4']);
  const future = collect(cache, { resourceVersion: '6' });
  await put(pod('a', 'v')); // 6: not after 6
  await put(pod('a', 'u')); // 7
  assert.deepEqual(future.summary(), ['ADDED u@7']);
});

test('a watch older than the history is too old (410 with upstream message)', async (t) => {
  const { cache, put } = await setup(t, { historySize: 2, prefill: [pod('a', 'x'), pod('a', 'y')] });
  // Right after start the history covers everything after the list revision (2).
  assert.throws(() => collect(cache, { resourceVersion: '1' }), (e: unknown) => {
    assert.ok(e instanceof TooOldResourceVersionError);
    assert.equal(e.message, 'too old resource version: 1 (2)');
    assert.equal(e.httpCode, 410);
    assert.equal(e.reason, 'Expired');
    return true;
  });
  assert.deepEqual(collect(cache, { resourceVersion: '2' }).summary(), []);
  await put(pod('a', 'z')); // 3
  await put(pod('a', 'w')); // 4
  await put(pod('a', 'v')); // 5: evicts 3
  assert.throws(() => collect(cache, { resourceVersion: '2' }), /too old resource version: 2 \(3\)/);
  assert.deepEqual(collect(cache, { resourceVersion: '3' }).summary(), ['ADDED w@4', 'ADDED v@5']);
});

test('filter transitions arrive as ADDED and DELETED', async (t) => {
  const { cache, put, del } = await setup(t, { prefill: [pod('a', 'x', { app: 'web' }), pod('a', 'y', { app: 'db' })] });
  const web = (o: KubeObject) => o.metadata.labels?.app === 'web';
  const w = collect(cache, { resourceVersion: '0', filter: web });
  assert.deepEqual(w.summary(), ['ADDED x@1']);
  await put(pod('a', 'x', { app: 'db' })); // 3: stops matching
  await put(pod('a', 'y', { app: 'web' })); // 4: starts matching
  await put(pod('a', 'y', { app: 'web' }, 'Running')); // 5
  await put(pod('a', 'x', { app: 'db' }, 'Running')); // 6: of no interest
  await del('a', 'y'); // 7
  assert.deepEqual(w.summary(), ['ADDED x@1', 'DELETED x@3', 'ADDED y@4', 'MODIFIED y@5', 'DELETED y@7']);
  const gone = w.events[1] as Extract<WatchDelivery, { object: unknown }>;
  assert.equal(gone.object.metadata.labels?.app, 'web'); // the last matching state
  // Replay applies the same rule.
  const replay = collect(cache, { resourceVersion: '2', filter: web });
  assert.deepEqual(replay.summary(), ['DELETED x@3', 'ADDED y@4', 'MODIFIED y@5', 'DELETED y@7']);
});

test('bookmarks: periodic with the current revision, on request, and only when allowed', async (t) => {
  const { backend, cache, clock, put } = await setup(t, { prefill: [pod('a', 'x')] });
  const w = collect(cache, { resourceVersion: '1', allowBookmarks: true });
  const quiet = collect(cache, { resourceVersion: '1' });
  await put(pod('a', 'y'));
  clock.advance(60_000);
  assert.deepEqual(w.summary(), ['ADDED y@2', 'BOOKMARK@2']);
  await backend.put('/registry/services/a/s', {}); // revision 3, not ours
  await cache.list({}); // proves 3 for this prefix
  w.handle.bookmark();
  assert.deepEqual(w.summary(), ['ADDED y@2', 'BOOKMARK@2', 'BOOKMARK@3']);
  clock.advance(60_000);
  assert.equal(w.events.length, 4);
  assert.deepEqual(quiet.summary(), ['ADDED y@2']);
});

test('sendInitialEvents: initial state, then the initial-events-end bookmark, then changes', async (t) => {
  const { backend, cache, put } = await setup(t, { prefill: [pod('a', 'x'), pod('a', 'y')] });
  await backend.put('/registry/services/a/s', {}); // 3
  const events: WatchDelivery[] = [];
  const ctrl = new AbortController();
  t.after(() => ctrl.abort());
  let bookmarked!: () => void;
  const sawBookmark = new Promise<void>((r) => (bookmarked = r));
  cache.watch({
    signal: ctrl.signal,
    sendInitialEvents: true,
    allowBookmarks: true,
    resourceVersion: '',
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'BOOKMARK') bookmarked();
    },
    onClose: () => {},
  });
  await sawBookmark;
  await put(pod('a', 'z'));
  assert.deepEqual(
    events.map((e) => (e.type === 'BOOKMARK' ? `B${e.revision}${e.initialEventsEnd}` : `${e.type} ${e.object.metadata.name}`)),
    ['ADDED x', 'ADDED y', 'B3true' /* consistent: at least the backend revision */, 'ADDED z'],
  );
  const none = collect(cache, { sendInitialEvents: false, resourceVersion: '' });
  await put(pod('a', 'w'));
  assert.deepEqual(none.summary(), ['ADDED w@5']);
});

test('abort stops delivery and unregisters; onClose is not called', async (t) => {
  const { cache, put } = await setup(t, { prefill: [pod('a', 'x')] });
  const w = collect(cache, { resourceVersion: '1' });
  assert.equal(cache.watcherCount, 1);
  w.ctrl.abort();
  assert.equal(cache.watcherCount, 0);
  await put(pod('a', 'y'));
  assert.deepEqual(w.events, []);
  assert.equal(w.state.closed, undefined);
  // A throwing consumer ends only its own watch.
  const bad = cache.watch({
    signal: new AbortController().signal,
    resourceVersion: '2',
    onEvent: () => {
      throw new Error('boom');
    },
    onClose: (err) => assert.equal(err?.message, 'boom'),
  });
  void bad;
  const good = collect(cache, { resourceVersion: '2' });
  await put(pod('a', 'z'));
  assert.deepEqual(good.summary(), ['ADDED z@3']);
  assert.equal(cache.watcherCount, 1);
});

test('watchers share event objects and serialized JSON', async (t) => {
  const { cache, put } = await setup(t, { prefill: [pod('a', 'x')] });
  const w1 = collect(cache, { resourceVersion: '0' });
  const w2 = collect(cache, { resourceVersion: '0' });
  await put(pod('a', 'x', {}, 'Running'));
  assert.equal(w1.events[0], w2.events[0]);
  assert.equal(w1.events[1], w2.events[1]);
  const ev = w1.events[1] as Extract<WatchDelivery, { objectJson(): string }>;
  assert.deepEqual(JSON.parse(ev.objectJson()), ev.object);
  assert.equal(ev.objectJson().indexOf('"resourceVersion":"2"') > 0, true);
  const listed = (await cache.list({})).items[0];
  assert.equal(listed, ev.object);
  assert.equal(cache.objectJson(listed), ev.objectJson());
});

test('a write offered to the cache is adopted instead of parsed; other values and withdrawn offers are parsed', async (t) => {
  const { backend, cache } = await setup(t);
  // adopted: the change carries exactly the offered value
  const a = pod('n', 'a', { app: 'x' });
  const aText = JSON.stringify(a);
  const withdrawA = cache.offer(key('n', 'a'), aText, a);
  const kvA = await backend.create(key('n', 'a'), aText);
  await cache.waitForRevision(kvA.modRevision);
  withdrawA();
  assert.equal(cache.get(key('n', 'a')), a);
  assert.equal(a.metadata.resourceVersion, String(kvA.modRevision));
  assert.deepEqual(JSON.parse(cache.objectJson(a)), { ...JSON.parse(aText), metadata: { ...JSON.parse(aText).metadata, resourceVersion: String(kvA.modRevision) } });
  const w = collect(cache, { resourceVersion: '0' });
  assert.equal((w.events[0] as { object: KubeObject }).object, a);

  // a different value under the offered key: parsed, the offered object is left alone
  const b = pod('n', 'b');
  const withdrawB = cache.offer(key('n', 'b'), JSON.stringify(b), b);
  const kvB = await backend.create(key('n', 'b'), JSON.stringify(pod('n', 'b', {}, 'Running')));
  await cache.waitForRevision(kvB.modRevision);
  withdrawB();
  assert.notEqual(cache.get(key('n', 'b')), b);
  assert.equal(cache.get(key('n', 'b'))!.status!.phase, 'Running');
  assert.equal(b.metadata.resourceVersion, undefined);

  // the change arrives after the write settled and the offer was withdrawn: parsed
  backend.hold = true;
  const c = pod('n', 'c');
  const cText = JSON.stringify(c);
  const withdrawC = cache.offer(key('n', 'c'), cText, c);
  const kvC = await backend.create(key('n', 'c'), cText);
  withdrawC();
  backend.release();
  await cache.waitForRevision(kvC.modRevision);
  assert.notEqual(cache.get(key('n', 'c')), c);
  assert.deepEqual(cache.get(key('n', 'c')), { ...c, metadata: { ...c.metadata, resourceVersion: String(kvC.modRevision) } });
  assert.equal(c.metadata.resourceVersion, undefined);
});

test('a backend watch failure closes watches with the error; the cache relists and serves again', async (t) => {
  const { backend, cache, put } = await setup(t, { prefill: [pod('a', 'x')] });
  const w = collect(cache, { resourceVersion: '1' });
  backend.failWatches(new Error('connection lost'));
  assert.equal(w.state.closed?.err?.message, 'connection lost');
  assert.equal(cache.ready, false);
  assert.throws(() => collect(cache, {}), CacheNotReadyError);
  const listed = await cache.list({}); // waits for the relist
  assert.deepEqual(names(listed.items), ['a/x']);
  assert.equal(cache.ready, true);
  assert.equal(backend.watchCount, 1);
  const w2 = collect(cache, { resourceVersion: listed.resourceVersion });
  await put(pod('a', 'y'));
  assert.deepEqual(w2.summary(), ['ADDED y@2']);
});

test('stopping the cache closes watches without an error and stops the backend watch', async (t) => {
  const { backend, cache, ctrl, clock } = await setup(t, { prefill: [pod('a', 'x')] });
  const w = collect(cache, { resourceVersion: '0' });
  ctrl.abort();
  assert.deepEqual(w.state.closed, { err: undefined });
  assert.equal(backend.watchCount, 0);
  assert.equal(clock.pending, 0);
  await assert.rejects(cache.list({}), CacheNotReadyError);
});
