// The framework runtime: one Framework per scheduling profile. It holds the profile's plugins
// sorted by extension point (a plugin runs at every point it implements, in the configured
// order, as upstream's MultiPoint) and runs them:
//
//   PreEnqueue · QueueSort · PreFilter → Filter (over nodes) → PostFilter (when none fit)
//   → PreScore → Score (+normalize, ×weight) → Reserve → Permit → [async] WaitOnPermit
//   → PreBind → Bind → PostBind;  Unreserve on any failure after Reserve.
//
// Filtering stops after numFeasibleNodesToFind() feasible nodes (percentageOfNodesToScore)
// and starts where the previous pod stopped (round-robin), so large clusters stay fast and
// every node gets its turn. Statuses are values; the plugin that returned one is recorded in
// it. Nothing here does I/O except what the PreBind/Bind plugins do.

import type { Clock } from '../../client/clock.ts';
import type { KubeObject } from '../../api/types.ts';
import type { Logger } from '../../base/log.ts';
import { type Diagnosis, newDiagnosis } from './diagnosis.ts';
import { MEMO_CYCLE_KEY, type MemoCycle, type MemoEntry, NodeResultMemo } from './memo.ts';
import { addPod as addPodToNodeInfo, nodeInfoClone } from './nodeinfo.ts';
import type { Nominator } from './nominator.ts';
import { podPriority } from './priority.ts';
import type { QueueProfile } from './queue.ts';
import {
  type BindPlugin,
  type ClusterEventWithHint,
  Code,
  CycleState,
  type FilterPlugin,
  MAX_NODE_SCORE,
  MIN_NODE_SCORE,
  type NodeInfo,
  type NodeScore,
  type PermitPlugin,
  type Plugin,
  type PodInfo,
  type PostBindPlugin,
  type PostFilterPlugin,
  type PostFilterResult,
  type PreBindPlugin,
  type PreEnqueuePlugin,
  type PreFilterPlugin,
  type PreFilterResult,
  type PreScorePlugin,
  type QueuedPodInfo,
  type QueueSortPlugin,
  type ReservePlugin,
  type ScorePlugin,
  type SignPlugin,
  type Snapshot,
  Status,
} from './types.ts';
import { WaitingPod } from './waiting.ts';
import type { NodeToStatus } from './diagnosis.ts';

/** A plugin with its score weight (ignored unless it scores). */
export interface PluginEntry {
  plugin: Plugin;
  weight?: number;
}

export interface ProfileConfig {
  /** The profile's name: pods with this spec.schedulerName are ours. */
  schedulerName: string;
  /** In order; each plugin runs at every extension point it implements. */
  plugins: ReadonlyArray<Plugin | PluginEntry>;
  /** 1-100; 0 or undefined = upstream's adaptive default. */
  percentageOfNodesToScore?: number;
}

export interface FrameworkOptions {
  profile: ProfileConfig;
  clock: Clock;
  log: Logger;
  /** Tie-breaking among equally scored nodes; [0, 1). */
  random?: () => number;
  /** Longest Permit wait honoured (upstream: 15 minutes). */
  maxPermitWaitMs?: number;
  /** Reuse Filter/Score results between pods with equal signatures (memo.ts); default true. */
  reuseNodeResults?: boolean;
}

/** Plugins that need the framework (preemption: filters, snapshot) implement this. */
export interface FrameworkAware {
  bindFramework(fw: Framework): void;
}

const MIN_FEASIBLE_NODES = 100;
const MIN_FEASIBLE_PERCENTAGE = 5;
const BASE_PERCENTAGE = 50;
const WILDCARD_EVENTS: readonly ClusterEventWithHint[] = Object.freeze([{ event: { resource: 'WildCard', action: 'All' } }]);

/**
 * How many feasible nodes to look for before scoring (upstream numFeasibleNodesToFind): all
 * of them below 100 nodes; otherwise `percentage` % of them (adaptive when 0: 50% minus 1%
 * per 125 nodes, at least 5%), but never fewer than 100.
 */
export function numFeasibleNodesToFind(percentage: number | undefined, numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES) return numAllNodes;
  let pct = percentage ?? 0;
  if (pct >= 100) return numAllNodes;
  if (pct <= 0) {
    pct = BASE_PERCENTAGE - Math.trunc(numAllNodes / 125);
    if (pct < MIN_FEASIBLE_PERCENTAGE) pct = MIN_FEASIBLE_PERCENTAGE;
  }
  const n = Math.trunc((numAllNodes * pct) / 100);
  return n < MIN_FEASIBLE_NODES ? MIN_FEASIBLE_NODES : n;
}

