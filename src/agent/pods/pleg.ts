// The pod lifecycle event generator, reduced to what the pod workers need: snapshots of the
// runtime's sandboxes and containers, a pure diff naming the pods whose state changed, and a
// loop that relists on a Clock (about once a second) so that transitions the agent did not
// cause (a container exiting, OOM kills, a sandbox dying) reach the pod's worker. A slower
// full resync (informer resync → PodWorkers.update) backs it up: no transition is assumed seen.

import type { Logger } from '../../base/log.ts';
import { type Clock, type TimerHandle } from '../../client/clock.ts';
import type { ContainerInfo, SandboxInfo } from '../runtime/types.ts';

/** Per object id: owning pod uid and a state fingerprint. */
export interface RuntimeSnapshot {
  entries: Map<string, { podUid: string; fingerprint: string }>;
}

export function snapshotOf(sandboxes: SandboxInfo[], containers: ContainerInfo[]): RuntimeSnapshot {
  const entries = new Map<string, { podUid: string; fingerprint: string }>();
  for (const s of sandboxes) entries.set(`sandbox/${s.id}`, { podUid: s.podUid, fingerprint: `${s.state}|${s.ip ?? ''}` });
  for (const c of containers) entries.set(`container/${c.id}`, { podUid: c.podUid, fingerprint: `${c.state}|${c.exitCode ?? ''}|${c.startedAt ?? ''}|${c.finishedAt ?? ''}` });
  return { entries };
}

/** Pods with an object that appeared, disappeared or changed state between two snapshots. Pure. */
export function changedPods(prev: RuntimeSnapshot | undefined, next: RuntimeSnapshot): Set<string> {
  const out = new Set<string>();
  const before = prev?.entries ?? new Map();
  for (const [id, e] of next.entries) {
    const old = before.get(id);
    if (!old || old.fingerprint !== e.fingerprint) out.add(e.podUid);
  }
  for (const [id, e] of before) if (!next.entries.has(id)) out.add(e.podUid);
  return out;
}

export interface RelistLoopOptions {
  clock: Clock;
  log: Logger;
  /** One relist (PodWorkers.relist). */
  relist(): Promise<unknown>;
  /** default 1000 ms */
  periodMs?: number;
}

/** Calls relist() every period (never two at once) until close(). */
export class RelistLoop {
  private readonly o: RelistLoopOptions;
  private timer?: TimerHandle;
  private closed = false;
  private inFlight?: Promise<void>;

  constructor(opts: RelistLoopOptions) {
    this.o = opts;
  }

  start(): void {
    if (this.closed || this.timer || this.inFlight) return;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      this.inFlight = this.o
        .relist()
        .then(
          () => undefined,
          (e) => this.o.log.warn('runtime relist failed', { error: (e as Error).message }),
        )
        .finally(() => {
          this.inFlight = undefined;
          this.schedule(this.o.periodMs ?? 1000);
        });
    }, ms);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }
}
