// One watch served by the cache: remembers the last revision it has delivered (so nothing is
// delivered twice or out of order, whatever path an event comes by), applies the caller's
// filter through eventFor(), and ends exactly once — by abort (silently) or by the cache
// (onClose). Delivery is synchronous; buffering is the caller's business.

import type { KubeObject } from '../../api/types.ts';
import { eventFor, type CacheEventImpl, type ChangeRecord } from './event.ts';
import type { WatchDelivery, WatchOpts } from './types.ts';

export class Watcher {
  readonly namespace: string;
  readonly filter: ((obj: KubeObject) => boolean) | undefined;
  readonly allowBookmarks: boolean;
  /** Every change at or below this revision has been delivered (or was of no interest). */
  lastRevision = 0;
  /** Registered with the cache's dispatch (false while a watch-list waits for freshness). */
  registered = false;
  private done = false;
  private readonly opts: WatchOpts;
  private readonly onAbort = () => this.finish();
  private detach: () => void = () => {};

  constructor(opts: WatchOpts) {
    this.opts = opts;
    this.namespace = opts.namespace ?? '';
    this.filter = opts.filter;
    this.allowBookmarks = opts.allowBookmarks === true;
    opts.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  get closed(): boolean {
    return this.done;
  }

  /** Called by the cache once the watcher is in its dispatch sets. */
  attach(detach: () => void): void {
    this.registered = true;
    this.detach = detach;
  }

  /** Deliver a change if it is newer than what this watcher has seen and passes its filter. */
  deliver(change: ChangeRecord): void {
    if (this.done || change.revision <= this.lastRevision) return;
    this.lastRevision = change.revision;
    if (this.namespace && change.namespace !== this.namespace) return;
    let ev: CacheEventImpl | undefined;
    try {
      ev = eventFor(change, this.filter);
    } catch (err) {
      this.close(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (ev) this.emit(ev);
  }

  /** A synthetic ADDED of the initial state (already filtered by the caller). */
  initial(ev: CacheEventImpl): void {
    if (!this.done) this.emit(ev);
  }

  /** BOOKMARK at max(revision, lastRevision); no-op unless bookmarks were allowed. */
  bookmark(revision: number, initialEventsEnd = false): void {
    if (this.done || !this.allowBookmarks) return;
    if (revision > this.lastRevision) this.lastRevision = revision;
    this.emit(initialEventsEnd ? { type: 'BOOKMARK', revision: this.lastRevision, initialEventsEnd: true } : { type: 'BOOKMARK', revision: this.lastRevision });
  }

  /** The cache ends this watch: onClose(err) unless the caller already aborted. */
  close(err?: Error): void {
    if (this.done) return;
    this.finish();
    if (!this.opts.signal.aborted) this.opts.onClose(err);
  }

  private emit(e: WatchDelivery): void {
    try {
      this.opts.onEvent(e);
    } catch (err) {
      this.close(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.opts.signal.removeEventListener('abort', this.onAbort);
    this.detach();
  }
}

