// The scheduling framework's vocabulary (kube-scheduler's framework package, reshaped for
// TypeScript): Status values with codes instead of exceptions, the per-node view (NodeInfo)
// the cache maintains, the per-cycle scratch space (CycleState), and one small interface per
// extension point. Plugins implement any subset; the framework (runtime.ts) calls them in the
// configured order. Everything here is data and contracts: no I/O.

import type { KubeObject } from '../../api/types.ts';

// ---- Status -------------------------------------------------------------------------------

export const Code = {
  Success: 'Success',
  Error: 'Error',
  /** The pod does not fit now; preemption may help. */
  Unschedulable: 'Unschedulable',
  /** The pod does not fit and preemption cannot help on this node. */
  UnschedulableAndUnresolvable: 'UnschedulableAndUnresolvable',
  /** Permit: hold the pod until allowed or timed out. */
  Wait: 'Wait',
  /** The plugin has nothing to do for this pod (PreFilter/PreScore); its later points are skipped. */
  Skip: 'Skip',
  /** PreEnqueue: the pod is not ready for scheduling yet (scheduling gates). */
  Pending: 'Pending',
} as const;
export type Code = (typeof Code)[keyof typeof Code];

export class Status {
  readonly code: Code;
  /** Messages users read in `kubectl describe` (e.g. "Insufficient cpu"). */
  readonly reasons: string[];
  /** The plugin that returned it (set by the framework). */
  plugin?: string;
  readonly error?: Error;

  constructor(code: Code, reasons: string[] = [], error?: Error) {
    this.code = code;
    this.reasons = reasons;
    if (error) this.error = error;
  }
  static success(): Status {
    return SUCCESS;
  }
  static unschedulable(...reasons: string[]): Status {
    return new Status(Code.Unschedulable, reasons);
  }
  static unresolvable(...reasons: string[]): Status {
    return new Status(Code.UnschedulableAndUnresolvable, reasons);
  }
  static error(err: Error | string): Status {
    const e = typeof err === 'string' ? new Error(err) : err;
    return new Status(Code.Error, [e.message], e);
  }
  static skip(): Status {
    return new Status(Code.Skip);
  }
  isSuccess(): boolean {
    return this.code === Code.Success;
  }
  isRejected(): boolean {
    return this.code === Code.Unschedulable || this.code === Code.UnschedulableAndUnresolvable || this.code === Code.Pending;
  }
  message(): string {
    return this.reasons.join(', ');
  }
}

const SUCCESS = new Status(Code.Success);

// ---- Resources ----------------------------------------------------------------------------

/** Requested or allocatable resources in integer units: milli-CPU, bytes, pod count, scalars. */
export interface Resource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  allowedPodNumber: number;
  /** Extended resources (nvidia.com/gpu, hugepages-2Mi, ...), by name. */
  scalar: Map<string, number>;
}

export function emptyResource(): Resource {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, allowedPodNumber: 0, scalar: new Map() };
}

// ---- Pods and nodes -----------------------------------------------------------------------

/** A pod with the parts plugins need pre-computed once (requests, affinity terms). */
export interface PodInfo {
  pod: KubeObject;
  /** Effective request (max of init containers vs sum of containers, plus overhead). */
  request: Resource;
  /** Request with the non-zero defaults (100m CPU, 200Mi memory) for scoring, as upstream. */
  nonZeroRequest: { milliCPU: number; memory: number };
  /** Parsed required/preferred (anti-)affinity terms; empty when the pod has none. */
  requiredAffinityTerms: AffinityTerm[];
  requiredAntiAffinityTerms: AffinityTerm[];
  preferredAffinityTerms: WeightedAffinityTerm[];
  preferredAntiAffinityTerms: WeightedAffinityTerm[];
}

export interface AffinityTerm {
  /** Namespaces the term applies to (resolved: the pod's own when empty and no namespaceSelector). */
  namespaces: Set<string>;
  /** Null = no namespaceSelector; otherwise matches namespace labels. */
  namespaceSelector: ((nsLabels: Record<string, string>) => boolean) | null;
  selector: (labels: Record<string, string>) => boolean;
  topologyKey: string;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

export interface HostPortInfo {
  ip: string;
  protocol: string;
  port: number;
}

/**
 * Everything the scheduler knows about one node: the Node object, the pods on it (bound and
 * assumed), and the aggregates plugins need. Owned by the scheduler cache; plugins receive
 * snapshots and must not mutate them.
 */
export interface NodeInfo {
  readonly name: string;
  node: KubeObject;
  pods: PodInfo[];
  podsWithAffinity: PodInfo[];
  podsWithRequiredAntiAffinity: PodInfo[];
  usedPorts: HostPortInfo[];
  requested: Resource;
  nonZeroRequested: { milliCPU: number; memory: number };
  allocatable: Resource;
  /** Image name → size in bytes, from node.status.images. */
  imageSizes: Map<string, number>;
  /** Whether the Node has a PreferNoSchedule taint (TaintToleration's PreScore asks every feasible node). */
  hasPreferNoScheduleTaint: boolean;
  /** Bumped on every change, so snapshots can copy only what changed. */
  generation: number;
}

/** A read-only view of all nodes for one scheduling cycle. */
export interface Snapshot {
  nodeInfos(): readonly NodeInfo[];
  get(name: string): NodeInfo | undefined;
  /** Nodes that host at least one pod with (anti-)affinity terms. */
  havePodsWithAffinity(): readonly NodeInfo[];
  havePodsWithRequiredAntiAffinity(): readonly NodeInfo[];
  /** Labels of a namespace (for namespaceSelector in affinity terms). */
  namespaceLabels(ns: string): Record<string, string> | undefined;
  /** Number of nodes that have each image (ImageLocality spread). */
  imageNodeCount(image: string): number;
}

// ---- Cycle state --------------------------------------------------------------------------

/** Per-pod, per-cycle scratch space plugins use to pass data from PreFilter to Filter etc. */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  /** Set when the framework skipped a plugin's later points (its PreFilter/PreScore said Skip). */
  readonly skipFilter = new Set<string>();
  readonly skipScore = new Set<string>();
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }
  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.data) {
      const cl = (v as { clone?: () => unknown } | undefined)?.clone;
      c.data.set(k, typeof cl === 'function' ? cl.call(v) : v);
    }
    for (const s of this.skipFilter) c.skipFilter.add(s);
    for (const s of this.skipScore) c.skipScore.add(s);
    return c;
  }
}