function has<K extends string>(p: Plugin, method: K): boolean {
  return typeof (p as unknown as Record<string, unknown>)[method] === 'function';
}

function asEntry(p: Plugin | PluginEntry): PluginEntry {
  return 'plugin' in p && typeof (p as PluginEntry).plugin === 'object' ? (p as PluginEntry) : { plugin: p as Plugin };
}

function errorStatus(plugin: string, point: string, st: Status): Status {
  const out = new Status(Code.Error, [`running ${JSON.stringify(plugin)} ${point} plugin: ${st.message()}`], st.error);
  out.plugin = plugin;
  return out;
}

export interface FindNodesResult {
  feasible: NodeInfo[];
  diagnosis: Diagnosis;
  /** Set when a plugin failed with an error (not a rejection). */
  error?: Status;
}

export class Framework implements QueueProfile {
  readonly profileName: string;
  readonly percentageOfNodesToScore: number | undefined;
  /** Set by the scheduler: the queue's nominated pods, counted by filters. */
  nominator: Nominator | undefined;

  readonly preEnqueuePlugins: PreEnqueuePlugin[] = [];
  readonly queueSortPlugin: QueueSortPlugin | undefined;
  readonly preFilterPlugins: PreFilterPlugin[] = [];
  readonly filterPlugins: FilterPlugin[] = [];
  readonly postFilterPlugins: PostFilterPlugin[] = [];
  readonly preScorePlugins: PreScorePlugin[] = [];
  readonly scorePlugins: ScorePlugin[] = [];
  readonly scoreWeights: number[] = [];
  readonly reservePlugins: ReservePlugin[] = [];
  readonly permitPlugins: PermitPlugin[] = [];
  readonly preBindPlugins: PreBindPlugin[] = [];
  readonly bindPlugins: BindPlugin[] = [];
  readonly postBindPlugins: PostBindPlugin[] = [];

  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly random: () => number;
  private readonly maxPermitWaitMs: number;
  private readonly hints = new Map<string, readonly ClusterEventWithHint[]>();
  private readonly waiting = new Map<string, WaitingPod>();
  private readonly scoreBuffers: NodeScore[][] = [];
  /** Raw scores of one plugin in feasible-node order (reused across plugins and cycles). */
  private readonly rawScratch: number[] = [];
  private nextStartNodeIndex = 0;
  private currentSnapshot: Snapshot | undefined;
  /** Plugins that sign pods (memo.ts), and which Filter/Score plugins do not. */
  private readonly signers: SignPlugin[] = [];
  private readonly unsignedFilters = new Set<string>();
  private readonly scoreSigned: boolean[] = [];
  private readonly memo: NodeResultMemo | undefined;
  /** Counters for tests and benchmarks: node results computed and reused. */
  readonly memoStats = { filterRuns: 0, filterReused: 0, scoreRuns: 0, scoreReused: 0 };

