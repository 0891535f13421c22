// PodTopologySpread: spreads matching pods across topology domains. Hard constraints
// (whenUnsatisfiable: DoNotSchedule) filter: placing the pod must keep
// `matching pods in the node's domain + self − global minimum ≤ maxSkew`, where the minimum is 0
// while fewer than minDomains domains exist; nodes count as domains according to
// nodeAffinityPolicy (default Honor) and nodeTaintsPolicy (default Ignore). Soft constraints
// (ScheduleAnyway) score: fewer matching pods in the domain is better, weighted by log(domains+2).
//
// Pods without constraints get the cluster defaults (the "system defaulting": maxSkew 3 over
// hostnames and 5 over zones, both ScheduleAnyway) when a Service, ReplicationController,
// ReplicaSet or StatefulSet selects them; the selectors come from the injected selectorsFor().

import type { KubeObject } from '../../api/types.ts';
import { fromLabelSelectorObject, fromSet, LabelSelector } from '../../api/selectors.ts';
import type { LabelRequirement } from '../../api/selectors.ts';
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
  PreScorePlugin,
  ScorePlugin,
  Snapshot,
} from '../framework/types.ts';
import { MAX_NODE_SCORE, Status } from '../framework/types.ts';
import { compileSelector, EMPTY_LABELS } from '../framework/podinfo.ts';
import type { LabelMatcher, Labels } from '../framework/podinfo.ts';
import { events, QUEUE, SKIP } from './helpers.ts';
import { MATCH_ALL_NODES, nodeLabels, requiredNodeAffinity } from './nodeselector.ts';
import type { NodeMatcher } from './nodeselector.ts';
import { findUntoleratedTaint } from './taints.ts';

export const POD_TOPOLOGY_SPREAD = 'PodTopologySpread';
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + ' (missing required label)';

const PRE_FILTER_KEY = 'PreFilter' + POD_TOPOLOGY_SPREAD;
const PRE_SCORE_KEY = 'PreScore' + POD_TOPOLOGY_SPREAD;
const HOSTNAME = 'kubernetes.io/hostname';

/** A v1.TopologySpreadConstraint (as it appears in a pod or in the plugin's args). */
export interface TopologySpreadConstraintSpec {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway';
  labelSelector?: any;
  minDomains?: number;
  nodeAffinityPolicy?: 'Honor' | 'Ignore';
  nodeTaintsPolicy?: 'Honor' | 'Ignore';
  matchLabelKeys?: string[];
}

