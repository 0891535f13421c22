// The watch cache's initial list and relists: read in pages at one revision, the old state kept
// until the new one is complete, and every failure logged with its error and retried.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ListOptions, ListResult } from '../../store/backend.ts';
import { FakeBackend } from './fake-backend.test-util.ts';
import { systemClock, WatchCache, type WatchCacheClock, type WatchCacheLogger } from './cache.ts';

const PREFIX = '/registry/pods/';
const key = (ns: string, name: string) => `${PREFIX}${ns}/${name}`;
const pod = (ns: string, name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name } });

interface Line {
  level: 'info' | 'warn' | 'error' | 'debug';
  msg: string;
  fields?: Record<string, unknown>;
}

function recorder(): { log: WatchCacheLogger; lines: Line[] } {
  const lines: Line[] = [];
  return {
    lines,
    log: {
      info: (msg, fields) => lines.push({ level: 'info', msg, fields }),
      warn: (msg, fields) => lines.push({ level: 'warn', msg, fields }),
      error: (msg, fields) => lines.push({ level: 'error', msg, fields }),
      debug: (msg, fields) => lines.push({ level: 'debug', msg, fields }),
    },
  };
}

/** Replace backend.list with `hook(original, prefix, opts)` (calls are still recorded). */
function hookList(backend: FakeBackend, hook: (list: (prefix: string, opts?: ListOptions) => Promise<ListResult>, prefix: string, opts: ListOptions) => Promise<ListResult>): void {
  const original = backend.list.bind(backend);
  backend.list = (prefix, opts = {}) => hook(original, prefix, opts);
}

async function filled(count: number): Promise<{ backend: FakeBackend; keys: string[] }> {
  const backend = new FakeBackend();
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const ns = i % 2 === 0 ? 'a' : 'b';
    const name = `p${String(i).padStart(5, '0')}`;
    await backend.put(key(ns, name), pod(ns, name));
    keys.push(key(ns, name));
  }
  await backend.put('/registry/services/a/s', { metadata: { name: 's' } }); // another prefix
  keys.sort();
  return { backend, keys };
}

test('the initial list reads the prefix in pages of 1000 at the first page revision; later writes come by the watch', async (t) => {
  const { backend, keys } = await filled(2500);
  const { log, lines } = recorder();
  let pages = 0;
  hookList(backend, async (list, prefix, opts) => {
    const res = await list(prefix, opts);
    if (prefix === PREFIX && ++pages === 1) await backend.put(key('a', 'late'), pod('a', 'late')); // between pages
    return res;
  });
  const cache = new WatchCache({ backend, prefix: PREFIX, log });
  const ctrl = new AbortController();
  t.after(() => ctrl.abort());
  await cache.start(ctrl.signal);

  const R = 2501; // 2500 pods and the service; the late pod is R + 1
  const calls = backend.listCalls.filter((c) => c.prefix === PREFIX).map((c) => c.opts);
  assert.deepEqual(calls, [
    { limit: 1000 },
    { revision: R, limit: 1000, startAfter: keys[999] },
    { revision: R, limit: 1000, startAfter: keys[1999] },
  ]);
  const synced = lines.find((l) => l.msg === 'watch cache synced');
  assert.equal(synced?.fields?.revision, R);
  assert.equal(synced?.fields?.objects, 2500);
  assert.equal(synced?.fields?.pages, 3);

  await cache.waitForRevision(R + 1);
  assert.equal(cache.size, 2501);
  assert.equal(cache.get(key('a', 'late'))?.metadata.resourceVersion, String(R + 1));
  const listed = await cache.list({ resourceVersion: '0' });
  assert.equal(listed.items.length, 2501);
});

