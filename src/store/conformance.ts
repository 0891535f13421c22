// The shared behaviour suite for every Backend (memory, sqlite, etcd): registers node:test tests
// that check the contract in backend.ts — revisions, compare-and-swap, reads at a revision,
// paging, prefix isolation, watch ordering and replay, compaction and the sentinel errors.
//
// Every test gets a fresh backend from `make` and cleans it up even on failure. Tests do not
// assume an empty store (etcd is shared between tests): each one works under its own key
// prefix and reasons about revisions relative to currentRevision().

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CompactedError, ConflictError, FutureRevisionError, KeyExistsError, KeyNotFoundError } from '../base/errors.ts';
import type { Backend, WatchEvent } from './backend.ts';

export interface ConformanceSubject {
  backend: Backend;
  cleanup(): Promise<void>;
}

let prefixCounter = 0;
/** A key prefix no other test uses. */
function freshPrefix(): string {
  return `/conformance/${process.pid}-${Date.now().toString(36)}-${++prefixCounter}/`;
}

/** A running watch that records what it receives; `until` awaits a number of events. */
interface Recorder {
  events: WatchEvent[];
  errors: Error[];
  until(count: number): Promise<WatchEvent[]>;
  failed(): Promise<Error>;
  stop(): void;
}

function record(backend: Backend, prefix: string, fromRevision?: number): Recorder {
  const ac = new AbortController();
  const events: WatchEvent[] = [];
  const errors: Error[] = [];
  let wake: () => void = () => {};
  const changed = () => wake();
  backend.watch(prefix, { fromRevision, signal: ac.signal, prevKv: true }, {
    onEvents(batch) {
      events.push(...batch);
      changed();
    },
    onError(err) {
      errors.push(err);
      changed();
    },
  });
  // Waits for a condition re-checked on every callback; the timer only bounds a failing test.
  const waitFor = <T>(what: string, ready: () => T | Error | undefined): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        wake = () => {};
        reject(new Error(`timed out waiting for ${what}; got ${events.length} events, errors: ${errors.join('; ')}`));
      }, 10000);
      const check = () => {
        const value = ready();
        if (value === undefined) return;
        clearTimeout(timer);
        wake = () => {};
        if (value instanceof Error) reject(value);
        else resolve(value);
      };
      wake = check;
      check();
    });
  return {
    events,
    errors,
    until: (count) =>
      waitFor<WatchEvent[]>(`${count} events`, () => errors[0] ?? (events.length >= count ? events.slice(0, count) : undefined)),
    failed: () => waitFor<{ error: Error }>('an error', () => (errors[0] ? { error: errors[0] } : undefined)).then((x) => x.error),
    stop: () => ac.abort(),
  };
}

