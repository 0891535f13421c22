// A Clock for tests: time stands still until the test advances it, and timers fire in due
// order as it does. Code under test never sleeps for real; the test waits on conditions
// (`whenTimers`) and moves time explicitly.

import type { Clock, TimerHandle } from './clock.ts';

interface FakeTimer {
  id: number;
  due: number;
  fn: () => void;
}

/** Let every queued promise continuation run (one macrotask turn: all microtasks drain first). */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, FakeTimer>();
  private readonly watchers: { n: number; resolve(): void }[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { id, due: this.t + Math.max(0, ms), fn });
    for (const w of [...this.watchers]) {
      if (this.timers.size >= w.n) {
        this.watchers.splice(this.watchers.indexOf(w), 1);
        w.resolve();
      }
    }
    return { id } as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete((handle as unknown as { id: number }).id);
  }

  /** Timers set and not yet fired or cleared. */
  pending(): number {
    return this.timers.size;
  }

  /** Delays (from now) of the pending timers, soonest first. */
  pendingDelays(): number[] {
    return [...this.timers.values()].map((t) => t.due - this.t).sort((a, b) => a - b);
  }

  /** Resolves once at least `n` timers are pending (a condition, not a sleep). */
  whenTimers(n = 1): Promise<void> {
    if (this.timers.size >= n) return Promise.resolve();
    return new Promise((resolve) => this.watchers.push({ n, resolve }));
  }

  /**
   * Move time forward by `ms`, firing due timers in order (each at its own due time), letting
   * promise continuations run after each one so timers they set can fire within the window.
   */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await flushMicrotasks();
      let next: FakeTimer | undefined;
      for (const timer of this.timers.values()) if (timer.due <= target && (!next || timer.due < next.due)) next = timer;
      if (!next) break;
      this.timers.delete(next.id);
      this.t = Math.max(this.t, next.due);
      next.fn();
    }
    this.t = target;
    await flushMicrotasks();
  }

  /** Advance exactly to the soonest pending timer and fire it (and any due with it). */
  async fireNext(): Promise<void> {
    const delays = this.pendingDelays();
    if (delays.length === 0) throw new Error('FakeClock: no pending timer');
    await this.advance(delays[0]!);
  }
}