  constructor(opts: FrameworkOptions) {
    this.profileName = opts.profile.schedulerName;
    this.percentageOfNodesToScore = opts.profile.percentageOfNodesToScore;
    this.clock = opts.clock;
    this.log = opts.log;
    this.random = opts.random ?? Math.random;
    this.maxPermitWaitMs = opts.maxPermitWaitMs ?? 15 * 60_000;
    let queueSort: QueueSortPlugin | undefined;
    const seen = new Set<string>();
    for (const raw of opts.profile.plugins) {
      const { plugin: p, weight } = asEntry(raw);
      if (seen.has(p.name)) throw new Error(`plugin ${p.name} configured twice in profile ${this.profileName}`);
      seen.add(p.name);
      if (has(p, 'preEnqueue')) this.preEnqueuePlugins.push(p as PreEnqueuePlugin);
      if (has(p, 'less')) {
        if (queueSort) throw new Error(`profile ${this.profileName}: only one QueueSort plugin may be enabled (${queueSort.name}, ${p.name})`);
        queueSort = p as QueueSortPlugin;
      }
      if (has(p, 'preFilter')) this.preFilterPlugins.push(p as PreFilterPlugin);
      if (has(p, 'filter')) this.filterPlugins.push(p as FilterPlugin);
      if (has(p, 'postFilter')) this.postFilterPlugins.push(p as PostFilterPlugin);
      if (has(p, 'preScore')) this.preScorePlugins.push(p as PreScorePlugin);
      if (has(p, 'score')) {
        this.scorePlugins.push(p as ScorePlugin);
        this.scoreWeights.push(weight && weight > 0 ? weight : 1);
        this.scoreBuffers.push([]);
      }
      if (has(p, 'reserve')) this.reservePlugins.push(p as ReservePlugin);
      if (has(p, 'permit')) this.permitPlugins.push(p as PermitPlugin);
      if (has(p, 'preBind')) this.preBindPlugins.push(p as PreBindPlugin);
      if (has(p, 'bind')) this.bindPlugins.push(p as BindPlugin);
      if (has(p, 'postBind')) this.postBindPlugins.push(p as PostBindPlugin);
      // Plugins that can reject a pod declare the events that may help it; one that does not
      // say is asked about every event (upstream's default).
      const rejects = ['preEnqueue', 'preFilter', 'filter', 'reserve', 'permit'].some((m) => has(p, m));
      if (has(p, 'eventsToRegister')) this.hints.set(p.name, (p as unknown as { eventsToRegister(): ClusterEventWithHint[] }).eventsToRegister());
      else if (rejects) this.hints.set(p.name, WILDCARD_EVENTS);
    }
    this.queueSortPlugin = queueSort;
    for (const raw of opts.profile.plugins) {
      const { plugin: p } = asEntry(raw);
      if (has(p, 'signPod') && (has(p, 'filter') || has(p, 'score'))) this.signers.push(p as SignPlugin);
      else if (has(p, 'filter')) this.unsignedFilters.add(p.name);
    }
    for (const p of this.scorePlugins) this.scoreSigned.push(has(p, 'signPod'));
    this.memo = opts.reuseNodeResults === false ? undefined : new NodeResultMemo(this.scorePlugins.length);
    for (const raw of opts.profile.plugins) {
      const { plugin } = asEntry(raw);
      if (has(plugin, 'bindFramework')) (plugin as unknown as FrameworkAware).bindFramework(this);
    }
  }

  // ---- queue side -----------------------------------------------------------------------------

