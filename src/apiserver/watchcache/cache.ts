// The apiserver's watch cache for one resource prefix (upstream kube-apiserver's "cacher"):
// lists and watches are served from memory, fed by one backend list + watch. See
// docs/watchcache.md for the data flow and what happens to slow watchers.
//
// State: one parsed object per key (metadata.resourceVersion set to its modRevision), a
// sorted key index (all keys and per namespace), and a ring buffer of the latest changes.
//
// Revisions. `stateFrom` is the revision of the last applied change: the memory state is the
// store's state at every revision from `stateFrom` up to `revision`. `revision` moves with
// applied changes and also when a consistent read proves that no change of this prefix lies
// between `stateFrom` and the backend's current revision (the backend notifies only changes
// under our prefix, so revisions spent on other resources are invisible otherwise). That proof
// is upstream's "progress notify" done with the Backend contract we have: list the scope at
// revision R and compare every key's modRevision and the key count with memory (no parse).
//
// Read-only: every object handed out is shared (see types.ts).

import { CompactedError, FutureRevisionError, apiErrors } from '../../base/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import type { Backend, KeyValue, WatchEvent } from '../../store/backend.ts';
import { decodeContinue, encodeContinue, startAfterKey, type ContinuePosition } from './continue-token.ts';
import {
  CacheNotReadyError,
  ContinueExpiredError,
  InvalidResourceVersionError,
  ResourceVersionExpiredError,
  TooLargeResourceVersionError,
  TooOldResourceVersionError,
} from './errors.ts';
import { CacheEventImpl, ChangeRecord } from './event.ts';
import { JsonMemo } from './json-memo.ts';
import { History } from './history.ts';
import { KeyIndex } from './key-index.ts';
import { page } from './paging.ts';
import {
  silentLogger,
  systemClock,
  type ListOpts,
  type ListResult,
  type WatchCacheClock,
  type WatchCacheLogger,
  type WatchHandle,
  type WatchOpts,
} from './types.ts';
import { Watcher } from './watcher.ts';

export * from './types.ts';
export * from './errors.ts';

export interface WatchCacheOptions {
  backend: Backend;
  /** Storage prefix of the resource, ending in '/': `/registry/pods/`. */
  prefix: string;
  /** Changes kept for watch replay (default 10000). */
  historySize?: number;
  clock?: WatchCacheClock;
  log?: WatchCacheLogger;
  /** Period of BOOKMARK events to watchers that allow them (default 60000 ms). */
  bookmarkIntervalMs?: number;
  /** Bounded wait for a requested freshness (default 3000 ms, as upstream). */
  freshnessTimeoutMs?: number;
  /** How long a list waits for a cache that is (re)initializing (default 3000 ms). */
  readyTimeoutMs?: number;
  /** Back-off between failed (re)lists: first and maximum delay (default 100 ms, 5000 ms). */
  relistBackoffMs?: { initial: number; max: number };
}

interface Entry {
  readonly key: string;
  readonly namespace: string;
  readonly object: KubeObject;
  readonly modRevision: number;
  /** Shared synthetic ADDED for watches from ''/'0' (built on first use). */
  added?: CacheEventImpl;
}

/** Where a list page is read from. */
type Source =
  | { kind: 'memory'; atLeast: number }
  | { kind: 'memory-exact'; revision: number }
  | { kind: 'snapshot'; revision: number; keys: string[]; objects: Map<string, KubeObject> };

interface Waiter {
  readonly rev: number;
  readonly wake: () => void;
}

const FILTERED_BACKEND_BATCH = 500;
/** Keys per backend request while (re)listing the whole prefix (all pages at one revision). */
const RELIST_PAGE_SIZE = 1000;

export class WatchCache {
  private readonly backend: Backend;
  private readonly prefix: string;
  private readonly clock: WatchCacheClock;
  private readonly log: WatchCacheLogger;
  private readonly bookmarkIntervalMs: number;
  private readonly freshnessTimeoutMs: number;
  private readonly readyTimeoutMs: number;
  private readonly backoff: { initial: number; max: number };

  private readonly entries = new Map<string, Entry>();
  private readonly index = new KeyIndex();
  private readonly history: History;
  private readonly memo = new JsonMemo();
  /** Objects being written, by storage key (see offer()). */
  private readonly offers = new Map<string, { readonly value: string; readonly object: KubeObject }>();