test('a relist that fails between pages is logged with its error and retried; the old state serves until the new one is whole', async (t) => {
  const { backend } = await filled(1500);
  const { log, lines } = recorder();
  const cache = new WatchCache({ backend, prefix: PREFIX, log, relistBackoffMs: { initial: 1, max: 1 } });
  const ctrl = new AbortController();
  t.after(() => ctrl.abort());
  await cache.start(ctrl.signal);
  assert.equal(cache.size, 1500);
  const before = cache.get(key('a', 'p00000'));
  assert.ok(before);

  // The backend watch fails; the relist's second page fails once, then is held back.
  let failSecondPage = true;
  let releaseSecondPage = () => {};
  const held = new Promise<void>((resolve) => (releaseSecondPage = resolve));
  let reachedHeldPage = () => {};
  const atHeldPage = new Promise<void>((resolve) => (reachedHeldPage = resolve));
  hookList(backend, async (list, prefix, opts) => {
    if (prefix === PREFIX && opts.startAfter !== undefined) {
      if (failSecondPage) {
        failSecondPage = false;
        throw new Error('8 RESOURCE_EXHAUSTED: Received message larger than max (20337558 vs 4194304)');
      }
      reachedHeldPage();
      await held;
    }
    return list(prefix, opts);
  });
  backend.hold = true; // the cache learns of this write only by relisting
  await backend.put(key('a', 'p00000'), { ...pod('a', 'p00000'), spec: { changed: true } });
  backend.failWatches(new Error('etcd store closed'));
  assert.equal(cache.ready, false);

  await atHeldPage;
  // Mid-relist: the previous state is still what get() returns.
  assert.equal(cache.get(key('a', 'p00000')), before);
  assert.equal(cache.size, 1500);
  releaseSecondPage();
  await cache.waitForRevision(await backend.currentRevision());
  assert.equal(cache.ready, true);
  assert.deepEqual(cache.get(key('a', 'p00000'))?.spec, { changed: true });

  const warns = lines.filter((l) => l.level === 'warn');
  assert.equal(warns[0].msg, 'watch cache: backend watch failed; relisting');
  assert.equal(warns[1].msg, 'watch cache: listing from the backend failed; retrying');
  assert.match(String(warns[1].fields?.error), /RESOURCE_EXHAUSTED: Received message larger than max/);
  assert.equal(warns[1].fields?.failures, 1);
  assert.equal(warns[1].fields?.prefix, PREFIX);
  const synced = lines.filter((l) => l.msg === 'watch cache synced');
  assert.equal(synced.length, 2);
  assert.equal(synced[1].fields?.failedAttempts, 1);
  assert.equal(synced[1].fields?.pages, 2);
});

test('a start that keeps failing keeps retrying (holding the process open), logging the first failures and then every tenth', async () => {
  const backend = new FakeBackend();
  const { log, lines } = recorder();
  let failures = 25;
  hookList(backend, async (list, prefix, opts) => {
    if (failures > 0) {
      failures--;
      throw new Error('14 UNAVAILABLE: No connection established');
    }
    return list(prefix, opts);
  });
  // Real timers, recording whether each retry wait held the process open when it fired.
  const retryWaitRefs: boolean[] = [];
  const clock: WatchCacheClock = {
    ...systemClock,
    setTimeout: (fn, ms) => {
      const handle = systemClock.setTimeout(() => {
        if (ms === 1) retryWaitRefs.push((handle as NodeJS.Timeout).hasRef());
        fn();
      }, ms);
      return handle;
    },
  };
  const cache = new WatchCache({ backend, prefix: PREFIX, log, clock, relistBackoffMs: { initial: 1, max: 1 } });
  const ctrl = new AbortController();
  try {
    await cache.start(ctrl.signal);
  } finally {
    ctrl.abort();
  }
  // A server whose start is retrying must not exit for lack of work (the clock's timers are unref'd).
  assert.equal(retryWaitRefs.length, 25);
  assert.ok(retryWaitRefs.every((ref) => ref));
  const warns = lines.filter((l) => l.level === 'warn');
  assert.deepEqual(
    warns.map((l) => l.fields?.failures),
    [1, 2, 3, 10, 20],
  );
  assert.ok(warns.every((l) => l.fields?.error === '14 UNAVAILABLE: No connection established'));
  assert.equal(lines.find((l) => l.msg === 'watch cache synced')?.fields?.failedAttempts, 25);
});
