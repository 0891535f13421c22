// The shared controller runner (STYLE.md, the controller pattern): it owns the work queue, the
// informer event handlers that turn objects into keys, the wait for cache sync, N worker loops
// and the retry policy. A controller supplies only its key mapping and `reconcile(key)`.
//
//   informer events ──keyOf──► queue ──get──► worker: reconcile(key)
//                                 ▲                 ├─ ok            → forget(key)
//                                 │                 ├─ {requeueAfterMs} → forget, addAfter(key, ms)
//                                 └─────────────────┴─ throws        → log, addRateLimited(key)
//
// Stopping (abort): handlers are removed, the queue shuts down, workers finish the reconcile in
// hand (it receives the same signal, to cancel its API calls) and run() resolves.

import type { KubeObject } from '../api/types.ts';
import type { Logger } from '../base/log.ts';
import { metaNamespaceKey } from './cache.ts';
import type { Clock } from './clock.ts';
import type { EventHandlers, SyncedInformer } from './informer.ts';
import type { RateLimiter } from './ratelimit.ts';
import { WorkQueue } from './workqueue.ts';

/** What reconcile may ask for besides success: check again after a while (timeouts, schedules). */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

/**
 * Converges the state for one key (`ns/name`). Level-triggered: it re-reads everything from
 * listers, never trusts which event caused it, and may run any number of times. Throw to be
 * retried with back-off.
 */
export type Reconcile = (key: string, signal: AbortSignal) => Promise<ReconcileResult | void>;

/** An informer the runner can attach handlers to. */
export interface EventSource<T = KubeObject> extends SyncedInformer {
  addEventHandler(h: EventHandlers<T>): () => void;
}

export interface Source<T = KubeObject> {
  informer: EventSource<T>;
  /** Key(s) to reconcile when this object changes (e.g. the owner's key); none: ignore. Default metaNamespaceKey. */
  keyOf?: (obj: T) => string | string[] | undefined;
}

export interface ControllerOptions {
  /** For logs. */
  name: string;
  log: Logger;
  /** Informers whose caches must be synced before any worker starts. */
  informers: SyncedInformer[];
  /**
   * Informers whose add/update/delete events enqueue keys. Default: every entry of
   * `informers` that accepts handlers, keyed by metaNamespaceKey.
   */
  sources?: Source<any>[];
  reconcile: Reconcile;
  /** Concurrent reconciles of different keys (default 1). */
  workers?: number;
  clock?: Clock;
  rateLimiter?: RateLimiter;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  private readonly opts: ControllerOptions;
  private readonly log: Logger;
  private running = false;

  constructor(opts: ControllerOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.log = opts.log;
    this.queue = new WorkQueue({ clock: opts.clock, rateLimiter: opts.rateLimiter });
  }

  /** Queue a key by hand (from a handler of your own, or a timer). */
  enqueue(key: string): void {
    this.queue.add(key);
  }

  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  /**
   * Attach handlers, wait for every cache, run the workers until `signal` aborts; resolves
   * once all workers have stopped. Once only.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.running) throw new Error(`controller ${this.name} is already running`);
    this.running = true;
    const sources: Source<any>[] =
      this.opts.sources ?? (this.opts.informers.filter((i) => typeof (i as Partial<EventSource>).addEventHandler === 'function') as EventSource[]).map((informer) => ({ informer }));
    const removers = sources.map((s) => s.informer.addEventHandler(this.handlersFor(s)));
    const stop = () => this.queue.shutDown();
    signal.addEventListener('abort', stop, { once: true });
    try {
      if (signal.aborted) return;
      this.log.info('waiting for caches to sync', { controller: this.name });
      const synced = await Promise.all(this.opts.informers.map((i) => i.whenSynced(signal)));
      if (!synced.every(Boolean)) return;
      const workers = Math.max(1, this.opts.workers ?? 1);
      this.log.info('started workers', { controller: this.name, workers });
      await Promise.all(Array.from({ length: workers }, () => this.worker(signal)));
    } finally {
      signal.removeEventListener('abort', stop);
      this.queue.shutDown();
      for (const remove of removers) remove();
      this.log.info('stopped', { controller: this.name });
    }
  }

  private handlersFor(source: Source<any>): EventHandlers<any> {
    const keyOf = source.keyOf ?? metaNamespaceKey;
    const enqueue = (obj: KubeObject) => {
      const keys = keyOf(obj);
      if (keys === undefined) return;
      for (const k of Array.isArray(keys) ? keys : [keys]) this.queue.add(k);
    };
    return {
      onAdd: (obj) => enqueue(obj),
      onUpdate: (oldObj, newObj) => {
        enqueue(newObj);
        // An object can stop mapping to a key (e.g. its owner changed): the old key must converge too.
        if (source.keyOf) enqueue(oldObj);
      },
      onDelete: (obj) => enqueue(obj),
    };
  }

  private async worker(signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        const result = await this.opts.reconcile(key, signal);
        this.queue.forget(key);
        if (result?.requeueAfterMs !== undefined && !signal.aborted) this.queue.addAfter(key, result.requeueAfterMs);
      } catch (e) {
        if (signal.aborted) return; // stopping: the failure is the abort
        const retries = this.queue.numRequeues(key);
        this.log.warn('reconcile failed; will retry', { controller: this.name, key, retries, error: String((e as Error)?.message ?? e) });
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
      }
    }
  }
}
