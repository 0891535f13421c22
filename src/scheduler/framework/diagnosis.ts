// Why a pod did not fit: the status of every rejected node, the plugins that rejected it, and
// the message users read in `kubectl describe` and in the FailedScheduling event, built as
// upstream builds it:
//
//   0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {…}.
//   preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..
//
// (reasons counted over nodes, "<count> <reason>" strings sorted as strings, the PostFilter
// message appended with the same " %s." separator — hence upstream's double period when the
// PostFilter message itself ends with one).

import { Code, Status } from './types.ts';

/**
 * Node name → the status that rejected it. Nodes not in the map (not evaluated, or cut by a
 * PreFilter result) have `absentNodesStatus`.
 */
export class NodeToStatus extends Map<string, Status> {
  absentNodesStatus: Status = new Status(Code.UnschedulableAndUnresolvable);

  /** Names of nodes whose status has this code, among `allNodes` (absent ones included when their status matches). */
  nodesWithCode<T extends { name: string }>(allNodes: readonly T[], code: Code): T[] {
    const out: T[] = [];
    const absentMatches = this.absentNodesStatus.code === code;
    for (const n of allNodes) {
      const st = this.get(n.name);
      if (st ? st.code === code : absentMatches) out.push(n);
    }
    return out;
  }
}

export interface Diagnosis {
  nodeToStatus: NodeToStatus;
  /** Plugins that rejected the pod on some node (or at PreFilter). */
  unschedulablePlugins: Set<string>;
  /** Set when PreFilter rejected the pod: its message replaces the per-node counts. */
  preFilterMsg: string;
  /** The PostFilter (preemption) message, appended. */
  postFilterMsg: string;
}

export function newDiagnosis(): Diagnosis {
  return { nodeToStatus: new NodeToStatus(), unschedulablePlugins: new Set(), preFilterMsg: '', postFilterMsg: '' };
}

function sameReasons(a: Status, b: Status): boolean {
  const x = a.reasons;
  const y = b.reasons;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Upstream's "0/%v nodes are available" aggregation. */
export function fitErrorMessage(numAllNodes: number, d: Diagnosis): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (d.preFilterMsg) msg += ` ${d.preFilterMsg}.`;
  else {
    const counts = new Map<string, number>();
    // Thousands of nodes usually repeat a handful of statuses (often the very same object):
    // count runs of one status and touch the map once per run.
    let run: Status | undefined;
    let runLength = 0;
    const flush = () => {
      if (run) for (const r of run.reasons) counts.set(r, (counts.get(r) ?? 0) + runLength);
    };
    for (const st of d.nodeToStatus.values()) {
      if (run && (st === run || sameReasons(st, run))) {
        runLength++;
        continue;
      }
      flush();
      run = st;
      runLength = 1;
    }
    flush();
    const absent = numAllNodes - d.nodeToStatus.size;
    if (absent > 0) for (const r of d.nodeToStatus.absentNodesStatus.reasons) counts.set(r, (counts.get(r) ?? 0) + absent);
    const parts: string[] = [];
    for (const [r, n] of counts) parts.push(`${n} ${r}`);
    // Go's sort.Strings: byte-wise order (so "10 x" sorts before "2 y", as upstream).
    parts.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (parts.length > 0) msg += ` ${parts.join(', ')}.`;
  }
  if (d.postFilterMsg) msg += ` ${d.postFilterMsg}.`;
  return msg;
}

/** The pod fits no node: what the scheduling cycle reports (not thrown; a value). */
export class FitError {
  readonly numAllNodes: number;
  readonly diagnosis: Diagnosis;
  constructor(numAllNodes: number, diagnosis: Diagnosis) {
    this.numAllNodes = numAllNodes;
    this.diagnosis = diagnosis;
  }
  message(): string {
    return fitErrorMessage(this.numAllNodes, this.diagnosis);
  }
}

export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

/** Event notes are limited to 1024 bytes; longer messages are cut with "..." (upstream truncateMessage). */
export function truncateMessage(msg: string, limit = 1024): string {
  if (msg.length <= limit) return msg;
  return msg.slice(0, limit - 3) + '...';
}
