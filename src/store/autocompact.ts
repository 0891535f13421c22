// Background compaction for the single-process backends (memory, sqlite). Keeps the most recent
// `retainRevisions` revisions of history and discards the rest, on two triggers:
// - a periodic timer (compactIntervalMs, unref'd so it never keeps the process alive);
// - a backlog check after every committed write batch: when more than 1.25 × retainRevisions
//   revisions are uncompacted, compaction runs on the next turn of the event loop. This keeps
//   history within 1.25 × retainRevisions (plus one write batch) however fast writes arrive,
//   independently of the timer period.
// Only one compaction runs at a time. Errors go to the injected onError (compaction is retried
// on the next trigger).

export interface CompactTarget {
  /** The current and the compaction revision (may be remote, hence the promise). */
  revisions(): Promise<{ current: number; compacted: number }>;
  compact(revision: number): Promise<void>;
}

export interface AutoCompactOptions {
  /** Keep this many most recent revisions; 0 disables auto-compaction. */
  retainRevisions: number;
  /** Timer period in milliseconds. */
  intervalMs: number;
  /** Where background failures are reported. */
  onError(err: unknown): void;
}

export const DEFAULT_RETAIN_REVISIONS = 10000;
export const DEFAULT_COMPACT_INTERVAL_MS = 60000;

export class AutoCompactor {
  private readonly target: CompactTarget;
  private readonly opts: AutoCompactOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private soon: NodeJS.Immediate | undefined;
  private stopped = false;

  constructor(target: CompactTarget, opts: AutoCompactOptions) {
    this.target = target;
    this.opts = opts;
  }

  get enabled(): boolean {
    return this.opts.retainRevisions > 0;
  }

  start(): void {
    if (!this.enabled || this.stopped || this.timer) return;
    this.timer = setInterval(() => this.trigger(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** Call after each committed write batch: schedules a compaction when the backlog is large. */
  noteWrite(current: number, compacted: number): void {
    if (!this.enabled || this.stopped || this.running || this.soon) return;
    const retain = this.opts.retainRevisions;
    if (current - compacted <= retain + Math.ceil(retain / 4)) return;
    this.soon = setImmediate(() => {
      this.soon = undefined;
      this.trigger();
    });
  }

  /** Stop the timer and wait for a running compaction to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearImmediate(this.soon);
    this.timer = undefined;
    this.soon = undefined;
    await this.running;
  }

  /** Run one compaction now if there is anything to discard (also used by tests). */
  trigger(): Promise<void> {
    if (this.running) return this.running;
    if (this.stopped) return Promise.resolve();
    this.running = this.target
      .revisions()
      .then(({ current, compacted }) => {
        const goal = current - this.opts.retainRevisions;
        if (goal > compacted && !this.stopped) return this.target.compact(goal);
      })
      .catch((err: unknown) => this.opts.onError(err))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