  /** QueueSort order; FIFO by timestamp when the profile has no QueueSort plugin. */
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    return this.queueSortPlugin ? this.queueSortPlugin.less(a, b) : a.timestamp < b.timestamp;
  }

  runPreEnqueuePlugins(pod: KubeObject): Status {
    for (const p of this.preEnqueuePlugins) {
      const st = p.preEnqueue(pod);
      if (st.code !== Code.Success) {
        st.plugin = p.name;
        return st;
      }
    }
    return Status.success();
  }

  queueingHints(): ReadonlyMap<string, readonly ClusterEventWithHint[]> {
    return this.hints;
  }

  // ---- the snapshot of the current cycle ---------------------------------------------------------

  /** The snapshot the current scheduling cycle runs on (set by the scheduler before each cycle). */
  snapshot(): Snapshot {
    if (!this.currentSnapshot) throw new Error('no snapshot: not inside a scheduling cycle');
    return this.currentSnapshot;
  }

  setSnapshot(s: Snapshot): void {
    this.currentSnapshot = s;
  }

  // ---- filtering ------------------------------------------------------------------------------

  /**
   * PreFilter plugins in order. A Skip excludes the plugin's Filter for this pod; node sets
   * from results are intersected. An UnschedulableAndUnresolvable answer stops at once; an
   * Unschedulable one is returned after the remaining plugins ran (preemption needs their
   * state). Returns the merged result (undefined = all nodes), the status (with its plugin),
   * and the plugins that restricted the nodes.
   */
  runPreFilterPlugins(state: CycleState, pi: PodInfo, snapshot: Snapshot): { result?: PreFilterResult; status: Status; unschedulablePlugins: Set<string> } {
    let nodeNames: Set<string> | undefined;
    const withNodes = new Set<string>();
    let rejection: Status | undefined;
    for (const p of this.preFilterPlugins) {
      const { result, status } = p.preFilter(state, pi, snapshot);
      if (status.code === Code.Skip) {
        state.skipFilter.add(p.name);
        continue;
      }
      if (status.code !== Code.Success) {
        if (!status.isRejected()) return { status: errorStatus(p.name, 'PreFilter', status), unschedulablePlugins: new Set() };
        status.plugin = p.name;
        if (status.code === Code.UnschedulableAndUnresolvable) return { status, unschedulablePlugins: new Set() };
        rejection ??= status;
        continue;
      }
      if (result?.nodeNames) {
        withNodes.add(p.name);
        if (!nodeNames) nodeNames = new Set(result.nodeNames);
        else for (const n of nodeNames) if (!result.nodeNames.has(n)) nodeNames.delete(n);
        if (nodeNames.size === 0) {
          const names = [...withNodes].sort();
          const msg = names.length === 1 ? `node(s) didn't satisfy plugin ${names[0]}` : `node(s) didn't satisfy plugin(s) [${names.join(' ')}] simultaneously`;
          const st = new Status(Code.UnschedulableAndUnresolvable, [msg]);
          st.plugin = p.name;
          return { result: { nodeNames }, status: st, unschedulablePlugins: withNodes };
        }
      }
    }
    return { result: nodeNames ? { nodeNames } : undefined, status: rejection ?? Status.success(), unschedulablePlugins: withNodes };
  }

  /** PreFilter extensions: a pod was added to `node` in a simulation (preemption, nominated pods). */
  runPreFilterExtensionAddPod(state: CycleState, pi: PodInfo, toAdd: PodInfo, node: NodeInfo): Status {
    for (const p of this.preFilterPlugins) {
      if (!p.addPod || state.skipFilter.has(p.name)) continue;
      const st = p.addPod(state, pi, toAdd, node);
      if (!st.isSuccess()) return errorStatus(p.name, 'AddPod', st);
    }
    return Status.success();
  }

  runPreFilterExtensionRemovePod(state: CycleState, pi: PodInfo, toRemove: PodInfo, node: NodeInfo): Status {
    for (const p of this.preFilterPlugins) {
      if (!p.removePod || state.skipFilter.has(p.name)) continue;
      const st = p.removePod(state, pi, toRemove, node);
      if (!st.isSuccess()) return errorStatus(p.name, 'RemovePod', st);
    }
    return Status.success();
  }

  /** Filter plugins on one node; the first non-success status wins (its plugin recorded). */
  runFilterPlugins(state: CycleState, pi: PodInfo, node: NodeInfo): Status {
    return runFilters(this.activeFilters(state), state, pi, node);
  }

  /** The Filter plugins not skipped for this cycle (computed once per cycle, not per node). */
  private activeFilters(state: CycleState): FilterPlugin[] {
    const skip = state.skipFilter;
    if (skip.size === 0) return this.filterPlugins;
    return this.filterPlugins.filter((p) => !skip.has(p.name));
  }

  /**
   * Filters with the node's nominated pods of equal or higher priority counted as if running
   * there; when they were added and the pod fits, it must also fit without them (they may
   * not come, and affinity to them must not be what makes it fit).
   */
  runFilterPluginsWithNominatedPods(state: CycleState, pi: PodInfo, node: NodeInfo): Status {
    return this.filterWithNominated(this.activeFilters(state), state, pi, node);
  }

  private filterWithNominated(filters: FilterPlugin[], state: CycleState, pi: PodInfo, node: NodeInfo): Status {
    const nominated = this.nominator?.podsForNode(node.name);
    if (!nominated || nominated.length === 0) return runFilters(filters, state, pi, node);
    const prio = podPriority(pi.pod);
    const uid = pi.pod.metadata.uid;
    let clone: NodeInfo | undefined;
    let cloneState: CycleState | undefined;
    for (const npi of nominated) {
      if (npi.pod.metadata.uid === uid || podPriority(npi.pod) < prio) continue;
      if (!clone) {
        clone = nodeInfoClone(node);
        cloneState = state.clone();
      }
      addPodToNodeInfo(clone, npi);
      const st = this.runPreFilterExtensionAddPod(cloneState!, pi, npi, clone);
      if (!st.isSuccess()) return st;
    }
    if (!clone) return runFilters(filters, state, pi, node);
    const withNominated = runFilters(filters, cloneState!, pi, clone);
    if (!withNominated.isSuccess()) return withNominated;
    return runFilters(filters, state, pi, node);
  }

  /**
   * The filtering phase of a cycle (upstream findNodesThatFitPod): PreFilter, the nominated
   * node first when the pod has one, then Filter over the nodes from the round-robin start
   * until enough feasible nodes are found.
   */
  findNodesThatFitPod(state: CycleState, pi: PodInfo, snapshot: Snapshot): FindNodesResult {
    const diagnosis = newDiagnosis();
    const allNodes = snapshot.nodeInfos();
    const pre = this.runPreFilterPlugins(state, pi, snapshot);
    for (const p of pre.unschedulablePlugins) diagnosis.unschedulablePlugins.add(p);
    if (!pre.status.isSuccess()) {
      if (!pre.status.isRejected()) return { feasible: [], diagnosis, error: pre.status };
      diagnosis.nodeToStatus.absentNodesStatus = pre.status;
      diagnosis.preFilterMsg = pre.status.message();
      if (pre.status.plugin) diagnosis.unschedulablePlugins.add(pre.status.plugin);
      return { feasible: [], diagnosis };
    }

    const nominatedName: string | undefined = pi.pod.status?.nominatedNodeName;
    if (nominatedName) {
      const ni = snapshot.get(nominatedName);
      if (ni && (!pre.result?.nodeNames || pre.result.nodeNames.has(nominatedName))) {
        const st = this.runFilterPluginsWithNominatedPods(state, pi, ni);
        if (st.code === Code.Error) return { feasible: [], diagnosis, error: st };
        if (st.isSuccess()) return { feasible: [ni], diagnosis };
      }
    }

    let nodes: readonly NodeInfo[] = allNodes;
    if (pre.result?.nodeNames) {
      const subset: NodeInfo[] = [];
      for (const name of pre.result.nodeNames) {
        const ni = snapshot.get(name);
        if (ni) subset.push(ni);
      }
      nodes = subset;
      diagnosis.nodeToStatus.absentNodesStatus = new Status(Code.UnschedulableAndUnresolvable, [`node(s) didn't satisfy plugin(s) [${[...diagnosis.unschedulablePlugins].sort().join(' ')}]`]);
    }
    const entry = nodes === allNodes ? this.memoEntry(pi, allNodes.length) : undefined;
    const feasible = entry ? this.findNodesThatPassFiltersMemo(state, pi, diagnosis, allNodes, entry) : this.findNodesThatPassFilters(state, pi, diagnosis, nodes, allNodes.length);
    if (feasible === undefined) {
      return { feasible: [], diagnosis, error: diagnosis.nodeToStatus.absentNodesStatus };
    }
    return { feasible, diagnosis };
  }

  /** Filter loop; undefined when a plugin errored (the error status is left in diagnosis.absentNodesStatus). */
  private findNodesThatPassFilters(state: CycleState, pi: PodInfo, diagnosis: Diagnosis, nodes: readonly NodeInfo[], numAll: number): NodeInfo[] | undefined {
    const n = nodes.length;
    const want = numFeasibleNodesToFind(this.percentageOfNodesToScore, n);
    const feasible: NodeInfo[] = [];
    if (n === 0) return feasible;
    const start = this.nextStartNodeIndex % n;
    if (this.filterPlugins.length === 0) {
      for (let i = 0; i < want; i++) feasible.push(nodes[(start + i) % n]!);
      this.nextStartNodeIndex = (this.nextStartNodeIndex + want) % Math.max(1, numAll);
      return feasible;
    }
    const withNominated = this.nominator !== undefined && this.nominator.size > 0;
    const filters = this.activeFilters(state);
    const statuses = diagnosis.nodeToStatus;
    let processed = 0;
    for (let i = 0; i < n && feasible.length < want; i++) {
      const ni = nodes[(start + i) % n]!;
      processed++;
      const st = withNominated ? this.filterWithNominated(filters, state, pi, ni) : runFilters(filters, state, pi, ni);
      if (st.code === Code.Success) {
        feasible.push(ni);
        continue;
      }
      if (st.code === Code.Error) {
        diagnosis.nodeToStatus.absentNodesStatus = st;
        return undefined;
      }
      statuses.set(ni.name, st);
      if (st.plugin) diagnosis.unschedulablePlugins.add(st.plugin);
    }
    this.nextStartNodeIndex = (this.nextStartNodeIndex + processed) % Math.max(1, numAll);
    return feasible;
  }

  /** The memo entry of the pod's signature; undefined when reuse is off or the pod cannot be signed. */
  private memoEntry(pi: PodInfo, numNodes: number): MemoEntry | undefined {
    if (!this.memo || numNodes === 0) return undefined;
    const parts: unknown[] = [];
    for (const p of this.signers) {
      const part = p.signPod(pi);
      if (part === null) return undefined;
      parts.push(part);
    }
    return this.memo.entry(JSON.stringify(parts), numNodes);
  }

  /**
   * findNodesThatPassFilters over the whole node list with the pod's memo entry: the same nodes
   * in the same order, each node's status reused while its generation is unchanged (unless a
   * filter that does not sign pods runs in this cycle, or nominated pods are counted). Leaves the
   * feasible nodes' positions in the state for prioritizeNodes.
   */
  private findNodesThatPassFiltersMemo(state: CycleState, pi: PodInfo, diagnosis: Diagnosis, nodes: readonly NodeInfo[], entry: MemoEntry): NodeInfo[] | undefined {
    const n = nodes.length;
    const want = numFeasibleNodesToFind(this.percentageOfNodesToScore, n);
    const feasible: NodeInfo[] = [];
    const positions: number[] = [];
    const start = this.nextStartNodeIndex % n;
    const filters = this.activeFilters(state);
    const withNominated = this.nominator !== undefined && this.nominator.size > 0;
    let reuse = !withNominated;
    if (reuse) for (const f of filters) if (this.unsignedFilters.has(f.name)) reuse = false;
    const statuses = diagnosis.nodeToStatus;
    const stats = this.memoStats;
    let processed = 0;
    for (let i = 0; i < n && feasible.length < want; i++) {
      const pos = (start + i) % n;
      const ni = nodes[pos]!;
      processed++;
      let st = reuse ? entry.filterStatus(pos, ni) : undefined;
      if (st === undefined) {
        st = filters.length === 0 ? Status.success() : withNominated ? this.filterWithNominated(filters, state, pi, ni) : runFilters(filters, state, pi, ni);
        if (st.code === Code.Error) {
          diagnosis.nodeToStatus.absentNodesStatus = st;
          return undefined;
        }
        stats.filterRuns++;
        if (reuse) entry.recordFilter(pos, ni, st);
      } else stats.filterReused++;
      if (st.code === Code.Success) {
        feasible.push(ni);
        positions.push(pos);
        continue;
      }
      statuses.set(ni.name, st);
      if (st.plugin) diagnosis.unschedulablePlugins.add(st.plugin);
    }
    this.nextStartNodeIndex = (this.nextStartNodeIndex + processed) % n;
    const cycle: MemoCycle = { entry, feasible, positions };
    state.write(MEMO_CYCLE_KEY, cycle);
    return feasible;
  }

  runPostFilterPlugins(state: CycleState, pi: PodInfo, filtered: NodeToStatus): Promise<{ result?: PostFilterResult; status: Status }> {
    return this.runPostFilter(state, pi, filtered);
  }

  private async runPostFilter(state: CycleState, pi: PodInfo, filtered: NodeToStatus): Promise<{ result?: PostFilterResult; status: Status }> {
    const reasons: string[] = [];
    let rejectedBy: string | undefined;
    let lastResult: PostFilterResult | undefined;
    for (const p of this.postFilterPlugins) {
      const { result, status } = await p.postFilter(state, pi, filtered);
      if (status.isSuccess()) {
        status.plugin = p.name;
        return { result, status };
      }
      if (status.code === Code.UnschedulableAndUnresolvable) {
        status.plugin = p.name;
        return { result, status };
      }
      if (!status.isRejected()) return { result, status: errorStatus(p.name, 'PostFilter', status) };
      if (result) lastResult = result;
      rejectedBy ??= p.name;
      reasons.push(...status.reasons);
    }
    const st = new Status(Code.Unschedulable, reasons);
    if (rejectedBy) st.plugin = rejectedBy;
    return { result: lastResult, status: st };
  }

  // ---- scoring --------------------------------------------------------------------------------

  /**
   * PreScore and Score over the feasible nodes: per plugin raw scores, normalized when the
   * plugin normalizes, checked to be in [0, 100], times the plugin's weight, summed per node.
   * Without score plugins every node scores 1.
   */
  prioritizeNodes(state: CycleState, pi: PodInfo, nodes: readonly NodeInfo[]): { totals: Float64Array; error?: Status } {
    const n = nodes.length;
    const totals = new Float64Array(n);
    if (this.scorePlugins.length === 0) {
      totals.fill(1);
      return { totals };
    }
    for (const p of this.preScorePlugins) {
      const st = p.preScore(state, pi, nodes);
      if (st.code === Code.Skip) {
        state.skipScore.add(p.name);
        continue;
      }
      if (!st.isSuccess()) return { totals, error: errorStatus(p.name, 'PreScore', st) };
    }
    const skip = state.skipScore;
    const mc = state.read<MemoCycle>(MEMO_CYCLE_KEY);
    const memo = mc !== undefined && mc.feasible === nodes ? mc : undefined;
    for (let j = 0; j < this.scorePlugins.length; j++) {
      const p = this.scorePlugins[j]!;
      if (skip.has(p.name)) continue;
      const weight = this.scoreWeights[j]!;
      // the raw scores, in feasible-node order: from the memo, or computed now
      const raw = this.rawScratch;
      raw.length = n;
      if (memo && this.scoreSigned[j]) {
        const err = this.rawScoresMemo(state, pi, p, j, memo);
        if (err) return { totals, error: err };
        const recorded = memo.entry.scores[j]!;
        const pos = memo.positions;
        for (let i = 0; i < n; i++) raw[i] = recorded[pos[i]!]!;
      } else {
        for (let i = 0; i < n; i++) {
          const r = p.score(state, pi, nodes[i]!);
          if (r.status.code !== Code.Success) return { totals, error: errorStatus(p.name, 'Score', r.status) };
          raw[i] = r.score;
        }
      }
      if (p.normalizeScore) {
        const buf = this.scoreBuffers[j]!;
        while (buf.length < n) buf.push({ name: '', score: 0 });
        if (buf.length > n) buf.length = n;
        for (let i = 0; i < n; i++) {
          const e = buf[i]!;
          e.name = nodes[i]!.name;
          e.score = raw[i]!;
        }
        const st = p.normalizeScore(state, pi, buf);
        if (!st.isSuccess()) return { totals, error: errorStatus(p.name, 'NormalizeScore', st) };
        for (let i = 0; i < n; i++) raw[i] = buf[i]!.score;
      }
      for (let i = 0; i < n; i++) {
        const sc = raw[i]!;
        if (sc > MAX_NODE_SCORE || sc < MIN_NODE_SCORE) return { totals, error: invalidScore(p.name, sc) };
        totals[i]! += sc * weight;
      }
    }
    return { totals };
  }

  /** Plugin j's raw scores of the feasible nodes into the memo entry, computing only those not recorded at the node's generation. */
  private rawScoresMemo(state: CycleState, pi: PodInfo, p: ScorePlugin, j: number, mc: MemoCycle): Status | undefined {
    const { entry, feasible, positions } = mc;
    const stats = this.memoStats;
    for (let i = 0; i < feasible.length; i++) {
      const ni = feasible[i]!;
      const pos = positions[i]!;
      if (entry.hasScore(j, pos, ni)) {
        stats.scoreReused++;
        continue;
      }
      const r = p.score(state, pi, ni);
      if (r.status.code !== Code.Success) return errorStatus(p.name, 'Score', r.status);
      stats.scoreRuns++;
      entry.recordScore(j, pos, ni, r.score);
    }
    return undefined;
  }

  /** The highest total; ties broken uniformly at random (reservoir sampling, as upstream). */
  selectHost(nodes: readonly NodeInfo[], totals: Float64Array): NodeInfo | undefined {
    if (nodes.length === 0) return undefined;
    let best = 0;
    let ties = 1;
    for (let i = 1; i < nodes.length; i++) {
      const s = totals[i]!;
      if (s > totals[best]!) {
        best = i;
        ties = 1;
      } else if (s === totals[best]!) {
        ties++;
        if (Math.floor(this.random() * ties) === 0) best = i;
      }
    }
    return nodes[best];
  }

  // ---- reserve, permit, bind ------------------------------------------------------------------

  runReservePluginsReserve(state: CycleState, pi: PodInfo, nodeName: string): Status {
    for (const p of this.reservePlugins) {
      const st = p.reserve(state, pi, nodeName);
      if (!st.isSuccess()) {
        if (!st.isRejected()) return errorStatus(p.name, 'Reserve', st);
        st.plugin = p.name;
        return st;
      }
    }
    return Status.success();
  }

  /** Unreserve in reverse order; must not fail. */
  runReservePluginsUnreserve(state: CycleState, pi: PodInfo, nodeName: string): void {
    for (let i = this.reservePlugins.length - 1; i >= 0; i--) {
      const p = this.reservePlugins[i]!;
      try {
        p.unreserve(state, pi, nodeName);
      } catch (e) {
        this.log.error('unreserve failed', { plugin: p.name, error: (e as Error).message });
      }
    }
  }

  /**
   * Permit plugins: a rejection wins; any Wait (none rejecting) parks the pod as a
   * WaitingPod with each waiting plugin's timeout, and the answer is Wait.
   */
  runPermitPlugins(state: CycleState, pi: PodInfo, nodeName: string): Status {
    let waits: Map<string, number> | undefined;
    for (const p of this.permitPlugins) {
      const { status, timeoutMs } = p.permit(state, pi, nodeName);
      if (status.code === Code.Wait) {
        waits ??= new Map();
        waits.set(p.name, Math.min(Math.max(0, timeoutMs ?? 0), this.maxPermitWaitMs));
        continue;
      }
      if (!status.isSuccess()) {
        if (!status.isRejected()) return errorStatus(p.name, 'Permit', status);
        status.plugin = p.name;
        return status;
      }
    }
    if (waits) {
      const uid = pi.pod.metadata.uid ?? '';
      this.waiting.set(uid, new WaitingPod(pi.pod, waits, this.clock));
      return new Status(Code.Wait, ['one or more plugins asked to wait and no plugin rejected pod']);
    }
    return Status.success();
  }

  /** Resolves when a waiting pod is allowed or rejected; immediately for pods that do not wait. */
  async waitOnPermit(pod: KubeObject): Promise<Status> {
    const uid = pod.metadata.uid ?? '';
    const wp = this.waiting.get(uid);
    if (!wp) return Status.success();
    try {
      return await wp.done;
    } finally {
      this.waiting.delete(uid);
    }
  }

  getWaitingPod(uid: string): WaitingPod | undefined {
    return this.waiting.get(uid);
  }

  /** Reject a waiting pod (it was deleted, or preempted); true when it was waiting. */
  rejectWaitingPod(uid: string, plugin = '', msg = 'removed'): boolean {
    const wp = this.waiting.get(uid);
    if (!wp) return false;
    wp.reject(plugin, msg);
    return true;
  }

  waitingPods(): WaitingPod[] {
    return [...this.waiting.values()];
  }

  async runPreBindPlugins(state: CycleState, pi: PodInfo, nodeName: string): Promise<Status> {
    for (const p of this.preBindPlugins) {
      const st = await p.preBind(state, pi, nodeName);
      if (!st.isSuccess()) {
        if (!st.isRejected()) return errorStatus(p.name, 'PreBind', st);
        st.plugin = p.name;
        return st;
      }
    }
    return Status.success();
  }

  /** The first bind plugin that does not Skip binds; all skipping (or none) answers Skip. */
  async runBindPlugins(state: CycleState, pi: PodInfo, nodeName: string): Promise<Status> {
    for (const p of this.bindPlugins) {
      const st = await p.bind(state, pi, nodeName);
      if (st.code === Code.Skip) continue;
      if (!st.isSuccess()) {
        if (!st.isRejected()) return errorStatus(p.name, 'Bind', st);
        st.plugin = p.name;
        return st;
      }
      return st;
    }
    return Status.skip();
  }

  runPostBindPlugins(state: CycleState, pi: PodInfo, nodeName: string): void {
    for (const p of this.postBindPlugins) {
      try {
        p.postBind(state, pi, nodeName);
      } catch (e) {
        this.log.error('postBind failed', { plugin: p.name, error: (e as Error).message });
      }
    }
  }
}

/** The filters in order on one node; the first non-success status wins, named after its plugin. */
function runFilters(filters: readonly FilterPlugin[], state: CycleState, pi: PodInfo, node: NodeInfo): Status {
  for (let i = 0; i < filters.length; i++) {
    const p = filters[i]!;
    const st = p.filter(state, pi, node);
    if (st.code !== Code.Success) {
      if (!st.isRejected()) return errorStatus(p.name, 'Filter', st);
      st.plugin = p.name;
      return st;
    }
  }
  return Status.success();
}

function invalidScore(plugin: string, score: number): Status {
  const st = new Status(Code.Error, [`plugin ${JSON.stringify(plugin)} returns an invalid score ${score}, it should in the range of [${MIN_NODE_SCORE}, ${MAX_NODE_SCORE}] after normalizing`]);
  st.plugin = plugin;
  return st;
}
