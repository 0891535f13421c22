// The scheduler cache: what the scheduler believes is on every node, so a scheduling cycle
// never waits on the API.
//
//   informer (assigned pods, nodes, namespaces) ──► cache ◄── assume / forget / finishBinding
//                                                    │            (the scheduling loop)
//                                                    ▼ updateSnapshot (only changed nodes)
//                                                 snapshot ──► one scheduling cycle
//
// A pod chosen for a node is *assumed* there at once (its resources count for the next pod)
// while the binding is written asynchronously. The informer's view of the bound pod then
// confirms it; a failed binding forgets it. With a TTL, an assumed pod whose binding finished
// but was never confirmed expires (upstream's default TTL is 0: never).
//
// NodeInfos sit in a list ordered by last change (most recent first): a snapshot refresh
// walks it only until it reaches nodes no newer than the snapshot's generation.
// Single-threaded: every method runs to completion.

import type { KubeObject } from '../../api/types.ts';
import type { Logger } from '../../base/log.ts';
import type { Clock } from '../../client/clock.ts';
import { addPod as addPodToNode, newNodeInfo, nodeInfoClone, removePod as removePodFromNode, setNode } from './nodeinfo.ts';
import { newPodInfo, podKey } from './podinfo.ts';
import { type CacheSnapshot, NodeTree } from './snapshot.ts';
import type { NodeInfo, PodInfo } from './types.ts';

interface NodeItem {
  info: NodeInfo;
  /** False while only pods know the node (not added yet, or deleted with pods left). */
  hasNode: boolean;
  prev: NodeItem | undefined;
  next: NodeItem | undefined;
}

interface PodState {
  pi: PodInfo;
  /** Expiry of an assumed pod whose binding finished (ms), when a TTL is set. */
  deadline: number | undefined;
  bindingFinished: boolean;
}

export interface SchedulerCacheOptions {
  clock: Clock;
  log: Logger;
  /** Expire assumed pods this long after their binding finished without confirmation; 0 = never (upstream's default). */
  assumedPodTTLMs?: number;
}

export class SchedulerCache {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly ttlMs: number;
  private readonly nodes = new Map<string, NodeItem>();
  private head: NodeItem | undefined;
  private readonly tree = new NodeTree();
  private readonly podStates = new Map<string, PodState>();
  private readonly assumed = new Set<string>();
  /** image name → nodes that have it */
  private readonly images = new Map<string, Set<string>>();
  private imageCounts: ReadonlyMap<string, number> | undefined = new Map();
  private readonly namespaceLabels = new Map<string, Record<string, string>>();
  private namespacesView: ReadonlyMap<string, Record<string, string>> | undefined = new Map();

  constructor(opts: SchedulerCacheOptions) {
    this.clock = opts.clock;
    this.log = opts.log;
    this.ttlMs = opts.assumedPodTTLMs ?? 0;
  }

  // ---- pods -----------------------------------------------------------------------------------

  /** Account `pi` (its pod's spec.nodeName set) on its node before the binding is written. */
  assumePod(pi: PodInfo): void {
    const key = podKey(pi.pod);
    if (this.podStates.has(key)) throw new Error(`pod ${describe(pi.pod)} is in the cache, so it can't be assumed`);
    this.addToNode(pi);
    this.podStates.set(key, { pi, deadline: undefined, bindingFinished: false });
    this.assumed.add(key);
  }

  /** The binding of an assumed pod was written: start its expiry clock (when a TTL is set). */
  finishBinding(pod: KubeObject): void {
    const key = podKey(pod);
    const st = this.podStates.get(key);
    if (!st || !this.assumed.has(key)) return;
    st.bindingFinished = true;
    st.deadline = this.ttlMs > 0 ? this.clock.now() + this.ttlMs : undefined;
  }

  /** Undo assumePod (the binding failed or a later step rejected the pod). */
  forgetPod(pod: KubeObject): void {
    const key = podKey(pod);
    const st = this.podStates.get(key);
    if (!st) return;
    if (!this.assumed.has(key)) {
      this.log.warn('forgetting a pod that is not assumed', { pod: describe(pod) });
      return;
    }
    if (st.pi.pod.spec?.nodeName !== pod.spec?.nodeName) this.log.warn('forgotten pod was assumed on another node', { pod: describe(pod), assumed: st.pi.pod.spec?.nodeName, given: pod.spec?.nodeName });
    this.removeFromNode(st.pi.pod);
    this.podStates.delete(key);
    this.assumed.delete(key);
  }