  private rev = 0;
  private stateFrom = 0;
  private isReady = false;
  private started = false;
  private stopped = false;
  private stopSignal: AbortSignal | undefined;
  private watchCtrl: AbortController | undefined;
  private bookmarkTimer: unknown;

  private readonly allNsWatchers = new Set<Watcher>();
  private readonly nsWatchers = new Map<string, Set<Watcher>>();
  private readonly revisionWaiters = new Set<Waiter>();
  private readonly readyWaiters = new Set<() => void>();
  private readonly verifications = new Map<string, Promise<KeyValue[]>>();

  constructor(opts: WatchCacheOptions) {
    this.backend = opts.backend;
    this.prefix = opts.prefix;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? silentLogger;
    this.history = new History(opts.historySize ?? 10000);
    this.bookmarkIntervalMs = opts.bookmarkIntervalMs ?? 60_000;
    this.freshnessTimeoutMs = opts.freshnessTimeoutMs ?? 3000;
    this.readyTimeoutMs = opts.readyTimeoutMs ?? 3000;
    this.backoff = opts.relistBackoffMs ?? { initial: 100, max: 5000 };
  }

  /** The last revision the cache has applied (or proven to have no change for this prefix). */
  get revision(): number {
    return this.rev;
  }

  /** Synced with the backend and serving. */
  get ready(): boolean {
    return this.isReady;
  }

  /** Number of cached objects. */
  get size(): number {
    return this.entries.size;
  }

  /** Number of registered watches (for metrics and tests). */
  get watcherCount(): number {
    let n = this.allNsWatchers.size;
    for (const set of this.nsWatchers.values()) n += set.size;
    return n;
  }

  /**
   * List the prefix at revision R, then watch it from R+1. Resolves once synced; retries a
   * failing backend with back-off until `signal` aborts (then rejects with its reason).
   * Aborting later stops the cache: the backend watch ends and every watch gets onClose().
   * After a backend watch failure the cache closes all watches (onClose(err)) and relists.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error('watch cache already started');
    this.started = true;
    this.stopSignal = signal;
    if (signal.aborted) {
      this.stop();
      throw signal.reason;
    }
    signal.addEventListener('abort', () => this.stop(), { once: true });
    this.armBookmarkTimer();
    await this.syncUntilReady();
  }

  /** The current cached object under a full storage key (read-only), if any. */
  get(key: string): KubeObject | undefined {
    return this.entries.get(key)?.object;
  }

  /** JSON of a cached object (decoded from objectBytes; the bytes are what is kept). */
  objectJson(obj: KubeObject): string {
    return this.memo.json(obj);
  }

  /** The UTF-8 bytes of a cached object's JSON, encoded once per object and shared (read-only). */
  objectBytes(obj: KubeObject): Buffer {
    return this.memo.bytes(obj);
  }

  /** Resolves once `revision` >= rev. Rejects on abort or when the cache stops. Unbounded. */
  async waitForRevision(rev: number, signal?: AbortSignal): Promise<void> {
    if (this.rev >= rev) return;
    if (this.stopped) throw new Error('watch cache stopped');
    await this.waitRevision(rev, Infinity, signal);
    if (this.rev < rev) throw new Error('watch cache stopped');
  }

  // ---------------------------------------------------------------- list

  /**
   * One list (page). Consistency per ListOpts.resourceVersion; pages after the first are read
   * at the first page's revision (memory when the cache still holds that state, otherwise
   * the backend at that revision; compacted → ContinueExpiredError).
   */
  async list(opts: ListOpts): Promise<ListResult> {
    await this.waitReady(opts.signal);
    const ns = opts.namespace || undefined;
    const scopePrefix = ns ? `${this.prefix}${ns}/` : this.prefix;
    if (opts.continueToken) {
      if (opts.resourceVersion && opts.resourceVersion !== '0') {
        throw apiErrors.badRequest('specifying resource version is not allowed when using continue');
      }
      return this.listContinue(decodeContinue(opts.continueToken), scopePrefix, ns, opts);
    }
    const rv = parseResourceVersion(opts.resourceVersion);
    let source: Source;
    if (opts.resourceVersionMatch === 'Exact') {
      if (!rv) throw apiErrors.badRequest('resourceVersionMatch: Forbidden: resourceVersionMatch "Exact" is forbidden for resourceVersion "0" or unset');
      source = await this.exactSource(rv, scopePrefix, opts.signal);
    } else if (rv === 0) {
      // Any state will do; like upstream, serve it whole (limit ignored) so informers never page.
      return this.pageFrom({ kind: 'memory', atLeast: 0 }, scopePrefix, ns, opts.filter, undefined);
    } else if (rv === undefined) {
      const target = await this.backend.currentRevision();
      source = await this.freshSource(target, scopePrefix, ns, opts.signal);
    } else {
      source = await this.notOlderThanSource(rv, scopePrefix, ns, opts.signal);
    }
    return this.pageFrom(source, scopePrefix, ns, opts.filter, opts.limit);
  }

