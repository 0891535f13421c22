// Exponential back-off with jitter for retry loops (reflector relists and re-watches, leader
// election retries): 1 s, 2 s, 4 s, ... capped at 30 s by default, each delay drawn uniformly
// from [d/2, d] so that many clients failing together do not retry together.

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** Uniform in [0, 1); injectable so tests get exact delays. */
  random?: () => number;
}

/** Contract: next() returns the delay before the next attempt and advances; reset() after a success. */
export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly random: () => number;
  private attempt = 0;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 1000;
    this.maxMs = opts.maxMs ?? 30_000;
    this.factor = opts.factor ?? 2;
    this.random = opts.random ?? Math.random;
  }

  /** The ceiling of the next delay, without advancing. */
  peek(): number {
    return Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
  }

  next(): number {
    const d = this.peek();
    if (d < this.maxMs) this.attempt++;
    return Math.round(d / 2 + (d / 2) * this.random());
  }

  reset(): void {
    this.attempt = 0;
  }
}