  /** An assigned pod seen by the informer: confirms an assumed pod, or adds it. */
  addPod(pod: KubeObject, pi: PodInfo = newPodInfo(pod)): void {
    const key = podKey(pod);
    const st = this.podStates.get(key);
    if (st) {
      // Confirmation of an assumed pod (possibly on another node than assumed), or a re-add.
      if (this.assumed.has(key) && st.pi.pod.spec?.nodeName !== pod.spec?.nodeName) {
        this.log.info('pod was bound to a different node than assumed', { pod: describe(pod), assumed: st.pi.pod.spec?.nodeName, actual: pod.spec?.nodeName });
      }
      this.removeFromNode(st.pi.pod);
      this.addToNode(pi);
      st.pi = pi;
      st.deadline = undefined;
      this.assumed.delete(key);
      return;
    }
    this.addToNode(pi);
    this.podStates.set(key, { pi, deadline: undefined, bindingFinished: false });
  }

  /** An assigned pod changed. */
  updatePod(oldPod: KubeObject, newPod: KubeObject, pi: PodInfo = newPodInfo(newPod)): void {
    const key = podKey(newPod);
    const st = this.podStates.get(key);
    if (!st || this.assumed.has(key)) {
      // Not seen yet (or still assumed): treat as the confirming add.
      this.addPod(newPod, pi);
      return;
    }
    this.removeFromNode(st.pi.pod ?? oldPod);
    this.addToNode(pi);
    st.pi = pi;
  }

  /** An assigned pod is gone (deleted, or finished). */
  removePod(pod: KubeObject): void {
    const key = podKey(pod);
    const st = this.podStates.get(key);
    if (!st) return;
    this.removeFromNode(st.pi.pod);
    this.podStates.delete(key);
    this.assumed.delete(key);
  }

  isAssumedPod(pod: KubeObject): boolean {
    return this.assumed.has(podKey(pod));
  }

  /** The cached version of a pod (assumed or confirmed). */
  getPod(pod: KubeObject): KubeObject | undefined {
    return this.podStates.get(podKey(pod))?.pi.pod;
  }

  podCount(): number {
    return this.podStates.size;
  }

  assumedPodCount(): number {
    return this.assumed.size;
  }

  /** Drop assumed pods whose binding finished longer than the TTL ago without confirmation. */
  cleanupAssumedPods(now = this.clock.now()): void {
    for (const key of [...this.assumed]) {
      const st = this.podStates.get(key)!;
      if (!st.bindingFinished || st.deadline === undefined || now < st.deadline) continue;
      this.log.warn('assumed pod expired', { pod: describe(st.pi.pod), node: st.pi.pod.spec?.nodeName });
      this.removeFromNode(st.pi.pod);
      this.podStates.delete(key);
      this.assumed.delete(key);
    }
  }

  // ---- nodes ----------------------------------------------------------------------------------

  addNode(node: KubeObject): NodeInfo {
    const name = node.metadata.name ?? '';
    let item = this.nodes.get(name);
    const sameImages = item?.hasNode === true && imagesEqual(item.info.node, node);
    if (item) {
      if (item.hasNode && !sameImages) this.removeImages(item.info.node);
      setNode(item.info, node);
    } else {
      item = { info: newNodeInfo(node), hasNode: true, prev: undefined, next: undefined };
      this.nodes.set(name, item);
    }
    item.hasNode = true;
    this.moveToHead(item);
    this.tree.add(node);
    if (!sameImages) this.addImages(node);
    return item.info;
  }

  updateNode(_oldNode: KubeObject, newNode: KubeObject): NodeInfo {
    return this.addNode(newNode);
  }

  /** The node is gone; its NodeInfo stays (without a node) while pods still reference it. */
  removeNode(node: KubeObject): void {
    const name = node.metadata.name ?? '';
    const item = this.nodes.get(name);
    if (!item || !item.hasNode) return;
    this.removeImages(item.info.node);
    this.tree.remove(item.info.node);
    item.hasNode = false;
    if (item.info.pods.length === 0) this.dropItem(item);
    else {
      setNode(item.info, { metadata: { name } });
      this.moveToHead(item);
    }
  }

  nodeCount(): number {
    return this.tree.numNodes;
  }

  // ---- namespaces -----------------------------------------------------------------------------

  setNamespace(ns: KubeObject): void {
    const name = ns.metadata.name ?? '';
    this.namespaceLabels.set(name, { ...(ns.metadata.labels ?? {}) });
    this.namespacesView = undefined;
  }

  removeNamespace(ns: KubeObject): void {
    if (this.namespaceLabels.delete(ns.metadata.name ?? '')) this.namespacesView = undefined;
  }

  // ---- snapshots ------------------------------------------------------------------------------