  /** Serve one page from a source. Synchronous: memory cannot change underneath. */
  private pageFrom(source: Source, scopePrefix: string, ns: string | undefined, filter: ListOpts['filter'], limit: number | undefined, startKey?: string): ListResult {
    if (source.kind === 'snapshot') {
      return page({ keys: source.keys, lookup: (k) => source.objects.get(k)!, scopePrefix, revision: source.revision, filter, limit, startKey });
    }
    const revision = source.kind === 'memory-exact' ? source.revision : Math.max(source.atLeast, this.rev);
    return page({ keys: this.index.keys(ns), lookup: (k) => this.entries.get(k)!.object, scopePrefix, revision, filter, limit, startKey });
  }

  /**
   * A source reflecting at least `target`: memory once the cache has reached it, or once the
   * backend's state of the scope at `target` is proven equal to memory; while changes are in
   * flight wait for them (bounded); failing that, the backend's state at `target` itself.
   */
  private async freshSource(target: number, scopePrefix: string, ns: string | undefined, signal?: AbortSignal): Promise<Source> {
    if (this.rev >= target) return { kind: 'memory', atLeast: target };
    const items = await this.readScope(scopePrefix, target);
    const deadline = this.clock.now() + this.freshnessTimeoutMs;
    let maxMod = 0;
    for (const kv of items) if (kv.modRevision > maxMod) maxMod = kv.modRevision;
    for (;;) {
      if (this.rev >= target) return { kind: 'memory', atLeast: target };
      if (this.scopeMatches(items, ns)) {
        if (!ns) this.advanceTo(target);
        return { kind: 'memory', atLeast: target };
      }
      const remaining = deadline - this.clock.now();
      if (remaining <= 0 || !this.isReady) break;
      await this.waitRevision(Math.max(maxMod, this.stateFrom + 1), remaining, signal);
    }
    this.log.warn('watch cache behind the backend; serving a list from the backend', {
      prefix: scopePrefix,
      target,
      revision: this.rev,
    });
    return this.snapshotOf(items, target);
  }

  /** List a scope at a revision; concurrent identical reads share one backend call. */
  private readScope(scopePrefix: string, revision: number): Promise<KeyValue[]> {
    const id = `${revision}\u0000${scopePrefix}`;
    let p = this.verifications.get(id);
    if (!p) {
      p = this.backend.list(scopePrefix, { revision }).then((r) => r.items);
      const done = () => this.verifications.delete(id);
      p.then(done, done);
      this.verifications.set(id, p);
    }
    return p;
  }

  /** Whether memory holds exactly these key-values for the scope (compares revisions only). */
  private scopeMatches(items: KeyValue[], ns: string | undefined): boolean {
    if (this.index.keys(ns).length !== items.length) return false;
    for (const kv of items) {
      const e = this.entries.get(kv.key);
      if (!e || e.modRevision !== kv.modRevision) return false;
    }
    return true;
  }

  private async notOlderThanSource(rv: number, scopePrefix: string, ns: string | undefined, signal?: AbortSignal): Promise<Source> {
    if (this.rev >= rv) return { kind: 'memory', atLeast: rv };
    const current = await this.backend.currentRevision();
    if (rv > current) {
      // Not written yet anywhere: wait (bounded) for it to appear, as upstream does.
      if (await this.waitRevision(rv, this.freshnessTimeoutMs, signal)) return { kind: 'memory', atLeast: rv };
      throw new TooLargeResourceVersionError(rv, this.rev);
    }
    return this.freshSource(current, scopePrefix, ns, signal);
  }

