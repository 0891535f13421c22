// DefaultPreemption, the PostFilter plugin: when a pod fits nowhere, find a node where
// evicting lower-priority pods would make it fit, evict them, and nominate the node for the
// pod (status.nominatedNodeName) so the room is kept for it while the victims terminate.
//
//   eligible? (preemptionPolicy, no victim of an earlier preemption still terminating)
//   → candidate nodes: rejected as Unschedulable (Unresolvable nodes cannot be helped)
//   → per node, starting at a random offset, until enough candidates: remove every
//     lower-priority pod; if the pod then fits, add victims back by importance (PDB-violating
//     ones first) while it still fits; what cannot come back are the victims
//   → pick the node: fewest PDB violations, lowest highest-victim priority, lowest priority
//     sum, fewest victims, latest start of the highest-priority victims
//   → DisruptionTarget condition + delete each victim (reject it if it waits at Permit),
//     clear lower-priority nominations on that node, nominate the node.
//
// Messages follow upstream ("preemption: 0/3 nodes are available: 1 No preemption victims
// found for incoming pod, 2 Preemption is not helpful for scheduling.").

import { labelSelectorObjectMatches } from '../../api/selectors.ts';
import type { KubeObject } from '../../api/types.ts';
import type { Logger } from '../../base/log.ts';
import type { Clock } from '../../client/clock.ts';
import { rfc3339 } from '../../client/clock.ts';
import type { SchedulerApi } from '../api.ts';
import { fitErrorMessage, NodeToStatus } from './diagnosis.ts';
import { nodeInfoClone, removePod as removePodFromNode, addPod as addPodToNode } from './nodeinfo.ts';
import { podPriority } from './podinfo.ts';
import type { Framework, FrameworkAware } from './runtime.ts';
import { Code, type CycleState, type NodeInfo, type PodInfo, type PostFilterPlugin, type PostFilterResult, Status } from './types.ts';

export const DEFAULT_PREEMPTION = 'DefaultPreemption';
const NOT_HELPFUL = 'Preemption is not helpful for scheduling';
const NO_VICTIMS = 'No preemption victims found for incoming pod';
const INT32_OFFSET = 2 ** 31;
/** Shared: dry runs over thousands of nodes without any possible victim report this one value. */
const NO_VICTIMS_STATUS = new Status(Code.UnschedulableAndUnresolvable, [NO_VICTIMS]);

export interface PreemptionOptions {
  api: SchedulerApi;
  clock: Clock;
  log: Logger;
  /** PodDisruptionBudgets (policy/v1), e.g. from an informer. */
  listPDBs: () => readonly KubeObject[];
  /** The informer's current version of a pod, when available (for its nominatedNodeName). */
  getPod?: (namespace: string, name: string) => KubeObject | undefined;
  /** [0, 1): the random offset where the dry run starts. */
  random?: () => number;
  /** Upstream DefaultPreemptionArgs: at least this % of the candidate nodes (10) ... */
  minCandidateNodesPercentage?: number;
  /** ... and at least this many (100) are dry-run before choosing. */
  minCandidateNodesAbsolute?: number;
}

export interface Candidate {
  name: string;
  /** Ordered by importance, most important first. */
  victims: PodInfo[];
  numPDBViolations: number;
}

// ---- pure helpers -----------------------------------------------------------------------------

function startTimeMs(pod: KubeObject, now: number): number {
  const t = pod.status?.startTime;
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? now : ms;
}

/** Upstream util.MoreImportantPod: higher priority, then earlier start (a pod without start time just started). */
export function moreImportantPod(a: KubeObject, b: KubeObject, now: number): boolean {
  const pa = podPriority(a);
  const pb = podPriority(b);
  if (pa !== pb) return pa > pb;
  return startTimeMs(a, now) < startTimeMs(b, now);
}

/**
 * Split pods (kept in order) into those whose eviction would exceed a matching PDB's
 * disruptionsAllowed and the rest. Budgets are consumed in order; pods already listed in a
 * PDB's disruptedPods do not consume it; an empty or missing selector matches nothing.
 */
