// An unbounded single-consumer async queue: producers push values (or end it, optionally with an
// error), one consumer reads them with `for await`. The bridge between callback producers (a
// socket's data events, an in-process response sink, a fake watch) and AsyncIterable consumers.

/**
 * Contract: values come out in push order, each exactly once. After end(), the consumer gets
 * what was pushed before, then completion (or the end error, thrown from next()). Pushes after
 * end are dropped. When the consumer stops early (break / return()), `onReturn` runs once and
 * the queue is ended. `weight` is the total size (by `sizeOf`) of values not yet consumed.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private head = 0;
  private waiter: { resolve(r: IteratorResult<T>): void; reject(e: unknown): void } | undefined;
  private ended = false;
  private error: unknown = undefined;
  private hasError = false;
  private iterated = false;
  private returned = false;
  private readonly sizeOf: (v: T) => number;
  private readonly onReturn: (() => void) | undefined;
  weight = 0;

  constructor(opts: { sizeOf?: (v: T) => number; onReturn?: () => void } = {}) {
    this.sizeOf = opts.sizeOf ?? (() => 1);
    this.onReturn = opts.onReturn;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Values pushed and not yet consumed. */
  get length(): number {
    return this.items.length - this.head;
  }

  push(v: T): void {
    if (this.ended) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve({ value: v, done: false });
      return;
    }
    this.items.push(v);
    this.weight += this.sizeOf(v);
  }

  end(err?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (err !== undefined) {
      this.error = err;
      this.hasError = true;
    }
    if (this.waiter && this.length === 0) {
      const w = this.waiter;
      this.waiter = undefined;
      if (this.hasError) w.reject(this.error);
      else w.resolve({ value: undefined, done: true });
    }
  }

  private next(): Promise<IteratorResult<T>> {
    if (this.length > 0) {
      const v = this.items[this.head]!;
      this.items[this.head] = undefined as T;
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items.splice(0, this.head);
        this.head = 0;
      }
      this.weight -= this.sizeOf(v);
      return Promise.resolve({ value: v, done: false });
    }
    if (this.ended) {
      if (this.hasError) {
        const e = this.error;
        this.hasError = false; // thrown once; later calls just complete
        return Promise.reject(e);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.waiter) return Promise.reject(new Error('AsyncQueue: concurrent next() calls'));
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.iterated) throw new Error('AsyncQueue: only one consumer may iterate');
    this.iterated = true;
    return {
      next: () => this.next(),
      return: async () => {
        if (!this.returned) {
          this.returned = true;
          this.ended = true;
          this.hasError = false;
          this.items.length = 0;
          this.head = 0;
          this.weight = 0;
          this.onReturn?.();
        }
        return { value: undefined, done: true };
      },
    };
  }
}
