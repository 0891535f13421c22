// The controller work queue (client-go's rate-limited delaying queue): keys to reconcile, each
// handed to one worker at a time, with delayed and rate-limited re-adds for retries.
//
//   add(k) ──► dirty? ─no─► processing? ─no─► queue ──get()──► processing ──done(k)──► (dirty? re-queue)
//                 yes: collapsed    yes: re-queued at done
//   addAfter(k, ms) ── timer ──► add(k)        addRateLimited(k) = addAfter(k, limiter.when(k))

import { type Clock, realClock, type TimerHandle } from './clock.ts';
import { defaultControllerRateLimiter, type RateLimiter } from './ratelimit.ts';

export interface WorkQueueOptions {
  clock?: Clock;
  /** Default: defaultControllerRateLimiter (per key 5 ms → 1000 s, overall 10 qps / burst 100). */
  rateLimiter?: RateLimiter;
}

/**
 * Contract:
 * - Fair: keys come out of get() in the order they were (first) added.
 * - A key is in the queue at most once: adding a waiting key again does nothing.
 * - A key being processed (between get() and done()) is never handed out again; adding it
 *   meanwhile marks it, and done() puts it back in the queue.
 * - addAfter keeps only the earliest pending time per key.
 * - After shutDown(), adds are ignored, pending timers are dropped, and get() resolves
 *   undefined (waiting keys are dropped too: a stopping controller starts no new work).
 */
export class WorkQueue {
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;
  private readonly queue: string[] = [];
  private head = 0;
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waiting = new Map<string, { due: number; handle: TimerHandle }>();
  private readonly getters: ((key: string | undefined) => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private shuttingDown = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter(this.clock);
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const getter = this.getters.shift();
    if (getter) {
      this.dirty.delete(key);
      this.processing.add(key);
      getter(key);
      return;
    }
    this.queue.push(key);
  }

  /** Add `key` after `ms` (at once if ms <= 0). */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const due = this.clock.now() + ms;
    const pending = this.waiting.get(key);
    if (pending) {
      if (pending.due <= due) return;
      this.clock.clearTimeout(pending.handle);
    }
    const handle = this.clock.setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, ms);
    this.waiting.set(key, { due, handle });
  }

  /** Add `key` after its rate limiter's delay (a retry after a failure). */
  addRateLimited(key: string): void {
    this.addAfter(key, this.limiter.when(key));
  }

  /** Clear `key`'s failure history (after a success). Does not remove it from the queue. */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiter.numRequeues(key);
  }

  /** The next key (marked processing until done()), or undefined once shut down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    if (this.head < this.queue.length) {
      const key = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Finish processing `key`; re-queues it if it was added meanwhile. */
  done(key: string): void {
    if (!this.processing.delete(key)) return;
    if (this.dirty.has(key) && !this.shuttingDown) {
      this.dirty.delete(key);
      this.add(key);
    }
    if (this.processing.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Keys waiting to be handed out (not counting processing or delayed ones). */
  len(): number {
    return this.queue.length - this.head;
  }

  /** Keys waiting on an addAfter/addRateLimited timer. */
  delayedLen(): number {
    return this.waiting.size;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const { handle } of this.waiting.values()) this.clock.clearTimeout(handle);
    this.waiting.clear();
    this.queue.length = 0;
    this.head = 0;
    this.dirty.clear();
    for (const g of this.getters.splice(0)) g(undefined);
  }

  /** Shut down and resolve once no key is being processed. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
