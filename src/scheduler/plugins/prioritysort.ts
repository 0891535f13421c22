// PrioritySort: the default queue order — higher spec.priority first, then the pod that entered
// the active queue earlier.

import type { QueuedPodInfo, QueueSortPlugin } from '../framework/types.ts';
import { podPriority } from '../framework/podinfo.ts';

export const PRIORITY_SORT = 'PrioritySort';

/** True when a should be popped before b. */
export function prioritySortLess(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
  const pa = podPriority(a.podInfo.pod);
  const pb = podPriority(b.podInfo.pod);
  return pa > pb || (pa === pb && a.timestamp < b.timestamp);
}

export class PrioritySort implements QueueSortPlugin {
  readonly name = PRIORITY_SORT;
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    return prioritySortLess(a, b);
  }
}

export function newPrioritySort(): PrioritySort {
  return new PrioritySort();
}
