// InterPodAffinity: required pod affinity / anti-affinity (the incoming pod's terms, and the
// required anti-affinity of pods already placed) as a filter, and preferred terms (both ways,
// plus existing pods' required affinity at hardPodAffinityWeight) as a score. PreFilter and
// PreScore count matching pods per topology domain once per cycle, so the per-node work is a
// few map lookups.
//
// The "first pod of a group" rule: a pod whose required affinity matches no pod anywhere may
// still go to a node that has all the topology keys, when the pod matches its own terms —
// otherwise the first replica of a self-affine workload could never start.

import type { KubeObject } from '../../api/types.ts';
import type {
  AffinityTerm,
  ClusterEventWithHint,
  CycleState,
  EnqueueExtensions,
  FilterPlugin,
  NodeInfo,
  NodeScore,
  PodInfo,
  PreFilterPlugin,
  PreFilterResult,
  PreScorePlugin,
  ScorePlugin,
  Snapshot,
  WeightedAffinityTerm,
} from '../framework/types.ts';
import { MAX_NODE_SCORE, Status } from '../framework/types.ts';
import { EMPTY_LABELS, requiredAffinityTermsOf, requiredAntiAffinityTermsOf } from '../framework/podinfo.ts';
import type { Labels } from '../framework/podinfo.ts';
import { events, QUEUE, SKIP } from './helpers.ts';
import { nodeLabels } from './nodeselector.ts';

export const INTER_POD_AFFINITY = 'InterPodAffinity';
export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";

const PRE_FILTER_KEY = 'PreFilter' + INTER_POD_AFFINITY;
const PRE_SCORE_KEY = 'PreScore' + INTER_POD_AFFINITY;

export interface InterPodAffinityArgs {
  /** Weight of an existing pod's required affinity term the incoming pod matches (default 1). */
  hardPodAffinityWeight?: number;
  /** Do not score by existing pods' preferred terms when the incoming pod has none. */
  ignorePreferredTermsOfExistingPods?: boolean;
}

export interface InterPodAffinityDeps {
  /** The snapshot of the running cycle (PreScore needs every node, not only the feasible ones). */
  snapshot(): Snapshot;
}

/** topologyKey → topology value → count. */
class TopologyCounts {
  readonly byKey = new Map<string, Map<string, number>>();
  size = 0;

  add(key: string, node: KubeObject, delta: number): void {
    const v = nodeLabels(node)[key];
    if (typeof v !== 'string') return;
    let m = this.byKey.get(key);
    if (!m) {
      m = new Map();
      this.byKey.set(key, m);
    }
    const next = (m.get(v) ?? 0) + delta;
    if (next === 0) {
      if (m.delete(v)) this.size--;
      if (m.size === 0) this.byKey.delete(key);
    } else {
      if (!m.has(v)) this.size++;
      m.set(v, next);
    }
  }

  get(key: string, value: string): number {
    return this.byKey.get(key)?.get(value) ?? 0;
  }

  clone(): TopologyCounts {
    const c = new TopologyCounts();
    for (const [k, m] of this.byKey) c.byKey.set(k, new Map(m));
    c.size = this.size;
    return c;
  }
}

/** Resolves namespace labels once per namespace per cycle. */
type NsLabels = (ns: string) => Labels;

function nsLabelsLookup(snapshot: Snapshot): NsLabels {
  const cache = new Map<string, Labels>();
  return (ns) => {
    let l = cache.get(ns);
    if (l === undefined) {
      l = snapshot.namespaceLabels(ns) ?? EMPTY_LABELS;
      cache.set(ns, l);
    }
    return l;
  };
}

/** Whether `pod` is selected by `term` (namespace listed or its labels matching the term's
 *  namespaceSelector, then the label selector). */
function termMatches(term: AffinityTerm, pod: KubeObject, nsLabels: NsLabels | null, podNsLabels?: Labels): boolean {
  const ns = pod.metadata.namespace ?? 'default';
  if (!term.namespaces.has(ns)) {
    if (term.namespaceSelector === null) return false;
    const labels = podNsLabels ?? (nsLabels ? nsLabels(ns) : EMPTY_LABELS);
    if (!term.namespaceSelector(labels)) return false;
  }
  return term.selector((pod.metadata.labels as Labels | undefined) ?? EMPTY_LABELS);
}