  private async exactSource(rv: number, scopePrefix: string, signal?: AbortSignal): Promise<Source> {
    if (this.stateFrom <= rv && rv <= this.rev) return { kind: 'memory-exact', revision: rv };
    signal?.throwIfAborted();
    try {
      const items = await this.backend.list(scopePrefix, { revision: rv });
      return this.snapshotOf(items.items, rv);
    } catch (err) {
      if (err instanceof CompactedError) throw new ResourceVersionExpiredError(rv);
      if (err instanceof FutureRevisionError) throw new TooLargeResourceVersionError(rv, err.current);
      throw err;
    }
  }

  private snapshotOf(items: KeyValue[], revision: number): Source {
    const keys: string[] = [];
    const objects = new Map<string, KubeObject>();
    for (const kv of items) {
      const obj = this.decode(kv);
      if (!obj) continue;
      keys.push(kv.key);
      objects.set(kv.key, obj);
    }
    return { kind: 'snapshot', revision, keys, objects };
  }

  private async listContinue(pos: ContinuePosition, scopePrefix: string, ns: string | undefined, opts: ListOpts): Promise<ListResult> {
    const startKey = scopePrefix + pos.start;
    if (this.stateFrom <= pos.rv && pos.rv <= this.rev) {
      return this.pageFrom({ kind: 'memory-exact', revision: pos.rv }, scopePrefix, ns, opts.filter, opts.limit, startKey);
    }
    // The cache has moved on: read the rest at the first page's revision from the backend.
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const filter = opts.filter;
    const items: KubeObject[] = [];
    let startAfter = startAfterKey(scopePrefix, pos.start);
    let lastKey: string | undefined;
    let more = false;
    scan: for (;;) {
      opts.signal?.throwIfAborted();
      const batch = limit === Infinity ? 0 : filter ? Math.max(limit, FILTERED_BACKEND_BATCH) : limit - items.length;
      let res;
      try {
        res = await this.backend.list(scopePrefix, { revision: pos.rv, startAfter, limit: batch });
      } catch (err) {
        if (err instanceof CompactedError) throw new ContinueExpiredError(pos.rv);
        if (err instanceof FutureRevisionError) throw new TooLargeResourceVersionError(pos.rv, err.current);
        throw err;
      }
      for (let i = 0; i < res.items.length; i++) {
        const kv = res.items[i];
        const obj = this.decode(kv);
        if (!obj || (filter && !filter(obj))) continue;
        items.push(obj);
        lastKey = kv.key;
        if (items.length === limit) {
          more = i < res.items.length - 1 || res.more;
          break scan;
        }
      }
      if (!res.more || res.items.length === 0) break;
      startAfter = res.items[res.items.length - 1].key;
    }
    const result: ListResult = { items, resourceVersion: String(pos.rv) };
    if (more && lastKey !== undefined) result.continueToken = encodeContinue(pos.rv, lastKey.slice(scopePrefix.length));
    return result;
  }

  // ---------------------------------------------------------------- watch

  /**
   * Start a watch. Throws TooOldResourceVersionError (synchronously) when a watch from N needs
   * changes older than the history holds, CacheNotReadyError while (re)initializing.
   */
  watch(opts: WatchOpts): WatchHandle {
    const rv = parseResourceVersion(opts.resourceVersion);
    if (opts.signal.aborted) return { bookmark: () => {} };
    if (!this.isReady) throw new CacheNotReadyError();
    if (rv !== undefined && rv > 0 && opts.sendInitialEvents !== true && rv < this.history.floor) {
      throw new TooOldResourceVersionError(rv, this.history.floor);
    }
    const w = new Watcher(opts);
    const handle: WatchHandle = {
      bookmark: () => {
        if (w.registered) w.bookmark(this.rev);
      },
    };
    if (opts.sendInitialEvents === true) {
      void this.startWatchList(w, rv);
      return handle;
    }
    if (rv === undefined || rv === 0) {
      if (opts.sendInitialEvents === undefined) this.sendState(w);
      w.lastRevision = this.rev;
    } else {
      w.lastRevision = rv;
      for (const change of this.history.since(rv)) w.deliver(change);
      if (this.rev > w.lastRevision) w.lastRevision = this.rev;
    }
    this.register(w);
    return handle;
  }

