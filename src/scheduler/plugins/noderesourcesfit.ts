// NodeResourcesFit: Filter rejects nodes without room for the pod's effective request ("Too many
// pods", "Insufficient cpu", "Insufficient memory", "Insufficient ephemeral-storage",
// "Insufficient <extended resource>"); Score ranks nodes by the configured strategy —
// LeastAllocated (default; cpu and memory weighted 1), MostAllocated, or
// RequestedToCapacityRatio with a utilization→score shape.

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
  PreScorePlugin,
  Resource,
  ScorePlugin,
  Snapshot,
} from '../framework/types.ts';
import { Status } from '../framework/types.ts';
import { isExtendedResourceName, newPodInfo, podResourceSignature } from '../framework/podinfo.ts';
import { newNodeInfo } from '../framework/nodeinfo.ts';
import { events, QUEUE, SKIP, StateSlot } from './helpers.ts';
import {
  DEFAULT_RESOURCES,
  leastAllocatedScorer,
  mostAllocatedScorer,
  requestedToCapacityRatioScorer,
  ResourceAllocationScorer,
} from './resourceallocation.ts';
import type { ResourceSpec, UtilizationShapePoint } from './resourceallocation.ts';

export const NODE_RESOURCES_FIT = 'NodeResourcesFit';
const PRE_SCORE_KEY = 'PreScore' + NODE_RESOURCES_FIT;

export type ScoringStrategyType = 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio';

/** NodeResourcesFitArgs as in KubeSchedulerConfiguration. */
export interface NodeResourcesFitArgs {
  /** Extended resources the filter does not check. */
  ignoredResources?: string[];
  /** Extended resource groups (the part before '/') the filter does not check. */
  ignoredResourceGroups?: string[];
  scoringStrategy?: {
    type?: ScoringStrategyType;
    resources?: ResourceSpec[];
    requestedToCapacityRatio?: { shape?: UtilizationShapePoint[] };
  };
}

/** One resource the node lacks, as upstream's InsufficientResource. */
export interface InsufficientResource {
  resourceName: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
}

/**
 * What the node lacks for a pod with this effective request (empty = fits). Extended resources
 * named in `ignored` (or whose group prefix is in `ignoredGroups`) are not checked.
 */
export function fitsRequest(
  request: Resource,
  node: NodeInfo,
  ignored: ReadonlySet<string> = EMPTY,
  ignoredGroups: ReadonlySet<string> = EMPTY,
): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  const alloc = node.allocatable;
  const used = node.requested;
  if (node.pods.length + 1 > alloc.allowedPodNumber) {
    out.push({ resourceName: 'pods', reason: 'Too many pods', requested: 1, used: node.pods.length, capacity: alloc.allowedPodNumber });
  }
  if (request.milliCPU === 0 && request.memory === 0 && request.ephemeralStorage === 0 && request.scalar.size === 0) return out;
  if (request.milliCPU > 0 && request.milliCPU > alloc.milliCPU - used.milliCPU) {
    out.push({ resourceName: 'cpu', reason: 'Insufficient cpu', requested: request.milliCPU, used: used.milliCPU, capacity: alloc.milliCPU });
  }
  if (request.memory > 0 && request.memory > alloc.memory - used.memory) {
    out.push({ resourceName: 'memory', reason: 'Insufficient memory', requested: request.memory, used: used.memory, capacity: alloc.memory });
  }
  if (request.ephemeralStorage > 0 && request.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) {
    out.push({
      resourceName: 'ephemeral-storage',
      reason: 'Insufficient ephemeral-storage',
      requested: request.ephemeralStorage,
      used: used.ephemeralStorage,
      capacity: alloc.ephemeralStorage,
    });
  }
  for (const [name, want] of request.scalar) {
    if (want === 0) continue;
    if (isIgnored(name, ignored, ignoredGroups)) continue;
    const a = alloc.scalar.get(name) ?? 0;
    const u = used.scalar.get(name) ?? 0;
    if (want > a - u) out.push({ resourceName: name, reason: `Insufficient ${name}`, requested: want, used: u, capacity: a });
  }
  return out;
}

const EMPTY: ReadonlySet<string> = new Set();

function isIgnored(name: string, ignored: ReadonlySet<string>, groups: ReadonlySet<string>): boolean {
  if ((ignored.size === 0 && groups.size === 0) || !isExtendedResourceName(name)) return false;
  return ignored.has(name) || (groups.size > 0 && groups.has(name.split('/')[0]!));
}

/** Whether the pod fits the node's free resources (no ignored resources). */
export function fits(pod: PodInfo, node: NodeInfo): boolean {
  return fitsRequest(pod.request, node).length === 0;
}

// Bits of the fixed reasons, so their Status values can be shared between nodes.
const TOO_MANY_PODS = 1;
const CPU = 2;
const MEMORY = 4;
const EPHEMERAL = 8;

