// Public types of the apiserver's watch cache (cache.ts): what callers pass in and get back.
// The cache serves LIST and WATCH of one resource prefix from memory; see docs/watchcache.md.
//
// Read-only rule: every KubeObject the cache hands out (list items, event objects, get())
// is shared with the cache and with every other reader. Callers must never mutate it; copy
// first (structuredClone) when a changed version is needed.

import type { KubeObject } from '../../api/types.ts';

export type CacheEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * One change delivered to a watcher. The same CacheEvent instance is handed to every watcher
 * that receives it (never mutate it).
 */
export interface CacheEvent {
  readonly type: CacheEventType;
  /** metadata.resourceVersion is set. For DELETED: the last state, with resourceVersion =
   *  the delete's revision (or, when the object stopped matching a watcher's filter, the
   *  revision of the update that made it stop matching). */
  readonly object: KubeObject;
  /** The store revision of the change. For the synthetic ADDED events of a watch from ''/'0'
   *  it is the object's own modRevision (those come in key order, not revision order). */
  readonly revision: number;
  /** The UTF-8 bytes of JSON.stringify(object), computed once and shared by every watcher and
   *  every list that asks for the same object (memoized per object; see WatchCache.objectBytes).
   *  Read-only. */
  objectBytes(): Buffer;
  /** The same JSON as a string (decoded from objectBytes()). */
  objectJson(): string;
}

export interface BookmarkEvent {
  readonly type: 'BOOKMARK';
  /** Every change at or below this revision has been delivered to this watcher. */
  readonly revision: number;
  /** True for the bookmark that ends the initial events of a sendInitialEvents watch: the
   *  HTTP layer annotates it with `k8s.io/initial-events-end: "true"`. */
  readonly initialEventsEnd?: boolean;
}

export type WatchDelivery = CacheEvent | BookmarkEvent;

export interface ListOpts {
  /** Restricts to keys under `<prefix><namespace>/`. '' or undefined = all namespaces. */
  namespace?: string;
  /** Label + field selector predicate. Called with read-only cached objects. */
  filter?: (obj: KubeObject) => boolean;
  /** Page size; 0/undefined = everything. Ignored for resourceVersion '0' (as upstream). */
  limit?: number;
  /** Opaque token from a previous page's ListResult.continueToken. */
  continueToken?: string;
  /**
   * '' / undefined: consistent read (reflects at least the backend revision at call time).
   * '0': any cached state. 'N': at least as fresh as N (bounded wait; too new → 504
   * TooLargeResourceVersionError). With resourceVersionMatch 'Exact': exactly revision N.
   */
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  /** Cancels the waits of this call (freshness, readiness). */
  signal?: AbortSignal;
}

export interface ListResult {
  /** Sorted by storage key. Read-only cached objects. */
  items: KubeObject[];
  /** The revision the list reflects. */
  resourceVersion: string;
  /** Present when more items follow; pass back as ListOpts.continueToken. */
  continueToken?: string;
  /** Items after this page; only when more follow and no filter was given. */
  remainingItemCount?: number;
}

export interface WatchOpts {
  /** Only objects in this namespace. '' or undefined = all namespaces. */
  namespace?: string;
  filter?: (obj: KubeObject) => boolean;
  /**
   * '' or '0': first a synthetic ADDED for every current matching object, then changes.
   * 'N': every change after N (replayed from the history buffer, then live).
   * See sendInitialEvents for the watch-list variants.
   */
  resourceVersion?: string;
  /**
   * Watch-list (KEP-3157). true: initial ADDED events for the state at the requested
   * freshness ('' = consistent, '0' = any, 'N' = not older than N), then a BOOKMARK with
   * initialEventsEnd (when allowBookmarks), then changes. false: no initial events; ''/'0'
   * start at the current revision. undefined: the legacy behaviour above.
   */
  sendInitialEvents?: boolean;
  /** Send periodic BOOKMARK events (about once per bookmark interval, default 1 minute). */
  allowBookmarks?: boolean;
  /** Aborting ends the watch; neither onEvent nor onClose is called afterwards. */
  signal: AbortSignal;
  /** Called synchronously, in revision order, from the cache's event loop turn. Must not
   *  block or throw (a throw ends this watch with onClose(err)). Buffering and slow-client
   *  handling belong to the caller (the HTTP layer). */
  onEvent(e: WatchDelivery): void;
  /** The cache ended this watch: err is TooOldResourceVersionError, a backend failure, or
   *  undefined when the cache stopped. Called at most once, never after abort. */
  onClose(err?: Error): void;
}

/** Returned by WatchCache.watch. */
export interface WatchHandle {
  /** Send a BOOKMARK with the current revision now (when allowBookmarks); the HTTP layer
   *  calls it right before it ends a watch at timeoutSeconds. */
  bookmark(): void;
}

/** Timers, injectable so tests drive bookmarks and bounded waits without real time. */
export interface WatchCacheClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WatchCacheLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  debug?(msg: string, fields?: Record<string, unknown>): void;
}

export const systemClock: WatchCacheClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export const silentLogger: WatchCacheLogger = {
  info: () => {},
  warn: () => {},
  error: () => {},
};