export function filterPodsWithPDBViolation(pods: readonly PodInfo[], pdbs: readonly KubeObject[]): { violating: PodInfo[]; nonViolating: PodInfo[] } {
  const allowed = pdbs.map((p) => Number(p.status?.disruptionsAllowed ?? 0));
  const violating: PodInfo[] = [];
  const nonViolating: PodInfo[] = [];
  for (const pi of pods) {
    const pod = pi.pod;
    const labels = pod.metadata.labels;
    let violated = false;
    if (labels && Object.keys(labels).length > 0) {
      for (let i = 0; i < pdbs.length; i++) {
        const pdb = pdbs[i]!;
        if (pdb.metadata.namespace !== pod.metadata.namespace) continue;
        const sel = pdb.spec?.selector;
        if (!sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)) continue;
        if (!labelSelectorObjectMatches(sel, labels)) continue;
        if (pdb.status?.disruptedPods && pod.metadata.name! in pdb.status.disruptedPods) continue;
        allowed[i]!--;
        if (allowed[i]! < 0) violated = true;
      }
    }
    (violated ? violating : nonViolating).push(pi);
  }
  return { violating, nonViolating };
}

/** upstream pickOneNodeForPreemption with the default score functions; ties keep candidate order. */
export function pickOneNodeForPreemption(candidates: readonly Candidate[], now: number): Candidate | undefined {
  if (candidates.length === 0) return undefined;
  const earliestStartOfTop = (c: Candidate): number => {
    const top = podPriority(c.victims[0]!.pod);
    let earliest = Infinity;
    for (const v of c.victims) if (podPriority(v.pod) === top) earliest = Math.min(earliest, startTimeMs(v.pod, now));
    return earliest;
  };
  const scoreFuncs: Array<(c: Candidate) => number> = [
    (c) => -c.numPDBViolations,
    (c) => -podPriority(c.victims[0]!.pod),
    (c) => -c.victims.reduce((s, v) => s + podPriority(v.pod) + INT32_OFFSET, 0),
    (c) => -c.victims.length,
    (c) => earliestStartOfTop(c),
  ];
  let pool = candidates.slice();
  for (const f of scoreFuncs) {
    let best = -Infinity;
    let selected: Candidate[] = [];
    for (const c of pool) {
      const s = f(c);
      if (s > best) {
        best = s;
        selected = [c];
      } else if (s === best) selected.push(c);
    }
    if (selected.length === 1) return selected[0];
    pool = selected;
  }
  return pool[0];
}

function hasLowerPriorityPod(node: NodeInfo, prio: number): boolean {
  const pods = node.pods;
  for (let i = 0; i < pods.length; i++) if (podPriority(pods[i]!.pod) < prio) return true;
  return false;
}

function terminatingByPreemption(pod: KubeObject): boolean {
  if (!pod.metadata.deletionTimestamp) return false;
  for (const c of pod.status?.conditions ?? []) {
    if (c.type === 'DisruptionTarget') return c.status === 'True' && c.reason === 'PreemptionByScheduler';
  }
  return false;
}

// ---- the plugin -------------------------------------------------------------------------------

export class DefaultPreemption implements PostFilterPlugin, FrameworkAware {
  readonly name = DEFAULT_PREEMPTION;
  private readonly opts: PreemptionOptions;
  private readonly random: () => number;
  private fw: Framework | undefined;

  constructor(opts: PreemptionOptions) {
    this.opts = opts;
    this.random = opts.random ?? Math.random;
  }

  bindFramework(fw: Framework): void {
    this.fw = fw;
  }

  async postFilter(state: CycleState, pi: PodInfo, filtered: Map<string, Status>): Promise<{ result?: PostFilterResult; status: Status }> {
    const m = filtered instanceof NodeToStatus ? filtered : new NodeToStatus(filtered);
    const { result, status } = await this.preempt(state, pi, m);
    const msg = status.message();
    if (msg) {
      const out = new Status(status.code, [`preemption: ${msg}`], status.error);
      return { result, status: out };
    }
    return { result, status };
  }