// ---- Cluster events (what may make a rejected pod schedulable) -----------------------------

export type EventResource = 'Pod' | 'AssignedPod' | 'UnscheduledPod' | 'Node' | 'PersistentVolume' | 'PersistentVolumeClaim' | 'StorageClass' | 'Namespace' | 'PodSchedulingGates' | 'WildCard';
export type ActionType =
  | 'Add'
  | 'Delete'
  | 'UpdateNodeAllocatable'
  | 'UpdateNodeLabel'
  | 'UpdateNodeTaint'
  | 'UpdateNodeCondition'
  | 'UpdateNodeAnnotation'
  | 'UpdatePodLabel'
  | 'UpdatePodScaleDown'
  | 'UpdatePodTolerations'
  | 'UpdatePodSchedulingGatesEliminated'
  | 'Update'
  | 'All';

export interface ClusterEvent {
  resource: EventResource;
  action: ActionType;
  label?: string;
}

export type QueueingHint = 'Queue' | 'QueueSkip';

/** A plugin's declaration that `event` may make a pod it rejected schedulable; the optional hint
 *  decides per pod (old/new are the changed object). */
export interface ClusterEventWithHint {
  event: ClusterEvent;
  hint?: (pod: KubeObject, oldObj: KubeObject | undefined, newObj: KubeObject | undefined) => QueueingHint;
}

// ---- Extension points ---------------------------------------------------------------------

export interface Plugin {
  readonly name: string;
}

export interface EnqueueExtensions {
  eventsToRegister(): ClusterEventWithHint[];
}

export interface PreEnqueuePlugin extends Plugin {
  preEnqueue(pod: KubeObject): Status;
}

export interface QueueSortPlugin extends Plugin {
  /** True when a should be scheduled before b. */
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

export interface PreFilterResult {
  /** When set, only these nodes are evaluated (NodeName, NodeAffinity on metadata.name). */
  nodeNames?: Set<string>;
}

export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: PodInfo, snapshot: Snapshot): { result?: PreFilterResult; status: Status };
  /** Incremental updates when preemption simulates adding/removing pods (optional). */
  addPod?(state: CycleState, podToSchedule: PodInfo, podToAdd: PodInfo, node: NodeInfo): Status;
  removePod?(state: CycleState, podToSchedule: PodInfo, podToRemove: PodInfo, node: NodeInfo): Status;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
}

/**
 * A Filter/Score plugin whose answers for a pod depend only on the NodeInfo and on the parts of
 * the pod it returns here (any JSON-serializable value; null: this pod cannot be signed, and no
 * results are reused for it). PreFilter/PreScore state it derives from the pod must follow
 * from the same parts. The framework then reuses a node's Filter status and raw Score between
 * pods with equal signatures while the node's generation is unchanged (memo.ts). Plugins that
 * read anything else (other nodes, other pods, other objects) must not implement it.
 */
export interface SignPlugin extends Plugin {
  signPod(pod: PodInfo): unknown;
}

export interface PostFilterResult {
  nominatedNodeName?: string;
}

/** Called when no node fits (preemption). `filtered` maps node name → the status that rejected it. */
export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: PodInfo, filtered: Map<string, Status>): Promise<{ result?: PostFilterResult; status: Status }>;
}

export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status;
}

export interface NodeScore {
  name: string;
  score: number;
}

export const MAX_NODE_SCORE = 100;
export const MIN_NODE_SCORE = 0;

export interface ScorePlugin extends Plugin {
  score(state: CycleState, pod: PodInfo, node: NodeInfo): { score: number; status: Status };
  /** Rescale raw scores into [0, MAX_NODE_SCORE] in place (optional). */
  normalizeScore?(state: CycleState, pod: PodInfo, scores: NodeScore[]): Status;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: PodInfo, nodeName: string): Status;
  unreserve(state: CycleState, pod: PodInfo, nodeName: string): void;
}

export interface PermitPlugin extends Plugin {
  /** Success, Unschedulable, or Wait with a timeout in ms. */
  permit(state: CycleState, pod: PodInfo, nodeName: string): { status: Status; timeoutMs?: number };
}

export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status>;
}

export interface BindPlugin extends Plugin {
  /** Skip lets the next bind plugin try. */
  bind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status>;
}

export interface PostBindPlugin extends Plugin {
  postBind(state: CycleState, pod: PodInfo, nodeName: string): void;
}

/** A pod waiting in the scheduling queue. */
export interface QueuedPodInfo {
  podInfo: PodInfo;
  /** When the pod was first added to the queue (ms). */
  initialAttemptTimestamp: number;
  /** When it was last added/moved into activeQ (ms). */
  timestamp: number;
  attempts: number;
  /** Plugins that rejected it in the last attempt (for event-driven requeue). */
  unschedulablePlugins: Set<string>;
  /** Plugin that gated it at PreEnqueue, if any. */
  gatingPlugin?: string;
}
