// Test helpers for the plugin tables: terse Node/Pod builders, NodeInfos with pods placed, an
// in-memory Snapshot, and drivers that run a plugin's PreFilter+Filter or PreScore+Score+
// NormalizeScore over nodes the way the framework does. Used only by *.test.ts files.

import type { KubeObject } from '../../api/types.ts';
import type { CycleState as CycleStateType, FilterPlugin, NodeInfo, NodeScore, Plugin, PreFilterPlugin, PreScorePlugin, ScorePlugin, Snapshot } from '../framework/types.ts';
import { Code, CycleState, Status } from '../framework/types.ts';
import { addPod, newNodeInfo } from '../framework/nodeinfo.ts';
import { newPodInfo } from '../framework/podinfo.ts';

export interface NodeOpts {
  labels?: Record<string, string>;
  allocatable?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  unschedulable?: boolean;
  images?: { names: string[]; sizeBytes: number }[];
}

export function makeNode(name: string, o: NodeOpts = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: { allocatable: o.allocatable ?? { cpu: '4', memory: '8Gi', pods: '110' }, images: o.images ?? [] },
  };
}

export interface PodOpts {
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  requests?: Record<string, string>;
  nodeName?: string;
  /** Merged into spec. */
  spec?: Record<string, any>;
  meta?: Record<string, any>;
}

let uidSeq = 0;

export function makePod(name: string, o: PodOpts = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.namespace ?? 'default', uid: o.uid ?? `uid-${name}-${++uidSeq}`, labels: o.labels ?? {}, ...(o.meta ?? {}) },
    spec: {
      containers: [{ name: 'c', image: 'busybox', resources: o.requests ? { requests: o.requests } : {} }],
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.spec ?? {}),
    },
  };
}

/** A NodeInfo with the pods placed on it (their nodeName set to the node). */
export function nodeInfoWith(node: KubeObject, pods: KubeObject[] = []): NodeInfo {
  const ni = newNodeInfo(node);
  for (const p of pods) addPod(ni, newPodInfo({ ...p, spec: { ...p.spec, nodeName: node.metadata.name } }));
  return ni;
}

export function fakeSnapshot(nodes: NodeInfo[], namespaces: Record<string, Record<string, string>> = {}): Snapshot {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const images = new Map<string, number>();
  for (const n of nodes) for (const name of n.imageSizes.keys()) images.set(name, (images.get(name) ?? 0) + 1);
  return {
    nodeInfos: () => nodes,
    get: (name) => byName.get(name),
    havePodsWithAffinity: () => nodes.filter((n) => n.podsWithAffinity.length > 0),
    havePodsWithRequiredAntiAffinity: () => nodes.filter((n) => n.podsWithRequiredAntiAffinity.length > 0),
    namespaceLabels: (ns) => namespaces[ns],
    imageNodeCount: (image) => images.get(image) ?? 0,
  };
}

/** What the framework does for one plugin: PreFilter, then Filter on each node (Skip = all pass;
 *  nodes outside a PreFilterResult are reported as "not in PreFilterResult"). Returns the
 *  PreFilter status when it rejected, else the per-node statuses. */
export function runFilter(
  plugin: Plugin,
  pod: KubeObject,
  nodes: NodeInfo[],
  snapshot: Snapshot = fakeSnapshot(nodes),
  state: CycleStateType = new CycleState(),
): { preFilter: Status; nodes: Map<string, Status> } {
  const pi = newPodInfo(pod);
  let pre = Status.success();
  let allowed: Set<string> | undefined;
  if ('preFilter' in plugin) {
    const r = (plugin as PreFilterPlugin).preFilter(state, pi, snapshot);
    pre = r.status;
    allowed = r.result?.nodeNames;
  }
  const out = new Map<string, Status>();
  if (!pre.isSuccess() && pre.code !== Code.Skip) return { preFilter: pre, nodes: out };
  for (const ni of nodes) {
    if (allowed && !allowed.has(ni.name)) {
      out.set(ni.name, Status.unresolvable('not in PreFilterResult'));
      continue;
    }
    out.set(ni.name, pre.code === Code.Skip ? Status.success() : (plugin as FilterPlugin).filter(state, pi, ni));
  }
  return { preFilter: pre, nodes: out };
}

/** Reasons per node ('' for success), for compact table assertions. */
export function filterReasons(plugin: Plugin, pod: KubeObject, nodes: NodeInfo[], snapshot?: Snapshot): Record<string, string> {
  const r = runFilter(plugin, pod, nodes, snapshot);
  if (r.nodes.size === 0) return { preFilter: `${r.preFilter.code}: ${r.preFilter.message()}` };
  const out: Record<string, string> = {};
  for (const [n, s] of r.nodes) out[n] = s.isSuccess() ? '' : `${s.code}: ${s.message()}`;
  return out;
}

/** PreScore + Score + NormalizeScore over `nodes`; a skipped plugin scores every node 0. */
export function runScore(plugin: Plugin, pod: KubeObject, nodes: NodeInfo[], state: CycleStateType = new CycleState()): Record<string, number> {
  const pi = newPodInfo(pod);
  if ('preScore' in plugin) {
    const st = (plugin as PreScorePlugin).preScore(state, pi, nodes);
    if (st.code === Code.Skip) return Object.fromEntries(nodes.map((n) => [n.name, 0]));
    if (!st.isSuccess()) throw new Error(`preScore: ${st.message()}`);
  }
  const sp = plugin as ScorePlugin;
  const scores: NodeScore[] = nodes.map((ni) => {
    const r = sp.score(state, pi, ni);
    if (!r.status.isSuccess()) throw new Error(`score ${ni.name}: ${r.status.message()}`);
    return { name: ni.name, score: r.score };
  });
  sp.normalizeScore?.(state, pi, scores);
  return Object.fromEntries(scores.map((s) => [s.name, s.score]));
}