  /** Upstream Evaluator.Preempt. */
  async preempt(state: CycleState, pi: PodInfo, m: NodeToStatus): Promise<{ result?: PostFilterResult; status: Status }> {
    const fw = this.fw;
    if (!fw) return { status: Status.error('DefaultPreemption is not bound to a framework') };
    const latest = this.opts.getPod?.(pi.pod.metadata.namespace ?? '', pi.pod.metadata.name ?? '');
    const nominatedNodeName: string = latest?.status?.nominatedNodeName ?? pi.pod.status?.nominatedNodeName ?? '';
    const snapshot = fw.snapshot();

    const why = this.notEligible(pi.pod, nominatedNodeName, m, snapshot.get(nominatedNodeName));
    if (why) return { status: new Status(Code.Unschedulable, [why]) };

    const allNodes = snapshot.nodeInfos();
    if (allNodes.length === 0) return { status: Status.error('no nodes available') };
    const potential = m.nodesWithCode(allNodes, Code.Unschedulable);
    let statuses = new NodeToStatus();
    let candidates: Candidate[] = [];
    if (potential.length > 0) {
      const pdbs = this.opts.listPDBs();
      const offset = Math.floor(this.random() * potential.length);
      const dry = this.dryRunPreemption(state, pi, potential, pdbs, offset, this.numCandidates(potential.length));
      if (dry.error) return { status: dry.error };
      candidates = dry.candidates;
      statuses = dry.statuses;
    }
    if (candidates.length === 0) {
      statuses.absentNodesStatus = new Status(Code.UnschedulableAndUnresolvable, [NOT_HELPFUL]);
      const msg = fitErrorMessage(allNodes.length, { nodeToStatus: statuses, unschedulablePlugins: new Set(), preFilterMsg: '', postFilterMsg: '' });
      // Clear a nomination the pod may carry from an earlier preemption.
      return { result: { nominatedNodeName: '' }, status: new Status(Code.Unschedulable, [msg]) };
    }
    const best = pickOneNodeForPreemption(candidates, this.opts.clock.now());
    if (!best) return { status: new Status(Code.Unschedulable, ['no candidate node for preemption']) };
    const prepared = await this.prepareCandidate(best, pi.pod);
    if (!prepared.isSuccess()) return { status: prepared };
    return { result: { nominatedNodeName: best.name }, status: Status.success() };
  }

  /** Why the pod may not preempt now ('' when it may). */
  private notEligible(pod: KubeObject, nominatedNodeName: string, m: NodeToStatus, nominated: NodeInfo | undefined): string {
    if (pod.spec?.preemptionPolicy === 'Never') return 'not eligible due to preemptionPolicy=Never.';
    if (!nominatedNodeName) return '';
    const st = m.get(nominatedNodeName) ?? m.absentNodesStatus;
    // The nominated node cannot take the pod any more: preempting elsewhere is allowed.
    if (st.code === Code.UnschedulableAndUnresolvable) return '';
    if (nominated) {
      const prio = podPriority(pod);
      for (const p of nominated.pods) {
        if (podPriority(p.pod) < prio && terminatingByPreemption(p.pod)) return 'not eligible due to a terminating pod on the nominated node.';
      }
    }
    return '';
  }

  private numCandidates(numNodes: number): number {
    const pct = this.opts.minCandidateNodesPercentage ?? 10;
    const abs = this.opts.minCandidateNodesAbsolute ?? 100;
    let n = Math.trunc((numNodes * pct) / 100);
    if (n < abs) n = abs;
    return Math.min(n, numNodes);
  }

  /** Upstream DryRunPreemption: candidates that violate no PDB come first. */
  dryRunPreemption(state: CycleState, pi: PodInfo, potential: readonly NodeInfo[], pdbs: readonly KubeObject[], offset: number, want: number): { candidates: Candidate[]; statuses: NodeToStatus; error?: Status } {
    const nonViolating: Candidate[] = [];
    const violating: Candidate[] = [];
    const statuses = new NodeToStatus();
    const prio = podPriority(pi.pod);
    for (let i = 0; i < potential.length; i++) {
      const node = potential[(offset + i) % potential.length]!;
      // Most nodes in a uniform-priority cluster have no possible victim: say so without copying the node.
      if (!hasLowerPriorityPod(node, prio)) {
        statuses.set(node.name, NO_VICTIMS_STATUS);
        continue;
      }
      const r = this.selectVictimsOnNode(state.clone(), pi, nodeInfoClone(node), pdbs);
      if (r.status.isSuccess() && r.victims.length > 0) {
        (r.numPDBViolations === 0 ? nonViolating : violating).push({ name: node.name, victims: r.victims, numPDBViolations: r.numPDBViolations });
        if (nonViolating.length > 0 && nonViolating.length + violating.length >= want) break;
        continue;
      }
      let st = r.status;
      if (st.isSuccess()) st = Status.error(`expected at least one victim pod on node ${JSON.stringify(node.name)}`);
      if (st.code === Code.Error) return { candidates: [], statuses, error: st };
      statuses.set(node.name, st);
    }
    return { candidates: [...nonViolating, ...violating], statuses };
  }

