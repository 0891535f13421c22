// The read-only view of the cluster one scheduling cycle works on: NodeInfos by name and as a
// list (zones interleaved, as upstream's node tree lists them), the nodes hosting pods with
// (anti-)affinity, namespace labels and image spread. The cache refreshes it incrementally
// before each cycle (cache.ts updateSnapshot); NodeInfo objects keep their identity across
// refreshes, only their contents change.

import type { KubeObject } from '../../api/types.ts';
import { addPod, newNodeInfo } from './nodeinfo.ts';
import { newPodInfo } from './podinfo.ts';
import type { NodeInfo, Snapshot } from './types.ts';

const EMPTY_COUNTS: ReadonlyMap<string, number> = new Map();
const EMPTY_NAMESPACES: ReadonlyMap<string, Record<string, string>> = new Map();

export class CacheSnapshot implements Snapshot {
  /** The cache generation this snapshot reflects. */
  generation = 0;
  readonly nodeInfoMap = new Map<string, NodeInfo>();
  nodeInfoList: NodeInfo[] = [];
  havePodsWithAffinityList: NodeInfo[] = [];
  havePodsWithRequiredAntiAffinityList: NodeInfo[] = [];
  namespaces: ReadonlyMap<string, Record<string, string>> = EMPTY_NAMESPACES;
  imageCounts: ReadonlyMap<string, number> = EMPTY_COUNTS;

  nodeInfos(): readonly NodeInfo[] {
    return this.nodeInfoList;
  }
  get(name: string): NodeInfo | undefined {
    return this.nodeInfoMap.get(name);
  }
  numNodes(): number {
    return this.nodeInfoList.length;
  }
  havePodsWithAffinity(): readonly NodeInfo[] {
    return this.havePodsWithAffinityList;
  }
  havePodsWithRequiredAntiAffinity(): readonly NodeInfo[] {
    return this.havePodsWithRequiredAntiAffinityList;
  }
  namespaceLabels(ns: string): Record<string, string> | undefined {
    return this.namespaces.get(ns);
  }
  imageNodeCount(image: string): number {
    return this.imageCounts.get(image) ?? 0;
  }

  /** Recompute the affinity lists from nodeInfoList. */
  rebuildAffinityLists(): void {
    const aff: NodeInfo[] = [];
    const anti: NodeInfo[] = [];
    this.affinityIndex.clear();
    this.antiIndex.clear();
    for (const ni of this.nodeInfoList) {
      if (ni.podsWithAffinity.length > 0) {
        this.affinityIndex.set(ni, aff.length);
        aff.push(ni);
      }
      if (ni.podsWithRequiredAntiAffinity.length > 0) {
        this.antiIndex.set(ni, anti.length);
        anti.push(ni);
      }
    }
    this.havePodsWithAffinityList = aff;
    this.havePodsWithRequiredAntiAffinityList = anti;
  }

  /** A listed node's affinity pods changed: keep the affinity lists current in O(1) (their order is not significant). */
  updateAffinityMembership(ni: NodeInfo): void {
    setMember(this.havePodsWithAffinityList, this.affinityIndex, ni, ni.podsWithAffinity.length > 0);
    setMember(this.havePodsWithRequiredAntiAffinityList, this.antiIndex, ni, ni.podsWithRequiredAntiAffinity.length > 0);
  }

  private readonly affinityIndex = new Map<NodeInfo, number>();
  private readonly antiIndex = new Map<NodeInfo, number>();
}

function setMember(list: NodeInfo[], index: Map<NodeInfo, number>, ni: NodeInfo, member: boolean): void {
  const at = index.get(ni);
  if (member === (at !== undefined)) return;
  if (member) {
    index.set(ni, list.length);
    list.push(ni);
    return;
  }
  const last = list.pop()!;
  index.delete(ni);
  if (last !== ni) {
    list[at!] = last;
    index.set(last, at!);
  }
}

/**
 * A snapshot built directly from objects (tests, simulations): every node in the given order,
 * every pod whose spec.nodeName names one of them.
 */
export function snapshotOf(nodes: readonly KubeObject[], pods: readonly KubeObject[] = [], namespaces: Record<string, Record<string, string>> = {}): CacheSnapshot {
  const s = new CacheSnapshot();
  for (const n of nodes) {
    const ni = newNodeInfo(n);
    s.nodeInfoMap.set(ni.name, ni);
    s.nodeInfoList.push(ni);
  }
  for (const p of pods) {
    const ni = s.nodeInfoMap.get(p.spec?.nodeName ?? '');
    if (ni) addPod(ni, newPodInfo(p));
  }
  s.rebuildAffinityLists();
  s.namespaces = new Map(Object.entries(namespaces));
  const counts = new Map<string, number>();
  for (const ni of s.nodeInfoList) for (const name of ni.imageSizes.keys()) counts.set(name, (counts.get(name) ?? 0) + 1);
  s.imageCounts = counts;
  return s;
}

// ---- node tree: the order nodes are listed in -----------------------------------------------

/** upstream utilnode.GetZoneKey: region and zone from the topology labels ("" when neither). */
export function zoneKey(node: KubeObject): string {
  const l = node.metadata.labels ?? {};
  const zone = l['failure-domain.beta.kubernetes.io/zone'] ?? l['topology.kubernetes.io/zone'] ?? '';
  const region = l['failure-domain.beta.kubernetes.io/region'] ?? l['topology.kubernetes.io/region'] ?? '';
  if (!zone && !region) return '';
  return `${region}:\x00:${zone}`;
}

/**
 * Node names grouped by zone; list() interleaves the zones (one node of each zone in turn) so
 * that a partial scan of the list (percentageOfNodesToScore) still sees every zone.
 */
export class NodeTree {
  private readonly zones: string[] = [];
  private readonly byZone = new Map<string, string[]>();
  private readonly zoneOf = new Map<string, string>();

  get numNodes(): number {
    return this.zoneOf.size;
  }

  add(node: KubeObject): void {
    const name = node.metadata.name ?? '';
    const zone = zoneKey(node);
    const current = this.zoneOf.get(name);
    if (current === zone) return;
    if (current !== undefined) this.removeName(name);
    let list = this.byZone.get(zone);
    if (!list) {
      list = [];
      this.byZone.set(zone, list);
      this.zones.push(zone);
    }
    list.push(name);
    this.zoneOf.set(name, zone);
  }

  update(node: KubeObject): void {
    this.add(node);
  }

  remove(node: KubeObject): void {
    this.removeName(node.metadata.name ?? '');
  }

  private removeName(name: string): void {
    const zone = this.zoneOf.get(name);
    if (zone === undefined) return;
    this.zoneOf.delete(name);
    const list = this.byZone.get(zone)!;
    const i = list.indexOf(name);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) {
      this.byZone.delete(zone);
      this.zones.splice(this.zones.indexOf(zone), 1);
    }
  }

  list(): string[] {
    const out: string[] = [];
    const n = this.numNodes;
    if (this.zones.length === 1) return this.byZone.get(this.zones[0]!)!.slice();
    for (let idx = 0; out.length < n; idx++) {
      for (const z of this.zones) {
        const l = this.byZone.get(z)!;
        if (idx < l.length) out.push(l[idx]!);
      }
    }
    return out;
  }
}
