// NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods that tolerate the
// node.kubernetes.io/unschedulable:NoSchedule taint.

import type { KubeObject } from '../../api/types.ts';
import type { ClusterEventWithHint, CycleState, EnqueueExtensions, FilterPlugin, NodeInfo, PodInfo, SignPlugin } from '../framework/types.ts';
import { Status } from '../framework/types.ts';
import { events, QUEUE, SKIP } from './helpers.ts';
import { tolerationsTolerateTaint } from './taints.ts';
import type { Taint } from './taints.ts';

export const NODE_UNSCHEDULABLE = 'NodeUnschedulable';
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';

const UNSCHEDULABLE_TAINT: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

/** Whether the pod may go to the node as far as cordoning is concerned. */
export function fitsUnschedulable(pod: KubeObject, node: KubeObject): boolean {
  if (!node.spec?.unschedulable) return true;
  return tolerationsTolerateTaint(pod.spec?.tolerations, UNSCHEDULABLE_TAINT);
}

export class NodeUnschedulable implements FilterPlugin, SignPlugin, EnqueueExtensions {
  readonly name = NODE_UNSCHEDULABLE;
  private readonly rejected = Status.unresolvable(ERR_REASON_UNSCHEDULABLE);

  signPod(pod: PodInfo): unknown {
    return pod.pod.spec?.tolerations ?? [];
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    return fitsUnschedulable(pod.pod, node.node) ? Status.success() : this.rejected;
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      // Uncordoning is reported as a taint update, as upstream.
      ...events('Node', ['Add', 'UpdateNodeTaint'], (_pod, _old, node) => (node && !node.spec?.unschedulable ? QUEUE : SKIP)),
      ...events('Pod', ['UpdatePodTolerations'], (pod, _old, updated) => (updated?.metadata.uid === pod.metadata.uid ? QUEUE : SKIP)),
    ];
  }
}

export function newNodeUnschedulable(): NodeUnschedulable {
  return new NodeUnschedulable();
}