/** True when the pod matches every term (and there is at least one). */
export function podMatchesAllAffinityTerms(terms: readonly AffinityTerm[], pod: KubeObject, nsLabels: NsLabels | null = null): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!termMatches(t, pod, nsLabels)) return false;
  return true;
}

class PreFilterState {
  /** Existing pods' required anti-affinity terms matching the incoming pod. */
  existingAntiAffinity: TopologyCounts;
  /** Existing pods matching all the incoming pod's required affinity terms. */
  affinity: TopologyCounts;
  /** Existing pods matching the incoming pod's required anti-affinity terms. */
  antiAffinity: TopologyCounts;
  readonly podInfo: PodInfo;
  readonly podNsLabels: Labels;
  readonly nsLabels: NsLabels;

  constructor(podInfo: PodInfo, podNsLabels: Labels, nsLabels: NsLabels) {
    this.podInfo = podInfo;
    this.podNsLabels = podNsLabels;
    this.nsLabels = nsLabels;
    this.existingAntiAffinity = new TopologyCounts();
    this.affinity = new TopologyCounts();
    this.antiAffinity = new TopologyCounts();
  }

  clone(): PreFilterState {
    const c = new PreFilterState(this.podInfo, this.podNsLabels, this.nsLabels);
    c.existingAntiAffinity = this.existingAntiAffinity.clone();
    c.affinity = this.affinity.clone();
    c.antiAffinity = this.antiAffinity.clone();
    return c;
  }

  /** Account (delta +1) or un-account (-1) a pod placed on `node` (preemption's what-ifs). */
  update(other: PodInfo, node: KubeObject, delta: number): void {
    for (const t of other.requiredAntiAffinityTerms) {
      if (termMatches(t, this.podInfo.pod, null, this.podNsLabels)) this.existingAntiAffinity.add(t.topologyKey, node, delta);
    }
    const own = this.podInfo.requiredAffinityTerms;
    if (podMatchesAllAffinityTerms(own, other.pod, this.nsLabels)) for (const t of own) this.affinity.add(t.topologyKey, node, delta);
    for (const t of this.podInfo.requiredAntiAffinityTerms) {
      if (termMatches(t, other.pod, this.nsLabels)) this.antiAffinity.add(t.topologyKey, node, delta);
    }
  }
}