async function rejectsWith(promise: Promise<unknown>, cls: new (...args: never[]) => Error): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${cls.name}, but the call succeeded`);
}

export function runConformance(name: string, make: () => Promise<ConformanceSubject>): void {
  /** Registers one test that runs `body` against a fresh backend and a fresh key prefix. */
  const it = (title: string, body: (b: Backend, p: string) => Promise<void>) =>
    test(title, async () => {
      const subject = await make();
      try {
        await body(subject.backend, freshPrefix());
      } finally {
        await subject.cleanup();
      }
    });

  describe(`store conformance: ${name}`, () => {
    it('every write advances the revision by exactly one; failed writes do not', async (b, p) => {
      const r0 = await b.currentRevision();
      const a = await b.create(p + 'a', '1');
      assert.deepEqual(a, { key: p + 'a', value: '1', createRevision: r0 + 1, modRevision: r0 + 1 });
      await rejectsWith(b.create(p + 'a', 'x'), KeyExistsError);
      await rejectsWith(b.update(p + 'a', 'x', r0), ConflictError);
      const u = await b.update(p + 'a', '2', a.modRevision);
      assert.deepEqual(u, { key: p + 'a', value: '2', createRevision: r0 + 1, modRevision: r0 + 2 });
      const d = await b.delete(p + 'a');
      assert.equal(d.revision, r0 + 3);
      assert.deepEqual(d.prev, u);
      assert.equal(await b.currentRevision(), r0 + 3);
    });

    it('create refuses an existing key and allows re-creating a deleted one', async (b, p) => {
      const first = await b.create(p + 'k', 'v1');
      const err = await rejectsWith(b.create(p + 'k', 'v2'), KeyExistsError);
      assert.equal((err as KeyExistsError).key, p + 'k');
      assert.equal((await b.get(p + 'k'))?.value, 'v1');
      await b.delete(p + 'k');
      const again = await b.create(p + 'k', 'v3');
      assert.ok(again.createRevision > first.createRevision);
      assert.equal(again.createRevision, again.modRevision);
    });

    it('update is compare-and-swap on modRevision', async (b, p) => {
      const kv = await b.create(p + 'k', 'v1');
      const err = await rejectsWith(b.update(p + 'k', 'v2', kv.modRevision - 1), ConflictError);
      assert.equal((err as ConflictError).actualRevision, kv.modRevision);
      assert.equal((await b.get(p + 'k'))?.value, 'v1');
      const next = await b.update(p + 'k', 'v2', kv.modRevision);
      assert.equal(next.createRevision, kv.createRevision);
      await rejectsWith(b.update(p + 'k', 'v3', kv.modRevision), ConflictError);
      await rejectsWith(b.update(p + 'missing', 'v', 1), KeyNotFoundError);
    });

    it('delete returns the previous value; honours expectedRevision', async (b, p) => {
      const kv = await b.create(p + 'k', 'v1');
      await rejectsWith(b.delete(p + 'k', kv.modRevision + 100), ConflictError);
      assert.ok(await b.get(p + 'k'));
      const res = await b.delete(p + 'k', kv.modRevision);
      assert.deepEqual(res.prev, kv);
      assert.equal(await b.get(p + 'k'), null);
      await rejectsWith(b.delete(p + 'k'), KeyNotFoundError);
      await rejectsWith(b.delete(p + 'k', res.revision), KeyNotFoundError);
    });

    it('get returns the latest value or null', async (b, p) => {
      assert.equal(await b.get(p + 'none'), null);
      const kv = await b.create(p + 'k', '{"a":1}');
      assert.deepEqual(await b.get(p + 'k'), kv);
      const u = await b.update(p + 'k', '{"a":2}', kv.modRevision);
      assert.deepEqual(await b.get(p + 'k'), u);
    });

    it('list and count: ascending keys, byte-wise prefix isolation', async (b, p) => {
      for (const k of ['a/bc/1', 'a/b/2', 'a/b/1', 'a/b', 'b/1']) await b.create(p + k, k);
      const underB = await b.list(p + 'a/b/');
      assert.deepEqual(underB.items.map((i) => i.key), [p + 'a/b/1', p + 'a/b/2']);
      assert.equal(underB.more, false);
      assert.equal(underB.revision, await b.currentRevision());
      const byteWise = await b.list(p + 'a/b');
      assert.deepEqual(byteWise.items.map((i) => i.value), ['a/b', 'a/b/1', 'a/b/2', 'a/bc/1']);
      assert.equal(await b.count(p + 'a/b/'), 2);
      assert.equal(await b.count(p + 'a/bc/'), 1);
      assert.equal(await b.count(p), 5);
      assert.equal(await b.count(p + 'zzz/'), 0);
      assert.deepEqual((await b.list(p + 'zzz/')).items, []);
    });

    it('list at an old revision sees the state as it was', async (b, p) => {
      const a = await b.create(p + 'a', 'a1');
      await b.create(p + 'b', 'b1');
      await b.create(p + 'early', 'x');
      await b.delete(p + 'early');
      const then = await b.currentRevision();
      await b.update(p + 'a', 'a2', a.modRevision);
      await b.delete(p + 'b');
      await b.create(p + 'c', 'c1');
      const old = await b.list(p, { revision: then });
      assert.equal(old.revision, then);
      assert.deepEqual(old.items.map((i) => `${i.key.slice(p.length)}=${i.value}`), ['a=a1', 'b=b1']);
      assert.deepEqual(old.items[0], a);
      const now = await b.list(p);
      assert.deepEqual(now.items.map((i) => `${i.key.slice(p.length)}=${i.value}`), ['a=a2', 'c=c1']);
    });

    it('paging with limit and startAfter reports more', async (b, p) => {
      const keys = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'].map((k) => p + k);
      for (const k of keys) await b.create(k, 'v');
      await b.create(p.slice(0, -1) + '0/outside', 'v');
      const rev = await b.currentRevision();
      const seen: string[] = [];
      let page = await b.list(p, { limit: 3 });
      const pages = [page];
      while (page.more) {
        page = await b.list(p, { limit: 3, startAfter: page.items.at(-1)!.key, revision: page.revision });
        pages.push(page);
      }
      for (const pg of pages) seen.push(...pg.items.map((i) => i.key));
      assert.deepEqual(pages.map((pg) => [pg.items.length, pg.more, pg.revision]), [[3, true, rev], [3, true, rev], [1, false, rev]]);
      assert.deepEqual(seen, keys);
      const exact = await b.list(p, { limit: 7 });
      assert.equal(exact.more, false);
      assert.equal((await b.list(p, { limit: 6 })).more, true);
      assert.deepEqual((await b.list(p, { startAfter: p + 'k6' })).items.map((i) => i.key), [p + 'k7']);
      // Paging continues at the first page's revision even after the data changed.
      await b.delete(p + 'k5');
      const later = await b.list(p, { revision: rev, startAfter: p + 'k4', limit: 2 });
      assert.deepEqual(later.items.map((i) => i.key), [p + 'k5', p + 'k6']);
      assert.equal(later.more, true);
    });

    it('list at a future revision fails with FutureRevisionError', async (b, p) => {
      await b.create(p + 'a', 'v');
      const cur = await b.currentRevision();
      const err = await rejectsWith(b.list(p, { revision: cur + 10 }), FutureRevisionError);
      assert.equal((err as FutureRevisionError).requested, cur + 10);
    });

    it('watch from now sees later puts (prevKv on update) and deletes', async (b, p) => {
      await b.create(p + 'before', 'x');
      const w = record(b, p);
      try {
        const a = await b.create(p + 'a', '1');
        const a2 = await b.update(p + 'a', '2', a.modRevision);
        const d = await b.delete(p + 'a');
        const evs = await w.until(3);
        assert.deepEqual(evs, [
          { type: 'put', kv: a },
          { type: 'put', kv: a2, prevKv: a },
          { type: 'delete', kv: { key: p + 'a', value: '', createRevision: a.createRevision, modRevision: d.revision }, prevKv: a2 },
        ]);
      } finally {
        w.stop();
      }
    });

    it('watch from an old revision replays history in order, then continues live', async (b, p) => {
      const a = await b.create(p + 'a', '1');
      const bkv = await b.create(p + 'b', '1');
      const a2 = await b.update(p + 'a', '2', a.modRevision);
      const del = await b.delete(p + 'b');
      const w = record(b, p, bkv.modRevision);
      try {
        const replay = await w.until(3);
        assert.deepEqual(replay.map((e) => [e.type, e.kv.key.slice(p.length), e.kv.modRevision]), [
          ['put', 'b', bkv.modRevision],
          ['put', 'a', a2.modRevision],
          ['delete', 'b', del.revision],
        ]);
        assert.deepEqual(replay[1].prevKv, a);
        assert.deepEqual(replay[2].prevKv, bkv);
        const c = await b.create(p + 'c', '1');
        const all = await w.until(4);
        assert.deepEqual(all[3], { type: 'put', kv: c });
      } finally {
        w.stop();
      }
    });

    it('watch only sees keys under its prefix', async (b, p) => {
      const w = record(b, p + 'a/b/');
      try {
        await b.create(p + 'a/bc/1', 'no');
        await b.create(p + 'a/b', 'no');
        const yes = await b.create(p + 'a/b/1', 'yes');
        const evs = await w.until(1);
        assert.deepEqual(evs, [{ type: 'put', kv: yes }]);
        await b.create(p + 'a/b/2', 'yes');
        await w.until(2);
        assert.deepEqual(w.events.map((e) => e.kv.value), ['yes', 'yes']);
      } finally {
        w.stop();
      }
    });

    it('watch from a future revision delivers only events at or after it', async (b, p) => {
      const from = (await b.currentRevision()) + 2;
      const w = record(b, p, from);
      try {
        await b.create(p + 'skip', 'x');
        const second = await b.create(p + 'take', 'y');
        assert.equal(second.modRevision, from);
        assert.deepEqual(await w.until(1), [{ type: 'put', kv: second }]);
      } finally {
        w.stop();
      }
    });

    it('watch across many concurrent writes: every revision once, in order', async (b, p) => {
      const start = await b.currentRevision();
      const live = record(b, p);
      const writes = 300;
      try {
        const keys = Array.from({ length: 30 }, (_, i) => `${p}k${i}`);
        await Promise.all(keys.map((k) => b.create(k, '0')));
        // Concurrent read-modify-write loops: conflicts are retried, every success is one revision.
        let done = keys.length;
        await Promise.all(
          keys.map(async (k) => {
            for (let i = 0; i < (writes - keys.length) / keys.length; i++) {
              for (;;) {
                const cur = (await b.get(k))!;
                try {
                  await b.update(k, String(Number(cur.value) + 1), cur.modRevision);
                  done++;
                  break;
                } catch (err) {
                  if (!(err instanceof ConflictError)) throw err;
                }
              }
            }
          }),
        );
        assert.equal(done, writes);
        const expected = Array.from({ length: writes }, (_, i) => start + 1 + i);
        assert.deepEqual((await live.until(writes)).map((e) => e.kv.modRevision), expected);
        const replay = record(b, p, start + 1);
        try {
          assert.deepEqual((await replay.until(writes)).map((e) => e.kv.modRevision), expected);
        } finally {
          replay.stop();
        }
        // No duplicate arrives late.
        await b.create(p + 'last', 'x');
        assert.equal((await live.until(writes + 1)).at(-1)?.kv.key, p + 'last');
        assert.equal(live.events.length, writes + 1);
      } finally {
        live.stop();
      }
    });

    it('concurrent conflicting updates: exactly one wins', async (b, p) => {
      const kv = await b.create(p + 'k', 'v0');
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => b.update(p + 'k', `v${i + 1}`, kv.modRevision)));
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof ConflictError, String(r.reason));
      assert.equal((await b.get(p + 'k'))?.value, (won[0] as PromiseFulfilledResult<{ value: string }>).value.value);
      const creates = await Promise.allSettled(Array.from({ length: 5 }, () => b.create(p + 'new', 'x')));
      assert.equal(creates.filter((r) => r.status === 'fulfilled').length, 1);
      const deletes = await Promise.allSettled(Array.from({ length: 5 }, () => b.delete(p + 'new')));
      assert.equal(deletes.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of deletes) if (r.status === 'rejected') assert.ok(r.reason instanceof KeyNotFoundError, String(r.reason));
    });

    it('compaction: old reads and watches fail with CompactedError, newer ones work', async (b, p) => {
      const a = await b.create(p + 'a', '1');
      const a2 = await b.update(p + 'a', '2', a.modRevision);
      const gone = await b.create(p + 'gone', 'x');
      const a3 = await b.update(p + 'a', '3', a2.modRevision);
      await b.delete(p + 'gone');
      const c = await b.create(p + 'c', '1');
      const compactAt = a3.modRevision;
      await b.compact(compactAt);
      assert.ok((await b.compactRevision()) >= compactAt);
      const err = await rejectsWith(b.list(p, { revision: a2.modRevision }), CompactedError);
      assert.equal((err as CompactedError).requested, a2.modRevision);
      assert.ok((err as CompactedError).compactRevision >= compactAt);
      const atCompact = await b.list(p, { revision: compactAt });
      assert.deepEqual(atCompact.items, [a3, gone]);
      assert.deepEqual((await b.list(p)).items, [a3, c]);
      assert.deepEqual(await b.get(p + 'a'), a3);
      const old = record(b, p, a.modRevision);
      const atPoint = record(b, p, compactAt);
      try {
        assert.ok((await old.failed()) instanceof CompactedError);
        assert.ok((await atPoint.failed()) instanceof CompactedError);
      } finally {
        old.stop();
        atPoint.stop();
      }
      const after = record(b, p, compactAt + 1);
      try {
        const evs = await after.until(2);
        assert.deepEqual(evs.map((e) => [e.type, e.kv.modRevision]), [['delete', compactAt + 1], ['put', c.modRevision]]);
        assert.deepEqual(evs[0].prevKv, gone);
      } finally {
        after.stop();
      }
      await b.compact(compactAt); // compacting again at the same revision is a no-op
      await rejectsWith(b.compact((await b.currentRevision()) + 5), FutureRevisionError);
    });

    it('abort stops a watch: no callback after abort', async (b, p) => {
      const stopped = record(b, p);
      const control = record(b, p);
      try {
        await b.create(p + 'one', '1');
        await stopped.until(1);
        stopped.stop();
        await b.create(p + 'two', '2');
        await control.until(2);
        assert.equal(stopped.events.length, 1);
        assert.deepEqual(stopped.errors, []);
        // A watch aborted before it delivers anything stays silent, even for replay and errors.
        const ac = new AbortController();
        let calls = 0;
        b.watch(p, { fromRevision: 1, signal: ac.signal }, { onEvents: () => calls++, onError: () => calls++ });
        ac.abort();
        await b.create(p + 'three', '3');
        await control.until(3);
        assert.equal(calls, 0);
      } finally {
        stopped.stop();
        control.stop();
      }
    });

    it('a watch whose onEvents throws ends with onError(that error)', async (b, p) => {
      const ac = new AbortController();
      const boom = new Error('consumer failed');
      const seen: string[] = [];
      const ended = new Promise<Error>((resolve) => {
        b.watch(p, { signal: ac.signal }, {
          onEvents: (evs) => {
            seen.push(...evs.map((e) => e.kv.key));
            throw boom;
          },
          onError: resolve,
        });
      });
      const control = record(b, p);
      try {
        await b.create(p + 'a', '1');
        assert.equal(await ended, boom);
        await b.create(p + 'b', '2');
        await control.until(2);
        assert.deepEqual(seen, [p + 'a']);
      } finally {
        ac.abort();
        control.stop();
      }
    });

    it('close is idempotent', async (b) => {
      await b.close();
      await b.close();
    });
  });
}
