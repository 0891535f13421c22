// Reuse of per-node Filter verdicts and raw Score values between pods of the same shape (the
// idea of upstream's pod signatures, KEP-5598, kept to exact results): pods stamped from one
// template ask the same questions of the same nodes, and between two such cycles usually only
// the node the previous pod went to has changed.
//
// A plugin whose Filter and Score answers depend only on the NodeInfo and on some parts of the
// pod says so by signing the pod (SignPlugin.signPod): it returns those parts. A pod's
// signature is the signatures of every signing plugin of the profile; one any plugin refuses to
// sign (null) has none, and nothing is reused for it. Plugins that do not sign (those that look
// beyond one node: InterPodAffinity, PodTopologySpread, ImageLocality, VolumeBinding) keep
// running every time; while one of them is active in a cycle its point is not memoized at all.
//
// Entries hold, per position in the snapshot's node list, the NodeInfo seen there, the
// generation it had, the Filter status and the raw (not yet normalized) score per Score plugin.
// A result is reused only when the node at that position is the same object with the same
// generation: every change to a NodeInfo (a pod assumed, bound, removed; the Node updated)
// takes a new generation, so a changed node is simply evaluated again.

import type { NodeInfo, Status } from './types.ts';

/** Per-position results for one pod signature. */
export class MemoEntry {
  readonly signature: string;
  /** The NodeInfo each position's results belong to. */
  readonly nodes: (NodeInfo | undefined)[];
  /** Generation of that NodeInfo when its Filter status was recorded (-1: none). */
  readonly filterGen: Float64Array;
  readonly statuses: (Status | undefined)[];
  /** Per Score plugin index: generation of the node when its raw score was recorded (-1: none), and the score. */
  readonly scoreGen: Float64Array[];
  readonly scores: Float64Array[];

  constructor(signature: string, numNodes: number, numScorePlugins: number) {
    this.signature = signature;
    this.nodes = new Array<NodeInfo | undefined>(numNodes).fill(undefined);
    this.filterGen = new Float64Array(numNodes).fill(-1);
    this.statuses = new Array<Status | undefined>(numNodes).fill(undefined);
    this.scoreGen = [];
    this.scores = [];
    for (let j = 0; j < numScorePlugins; j++) {
      this.scoreGen.push(new Float64Array(numNodes).fill(-1));
      this.scores.push(new Float64Array(numNodes));
    }
  }

  get size(): number {
    return this.nodes.length;
  }

  /** The recorded Filter status of `ni` at `pos`, if still valid. */
  filterStatus(pos: number, ni: NodeInfo): Status | undefined {
    return this.nodes[pos] === ni && this.filterGen[pos] === ni.generation ? this.statuses[pos] : undefined;
  }

  recordFilter(pos: number, ni: NodeInfo, st: Status): void {
    this.claim(pos, ni);
    this.filterGen[pos] = ni.generation;
    this.statuses[pos] = st;
  }

  /** Whether plugin `j`'s raw score of `ni` at `pos` is still valid. */
  hasScore(j: number, pos: number, ni: NodeInfo): boolean {
    return this.nodes[pos] === ni && this.scoreGen[j]![pos] === ni.generation;
  }

  recordScore(j: number, pos: number, ni: NodeInfo, score: number): void {
    this.claim(pos, ni);
    this.scoreGen[j]![pos] = ni.generation;
    this.scores[j]![pos] = score;
  }

  /** A different NodeInfo now sits at `pos`: forget what was recorded for the old one. */
  private claim(pos: number, ni: NodeInfo): void {
    if (this.nodes[pos] === ni) return;
    this.nodes[pos] = ni;
    this.filterGen[pos] = -1;
    this.statuses[pos] = undefined;
    for (const g of this.scoreGen) g[pos] = -1;
  }
}

/** The entries of one profile, by signature; the least recently used go first beyond `capacity`. */
export class NodeResultMemo {
  private readonly capacity: number;
  private readonly numScorePlugins: number;
  private readonly entries = new Map<string, MemoEntry>();

  constructor(numScorePlugins: number, capacity = 16) {
    this.numScorePlugins = numScorePlugins;
    this.capacity = capacity;
  }

  /** The entry for `signature` sized for a node list of `numNodes` (a fresh one when the list's size changed). */
  entry(signature: string, numNodes: number): MemoEntry {
    let e = this.entries.get(signature);
    if (e) {
      this.entries.delete(signature);
      if (e.size !== numNodes) e = undefined;
    }
    e ??= new MemoEntry(signature, numNodes, this.numScorePlugins);
    this.entries.set(signature, e);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return e;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** What the filtering phase of a cycle leaves for its scoring phase (in the CycleState). */
export interface MemoCycle {
  entry: MemoEntry;
  /** The feasible list findNodesThatFitPod returned, and each node's position in the node list. */
  feasible: readonly NodeInfo[];
  positions: number[];
}

export const MEMO_CYCLE_KEY = 'framework/memo';