/** Does the node satisfy the incoming pod's required affinity (with the first-pod rule)? */
function satisfyPodAffinity(s: PreFilterState, node: KubeObject): boolean {
  const labels = nodeLabels(node);
  let podsExist = true;
  for (const t of s.podInfo.requiredAffinityTerms) {
    const v = labels[t.topologyKey];
    if (typeof v !== 'string') return false; // every topology key must exist on the node
    if (s.affinity.get(t.topologyKey, v) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  return s.affinity.size === 0 && podMatchesAllAffinityTerms(s.podInfo.requiredAffinityTerms, s.podInfo.pod, s.nsLabels);
}

function satisfyPodAntiAffinity(s: PreFilterState, node: KubeObject): boolean {
  if (s.antiAffinity.size === 0) return true;
  const labels = nodeLabels(node);
  for (const t of s.podInfo.requiredAntiAffinityTerms) {
    const v = labels[t.topologyKey];
    if (typeof v === 'string' && s.antiAffinity.get(t.topologyKey, v) > 0) return false;
  }
  return true;
}

function satisfyExistingPodsAntiAffinity(s: PreFilterState, node: KubeObject): boolean {
  if (s.existingAntiAffinity.size === 0) return true;
  const labels = nodeLabels(node);
  for (const [key, values] of s.existingAntiAffinity.byKey) {
    const v = labels[key];
    if (typeof v === 'string' && (values.get(v) ?? 0) > 0) return false;
  }
  return true;
}

interface PreScoreState {
  topologyScore: Map<string, Map<string, number>>;
}

export class InterPodAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = INTER_POD_AFFINITY;
  private readonly hardPodAffinityWeight: number;
  private readonly ignorePreferredTermsOfExistingPods: boolean;
  private readonly deps: InterPodAffinityDeps;
  private readonly rejectedAffinity = Status.unresolvable(ERR_REASON_AFFINITY);
  private readonly rejectedAntiAffinity = Status.unschedulable(ERR_REASON_ANTI_AFFINITY);
  private readonly rejectedExisting = Status.unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY);

  constructor(args: InterPodAffinityArgs, deps: InterPodAffinityDeps) {
    this.hardPodAffinityWeight = args.hardPodAffinityWeight ?? 1;
    this.ignorePreferredTermsOfExistingPods = args.ignorePreferredTermsOfExistingPods ?? false;
    this.deps = deps;
  }

  preFilter(state: CycleState, pod: PodInfo, snapshot: Snapshot): { result?: PreFilterResult; status: Status } {
    const nsLabels = nsLabelsLookup(snapshot);
    const podNs = pod.pod.metadata.namespace ?? 'default';
    const s = new PreFilterState(pod, nsLabels(podNs), nsLabels);

    for (const ni of snapshot.havePodsWithRequiredAntiAffinity()) {
      for (const existing of ni.podsWithRequiredAntiAffinity) {
        for (const t of existing.requiredAntiAffinityTerms) {
          if (termMatches(t, pod.pod, null, s.podNsLabels)) s.existingAntiAffinity.add(t.topologyKey, ni.node, 1);
        }
      }
    }
    const affinityTerms = pod.requiredAffinityTerms;
    const antiTerms = pod.requiredAntiAffinityTerms;
    if (affinityTerms.length > 0 || antiTerms.length > 0) {
      for (const ni of snapshot.nodeInfos()) {
        for (const existing of ni.pods) {
          if (affinityTerms.length > 0 && podMatchesAllAffinityTerms(affinityTerms, existing.pod, nsLabels)) {
            for (const t of affinityTerms) s.affinity.add(t.topologyKey, ni.node, 1);
          }
          for (const t of antiTerms) if (termMatches(t, existing.pod, nsLabels)) s.antiAffinity.add(t.topologyKey, ni.node, 1);
        }
      }
    }
    if (s.existingAntiAffinity.size === 0 && affinityTerms.length === 0 && antiTerms.length === 0) return { status: Status.skip() };
    state.write(PRE_FILTER_KEY, s);
    return { status: Status.success() };
  }

  addPod(state: CycleState, _podToSchedule: PodInfo, podToAdd: PodInfo, node: NodeInfo): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return Status.error(`reading "${PRE_FILTER_KEY}" from cycleState: not found`);
    s.update(podToAdd, node.node, 1);
    return Status.success();
  }

  removePod(state: CycleState, _podToSchedule: PodInfo, podToRemove: PodInfo, node: NodeInfo): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return Status.error(`reading "${PRE_FILTER_KEY}" from cycleState: not found`);
    s.update(podToRemove, node.node, -1);
    return Status.success();
  }

  filter(state: CycleState, _pod: PodInfo, node: NodeInfo): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return Status.error(`reading "${PRE_FILTER_KEY}" from cycleState: not found`);
    if (!satisfyPodAffinity(s, node.node)) return this.rejectedAffinity;
    if (!satisfyPodAntiAffinity(s, node.node)) return this.rejectedAntiAffinity;
    if (!satisfyExistingPodsAntiAffinity(s, node.node)) return this.rejectedExisting;
    return Status.success();
  }

  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status {
    if (nodes.length === 0) return Status.skip();
    const affinity = pod.pod.spec?.affinity;
    const hasConstraints =
      (affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0 ||
      (affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0;
    if (this.ignorePreferredTermsOfExistingPods && !hasConstraints) return Status.skip();
    const snapshot = this.deps.snapshot();
    const nsLabels = nsLabelsLookup(snapshot);
    const podNsLabels = nsLabels(pod.pod.metadata.namespace ?? 'default');
    const topologyScore = new Map<string, Map<string, number>>();
    let touched = false;
    const add = (key: string, node: KubeObject, delta: number): void => {
      const v = nodeLabels(node)[key];
      if (typeof v !== 'string') return;
      let m = topologyScore.get(key);
      if (!m) {
        m = new Map();
        topologyScore.set(key, m);
      }
      m.set(v, (m.get(v) ?? 0) + delta);
      touched = true;
    };
    const processTerms = (terms: readonly WeightedAffinityTerm[], target: KubeObject, targetNsLabels: Labels | undefined, node: KubeObject, sign: number): void => {
      for (const t of terms) if (termMatches(t, target, nsLabels, targetNsLabels)) add(t.topologyKey, node, t.weight * sign);
    };
    const nodesToProcess = hasConstraints ? snapshot.nodeInfos() : snapshot.havePodsWithAffinity();
    for (const ni of nodesToProcess) {
      const node = ni.node;
      const labels = node.metadata.labels;
      if (!labels || Object.keys(labels).length === 0) continue;
      const podsToProcess = hasConstraints ? ni.pods : ni.podsWithAffinity;
      for (const existing of podsToProcess) {
        // The incoming pod's preferences about the existing pod...
        processTerms(pod.preferredAffinityTerms, existing.pod, undefined, node, 1);
        processTerms(pod.preferredAntiAffinityTerms, existing.pod, undefined, node, -1);
        // ...and the existing pod's about the incoming one.
        if (this.hardPodAffinityWeight > 0) {
          for (const t of existing.requiredAffinityTerms) {
            if (termMatches(t, pod.pod, null, podNsLabels)) add(t.topologyKey, node, this.hardPodAffinityWeight);
          }
        }
        processTerms(existing.preferredAffinityTerms, pod.pod, podNsLabels, node, 1);
        processTerms(existing.preferredAntiAffinityTerms, pod.pod, podNsLabels, node, -1);
      }
    }
    if (!touched) return Status.skip();
    state.write(PRE_SCORE_KEY, { topologyScore } satisfies PreScoreState);
    return Status.success();
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): { score: number; status: Status } {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (!s) return { score: 0, status: Status.error(`reading "${PRE_SCORE_KEY}" from cycleState: not found`) };
    const labels = nodeLabels(node.node);
    let score = 0;
    for (const [key, values] of s.topologyScore) {
      const v = labels[key];
      if (typeof v === 'string') score += values.get(v) ?? 0;
    }
    return { score, status: Status.success() };
  }

  normalizeScore(state: CycleState, _pod: PodInfo, scores: NodeScore[]): Status {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (!s || s.topologyScore.size === 0) return Status.success();
    let min = Infinity;
    let max = -Infinity;
    for (const x of scores) {
      if (x.score > max) max = x.score;
      if (x.score < min) min = x.score;
    }
    const diff = max - min;
    for (const x of scores) x.score = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((x.score - min) / diff)) : 0;
    return Status.success();
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      ...events('Pod', ['Add', 'UpdatePodLabel', 'Delete'], podChangeHint),
      ...events('Node', ['Add', 'UpdateNodeLabel'], nodeChangeHint),
    ];
  }
}

