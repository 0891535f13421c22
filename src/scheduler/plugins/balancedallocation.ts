// NodeResourcesBalancedAllocation: favours nodes whose resource usage, with the pod placed,
// stays balanced across the configured resources (cpu and memory by default): score =
// 100 × (1 − standard deviation of the requested/allocatable fractions). Pods that request none
// of the resources are not scored (otherwise they would all pile onto one node).

import type { CycleState, NodeInfo, PodInfo, PreScorePlugin, ScorePlugin, SignPlugin } from '../framework/types.ts';
import { Status } from '../framework/types.ts';
import { podResourceSignature } from '../framework/podinfo.ts';
import { StateSlot } from './helpers.ts';
import { balancedScorer, DEFAULT_RESOURCES, ResourceAllocationScorer } from './resourceallocation.ts';
import type { ResourceSpec } from './resourceallocation.ts';

export const NODE_RESOURCES_BALANCED_ALLOCATION = 'NodeResourcesBalancedAllocation';
const PRE_SCORE_KEY = 'PreScore' + NODE_RESOURCES_BALANCED_ALLOCATION;

export interface NodeResourcesBalancedAllocationArgs {
  resources?: ResourceSpec[];
}

export class NodeResourcesBalancedAllocation implements PreScorePlugin, ScorePlugin, SignPlugin {
  readonly name = NODE_RESOURCES_BALANCED_ALLOCATION;
  private readonly scorer: ResourceAllocationScorer;
  private readonly slot = new StateSlot<number[]>(PRE_SCORE_KEY);

  constructor(args: NodeResourcesBalancedAllocationArgs = {}) {
    const resources = args.resources && args.resources.length > 0 ? args.resources : DEFAULT_RESOURCES;
    this.scorer = new ResourceAllocationScorer(resources, true, balancedScorer);
  }

  preScore(state: CycleState, pod: PodInfo, _nodes: readonly NodeInfo[]): Status {
    const reqs = this.scorer.podRequestList(pod.pod);
    if (ResourceAllocationScorer.isBestEffort(reqs)) return Status.skip();
    this.slot.write(state, reqs);
    return Status.success();
  }

  signPod(pod: PodInfo): unknown {
    return podResourceSignature(pod.pod);
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): { score: number; status: Status } {
    const reqs = this.slot.read(state) ?? this.scorer.podRequestList(pod.pod);
    return { score: this.scorer.score(node, reqs), status: Status.success() };
  }
}

export function newNodeResourcesBalancedAllocation(args: NodeResourcesBalancedAllocationArgs = {}): NodeResourcesBalancedAllocation {
  return new NodeResourcesBalancedAllocation(args);
}