  /** Upstream SelectVictimsOnNode on a copy of the node (and of the cycle state). */
  selectVictimsOnNode(state: CycleState, pi: PodInfo, node: NodeInfo, pdbs: readonly KubeObject[]): { victims: PodInfo[]; numPDBViolations: number; status: Status } {
    const fw = this.fw!;
    const prio = podPriority(pi.pod);
    const potential = node.pods.filter((p) => podPriority(p.pod) < prio);
    const remove = (v: PodInfo): Status => {
      removePodFromNode(node, v.pod);
      return fw.runPreFilterExtensionRemovePod(state, pi, v, node);
    };
    const add = (v: PodInfo): Status => {
      addPodToNode(node, v);
      return fw.runPreFilterExtensionAddPod(state, pi, v, node);
    };
    for (const v of potential) {
      const st = remove(v);
      if (!st.isSuccess()) return { victims: [], numPDBViolations: 0, status: st };
    }
    if (potential.length === 0) return { victims: [], numPDBViolations: 0, status: new Status(Code.UnschedulableAndUnresolvable, [NO_VICTIMS]) };
    const fits = fw.runFilterPluginsWithNominatedPods(state, pi, node);
    if (!fits.isSuccess()) return { victims: [], numPDBViolations: 0, status: fits };

    const now = this.opts.clock.now();
    const sorted = potential.slice().sort((a, b) => (moreImportantPod(a.pod, b.pod, now) ? -1 : moreImportantPod(b.pod, a.pod, now) ? 1 : 0));
    const { violating, nonViolating } = filterPodsWithPDBViolation(sorted, pdbs);
    const victims: PodInfo[] = [];
    let numViolating = 0;
    const reprieve = (v: PodInfo): { fits: boolean; error?: Status } => {
      const st = add(v);
      if (!st.isSuccess()) return { fits: false, error: st };
      const ok = fw.runFilterPluginsWithNominatedPods(state, pi, node).isSuccess();
      if (!ok) {
        const r = remove(v);
        if (!r.isSuccess()) return { fits: false, error: r };
        victims.push(v);
      }
      return { fits: ok };
    };
    for (const v of violating) {
      const r = reprieve(v);
      if (r.error) return { victims: [], numPDBViolations: 0, status: r.error };
      if (!r.fits) numViolating++;
    }
    for (const v of nonViolating) {
      const r = reprieve(v);
      if (r.error) return { victims: [], numPDBViolations: 0, status: r.error };
    }
    if (violating.length > 0 && nonViolating.length > 0) {
      victims.sort((a, b) => (moreImportantPod(a.pod, b.pod, now) ? -1 : moreImportantPod(b.pod, a.pod, now) ? 1 : 0));
    }
    return { victims, numPDBViolations: numViolating, status: Status.success() };
  }

  /** Evict the victims (or reject those waiting at Permit) and clear lower-priority nominations on the node. */
  private async prepareCandidate(c: Candidate, preemptor: KubeObject): Promise<Status> {
    const fw = this.fw!;
    const { api, log, clock } = this.opts;
    const schedulerName = preemptor.spec?.schedulerName ?? 'default-scheduler';
    try {
      await Promise.all(
        c.victims.map(async (v) => {
          const victim = v.pod;
          if (victim.metadata.deletionTimestamp) return;
          const waiting = fw.getWaitingPod(victim.metadata.uid ?? '');
          if (waiting) waiting.reject(this.name, 'preempted');
          else {
            await api.patchPodStatus(victim, {
              conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message: `${schedulerName}: preempting to accommodate a higher priority pod`, lastTransitionTime: rfc3339(clock.now()) }],
            });
            await api.deletePod(victim);
          }
          api.recordEvent({ regarding: victim, related: preemptor, type: 'Normal', reason: 'Preempted', action: 'Preempting', note: `Preempted by pod ${preemptor.metadata.uid} on node ${c.name}` });
          log.info('preempted', { victim: `${victim.metadata.namespace}/${victim.metadata.name}`, preemptor: `${preemptor.metadata.namespace}/${preemptor.metadata.name}`, node: c.name });
        }),
      );
    } catch (e) {
      return Status.error(e as Error);
    }
    const prio = podPriority(preemptor);
    const lower = (fw.nominator?.podsForNode(c.name) ?? []).filter((p) => podPriority(p.pod) < prio).map((p) => p.pod);
    for (const pod of lower) {
      api.patchPodStatus(pod, { nominatedNodeName: null }).catch((e: Error) => log.warn('could not clear nominatedNodeName', { pod: pod.metadata.name, error: e.message }));
      fw.nominator?.delete(pod);
    }
    return Status.success();
  }
}