/** The cluster-level defaults applied to pods without constraints (upstream's system defaulting). */
export const SYSTEM_DEFAULT_CONSTRAINTS: readonly TopologySpreadConstraintSpec[] = [
  { topologyKey: HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
  { topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
];

export interface PodTopologySpreadArgs {
  /** 'System' (default) uses SYSTEM_DEFAULT_CONSTRAINTS; 'List' uses defaultConstraints. */
  defaultingType?: 'System' | 'List';
  defaultConstraints?: TopologySpreadConstraintSpec[];
}

export interface PodTopologySpreadDeps {
  /** The snapshot of the running cycle (scoring counts pods on every node). */
  snapshot(): Snapshot;
  /** Selectors of the Services, ReplicationControllers, ReplicaSets and StatefulSets that select
   *  or own the pod (see makeSelectorsFor); needed only for default constraints. */
  selectorsFor?(pod: KubeObject): readonly LabelSelector[];
}

/** A parsed constraint. */
export interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: LabelMatcher;
  /** The selector has no requirements: it matches the pod itself but counts no pods (upstream quirk). */
  selectorEmpty: boolean;
  /** The selector's canonical text, keying the per-node count cache. */
  selectorKey: string;
  /** Per-node counts for this selector in the pod's namespace (attached per cycle). */
  counts?: PerNodeCounts;
  minDomains: number;
  nodeAffinityHonor: boolean;
  nodeTaintsHonor: boolean;
}

function podLabels(pod: KubeObject): Labels {
  return (pod.metadata.labels as Labels | undefined) ?? EMPTY_LABELS;
}

function toConstraint(c: TopologySpreadConstraintSpec, sel: LabelSelector): Constraint {
  return {
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    selector: compileSelector(sel),
    selectorEmpty: sel.empty(),
    selectorKey: sel.nothing ? '\u0000nothing' : sel.toString(),
    minDomains: c.minDomains ?? 1,
    nodeAffinityHonor: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
    nodeTaintsHonor: (c.nodeTaintsPolicy ?? 'Ignore') === 'Honor',
  };
}

/** The pod's own constraints of one kind, selectors merged with matchLabelKeys. */
export function podConstraints(pod: KubeObject, action: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
  const out: Constraint[] = [];
  const labels = podLabels(pod);
  for (const c of (pod.spec?.topologySpreadConstraints ?? []) as TopologySpreadConstraintSpec[]) {
    if (c.whenUnsatisfiable !== action) continue;
    let sel: LabelSelector;
    try {
      sel = fromLabelSelectorObject(c.labelSelector);
    } catch {
      sel = LabelSelector.nothing();
    }
    if (!sel.nothing && c.matchLabelKeys && c.matchLabelKeys.length > 0) {
      const extra: LabelRequirement[] = [];
      for (const key of c.matchLabelKeys) {
        const v = labels[key];
        if (typeof v === 'string') extra.push({ key, operator: '=', values: [v] });
      }
      if (extra.length > 0) sel = new LabelSelector([...extra, ...sel.requirements]);
    }
    out.push(toConstraint(c, sel));
  }
  return out;
}

function nodeHasAllKeys(labels: Labels, constraints: readonly Constraint[]): boolean {
  for (const c of constraints) if (typeof labels[c.topologyKey] !== 'string') return false;
  return true;
}

/** Matching pods of the namespace on the node (terminating pods excluded). */
function countMatching(pods: readonly PodInfo[], c: Constraint, ns: string): number {
  if (c.selectorEmpty) return 0;
  let n = 0;
  for (const p of pods) {
    const m = p.pod.metadata;
    if (m.deletionTimestamp || (m.namespace ?? 'default') !== ns) continue;
    if (c.selector((m.labels as Labels | undefined) ?? EMPTY_LABELS)) n++;
  }
  return n;
}

/**
 * Matching-pod counts per node, remembered per selector and namespace and invalidated by the
 * NodeInfo's generation: successive pods of one workload recount only the nodes that changed,
 * instead of every pod in the cluster. Walks over the snapshot's node list use a table indexed
 * by list position (checked by NodeInfo identity), other lookups a WeakMap.
 */
interface PerNodeCounts {
  byNode: WeakMap<NodeInfo, { generation: number; count: number }>;
  atNode: (NodeInfo | undefined)[];
  atGeneration: number[];
  atCount: number[];
}

class MatchCountCache {
  private readonly bySelector = new Map<string, PerNodeCounts>();

  /** Give each constraint its per-node count table for namespace `ns`. */
  attach(constraints: readonly Constraint[], ns: string): void {
    for (const c of constraints) {
      const key = `${ns}\u0000${c.selectorKey}`;
      let perNode = this.bySelector.get(key);
      if (!perNode) {
        if (this.bySelector.size >= 64) this.bySelector.clear();
        perNode = { byNode: new WeakMap(), atNode: [], atGeneration: [], atCount: [] };
        this.bySelector.set(key, perNode);
      }
      c.counts = perNode;
    }
  }

  count(ni: NodeInfo, c: Constraint, ns: string): number {
    if (c.selectorEmpty) return 0;
    const perNode = c.counts;
    if (perNode === undefined) return countMatching(ni.pods, c, ns);
    const e = perNode.byNode.get(ni);
    if (e !== undefined && e.generation === ni.generation) return e.count;
    const count = countMatching(ni.pods, c, ns);
    if (e !== undefined) {
      e.generation = ni.generation;
      e.count = count;
    } else {
      perNode.byNode.set(ni, { generation: ni.generation, count });
    }
    return count;
  }

  /** count() for the node at position `i` of the snapshot's node list. */
  countAt(i: number, ni: NodeInfo, c: Constraint, ns: string): number {
    const t = c.counts;
    if (t === undefined || c.selectorEmpty) return this.count(ni, c, ns);
    if (t.atNode[i] === ni && t.atGeneration[i] === ni.generation) return t.atCount[i]!;
    const n = this.count(ni, c, ns);
    t.atNode[i] = ni;
    t.atGeneration[i] = ni.generation;
    t.atCount[i] = n;
    return n;
  }
}

function nodeIncluded(c: Constraint, pod: KubeObject, node: KubeObject, required: NodeMatcher): boolean {
  if (c.nodeAffinityHonor && !required(node)) return false;
  if (c.nodeTaintsHonor && findUntoleratedTaint(node.spec?.taints, pod.spec?.tolerations) !== undefined) return false;
  return true;
}

/** The two domains with the fewest matching pods (two, so preemption's add/remove stays exact). */
class CriticalPaths {
  v0 = '';
  n0 = Number.MAX_SAFE_INTEGER;
  v1 = '';
  n1 = Number.MAX_SAFE_INTEGER;

  update(value: string, num: number): void {
    if (value === this.v0 || value === this.v1) {
      if (value === this.v0) this.n0 = num;
      else this.n1 = num;
      if (this.n0 > this.n1) {
        [this.v0, this.n0, this.v1, this.n1] = [this.v1, this.n1, this.v0, this.n0];
      }
    } else if (num < this.n0) {
      this.v1 = this.v0;
      this.n1 = this.n0;
      this.v0 = value;
      this.n0 = num;
    } else if (num < this.n1) {
      this.v1 = value;
      this.n1 = num;
    }
  }

  clone(): CriticalPaths {
    const c = new CriticalPaths();
    c.v0 = this.v0;
    c.n0 = this.n0;
    c.v1 = this.v1;
    c.n1 = this.n1;
    return c;
  }
}

class PreFilterState {
  readonly constraints: Constraint[];
  /** topologyKey → value → matching pods. */
  matchNum: Map<string, Map<string, number>>;
  /** topologyKey → number of eligible domains. */
  readonly domains: Map<string, number>;
  paths: Map<string, CriticalPaths>;

  constructor(constraints: Constraint[], matchNum = new Map<string, Map<string, number>>(), domains = new Map<string, number>(), paths = new Map<string, CriticalPaths>()) {
    this.constraints = constraints;
    this.matchNum = matchNum;
    this.domains = domains;
    this.paths = paths;
  }

  minMatchNum(c: Constraint): number {
    const p = this.paths.get(c.topologyKey);
    if (!p) return 0;
    if ((this.domains.get(c.topologyKey) ?? 0) < c.minDomains) return 0;
    return p.n0;
  }

  clone(): PreFilterState {
    const m = new Map<string, Map<string, number>>();
    for (const [k, v] of this.matchNum) m.set(k, new Map(v));
    const p = new Map<string, CriticalPaths>();
    for (const [k, v] of this.paths) p.set(k, v.clone());
    return new PreFilterState(this.constraints, m, this.domains, p);
  }
}

interface PreScoreState {
  constraints: Constraint[];
  ignored: Set<string>;
  /** Per constraint (non-hostname): topology value → matching pods. */
  counts: Map<string, number>[];
  weights: number[];
}

export class PodTopologySpread implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = POD_TOPOLOGY_SPREAD;
  private readonly defaults: readonly TopologySpreadConstraintSpec[];
  private readonly systemDefaulted: boolean;
  private readonly deps: PodTopologySpreadDeps;
  private readonly counts = new MatchCountCache();
  private readonly rejectedSkew = Status.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
  private readonly rejectedLabel = Status.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);

  constructor(args: PodTopologySpreadArgs, deps: PodTopologySpreadDeps) {
    this.systemDefaulted = (args.defaultingType ?? 'System') === 'System';
    this.defaults = this.systemDefaulted ? SYSTEM_DEFAULT_CONSTRAINTS : (args.defaultConstraints ?? []);
    this.deps = deps;
  }

  /** The pod's constraints of one kind: its own, or the defaults when it has none. */
  constraintsFor(pod: KubeObject, action: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
    if ((pod.spec?.topologySpreadConstraints ?? []).length > 0) return podConstraints(pod, action);
    const defaults = this.defaults.filter((c) => c.whenUnsatisfiable === action);
    if (defaults.length === 0 || !this.deps.selectorsFor) return [];
    const reqs: LabelRequirement[] = [];
    for (const s of this.deps.selectorsFor(pod)) if (!s.nothing) reqs.push(...s.requirements);
    if (reqs.length === 0) return [];
    const sel = new LabelSelector(reqs);
    return defaults.map((c) => toConstraint(c, sel));
  }

  preFilter(state: CycleState, pod: PodInfo, snapshot: Snapshot): { result?: PreFilterResult; status: Status } {
    const constraints = this.constraintsFor(pod.pod, 'DoNotSchedule');
    if (constraints.length === 0) return { status: Status.skip() };
    const s = new PreFilterState(constraints);
    const required = requiredNodeAffinity(pod.pod);
    const ns = pod.pod.metadata.namespace ?? 'default';
    this.counts.attach(constraints, ns);
    const all = snapshot.nodeInfos();
    for (let j = 0; j < all.length; j++) {
      const ni = all[j]!;
      const labels = nodeLabels(ni.node);
      if (!nodeHasAllKeys(labels, constraints)) continue;
      for (const c of constraints) {
        if (!nodeIncluded(c, pod.pod, ni.node, required)) continue;
        let m = s.matchNum.get(c.topologyKey);
        if (!m) {
          m = new Map();
          s.matchNum.set(c.topologyKey, m);
        }
        const v = labels[c.topologyKey]!;
        m.set(v, (m.get(v) ?? 0) + this.counts.countAt(j, ni, c, ns));
      }
    }
    for (const c of constraints) {
      const m = s.matchNum.get(c.topologyKey);
      s.domains.set(c.topologyKey, m ? m.size : 0);
      const paths = new CriticalPaths();
      if (m) for (const [v, n] of m) paths.update(v, n);
      s.paths.set(c.topologyKey, paths);
    }
    state.write(PRE_FILTER_KEY, s);
    return { status: Status.success() };
  }

  private updateWithPod(state: CycleState, preemptor: PodInfo, other: PodInfo, node: KubeObject, delta: number): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return Status.success();
    if ((other.pod.metadata.namespace ?? 'default') !== (preemptor.pod.metadata.namespace ?? 'default')) return Status.success();
    const labels = nodeLabels(node);
    if (!nodeHasAllKeys(labels, s.constraints)) return Status.success();
    const required = requiredNodeAffinity(preemptor.pod);
    for (const c of s.constraints) {
      if (!c.selector(podLabels(other.pod))) continue;
      if (!nodeIncluded(c, preemptor.pod, node, required)) continue;
      const v = labels[c.topologyKey]!;
      let m = s.matchNum.get(c.topologyKey);
      if (!m) {
        m = new Map();
        s.matchNum.set(c.topologyKey, m);
      }
      const n = (m.get(v) ?? 0) + delta;
      m.set(v, n);
      s.paths.get(c.topologyKey)?.update(v, n);
    }
    return Status.success();
  }

  addPod(state: CycleState, podToSchedule: PodInfo, podToAdd: PodInfo, node: NodeInfo): Status {
    return this.updateWithPod(state, podToSchedule, podToAdd, node.node, 1);
  }

  removePod(state: CycleState, podToSchedule: PodInfo, podToRemove: PodInfo, node: NodeInfo): Status {
    return this.updateWithPod(state, podToSchedule, podToRemove, node.node, -1);
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (!s) return Status.error(`reading "${PRE_FILTER_KEY}" from cycleState: not found`);
    const labels = nodeLabels(node.node);
    const own = podLabels(pod.pod);
    for (const c of s.constraints) {
      const v = labels[c.topologyKey];
      if (typeof v !== 'string') return this.rejectedLabel;
      const self = c.selector(own) ? 1 : 0;
      const matchNum = s.matchNum.get(c.topologyKey)?.get(v) ?? 0;
      if (matchNum + self - s.minMatchNum(c) > c.maxSkew) return this.rejectedSkew;
    }
    return Status.success();
  }

  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status {
    const all = this.deps.snapshot().nodeInfos();
    if (all.length === 0) return Status.skip();
    const constraints = this.constraintsFor(pod.pod, 'ScheduleAnyway');
    if (constraints.length === 0) return Status.skip();
    // Only own constraints (or configured defaults) require every key: with the system defaults a
    // node without a zone label still gets hostname spreading.
    const requireAll = (pod.pod.spec?.topologySpreadConstraints ?? []).length > 0 || !this.systemDefaulted;
    const s: PreScoreState = { constraints, ignored: new Set(), counts: constraints.map(() => new Map()), weights: [] };
    const sizes = constraints.map(() => 0);
    for (const ni of nodes) {
      const labels = nodeLabels(ni.node);
      if (requireAll && !nodeHasAllKeys(labels, constraints)) {
        s.ignored.add(ni.name);
        continue;
      }
      for (let i = 0; i < constraints.length; i++) {
        if (constraints[i]!.topologyKey === HOSTNAME) continue;
        const v = labels[constraints[i]!.topologyKey] ?? '';
        if (!s.counts[i]!.has(v)) {
          s.counts[i]!.set(v, 0);
          sizes[i]!++;
        }
      }
    }
    s.weights = constraints.map((c, i) => Math.log((c.topologyKey === HOSTNAME ? nodes.length - s.ignored.size : sizes[i]!) + 2));
    const required = requiredNodeAffinity(pod.pod);
    const ns = pod.pod.metadata.namespace ?? 'default';
    this.counts.attach(constraints, ns);
    const hasNonHostname = constraints.some((c) => c.topologyKey !== HOSTNAME);
    const inclusion = constraints.map((c) => (c.nodeAffinityHonor && required !== MATCH_ALL_NODES) || c.nodeTaintsHonor);
    if (hasNonHostname) {
      for (let j = 0; j < all.length; j++) {
        const ni = all[j]!;
        for (let i = 0; i < constraints.length; i++) {
          const c = constraints[i]!;
          if (c.topologyKey === HOSTNAME) continue;
          // Most nodes hold no matching pod: nothing to add, whatever their domain (and the
          // node object is not even touched).
          const n = this.counts.countAt(j, ni, c, ns);
          if (n === 0) continue;
          const labels = nodeLabels(ni.node);
          if (requireAll && !nodeHasAllKeys(labels, constraints)) break;
          if (inclusion[i] && !nodeIncluded(c, pod.pod, ni.node, required)) continue;
          const v = labels[c.topologyKey] ?? '';
          const cur = s.counts[i]!.get(v);
          if (cur === undefined) continue; // no candidate node in this domain
          s.counts[i]!.set(v, cur + n);
        }
      }
    }
    state.write(PRE_SCORE_KEY, s);
    return Status.success();
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): { score: number; status: Status } {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (!s) return { score: 0, status: Status.error(`reading "${PRE_SCORE_KEY}" from cycleState: not found`) };
    if (s.ignored.has(node.name)) return { score: 0, status: Status.success() };
    const labels = nodeLabels(node.node);
    const ns = pod.pod.metadata.namespace ?? 'default';
    let score = 0;
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i]!;
      const v = labels[c.topologyKey];
      if (typeof v !== 'string') continue;
      const cnt = c.topologyKey === HOSTNAME ? this.counts.count(node, c, ns) : (s.counts[i]!.get(v) ?? 0);
      score += cnt * s.weights[i]! + (c.maxSkew - 1);
    }
    return { score: Math.round(score), status: Status.success() };
  }

  normalizeScore(state: CycleState, _pod: PodInfo, scores: NodeScore[]): Status {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (!s) return Status.success();
    let min = Number.MAX_SAFE_INTEGER;
    let max = 0;
    for (const x of scores) {
      if (s.ignored.has(x.name)) continue;
      if (x.score < min) min = x.score;
      if (x.score > max) max = x.score;
    }
    for (const x of scores) {
      if (s.ignored.has(x.name)) {
        x.score = 0;
        continue;
      }
      x.score = max === 0 ? MAX_NODE_SCORE : Math.trunc((MAX_NODE_SCORE * (max + min - x.score)) / max);
    }
    return Status.success();
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      ...events('Pod', ['Add', 'UpdatePodLabel', 'UpdatePodTolerations', 'Delete'], (pod, o, n) => this.podChangeHint(pod, o, n)),
      ...events('Node', ['Add', 'Delete', 'UpdateNodeLabel', 'UpdateNodeTaint'], (pod, o, n) => this.nodeChangeHint(pod, o, n)),
    ];
  }

  private podChangeHint(pod: KubeObject, oldPod: KubeObject | undefined, newPod: KubeObject | undefined) {
    const involved = (p: KubeObject): boolean =>
      p.metadata.uid === pod.metadata.uid || (!!p.spec?.nodeName && (p.metadata.namespace ?? 'default') === (pod.metadata.namespace ?? 'default'));
    if ((newPod && !involved(newPod)) || (oldPod && !involved(oldPod))) return SKIP;
    const constraints = this.constraintsFor(pod, 'DoNotSchedule');
    const anyMatch = (p: KubeObject): boolean => constraints.some((c) => c.selector(podLabels(p)));
    if (oldPod && newPod) {
      if (newPod.metadata.uid === pod.metadata.uid && constraints.some((c) => c.nodeTaintsHonor)) {
        if (JSON.stringify(oldPod.spec?.tolerations ?? []) !== JSON.stringify(newPod.spec?.tolerations ?? [])) return QUEUE;
      }
      const ol = podLabels(oldPod);
      const nl = podLabels(newPod);
      for (const c of constraints) if (c.selector(ol) !== c.selector(nl)) return QUEUE;
      return SKIP;
    }
    if (newPod) return anyMatch(newPod) ? QUEUE : SKIP;
    return oldPod && anyMatch(oldPod) ? QUEUE : SKIP;
  }

  private nodeChangeHint(pod: KubeObject, oldNode: KubeObject | undefined, newNode: KubeObject | undefined) {
    const constraints = this.constraintsFor(pod, 'DoNotSchedule');
    const oldMatch = oldNode ? nodeHasAllKeys(nodeLabels(oldNode), constraints) : false;
    const newMatch = newNode ? nodeHasAllKeys(nodeLabels(newNode), constraints) : false;
    if (oldNode && newNode) {
      if (oldMatch !== newMatch) return QUEUE;
      if (!newMatch) return SKIP;
      const ol = nodeLabels(oldNode);
      const nl = nodeLabels(newNode);
      if (constraints.some((c) => ol[c.topologyKey] !== nl[c.topologyKey])) return QUEUE;
      return JSON.stringify(oldNode.spec?.taints ?? []) !== JSON.stringify(newNode.spec?.taints ?? []) ? QUEUE : SKIP;
    }
    if (newNode) return newMatch ? QUEUE : SKIP;
    return oldMatch ? QUEUE : SKIP;
  }
}

