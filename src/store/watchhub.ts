// In-process watch fan-out for the single-process backends (memory, sqlite): after a write
// batch commits, the backend publishes its events here and every matching watcher receives
// them on the next microtask, before the writers' promises settle.
//
// Delivery model (also described in docs/store.md):
// - Each watcher has a FIFO queue. publish() appends the matching events and schedules one
//   flush per watcher; the flush hands everything queued so far to onEvents in one call, so
//   several commits may arrive together (revisions stay strictly increasing).
// - A watcher registered with history (`replay`) gets the replay first, then live events; the
//   backend builds the replay and registers in one synchronous step, so there is neither a gap
//   nor a duplicate between history and live events.
// - Callbacks run on the event loop: a slow onEvents slows the whole process rather than
//   losing events. Consumers (the apiserver's watch cache) must only queue work in onEvents.
//   If onEvents throws, that watch ends with onError(the thrown error).
// - Events are shared between watchers and must be treated as read-only.

import type { WatchEvent, WatchHandlers } from './backend.ts';

/** One registered watch. Ends on abort (silently), on close(err) or when onEvents throws. */
class Subscription {
  readonly prefix: string;
  readonly minRevision: number;
  /** The watch asked for prevKv on its events. */
  readonly prevKv: boolean;
  private readonly signal: AbortSignal;
  private readonly handlers: WatchHandlers;
  private readonly hub: WatchHub;
  private queue: WatchEvent[] = [];
  private scheduled = false;
  private done = false;
  private readonly onAbort = () => this.end();

  constructor(hub: WatchHub, prefix: string, minRevision: number, signal: AbortSignal, handlers: WatchHandlers, prevKv: boolean) {
    this.hub = hub;
    this.prefix = prefix;
    this.minRevision = minRevision;
    this.prevKv = prevKv;
    this.signal = signal;
    this.handlers = handlers;
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  push(events: WatchEvent[]): void {
    if (this.done || events.length === 0) return;
    for (const ev of events) this.queue.push(ev);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    if (this.done || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    try {
      this.handlers.onEvents(batch);
    } catch (err) {
      this.end(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Stop the watch; with `err`, report it through onError (never after abort). */
  end(err?: Error): void {
    if (this.done) return;
    this.done = true;
    this.queue = [];
    this.signal.removeEventListener('abort', this.onAbort);
    this.hub.remove(this);
    if (err) {
      queueMicrotask(() => {
        if (!this.signal.aborted) this.handlers.onError(err);
      });
    }
  }
}

export class WatchHub {
  private readonly subs = new Set<Subscription>();
  /** Active watches that asked for prevKv. */
  private prevKvSubs = 0;

  /**
   * Register a watch on `prefix`. `replay` (history, revision-ordered, already filtered to the
   * prefix) is delivered first; afterwards only live events with revision >= minRevision.
   * `prevKv`: the watch wants prevKv on its events (see wantsPrevKv).
   */
  add(prefix: string, minRevision: number, replay: WatchEvent[], signal: AbortSignal, handlers: WatchHandlers, prevKv = false): void {
    if (signal.aborted) return;
    const sub = new Subscription(this, prefix, minRevision, signal, handlers, prevKv);
    this.subs.add(sub);
    if (prevKv) this.prevKvSubs++;
    sub.push(replay);
  }

  /** Whether an event on `key` published now must carry prevKv: some active watch of it asked. */
  wantsPrevKv(key: string): boolean {
    if (this.prevKvSubs === 0) return false;
    for (const sub of this.subs) if (sub.prevKv && key.startsWith(sub.prefix)) return true;
    return false;
  }

  /** End a watch that could not start (e.g. CompactedError): onError on a later microtask. */
  reject(signal: AbortSignal, handlers: WatchHandlers, err: Error): void {
    queueMicrotask(() => {
      if (!signal.aborted) handlers.onError(err);
    });
  }

  /** Fan out the events of one committed batch (revision-ordered) to the matching watchers. */
  publish(events: WatchEvent[]): void {
    if (events.length === 0) return;
    for (const sub of this.subs) {
      const mine = events.filter((ev) => ev.kv.modRevision >= sub.minRevision && ev.kv.key.startsWith(sub.prefix));
      sub.push(mine);
    }
  }

  /** End every watch with `err` (backend closing). */
  closeAll(err: Error): void {
    for (const sub of [...this.subs]) sub.end(err);
  }

  /** Number of active watches (for tests and metrics). */
  get size(): number {
    return this.subs.size;
  }

  /** @internal called by Subscription.end */
  remove(sub: Subscription): void {
    if (this.subs.delete(sub) && sub.prevKv) this.prevKvSubs--;
  }
}
