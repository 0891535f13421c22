// Pods held at Permit: a Permit plugin answered Wait, so the pod (already assumed on its node)
// waits until every waiting plugin allows it, one rejects it, or a plugin's timeout passes.
// Plugins reach a waiting pod through the framework (getWaitingPod) to allow or reject it.

import type { Clock, TimerHandle } from '../../client/clock.ts';
import type { KubeObject } from '../../api/types.ts';
import { Code, Status } from './types.ts';

/** Go's time.Duration String() for whole milliseconds ("10s", "1m30s", "250ms"). */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  let s = ms / 1000;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const sec = Number.isInteger(s) ? String(s) : String(Number(s.toFixed(3)));
  if (h > 0) return `${h}h${m}m${sec}s`;
  if (m > 0) return `${m}m${sec}s`;
  return `${sec}s`;
}

/**
 * Contract: resolves exactly once (allowed by all, rejected, or timed out); after that,
 * allow/reject are no-ops. Timers are cleared when it resolves.
 */
export class WaitingPod {
  readonly pod: KubeObject;
  readonly done: Promise<Status>;
  private readonly clock: Clock;
  private readonly pending = new Map<string, TimerHandle>();
  private resolveFn!: (s: Status) => void;
  private settled = false;

  constructor(pod: KubeObject, waits: ReadonlyMap<string, number>, clock: Clock) {
    this.pod = pod;
    this.clock = clock;
    this.done = new Promise((r) => (this.resolveFn = r));
    for (const [plugin, ms] of waits) {
      const handle = clock.setTimeout(() => this.reject(plugin, `rejected due to timeout after waiting ${goDuration(ms)} at plugin ${plugin}`), ms);
      this.pending.set(plugin, handle);
    }
  }

  /** Plugins still to allow the pod. */
  pendingPlugins(): string[] {
    return [...this.pending.keys()];
  }

  allow(plugin: string): void {
    const h = this.pending.get(plugin);
    if (h === undefined || this.settled) return;
    this.clock.clearTimeout(h);
    this.pending.delete(plugin);
    if (this.pending.size === 0) this.settle(Status.success());
  }

  reject(plugin: string, msg: string): void {
    if (this.settled) return;
    const st = new Status(Code.Unschedulable, [msg]);
    st.plugin = plugin;
    this.settle(st);
  }

  private settle(st: Status): void {
    this.settled = true;
    for (const h of this.pending.values()) this.clock.clearTimeout(h);
    this.pending.clear();
    this.resolveFn(st);
  }
}