export function newPodTopologySpread(args: PodTopologySpreadArgs, deps: PodTopologySpreadDeps): PodTopologySpread {
  return new PodTopologySpread(args, deps);
}

// ---- owner selectors (upstream's DefaultSelector) --------------------------------------------

/** Lookups of the objects that can select or own a pod, from informer caches. */
export interface OwnerLookups {
  services(namespace: string): readonly KubeObject[];
  replicationController(namespace: string, name: string): KubeObject | undefined;
  replicaSet(namespace: string, name: string): KubeObject | undefined;
  statefulSet(namespace: string, name: string): KubeObject | undefined;
}

/**
 * A selectorsFor() as upstream's DefaultSelector: the selectors of the Services selecting the
 * pod, and of its controlling ReplicationController, ReplicaSet or StatefulSet.
 */
export function makeSelectorsFor(lookups: OwnerLookups): (pod: KubeObject) => LabelSelector[] {
  return (pod) => {
    const ns = pod.metadata.namespace ?? 'default';
    const labels = podLabels(pod);
    const out: LabelSelector[] = [];
    for (const svc of lookups.services(ns)) {
      const sel = svc.spec?.selector as Record<string, string> | undefined;
      if (sel == null) continue; // a Service without a selector selects nothing
      const s = fromSet(sel);
      if (s.matches(labels)) out.push(s);
    }
    const owner = (pod.metadata.ownerReferences ?? []).find((r: any) => r?.controller === true);
    if (!owner) return out;
    try {
      if (owner.apiVersion === 'v1' && owner.kind === 'ReplicationController') {
        const rc = lookups.replicationController(ns, owner.name);
        if (rc) out.push(fromSet(rc.spec?.selector));
      } else if (owner.apiVersion === 'apps/v1' && owner.kind === 'ReplicaSet') {
        const rs = lookups.replicaSet(ns, owner.name);
        if (rs) out.push(fromLabelSelectorObject(rs.spec?.selector));
      } else if (owner.apiVersion === 'apps/v1' && owner.kind === 'StatefulSet') {
        const ss = lookups.statefulSet(ns, owner.name);
        if (ss) out.push(fromLabelSelectorObject(ss.spec?.selector));
      }
    } catch {
      // an invalid selector contributes nothing
    }
    return out;
  };
}
