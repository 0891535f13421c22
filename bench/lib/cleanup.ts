// Everything a bench run starts (servers, etcd, temp dirs, raw stores) registers its stopper
// here; run.ts calls runAll() in a finally block and on SIGINT/SIGTERM, so nothing outlives
// the run even when a benchmark fails. Child PIDs are also SIGKILLed on process exit as a last
// resort (only the PIDs registered here, never by name).

export class Cleanup {
  private readonly stoppers: { name: string; fn: () => Promise<void> }[] = [];
  private readonly pids = new Set<number>();
  /** Set once runAll started: anything registered later is stopped right away. */
  private closing = false;

  constructor() {
    process.on('exit', () => {
      for (const pid of this.pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });
  }

  /** Register a stopper; returns a function that runs it now (once) and unregisters it. */
  add(name: string, fn: () => Promise<void>): () => Promise<void> {
    let done: Promise<void> | undefined;
    const entry = { name, fn: () => (done ??= fn()) };
    this.stoppers.push(entry);
    if (this.closing) void this.runAll();
    return async () => {
      const i = this.stoppers.indexOf(entry);
      if (i >= 0) this.stoppers.splice(i, 1);
      await entry.fn();
    };
  }

  /** Remember a child PID to SIGKILL if the bench process exits before it was stopped. */
  trackPid(pid: number): void {
    this.pids.add(pid);
  }

  untrackPid(pid: number): void {
    this.pids.delete(pid);
  }

  /** Run every registered stopper, newest first; failures are reported, not thrown. */
  async runAll(): Promise<void> {
    this.closing = true;
    while (this.stoppers.length) {
      const s = this.stoppers.pop()!;
      try {
        await s.fn();
      } catch (err) {
        process.stderr.write(`bench cleanup: ${s.name}: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
  }
}
