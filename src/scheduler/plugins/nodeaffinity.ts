// NodeAffinity: Filter on spec.nodeSelector and requiredDuringScheduling node affinity (plus the
// profile's addedAffinity), with PreFilter narrowing the cycle to the nodes named by
// matchFields metadata.name; Score sums the weights of matching preferred terms, normalized.

import type { KubeObject } from '../../api/types.ts';
import type {
  ClusterEventWithHint,
  CycleState,
  EnqueueExtensions,
  FilterPlugin,
  NodeInfo,
  NodeScore,
  PodInfo,
  PreFilterPlugin,
  PreFilterResult,
  SignPlugin,
  PreScorePlugin,
  ScorePlugin,
  Snapshot,
} from '../framework/types.ts';
import { Status } from '../framework/types.ts';
import { defaultNormalizeScore, events, QUEUE, SKIP } from './helpers.ts';
import { compileNodeSelector, compilePreferredTerms, requiredNodeAffinity } from './nodeselector.ts';
import type { NodeMatcher, NodeScorer } from './nodeselector.ts';

export const NODE_AFFINITY = 'NodeAffinity';
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity";
export const ERR_REASON_CONFLICT = 'pod affinity terms conflict';

const PRE_FILTER_KEY = 'PreFilter' + NODE_AFFINITY;
const PRE_SCORE_KEY = 'PreScore' + NODE_AFFINITY;

/** NodeAffinityArgs: node affinity the profile adds to every pod. */
export interface NodeAffinityArgs {
  addedAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: any[] };
    preferredDuringSchedulingIgnoredDuringExecution?: any[];
  };
}

/** Whether the node satisfies the pod's nodeSelector and required node affinity. */
export function fitsNodeAffinity(pod: KubeObject, node: KubeObject): boolean {
  return requiredNodeAffinity(pod)(node);
}

/** The node names a pod's required terms restrict it to (matchFields metadata.name In), or
 *  undefined when some term does not restrict; an empty set means the terms conflict. */
export function nodeNamesFromTerms(terms: any[]): Set<string> | undefined {
  let union: Set<string> | undefined;
  for (const t of terms) {
    let names: Set<string> | undefined;
    for (const r of t?.matchFields ?? []) {
      if (r?.key !== 'metadata.name' || r.operator !== 'In') continue;
      const s = new Set<string>(r.values ?? []);
      names = names === undefined ? s : new Set([...names].filter((n) => s.has(n)));
    }
    if (names === undefined) return undefined;
    union = union ?? new Set();
    for (const n of names) union.add(n);
  }
  return union;
}

export class NodeAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, SignPlugin, EnqueueExtensions {
  readonly name = NODE_AFFINITY;
  private readonly addedSelector: NodeMatcher | null;
  private readonly addedPreferred: NodeScorer | null;
  private readonly rejectedPod = Status.unresolvable(ERR_REASON_POD);
  private readonly rejectedEnforced = Status.unresolvable(ERR_REASON_ENFORCED);

  constructor(args: NodeAffinityArgs = {}) {
    const added = args.addedAffinity;
    this.addedSelector = added?.requiredDuringSchedulingIgnoredDuringExecution ? compileNodeSelector(added.requiredDuringSchedulingIgnoredDuringExecution) : null;
    this.addedPreferred = compilePreferredTerms(added?.preferredDuringSchedulingIgnoredDuringExecution);
  }

  preFilter(state: CycleState, pod: PodInfo, _snapshot: Snapshot): { result?: PreFilterResult; status: Status } {
    const required = pod.pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (required == null && this.addedSelector === null && pod.pod.spec?.nodeSelector == null) return { status: Status.skip() };
    state.write(PRE_FILTER_KEY, requiredNodeAffinity(pod.pod));
    const terms: any[] = required?.nodeSelectorTerms ?? [];
    if (terms.length === 0) return { status: Status.success() };
    const names = nodeNamesFromTerms(terms);
    if (names === undefined) return { status: Status.success() };
    if (names.size === 0) return { status: Status.unresolvable(ERR_REASON_CONFLICT) };
    return { result: { nodeNames: names }, status: Status.success() };
  }

  signPod(pod: PodInfo): unknown {
    const spec = pod.pod.spec;
    return [spec?.nodeSelector ?? null, spec?.affinity?.nodeAffinity ?? null];
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (this.addedSelector !== null && !this.addedSelector(node.node)) return this.rejectedEnforced;
    const matches = state.read<NodeMatcher>(PRE_FILTER_KEY) ?? requiredNodeAffinity(pod.pod);
    return matches(node.node) ? Status.success() : this.rejectedPod;
  }

  preScore(state: CycleState, pod: PodInfo, _nodes: readonly NodeInfo[]): Status {
    const preferred = compilePreferredTerms(pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    if (preferred === null && this.addedPreferred === null) return Status.skip();
    state.write(PRE_SCORE_KEY, { preferred });
    return Status.success();
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): { score: number; status: Status } {
    let count = this.addedPreferred !== null ? this.addedPreferred(node.node) : 0;
    const s = state.read<{ preferred: NodeScorer | null }>(PRE_SCORE_KEY);
    const preferred = s ? s.preferred : compilePreferredTerms(pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    if (preferred !== null) count += preferred(node.node);
    return { score: count, status: Status.success() };
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: NodeScore[]): Status {
    defaultNormalizeScore(scores, false);
    return Status.success();
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return events('Node', ['Add', 'UpdateNodeLabel'], (pod, oldNode, node) => {
      if (!node) return SKIP;
      if (this.addedSelector !== null && !this.addedSelector(node)) return SKIP;
      const matches = requiredNodeAffinity(pod);
      if (!matches(node)) return SKIP;
      if (!oldNode) return QUEUE;
      return matches(oldNode) ? SKIP : QUEUE;
    });
  }
}

export function newNodeAffinity(args: NodeAffinityArgs = {}): NodeAffinity {
  return new NodeAffinity(args);
}
