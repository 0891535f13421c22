// Nominated pods: pods that preempted others and wait for the victims to go, each nominated
// to one node (status.nominatedNodeName). Filters count them on their node for pods of lower
// or equal priority, so the freed room is not taken by someone else meanwhile.

import type { KubeObject } from '../../api/types.ts';
import type { PodInfo } from './types.ts';

/**
 * Contract: a pod is nominated to at most one node; nominating it again moves it. Lookups by
 * node are O(1) and return the stored PodInfos (read-only).
 */
export class Nominator {
  private readonly byNode = new Map<string, PodInfo[]>();
  private readonly nodeOf = new Map<string, string>();

  /** Number of nominated pods. */
  get size(): number {
    return this.nodeOf.size;
  }

  /**
   * Nominate `pi` to `nodeName`, or to its status.nominatedNodeName when nodeName is
   * undefined. An empty name (either way) removes any nomination.
   */
  add(pi: PodInfo, nodeName?: string): void {
    const uid = uidOf(pi.pod);
    this.delete(pi.pod);
    const node = nodeName ?? pi.pod.status?.nominatedNodeName ?? '';
    if (!node || pi.pod.spec?.nodeName) return;
    this.nodeOf.set(uid, node);
    const list = this.byNode.get(node);
    if (list) list.push(pi);
    else this.byNode.set(node, [pi]);
  }

  delete(pod: KubeObject): void {
    const uid = uidOf(pod);
    const node = this.nodeOf.get(uid);
    if (node === undefined) return;
    this.nodeOf.delete(uid);
    const list = this.byNode.get(node);
    if (!list) return;
    const i = list.findIndex((p) => uidOf(p.pod) === uid);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byNode.delete(node);
  }

  /**
   * A nominated pod changed. Keeps the nomination unless the new version names another node
   * (or the old one was nominated by status and the status changed).
   */
  update(oldPod: KubeObject, newPi: PodInfo): void {
    const uid = uidOf(newPi.pod);
    const current = this.nodeOf.get(uid);
    const oldStatusNode = oldPod.status?.nominatedNodeName ?? '';
    const newStatusNode = newPi.pod.status?.nominatedNodeName ?? '';
    // A nomination made in this process survives an update that does not change the status
    // field (the status patch may not have been observed yet).
    const node = newStatusNode !== oldStatusNode ? newStatusNode : (current ?? newStatusNode);
    this.add(newPi, node);
  }

  nodeNameOf(pod: KubeObject): string | undefined {
    return this.nodeOf.get(uidOf(pod));
  }

  podsForNode(nodeName: string): readonly PodInfo[] {
    return this.byNode.get(nodeName) ?? EMPTY;
  }
}

const EMPTY: readonly PodInfo[] = Object.freeze([]);

export function uidOf(pod: KubeObject): string {
  return pod.metadata.uid ?? `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}
