// NodeName: a pod that names its node (spec.nodeName) fits only that node; PreFilter narrows the
// cycle to it.

import type { KubeObject } from '../../api/types.ts';
import type {
  ClusterEventWithHint,
  CycleState,
  EnqueueExtensions,
  FilterPlugin,
  NodeInfo,
  PodInfo,
  PreFilterPlugin,
  PreFilterResult,
  SignPlugin,
  Snapshot,
} from '../framework/types.ts';
import { Status } from '../framework/types.ts';
import { events, QUEUE, SKIP } from './helpers.ts';

export const NODE_NAME = 'NodeName';
export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

export function fitsNodeName(pod: KubeObject, node: KubeObject): boolean {
  const want = pod.spec?.nodeName;
  return !want || want === node.metadata.name;
}

export class NodeName implements PreFilterPlugin, FilterPlugin, SignPlugin, EnqueueExtensions {
  readonly name = NODE_NAME;
  private readonly rejected = Status.unresolvable(ERR_REASON_NODE_NAME);

  preFilter(_state: CycleState, pod: PodInfo, _snapshot: Snapshot): { result?: PreFilterResult; status: Status } {
    const want = pod.pod.spec?.nodeName;
    if (!want) return { status: Status.skip() };
    return { result: { nodeNames: new Set([want]) }, status: Status.success() };
  }

  signPod(pod: PodInfo): unknown {
    return pod.pod.spec?.nodeName ?? '';
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    return fitsNodeName(pod.pod, node.node) ? Status.success() : this.rejected;
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return events('Node', ['Add'], (pod, _old, node) => (node && fitsNodeName(pod, node) ? QUEUE : SKIP));
  }
}

export function newNodeName(): NodeName {
  return new NodeName();
}
