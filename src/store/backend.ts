// The storage contract: a small etcd-v3-style key-value interface (k3s's kine is the model).
// Every backend (sqlite://, etcd://, memory://) implements exactly this, and one conformance
// suite (conformance.ts) runs against all of them. Only the apiserver talks to a Backend.
//
// Model: a single cluster-wide, strictly increasing revision counter. Every successful write
// (create, update, delete) advances it by exactly one and the new value is that write's
// revision. Each live key has createRevision (the revision of the write that created it) and
// modRevision (the revision of its latest write). Values are opaque strings (skiff stores JSON).
//
// Errors: only the sentinels in src/base/errors.ts: KeyExistsError, ConflictError,
// KeyNotFoundError, CompactedError, FutureRevisionError. Anything else is a backend failure.

export interface KeyValue {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
}

export interface ListOptions {
  /** Read as of this revision (0/undefined = current). Older than the compaction point → CompactedError;
   *  newer than the current revision → FutureRevisionError. */
  revision?: number;
  /** At most this many items (0/undefined = no limit). */
  limit?: number;
  /** Start strictly after this key (paging: pass the last key of the previous page). */
  startAfter?: string;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list was read at (the current revision if none was asked for). */
  revision: number;
  /** True when more keys under the prefix follow the last returned one at that revision. */
  more: boolean;
}

export type WatchEventType = 'put' | 'delete';

export interface WatchEvent {
  type: WatchEventType;
  /** For put: the new key-value. For delete: key with value '' and modRevision = the delete's revision,
   *  createRevision of the deleted key. */
  kv: KeyValue;
  /** The value before this event, for a watch that asked for it (WatchOptions.prevKv): then always
   *  present for delete, and for put when it was an update. Without asking, it may be absent. */
  prevKv?: KeyValue;
}

export interface WatchOptions {
  /** Deliver every event with revision >= fromRevision. 0/undefined = only events after now.
   *  A fromRevision at or below the compaction point → onError(CompactedError) and the watch ends. */
  fromRevision?: number;
  /** Aborting ends the watch; no callback fires after abort. */
  signal: AbortSignal;
  /** Deliver events with prevKv (etcd's WithPrevKV). Reading the previous value costs the sqlite
   *  backend a read of the old row's value per update, so only watches that need it ask. */
  prevKv?: boolean;
}

export interface WatchHandlers {
  /** Events in revision order, never duplicated, never skipped; a batch shares no revision with the next. */
  onEvents(events: WatchEvent[]): void;
  /** The watch failed and has ended (e.g. CompactedError, backend lost). Not called after abort. */
  onError(err: Error): void;
}

/**
 * Contract:
 * - Linearizable: a write that resolved is visible to every later get/list/count, and
 *   its event is delivered to every watch covering its key (in revision order).
 * - Compare-and-swap: update/delete with `expectedRevision` succeed only if the key's
 *   modRevision equals it (ConflictError otherwise, KeyNotFoundError if absent).
 * - Concurrency: methods may be called concurrently; each write is atomic.
 * - Keys are plain strings; prefix matching is byte-wise (`/registry/pods/` matches
 *   `/registry/pods/default/a`). list returns keys in ascending byte order.
 */
export interface Backend {
  /** Current value of a key, or null. */
  get(key: string): Promise<KeyValue | null>;
  /** Keys under `prefix` at a revision, sorted ascending, with limit and paging. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Number of live keys under `prefix`. */
  count(prefix: string): Promise<number>;
  /** Create a key that must not exist (KeyExistsError). Returns the new KeyValue. */
  create(key: string, value: string): Promise<KeyValue>;
  /** Replace the value if modRevision === expectedRevision. Returns the new KeyValue. */
  update(key: string, value: string, expectedRevision: number): Promise<KeyValue>;
  /** Delete the key (if expectedRevision given, only when it matches). Returns the deleted
   *  KeyValue (the value before deletion) and the revision of the delete. */
  delete(key: string, expectedRevision?: number): Promise<{ prev: KeyValue; revision: number }>;
  /** Stream changes under `prefix`. */
  watch(prefix: string, opts: WatchOptions, handlers: WatchHandlers): void;
  /** The latest revision (0 for an empty store that has never been written). */
  currentRevision(): Promise<number>;
  /** The revision at or below which history has been discarded (0 if never compacted). */
  compactRevision(): Promise<number>;
  /** Discard history at or below `revision` (never the latest value of a live key). */
  compact(revision: number): Promise<void>;
  /** Stop background work (auto-compaction, batching) and release the database. Idempotent. */
  close(): Promise<void>;
}

export interface BackendOptions {
  /** Auto-compaction: keep this many most recent revisions of history (default 10000 for
   *  sqlite/memory; etcd uses its own). Set 0 to disable auto-compaction (tests). */
  retainRevisions?: number;
  /** Auto-compaction check period in milliseconds (default 60000). */
  compactIntervalMs?: number;
}
