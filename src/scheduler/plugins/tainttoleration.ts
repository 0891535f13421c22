// TaintToleration: Filter rejects nodes with a NoSchedule/NoExecute taint the pod does not
// tolerate; Score counts the PreferNoSchedule taints it does not tolerate, normalized so fewer
// is better.

import type { KubeObject } from '../../api/types.ts';
import type {
  ClusterEventWithHint,
  CycleState,
  EnqueueExtensions,
  FilterPlugin,
  NodeInfo,
  NodeScore,
  PodInfo,
  PreScorePlugin,
  ScorePlugin,
  SignPlugin,
} from '../framework/types.ts';
import { Status } from '../framework/types.ts';
import { defaultNormalizeScore, events, QUEUE, SKIP, StateSlot } from './helpers.ts';
import { findUntoleratedTaint, tolerationsTolerateTaint } from './taints.ts';
import type { Taint, Toleration } from './taints.ts';

export const TAINT_TOLERATION = 'TaintToleration';
const PRE_SCORE_KEY = 'PreScore' + TAINT_TOLERATION;

/** The Filter reason for an untolerated taint, exactly as upstream prints it. */
export function untoleratedTaintReason(t: Taint): string {
  return `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`;
}

/** The first NoSchedule/NoExecute taint of the node the pod does not tolerate. */
export function untoleratedTaint(pod: KubeObject, node: KubeObject): Taint | undefined {
  return findUntoleratedTaint(node.spec?.taints, pod.spec?.tolerations);
}

/** Number of PreferNoSchedule taints of the node none of `tolerations` tolerates. */
export function countIntolerablePreferNoSchedule(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[]): number {
  if (!taints) return 0;
  let n = 0;
  for (let i = 0; i < taints.length; i++) {
    const t = taints[i]!;
    if (t.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(tolerations, t)) n++;
  }
  return n;
}

export class TaintToleration implements FilterPlugin, PreScorePlugin, ScorePlugin, SignPlugin, EnqueueExtensions {
  readonly name = TAINT_TOLERATION;
  /** Statuses for repeated taints, so rejecting thousands of nodes does not build thousands. */
  private readonly reasons = new Map<string, Status>();
  private readonly slot = new StateSlot<Toleration[]>(PRE_SCORE_KEY);

  signPod(pod: PodInfo): unknown {
    return pod.pod.spec?.tolerations ?? [];
  }

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const taints = node.node.spec?.taints as Taint[] | undefined;
    if (!taints || taints.length === 0) return Status.success();
    const t = findUntoleratedTaint(taints, pod.pod.spec?.tolerations);
    if (!t) return Status.success();
    const reason = untoleratedTaintReason(t);
    let st = this.reasons.get(reason);
    if (!st) {
      st = Status.unresolvable(reason);
      if (this.reasons.size < 1024) this.reasons.set(reason, st);
    }
    return st;
  }

  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): Status {
    // No feasible node has a PreferNoSchedule taint: every node would get the same score, so the
    // ranking is the same without scoring at all.
    if (!nodes.some((n) => n.hasPreferNoScheduleTaint)) return Status.skip();
    // Tolerations with no effect also cover PreferNoSchedule.
    const tolerations = ((pod.pod.spec?.tolerations ?? []) as Toleration[]).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    this.slot.write(state, tolerations);
    return Status.success();
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): { score: number; status: Status } {
    const tolerations =
      this.slot.read(state) ?? ((pod.pod.spec?.tolerations ?? []) as Toleration[]).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    return { score: countIntolerablePreferNoSchedule(node.node.spec?.taints, tolerations), status: Status.success() };
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: NodeScore[]): Status {
    defaultNormalizeScore(scores, true);
    return Status.success();
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      ...events('Node', ['Add', 'UpdateNodeTaint'], (pod, oldNode, node) => {
        if (!node) return SKIP;
        const wasUntolerated = oldNode ? untoleratedTaint(pod, oldNode) !== undefined : true;
        return wasUntolerated && untoleratedTaint(pod, node) === undefined ? QUEUE : SKIP;
      }),
      ...events('Pod', ['UpdatePodTolerations'], (pod, _old, updated) => (updated?.metadata.uid === pod.metadata.uid ? QUEUE : SKIP)),
    ];
  }
}

export function newTaintToleration(): TaintToleration {
  return new TaintToleration();
}