function podChangeHint(pod: KubeObject, oldPod: KubeObject | undefined, newPod: KubeObject | undefined) {
  if ((newPod && !newPod.spec?.nodeName) || (oldPod && !oldPod.spec?.nodeName)) return SKIP;
  const terms = requiredAffinityTermsOf(pod);
  const antiTerms = requiredAntiAffinityTermsOf(pod);
  if (oldPod && newPod) {
    if (!podMatchesAllAffinityTerms(terms, oldPod) && podMatchesAllAffinityTerms(terms, newPod)) return QUEUE;
    if (podMatchesAllAffinityTerms(antiTerms, oldPod) && !podMatchesAllAffinityTerms(antiTerms, newPod)) return QUEUE;
    // A relabelled pod may also stop matching an anti-affinity term of its own that blocked us.
    if (requiredAntiAffinityTermsOf(newPod).length > 0) return QUEUE;
    return SKIP;
  }
  if (newPod) return podMatchesAllAffinityTerms(terms, newPod) ? QUEUE : SKIP;
  if (!oldPod) return SKIP;
  // A deleted pod frees us if we were anti-affine to it, or it was anti-affine to us.
  if (podMatchesAllAffinityTerms(antiTerms, oldPod)) return QUEUE;
  return requiredAntiAffinityTermsOf(oldPod).length > 0 ? QUEUE : SKIP;
}

function nodeChangeHint(pod: KubeObject, _oldNode: KubeObject | undefined, node: KubeObject | undefined) {
  if (!node) return SKIP;
  const terms = requiredAffinityTermsOf(pod);
  const antiTerms = requiredAntiAffinityTermsOf(pod);
  // Rejected only by existing pods' anti-affinity: any new or relabelled node may help.
  if (terms.length === 0 && antiTerms.length === 0) return QUEUE;
  const labels = nodeLabels(node);
  for (const t of terms) if (typeof labels[t.topologyKey] === 'string') return QUEUE;
  for (const t of antiTerms) if (typeof labels[t.topologyKey] === 'string') return QUEUE;
  return SKIP;
}

export function newInterPodAffinity(args: InterPodAffinityArgs, deps: InterPodAffinityDeps): InterPodAffinity {
  return new InterPodAffinity(args, deps);
}
