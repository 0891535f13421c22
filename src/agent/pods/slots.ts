// A counting semaphore that hands free slots to waiters in the order of a number they give
// (lowest first), not in the order they asked. The pod workers use it to bound how many pods do
// runtime work (sandbox set-up, container create/start) at once, ordered by the pods' arrival:
// in a burst, the pods that came first finish first instead of all advancing in lock-step and
// all turning Running at the end (the machine's throughput is the same either way).

export class OrderedSlots {
  private free: number;
  private readonly waiting: { order: number; seq: number; grant: () => void }[] = [];
  private seq = 0;

  constructor(slots: number) {
    if (!Number.isInteger(slots) || slots < 1) throw new Error(`slots must be a positive integer, got ${slots}`);
    this.free = slots;
  }

  /** Wait for a slot; resolves with the function that gives it back (call it exactly once). */
  async acquire(order: number): Promise<() => void> {
    if (this.free > 0 && this.waiting.length === 0) {
      this.free--;
    } else {
      await new Promise<void>((grant) => {
        this.waiting.push({ order, seq: this.seq++, grant });
        this.waiting.sort((a, b) => a.order - b.order || a.seq - b.seq);
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.grant();
      else this.free++;
    };
  }

  /** Run `fn` holding a slot. */
  async with<T>(order: number, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(order);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
