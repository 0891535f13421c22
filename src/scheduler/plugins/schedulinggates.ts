// SchedulingGates: a pod with spec.schedulingGates is held out of the active queue (PreEnqueue)
// until every gate is removed; removing the last gate re-queues it.

import type { KubeObject } from '../../api/types.ts';
import type { ClusterEventWithHint, EnqueueExtensions, PreEnqueuePlugin } from '../framework/types.ts';
import { Code, Status } from '../framework/types.ts';
import { events, QUEUE, SKIP } from './helpers.ts';

export const SCHEDULING_GATES = 'SchedulingGates';

/** The gate names still on the pod (empty = ready to schedule). */
export function schedulingGates(pod: KubeObject): string[] {
  const gates: any[] = pod.spec?.schedulingGates ?? [];
  return gates.map((g) => String(g?.name ?? ''));
}

export class SchedulingGates implements PreEnqueuePlugin, EnqueueExtensions {
  readonly name = SCHEDULING_GATES;

  preEnqueue(pod: KubeObject): Status {
    const gates = schedulingGates(pod);
    if (gates.length === 0) return Status.success();
    // Upstream formats the list with Go's %v: "[a b]".
    return new Status(Code.Pending, [`waiting for scheduling gates: [${gates.join(' ')}]`]);
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return events('Pod', ['UpdatePodSchedulingGatesEliminated'], (pod, _old, updated) => {
      if (!updated || updated.metadata.uid !== pod.metadata.uid) return SKIP;
      return schedulingGates(updated).length === 0 ? QUEUE : SKIP;
    });
  }
}

export function newSchedulingGates(): SchedulingGates {
  return new SchedulingGates();
}