  /**
   * Bring `snap` up to date: copy the nodes changed since its generation, drop deleted ones,
   * and re-list when nodes came or went or the affinity lists changed. O(changed nodes) in
   * the common case.
   */
  updateSnapshot(snap: CacheSnapshot): void {
    const since = snap.generation;
    let updateAll = false;
    const affinityChanged: NodeInfo[] = [];
    for (let it = this.head; it; it = it.next) {
      if (it.info.generation <= since) break;
      if (!it.hasNode) continue;
      const clone = nodeInfoClone(it.info);
      const existing = snap.nodeInfoMap.get(clone.name);
      if (!existing) {
        updateAll = true;
        snap.nodeInfoMap.set(clone.name, clone);
        continue;
      }
      const affinityFlips =
        (existing.podsWithAffinity.length > 0) !== (clone.podsWithAffinity.length > 0) ||
        (existing.podsWithRequiredAntiAffinity.length > 0) !== (clone.podsWithRequiredAntiAffinity.length > 0);
      Object.assign(existing, clone);
      if (affinityFlips) affinityChanged.push(existing);
    }
    if (this.head) snap.generation = this.head.info.generation;
    if (snap.nodeInfoMap.size > this.tree.numNodes) {
      for (const name of [...snap.nodeInfoMap.keys()]) {
        const item = this.nodes.get(name);
        if (!item || !item.hasNode) snap.nodeInfoMap.delete(name);
      }
      updateAll = true;
    }
    if (updateAll || snap.nodeInfoList.length !== this.tree.numNodes) {
      const list: NodeInfo[] = [];
      for (const name of this.tree.list()) {
        const ni = snap.nodeInfoMap.get(name);
        if (ni) list.push(ni);
        else this.log.error('node in the tree is missing from the snapshot', { node: name });
      }
      snap.nodeInfoList = list;
      snap.rebuildAffinityLists();
    } else for (const ni of affinityChanged) snap.updateAffinityMembership(ni);
    if (!this.namespacesView) this.namespacesView = new Map(this.namespaceLabels);
    snap.namespaces = this.namespacesView;
    if (!this.imageCounts) {
      const counts = new Map<string, number>();
      for (const [img, nodes] of this.images) counts.set(img, nodes.size);
      this.imageCounts = counts;
    }
    snap.imageCounts = this.imageCounts;
  }

  /** The cache's own NodeInfo (read-only; for tests and debugging). */
  nodeInfo(name: string): NodeInfo | undefined {
    return this.nodes.get(name)?.info;
  }

  // ---- internals ------------------------------------------------------------------------------

  private addToNode(pi: PodInfo): void {
    const name: string = pi.pod.spec?.nodeName ?? '';
    let item = this.nodes.get(name);
    if (!item) {
      item = { info: newNodeInfo(name), hasNode: false, prev: undefined, next: undefined };
      this.nodes.set(name, item);
    }
    addPodToNode(item.info, pi);
    this.moveToHead(item);
  }

  private removeFromNode(pod: KubeObject): void {
    const item = this.nodes.get(pod.spec?.nodeName ?? '');
    if (!item) return;
    if (!removePodFromNode(item.info, pod)) return;
    if (!item.hasNode && item.info.pods.length === 0) this.dropItem(item);
    else this.moveToHead(item);
  }

  private moveToHead(item: NodeItem): void {
    if (this.head === item) return;
    this.unlink(item);
    item.next = this.head;
    if (this.head) this.head.prev = item;
    this.head = item;
  }

  private unlink(item: NodeItem): void {
    if (item.prev) item.prev.next = item.next;
    if (item.next) item.next.prev = item.prev;
    if (this.head === item) this.head = item.next;
    item.prev = undefined;
    item.next = undefined;
  }

  private dropItem(item: NodeItem): void {
    this.unlink(item);
    this.nodes.delete(item.info.name);
  }

  private addImages(node: KubeObject): void {
    const name = node.metadata.name ?? '';
    for (const img of node.status?.images ?? []) {
      for (const n of img?.names ?? []) {
        let s = this.images.get(n);
        if (!s) this.images.set(n, (s = new Set()));
        if (!s.has(name)) {
          s.add(name);
          this.imageCounts = undefined;
        }
      }
    }
  }

  private removeImages(node: KubeObject): void {
    const name = node.metadata.name ?? '';
    for (const img of node.status?.images ?? []) {
      for (const n of img?.names ?? []) {
        const s = this.images.get(n);
        if (!s?.delete(name)) continue;
        this.imageCounts = undefined;
        if (s.size === 0) this.images.delete(n);
      }
    }
  }
}

function imagesEqual(a: KubeObject, b: KubeObject): boolean {
  const x: Array<{ names?: string[]; sizeBytes?: number }> = a.status?.images ?? [];
  const y: Array<{ names?: string[]; sizeBytes?: number }> = b.status?.images ?? [];
  if (x === y) return true;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    const xn = x[i]?.names ?? [];
    const yn = y[i]?.names ?? [];
    if (xn.length !== yn.length) return false;
    for (let j = 0; j < xn.length; j++) if (xn[j] !== yn[j]) return false;
  }
  return true;
}

function describe(pod: KubeObject): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}
