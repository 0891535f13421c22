// Pod priority. Upstream's Priority admission plugin copies the PriorityClass value into
// spec.priority (and its preemptionPolicy) when a pod is created; skiff's apiserver does not,
// so the scheduler resolves it from the PriorityClasses it watches, before a pod enters the
// queue or the cache. Everything downstream (QueueSort, preemption) reads spec.priority.

import type { KubeObject } from '../../api/types.ts';

export { podPriority } from './podinfo.ts';

/** The classes every cluster has (upstream creates them at apiserver start). */
export const SYSTEM_PRIORITY_CLASSES: ReadonlyMap<string, number> = new Map([
  ['system-node-critical', 2_000_001_000],
  ['system-cluster-critical', 2_000_000_000],
]);

/** Read access to PriorityClasses (an informer's lister). */
export interface PriorityClassSource {
  get(name: string): KubeObject | undefined;
  list(): readonly KubeObject[];
}

/**
 * Fills spec.priority and spec.preemptionPolicy of pods that lack them. Pods that already
 * carry a priority are returned unchanged (the same object); others as a shallow copy with a
 * new spec (cache objects are read-only).
 */
export class PriorityResolver {
  private readonly source: PriorityClassSource;

  constructor(source: PriorityClassSource) {
    this.source = source;
  }

  resolve(pod: KubeObject): KubeObject {
    const spec = pod.spec;
    if (!spec || typeof spec.priority === 'number') return pod;
    let value = 0;
    let policy: string | undefined;
    const name: string | undefined = spec.priorityClassName;
    if (name) {
      const pc = this.source.get(name);
      if (pc) {
        value = typeof pc.value === 'number' ? pc.value : 0;
        policy = pc.preemptionPolicy;
      } else value = SYSTEM_PRIORITY_CLASSES.get(name) ?? 0;
    } else {
      const def = this.globalDefault();
      if (def) {
        value = typeof def.value === 'number' ? def.value : 0;
        policy = def.preemptionPolicy;
      }
    }
    const newSpec = { ...spec, priority: value };
    if (!newSpec.preemptionPolicy) newSpec.preemptionPolicy = policy ?? 'PreemptLowerPriority';
    return { ...pod, spec: newSpec };
  }

  /** The globalDefault class with the highest value (upstream picks that one when several are marked). */
  private globalDefault(): KubeObject | undefined {
    let best: KubeObject | undefined;
    for (const pc of this.source.list()) {
      if (!pc.globalDefault) continue;
      if (!best || (pc.value ?? 0) > (best.value ?? 0)) best = pc;
    }
    return best;
  }
}
