// Termination ordering for pods with sidecar containers (upstream kuberuntime
// terminationOrdering, KEP-753). When a pod's containers are stopped together, each container's
// preStop hook runs at once as before, but a sidecar is sent its stop signal only after every
// regular container has terminated and every sidecar defined after it has terminated: regular
// containers first, then the sidecars in reverse order of their definition. Waiting for a turn
// is bounded by what is left of the container's grace period, so the whole pod still stops
// within the one grace period.

import type { KubeObject } from '../../api/types.ts';
import { type Clock, delay } from '../../client/clock.ts';
import { isSidecar } from './plan.ts';

interface Gate {
  done: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open!: () => void;
  const done = new Promise<void>((resolve) => (open = resolve));
  return { done, open };
}

/**
 * Gates for one pod kill. Contract: call waitForTurn(name, seconds) before stopping a container
 * and terminated(name) once it has stopped (also when stopping failed), exactly as every
 * container killed in this round does; containers not listed as running never hold anyone up.
 * Safe to use from concurrent kills of the same pod.
 */
export class TerminationOrdering {
  private readonly clock: Clock;
  private readonly gates = new Map<string, Gate>();
  private readonly prereqs = new Map<string, Promise<void>[]>();

  constructor(pod: KubeObject, running: string[], clock: Clock) {
    this.clock = clock;
    const live = new Set(running);
    const make = (name: string) => {
      const g = gate();
      if (!live.has(name)) g.open();
      this.gates.set(name, g);
      return g;
    };
    const main = (pod.spec?.containers ?? []).map((c: any) => make(c.name).done);
    const inits: any[] = pod.spec?.initContainers ?? [];
    let later: Promise<void> | undefined;
    for (let i = inits.length - 1; i >= 0; i--) {
      const g = make(inits[i].name);
      if (!isSidecar(inits[i])) continue;
      this.prereqs.set(inits[i].name, later ? [...main, later] : main);
      later = g.done;
    }
  }

  /** Wait until `name` may be stopped, at most `graceSeconds`; returns the whole seconds waited. */
  async waitForTurn(name: string, graceSeconds: number): Promise<number> {
    const before = this.prereqs.get(name);
    if (!before || before.length === 0) return 0;
    const t0 = this.clock.now();
    const ac = new AbortController();
    try {
      await Promise.race([Promise.all(before), delay(this.clock, graceSeconds * 1000, ac.signal)]);
    } finally {
      ac.abort();
    }
    return Math.floor((this.clock.now() - t0) / 1000);
  }

  /** `name` has stopped: containers waiting on it may go. Idempotent. */
  terminated(name: string): void {
    this.gates.get(name)?.open();
  }
}