export class NodeResourcesFit implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, SignPlugin, EnqueueExtensions {
  readonly name = NODE_RESOURCES_FIT;
  readonly strategy: ScoringStrategyType;
  private readonly ignored: ReadonlySet<string>;
  private readonly ignoredGroups: ReadonlySet<string>;
  private readonly scorer: ResourceAllocationScorer;
  private readonly statuses: (Status | undefined)[] = [];
  private readonly preScoreSlot = new StateSlot<number[]>(PRE_SCORE_KEY);

  constructor(args: NodeResourcesFitArgs = {}) {
    this.ignored = new Set(args.ignoredResources ?? []);
    this.ignoredGroups = new Set(args.ignoredResourceGroups ?? []);
    const strategy = args.scoringStrategy ?? {};
    this.strategy = strategy.type ?? 'LeastAllocated';
    const resources = strategy.resources && strategy.resources.length > 0 ? strategy.resources : DEFAULT_RESOURCES;
    let vector;
    switch (this.strategy) {
      case 'LeastAllocated':
        vector = leastAllocatedScorer(resources);
        break;
      case 'MostAllocated':
        vector = mostAllocatedScorer(resources);
        break;
      case 'RequestedToCapacityRatio': {
        const shape = strategy.requestedToCapacityRatio?.shape ?? [
          { utilization: 0, score: 0 },
          { utilization: 100, score: 10 },
        ];
        vector = requestedToCapacityRatioScorer(resources, shape);
        break;
      }
      default:
        throw new Error(`scoring strategy ${String(this.strategy)} is not supported`);
    }
    this.scorer = new ResourceAllocationScorer(resources, false, vector);
  }

  preFilter(_state: CycleState, _pod: PodInfo, _snapshot: Snapshot): { result?: PreFilterResult; status: Status } {
    // Upstream computes the effective request here; PodInfo already carries it.
    return { status: Status.success() };
  }

  signPod(pod: PodInfo): unknown {
    return podResourceSignature(pod.pod);
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const request = pod.request;
    const alloc = node.allocatable;
    const used = node.requested;
    // The common cases without building the list.
    let mask = 0;
    if (node.pods.length + 1 > alloc.allowedPodNumber) mask |= TOO_MANY_PODS;
    if (request.milliCPU > 0 && request.milliCPU > alloc.milliCPU - used.milliCPU) mask |= CPU;
    if (request.memory > 0 && request.memory > alloc.memory - used.memory) mask |= MEMORY;
    if (request.ephemeralStorage > 0 && request.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) mask |= EPHEMERAL;
    if (request.scalar.size > 0) {
      const missing = fitsRequest(request, node, this.ignored, this.ignoredGroups);
      if (missing.length === 0) return Status.success();
      return Status.unschedulable(...missing.map((m) => m.reason));
    }
    if (mask === 0) return Status.success();
    let st = this.statuses[mask];
    if (!st) {
      const reasons: string[] = [];
      if (mask & TOO_MANY_PODS) reasons.push('Too many pods');
      if (mask & CPU) reasons.push('Insufficient cpu');
      if (mask & MEMORY) reasons.push('Insufficient memory');
      if (mask & EPHEMERAL) reasons.push('Insufficient ephemeral-storage');
      st = this.statuses[mask] = Status.unschedulable(...reasons);
    }
    return st;
  }

  preScore(state: CycleState, pod: PodInfo, _nodes: readonly NodeInfo[]): Status {
    this.preScoreSlot.write(state, this.scorer.podRequestList(pod.pod));
    return Status.success();
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): { score: number; status: Status } {
    const reqs = this.preScoreSlot.read(state) ?? this.scorer.podRequestList(pod.pod);
    return { score: this.scorer.score(node, reqs), status: Status.success() };
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      // Only a scheduled pod going away frees resources.
      ...events('Pod', ['Delete'], (_pod, deleted) => (deleted?.spec?.nodeName ? QUEUE : SKIP)),
      ...events('Node', ['Add', 'UpdateNodeAllocatable'], (pod, oldNode, node) => nodeChangeHint(pod, oldNode, node)),
    ];
  }
}

/** Queue when the new/updated node could take the pod and (for updates) grew a resource it needs. */
function nodeChangeHint(pod: KubeObject, oldNode: KubeObject | undefined, node: KubeObject | undefined) {
  if (!node) return SKIP;
  const pi = newPodInfo(pod);
  const fresh = newNodeInfo(node);
  if (!fits(pi, fresh)) return SKIP;
  if (!oldNode) return QUEUE;
  const before = newNodeInfo(oldNode).allocatable;
  const after = fresh.allocatable;
  const r = pi.request;
  if (after.allowedPodNumber > before.allowedPodNumber) return QUEUE;
  if (
    (r.milliCPU > 0 && after.milliCPU > before.milliCPU) ||
    (r.memory > 0 && after.memory > before.memory) ||
    (r.ephemeralStorage > 0 && after.ephemeralStorage > before.ephemeralStorage)
  ) {
    return QUEUE;
  }
  for (const [name, want] of r.scalar) if (want > 0 && (after.scalar.get(name) ?? 0) > (before.scalar.get(name) ?? 0)) return QUEUE;
  return SKIP;
}

export function newNodeResourcesFit(args: NodeResourcesFitArgs = {}): NodeResourcesFit {
  return new NodeResourcesFit(args);
}