  /** Watch-list: initial state at the requested freshness, bookmark, then changes. */
  private async startWatchList(w: Watcher, rv: number | undefined): Promise<void> {
    const ns = w.namespace || undefined;
    const scopePrefix = ns ? `${this.prefix}${ns}/` : this.prefix;
    try {
      let source: Source = { kind: 'memory', atLeast: 0 };
      if (rv === undefined) source = await this.freshSource(await this.backend.currentRevision(), scopePrefix, ns);
      else if (rv > 0) source = await this.notOlderThanSource(rv, scopePrefix, ns);
      if (w.closed) return;
      if (!this.isReady) throw new CacheNotReadyError();
      if (source.kind === 'snapshot') {
        for (const key of source.keys) {
          const obj = source.objects.get(key)!;
          if (!w.filter || w.filter(obj)) w.initial(new CacheEventImpl('ADDED', obj, Number(obj.metadata.resourceVersion), this.memo));
        }
        w.lastRevision = source.revision;
      } else {
        this.sendState(w);
        w.lastRevision = this.rev;
      }
      if (w.closed) return;
      this.register(w);
      w.bookmark(w.lastRevision, true);
    } catch (err) {
      w.close(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Synthetic ADDED for every cached object matching the watcher, in key order. */
  private sendState(w: Watcher): void {
    for (const key of this.index.keys(w.namespace || undefined)) {
      if (w.closed) return;
      const e = this.entries.get(key)!;
      let match: boolean;
      try {
        match = !w.filter || w.filter(e.object);
      } catch (err) {
        w.close(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (!match) continue;
      e.added ??= new CacheEventImpl('ADDED', e.object, e.modRevision, this.memo);
      w.initial(e.added);
    }
  }

  private register(w: Watcher): void {
    if (w.closed) return;
    let set = this.allNsWatchers;
    if (w.namespace) {
      let nsSet = this.nsWatchers.get(w.namespace);
      if (!nsSet) {
        nsSet = new Set();
        this.nsWatchers.set(w.namespace, nsSet);
      }
      set = nsSet;
    }
    const target = set;
    target.add(w);
    w.attach(() => {
      target.delete(w);
      if (w.namespace && target.size === 0 && this.nsWatchers.get(w.namespace) === target) this.nsWatchers.delete(w.namespace);
    });
  }

  private allWatchers(): Watcher[] {
    const out = [...this.allNsWatchers];
    for (const set of this.nsWatchers.values()) out.push(...set);
    return out;
  }

  private closeAllWatchers(err?: Error): void {
    for (const w of this.allWatchers()) w.close(err);
  }

  private armBookmarkTimer(): void {
    if (this.stopped) return;
    this.bookmarkTimer = this.clock.setTimeout(() => {
      this.bookmarkTimer = undefined;
      if (this.stopped) return;
      if (this.isReady) {
        for (const w of this.allWatchers()) if (w.allowBookmarks) w.bookmark(this.rev);
      }
      this.armBookmarkTimer();
    }, this.bookmarkIntervalMs);
  }

  // ---------------------------------------------------------------- sync with the backend

  /**
   * Relist until it succeeds or the cache stops. Every failure is retried with back-off and
   * logged with its error (the first three, then every tenth, so a long outage stays readable).
   */
  private async syncUntilReady(): Promise<void> {
    let delay = this.backoff.initial;
    for (let failures = 0; ; ) {
      if (this.stopped) throw this.stopSignal?.reason ?? new Error('watch cache stopped');
      try {
        await this.relist(failures);
        return;
      } catch (err) {
        if (this.stopped) throw this.stopSignal?.reason ?? new Error('watch cache stopped');
        failures++;
        if (failures <= 3 || failures % 10 === 0) {
          this.log.warn('watch cache: listing from the backend failed; retrying', {
            prefix: this.prefix,
            error: errorText(err),
            failures,
            retryInMs: delay,
          });
        }
        await this.sleep(delay);
        delay = Math.min(delay * 2, this.backoff.max);
      }
    }
  }

  /**
   * The wait between relist attempts (ends early when the cache stops). Unlike the clock's
   * other timers it holds the process open: a server whose start is still retrying has nothing
   * else keeping it alive yet, and must not exit silently (with code 0) in the middle of it.
   */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const onAbort = () => {
        this.clock.clearTimeout(t);
        resolve();
      };
      const t = this.clock.setTimeout(() => {
        this.stopSignal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      (t as { ref?: () => unknown } | null)?.ref?.(); // a Node timer (systemClock unrefs them)
      this.stopSignal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Replace the state with a fresh backend list and watch from just after it. The list is read
   * in pages of RELIST_PAGE_SIZE keys, all at the first page's revision (one consistent state;
   * no single backend reply grows with the prefix), decoded page by page; the cached state is
   * replaced only once the whole list has arrived.
   */
  private async relist(previousFailures = 0): Promise<void> {
    const startedAt = this.clock.now();
    const listed = new Map<string, Entry>();
    let res = await this.backend.list(this.prefix, { limit: RELIST_PAGE_SIZE });
    const revision = res.revision;
    let pages = 1;
    for (;;) {
      if (this.stopped) return;
      for (const kv of res.items) {
        const obj = this.decode(kv);
        if (obj) listed.set(kv.key, { key: kv.key, namespace: this.namespaceOf(kv.key), object: obj, modRevision: kv.modRevision });
      }
      if (!res.more || res.items.length === 0) break;
      res = await this.backend.list(this.prefix, { revision, limit: RELIST_PAGE_SIZE, startAfter: res.items[res.items.length - 1].key });
      pages++;
    }
    this.entries.clear();
    for (const [key, entry] of listed) this.entries.set(key, entry);
    this.index.reset(this.entries.values());
    this.history.reset(revision);
    this.stateFrom = revision;
    if (revision > this.rev) this.rev = revision;

    const ctrl = new AbortController();
    this.watchCtrl = ctrl;
    this.backend.watch(
      this.prefix,
      { fromRevision: revision + 1, signal: ctrl.signal },
      {
        onEvents: (events) => {
          if (this.watchCtrl === ctrl && !this.stopped) this.applyBatch(events);
        },
        onError: (err) => this.onBackendWatchError(ctrl, err),
      },
    );
    this.isReady = true;
    const synced: Record<string, unknown> = { prefix: this.prefix, revision, objects: this.entries.size, pages, ms: this.clock.now() - startedAt };
    if (previousFailures > 0) synced.failedAttempts = previousFailures;
    // one line per resource at every start would be noise: info only after a failure
    if (previousFailures > 0) this.log.info('watch cache synced', synced);
    else this.log.debug?.('watch cache synced', synced);
    for (const wake of [...this.readyWaiters]) wake();
    this.wakeRevisionWaiters();
  }

  private onBackendWatchError(ctrl: AbortController, err: Error): void {
    if (this.watchCtrl !== ctrl || this.stopped) return;
    this.log.warn('watch cache: backend watch failed; relisting', { prefix: this.prefix, error: String(err) });
    this.watchCtrl = undefined;
    ctrl.abort();
    this.isReady = false;
    this.closeAllWatchers(err);
    this.syncUntilReady().catch(() => {});
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.isReady = false;
    this.watchCtrl?.abort();
    this.watchCtrl = undefined;
    if (this.bookmarkTimer !== undefined) this.clock.clearTimeout(this.bookmarkTimer);
    this.bookmarkTimer = undefined;
    this.closeAllWatchers();
    for (const wake of [...this.readyWaiters]) wake();
    for (const w of [...this.revisionWaiters]) w.wake();
  }

  private applyBatch(events: WatchEvent[]): void {
    for (const ev of events) this.apply(ev);
    this.wakeRevisionWaiters();
  }

  private apply(ev: WatchEvent): void {
    const rev = ev.kv.modRevision;
    if (rev <= this.stateFrom) return; // already part of the listed state
    const key = ev.kv.key;
    const namespace = this.namespaceOf(key);
    const prev = this.entries.get(key);
    let change: ChangeRecord | undefined;
    if (ev.type === 'put') {
      const obj = this.decode(ev.kv);
      if (obj) {
        this.entries.set(key, { key, namespace, object: obj, modRevision: rev });
        if (!prev) this.index.add(key, namespace);
        change = new ChangeRecord(rev, key, namespace, prev ? 'MODIFIED' : 'ADDED', obj, prev?.object, this.memo);
      }
    } else {
      if (prev) {
        this.entries.delete(key);
        this.index.remove(key, namespace);
        change = new ChangeRecord(rev, key, namespace, 'DELETED', undefined, prev.object, this.memo);
      }
    }
    this.stateFrom = rev;
    if (rev > this.rev) this.rev = rev;
    if (!change) return;
    this.history.push(change);
    const nsSet = namespace ? this.nsWatchers.get(namespace) : undefined;
    if (nsSet) for (const w of nsSet) w.deliver(change);
    for (const w of this.allNsWatchers) w.deliver(change);
  }

  /**
   * Offer the object a write is about to store as `value` under the full storage key `key`, so
   * that the change carrying exactly that value is applied with this object instead of a parse
   * of the value. The object must be what JSON.parse(value) would give (the writer serialized
   * it into `value`); once adopted, the cache sets its metadata.resourceVersion and shares it
   * read-only, so the writer must not change it afterwards. Returns the withdrawal: call it
   * once the write has settled (an offer that no change matched is simply dropped).
   * In-process backends (sqlite, memory) publish a write's change before the write settles, so
   * their changes are adopted; a later change (etcd's) is parsed as before.
   */
  offer(key: string, value: string, object: KubeObject): () => void {
    const offer = { value, object };
    this.offers.set(key, offer);
    return () => {
      if (this.offers.get(key) === offer) this.offers.delete(key);
    };
  }

  /** Parse a stored value; resourceVersion = modRevision. Undefined (logged) when corrupt. */
  private decode(kv: KeyValue): KubeObject | undefined {
    const offered = this.offers.get(kv.key);
    if (offered !== undefined && offered.value === kv.value) {
      this.offers.delete(kv.key);
      const obj = offered.object;
      obj.metadata.resourceVersion = String(kv.modRevision);
      this.memo.seed(obj, kv.value);
      return obj;
    }
    try {
      const obj = JSON.parse(kv.value) as KubeObject;
      if (typeof obj !== 'object' || obj === null) throw new Error('not an object');
      obj.metadata ??= {};
      const hadVersion = obj.metadata.resourceVersion !== undefined;
      obj.metadata.resourceVersion = String(kv.modRevision);
      if (!hadVersion) this.memo.seed(obj, kv.value);
      return obj;
    } catch (err) {
      this.log.error('watch cache: undecodable stored value skipped', { key: kv.key, revision: kv.modRevision, error: String(err) });
      return undefined;
    }
  }

  private namespaceOf(key: string): string {
    const slash = key.indexOf('/', this.prefix.length);
    return slash < 0 ? '' : key.slice(this.prefix.length, slash);
  }

  // ---------------------------------------------------------------- waiting

  /** A verified backend revision with no change of this prefix after stateFrom. */
  private advanceTo(revision: number): void {
    if (revision <= this.rev) return;
    this.rev = revision;
    this.wakeRevisionWaiters();
  }

  private wakeRevisionWaiters(): void {
    if (this.revisionWaiters.size === 0) return;
    for (const w of [...this.revisionWaiters]) if (w.rev <= this.rev) w.wake();
  }

  /** Wait until revision >= rev: true when reached, false on timeout; rejects on abort. */
  private waitRevision(rev: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.rev >= rev) return Promise.resolve(true);
    return this.waitFor(
      (wake) => {
        const w: Waiter = { rev, wake };
        this.revisionWaiters.add(w);
        return () => this.revisionWaiters.delete(w);
      },
      timeoutMs,
      signal,
    ).then(() => this.rev >= rev);
  }

  private async waitReady(signal?: AbortSignal): Promise<void> {
    if (this.isReady) return;
    if (this.started && !this.stopped) {
      await this.waitFor(
        (wake) => {
          this.readyWaiters.add(wake);
          return () => this.readyWaiters.delete(wake);
        },
        this.readyTimeoutMs,
        signal,
      );
    }
    if (!this.isReady) throw new CacheNotReadyError();
  }

  /** Resolve when woken or after timeoutMs (Infinity: no timer); reject on abort. */
  private waitFor(register: (wake: () => void) => () => void, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      let timer: unknown;
      const finish = () => {
        unregister();
        if (timer !== undefined) this.clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        finish();
        reject(signal!.reason);
      };
      const unregister = register(() => {
        finish();
        resolve();
      });
      if (Number.isFinite(timeoutMs)) {
        timer = this.clock.setTimeout(() => {
          timer = undefined;
          finish();
          resolve();
        }, Math.max(0, timeoutMs));
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** An error for a log line: its message (with its class when that says more), else String(err). */
function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const name = err.constructor.name;
  return name && name !== 'Error' && !err.message.startsWith(name) ? `${name}: ${err.message}` : err.message;
}

/** '' / undefined → undefined; '0' → 0; 'N' → N; anything else → InvalidResourceVersionError. */
export function parseResourceVersion(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw new InvalidResourceVersionError(value);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new InvalidResourceVersionError(value);
  return n;
}
