// The shared informer (client-go's SharedIndexInformer): one Reflector feeding one Store, and
// the event handlers of every controller interested in that resource. Handlers see each
// change once, in order, after the store already holds it:
//
//   reflector ── replace/apply ──► store (indexes) ──► onAdd / onUpdate(old, new) / onDelete(last)
//
// A relist delivers onAdd for new keys, onUpdate for every key still present (changed or not,
// as client-go), and onDelete with the last known state for keys that vanished while the
// watch was down. Periodic resync (option) re-delivers onUpdate(obj, obj) for every object.
// Handlers should only turn events into work-queue keys: they run synchronously, and an
// exception in one is logged and does not affect the others.
//
// Objects passed to handlers and returned by the lister are the cached ones: read-only.

import type { KubeObject } from '../api/types.ts';
import type { Logger } from '../base/log.ts';
import type { Backoff } from './backoff.ts';
import { deepFreeze, type IndexFunc, Lister, Store } from './cache.ts';
import { type Clock, realClock } from './clock.ts';
import { Reflector, type ListerWatcher, type ReflectorSink } from './reflector.ts';

export interface EventHandlers<T> {
  /** A new object; `initialList` is true for objects of the first list (and of the replay for late handlers). */
  onAdd?(obj: T, initialList: boolean): void;
  onUpdate?(oldObj: T, newObj: T): void;
  /** The object is gone; `obj` is its last known state (possibly older than its deletion). */
  onDelete?(obj: T): void;
}

export interface SharedInformerOptions<T> {
  /** For logs, e.g. `pods` or `deployments.apps`. */
  name: string;
  listWatch: ListerWatcher<T>;
  log: Logger;
  clock?: Clock;
  /** Re-deliver every cached object as onUpdate(obj, obj) this often (0 or omitted: never). */
  resyncMs?: number;
  /** Deep-freeze objects entering the cache, so writes to them throw (use in tests). */
  freeze?: boolean;
  /**
   * Applied to every object before it enters the cache and reaches handlers (client-go's
   * SetTransform), e.g. stripManagedFields. It may modify the object it is given (the
   * informer's own decoded copy) and returns what to keep.
   */
  transform?: (obj: T) => T;
  pageSize?: number;
  backoff?: Backoff;
  random?: () => number;
}

/** What the controller runner needs from an informer. */
export interface SyncedInformer {
  hasSynced(): boolean;
  /** Resolves true once synced, false if `signal` aborts first. */
  whenSynced(signal?: AbortSignal): Promise<boolean>;
}

export class SharedInformer<T extends KubeObject = KubeObject> implements SyncedInformer, ReflectorSink<T> {
  readonly name: string;
  readonly store: Store<T>;
  readonly lister: Lister<T>;
  private readonly opts: SharedInformerOptions<T>;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly reflector: Reflector<T>;
  private readonly handlers = new Set<EventHandlers<T>>();
  private synced = false;
  private readonly syncWaiters = new Set<() => void>();
  private started = false;

  constructor(opts: SharedInformerOptions<T>) {
    this.opts = opts;
    this.name = opts.name;
    this.clock = opts.clock ?? realClock;
    this.log = opts.log;
    this.store = new Store<T>();
    this.lister = new Lister(this.store);
    this.reflector = new Reflector<T>({
      name: opts.name,
      listWatch: opts.listWatch,
      sink: this,
      clock: this.clock,
      log: opts.log,
      pageSize: opts.pageSize,
      backoff: opts.backoff,
      random: opts.random,
    });
  }

  /**
   * Register handlers; returns the function that unregisters them. A handler added after the
   * cache synced first gets onAdd(obj, true) for every cached object, as client-go does.
   */
  addEventHandler(h: EventHandlers<T>): () => void {
    this.handlers.add(h);
    if (this.synced) for (const obj of this.store.list()) this.call('onAdd', () => h.onAdd?.(obj, true));
    return () => {
      this.handlers.delete(h);
    };
  }

  /** Add a secondary index (see Store.addIndexer); allowed at any time. */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    this.store.addIndexer(name, fn);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  whenSynced(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (v: boolean) => {
        this.syncWaiters.delete(onSynced);
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      };
      const onSynced = () => done(true);
      const onAbort = () => done(false);
      this.syncWaiters.add(onSynced);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  lastSyncResourceVersion(): string {
    return this.reflector.lastSyncResourceVersion();
  }

  /** List, watch and resync until `signal` aborts; resolves once everything has stopped. Once only. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error(`informer ${this.name} was already started`);
    this.started = true;
    let resyncTimer: ReturnType<Clock['setTimeout']> | undefined;
    const resyncMs = this.opts.resyncMs ?? 0;
    const scheduleResync = () => {
      resyncTimer = this.clock.setTimeout(() => {
        if (signal.aborted) return;
        if (this.synced) this.resync();
        scheduleResync();
      }, resyncMs);
    };
    const stopResync = () => {
      if (resyncTimer !== undefined) this.clock.clearTimeout(resyncTimer);
    };
    if (resyncMs > 0) {
      scheduleResync();
      signal.addEventListener('abort', stopResync, { once: true });
    }
    try {
      await this.reflector.run(signal);
    } finally {
      stopResync();
      signal.removeEventListener('abort', stopResync);
    }
  }

  // ---- ReflectorSink: called by the reflector only ----

  replace(items: T[], _resourceVersion: string): void {
    const initial = !this.synced;
    const diff = this.store.replace(items.map((o) => this.admit(o)));
    for (const obj of diff.added) this.emit('onAdd', (h) => h.onAdd?.(obj, initial));
    for (const [old, cur] of diff.updated) this.emit('onUpdate', (h) => h.onUpdate?.(old, cur));
    for (const obj of diff.deleted) this.emit('onDelete', (h) => h.onDelete?.(obj));
    if (!this.synced) {
      this.synced = true;
      for (const w of [...this.syncWaiters]) w();
    }
  }

  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', raw: T): void {
    const obj = this.admit(raw);
    if (type === 'DELETED') {
      const old = this.store.remove(this.store.keyOf(obj));
      // A delete of something never seen is dropped, as client-go's DeltaFIFO does.
      if (old) this.emit('onDelete', (h) => h.onDelete?.(obj));
      return;
    }
    const old = this.store.upsert(obj);
    if (old) this.emit('onUpdate', (h) => h.onUpdate?.(old, obj));
    else this.emit('onAdd', (h) => h.onAdd?.(obj, false));
  }

  private resync(): void {
    for (const obj of this.store.list()) this.emit('onUpdate', (h) => h.onUpdate?.(obj, obj));
  }

  private admit(raw: T): T {
    const obj = this.opts.transform ? this.opts.transform(raw) : raw;
    return this.opts.freeze ? deepFreeze(obj) : obj;
  }

  private emit(what: string, fn: (h: EventHandlers<T>) => void): void {
    for (const h of [...this.handlers]) this.call(what, () => fn(h));
  }

  private call(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log.error('event handler failed', { informer: this.name, handler: what, error: String((e as Error)?.stack ?? e) });
    }
  }
}
