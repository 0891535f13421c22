// NodeInfo maintenance: build a NodeInfo from a Node, add and remove pods (bound or assumed)
// keeping the aggregates plugins read — requested and non-zero requested resources, used host
// ports, the pods with (anti-)affinity — and clone one for a cycle's snapshot. Every change
// takes a new generation from one process-wide sequence (as upstream), so a cache can copy into
// its snapshot only the nodes changed since the last one.

import type { KubeObject } from '../../api/types.ts';
import type { HostPortInfo, NodeInfo, PodInfo, Resource } from './types.ts';
import { hasPodAffinity, hasRequiredAntiAffinity, podHostPorts, podKey, resourceFromList } from './podinfo.ts';

let generation = 0;

/** The next value of the process-wide NodeInfo generation sequence (strictly increasing). */
export function nextGeneration(): number {
  return ++generation;
}

function emptyResource(): Resource {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, allowedPodNumber: 0, scalar: new Map() };
}

function cloneResource(r: Resource): Resource {
  return { ...r, scalar: new Map(r.scalar) };
}

/** Image name → size in bytes from node.status.images (every name of an image maps to its size). */
export function imageSizesOf(node: KubeObject): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const img of node.status?.images ?? []) {
    const size = Number(img?.sizeBytes ?? 0);
    for (const name of img?.names ?? []) sizes.set(name, size);
  }
  return sizes;
}

function hasPreferNoScheduleTaint(node: KubeObject): boolean {
  const taints = node.spec?.taints;
  return Array.isArray(taints) && taints.some((t) => t?.effect === 'PreferNoSchedule');
}

/** A NodeInfo for `node` with no pods. A bare name gives a placeholder Node (pods can reach the
 *  cache before their node does). */
export function newNodeInfo(node: KubeObject | string): NodeInfo {
  const obj: KubeObject = typeof node === 'string' ? { metadata: { name: node } } : node;
  return {
    name: obj.metadata.name ?? '',
    node: obj,
    pods: [],
    podsWithAffinity: [],
    podsWithRequiredAntiAffinity: [],
    usedPorts: [],
    requested: emptyResource(),
    nonZeroRequested: { milliCPU: 0, memory: 0 },
    allocatable: resourceFromList(obj.status?.allocatable),
    imageSizes: imageSizesOf(obj),
    hasPreferNoScheduleTaint: hasPreferNoScheduleTaint(obj),
    generation: nextGeneration(),
  };
}

/** Replace the Node object (allocatable and images are re-read). */
export function setNode(ni: NodeInfo, node: KubeObject): void {
  ni.node = node;
  ni.allocatable = resourceFromList(node.status?.allocatable);
  ni.imageSizes = imageSizesOf(node);
  ni.hasPreferNoScheduleTaint = hasPreferNoScheduleTaint(node);
  ni.generation = nextGeneration();
}

function addResource(into: Resource, r: Resource, sign: 1 | -1): void {
  into.milliCPU += sign * r.milliCPU;
  into.memory += sign * r.memory;
  into.ephemeralStorage += sign * r.ephemeralStorage;
  into.allowedPodNumber += sign * r.allowedPodNumber;
  for (const [k, v] of r.scalar) into.scalar.set(k, (into.scalar.get(k) ?? 0) + sign * v);
}

/** Account a pod (bound or assumed) on the node. The caller ensures it is not already there. */
export function addPod(ni: NodeInfo, podInfo: PodInfo): void {
  const pod = podInfo.pod;
  ni.pods.push(podInfo);
  if (hasPodAffinity(pod)) ni.podsWithAffinity.push(podInfo);
  if (hasRequiredAntiAffinity(pod)) ni.podsWithRequiredAntiAffinity.push(podInfo);
  addResource(ni.requested, podInfo.request, 1);
  ni.nonZeroRequested.milliCPU += podInfo.nonZeroRequest.milliCPU;
  ni.nonZeroRequested.memory += podInfo.nonZeroRequest.memory;
  for (const p of podHostPorts(pod)) ni.usedPorts.push(p);
  ni.generation = nextGeneration();
}

function removeByKey(list: PodInfo[], key: string): PodInfo | undefined {
  for (let i = 0; i < list.length; i++) {
    if (podKey(list[i]!.pod) === key) {
      const found = list[i]!;
      list[i] = list[list.length - 1]!;
      list.pop();
      return found;
    }
  }
  return undefined;
}

/** Remove a pod (matched by UID) and un-account what it was added with. False when absent. */
export function removePod(ni: NodeInfo, pod: KubeObject): boolean {
  const key = podKey(pod);
  const removed = removeByKey(ni.pods, key);
  if (!removed) return false;
  removeByKey(ni.podsWithAffinity, key);
  removeByKey(ni.podsWithRequiredAntiAffinity, key);
  addResource(ni.requested, removed.request, -1);
  ni.nonZeroRequested.milliCPU -= removed.nonZeroRequest.milliCPU;
  ni.nonZeroRequested.memory -= removed.nonZeroRequest.memory;
  for (const p of podHostPorts(removed.pod)) {
    const i = ni.usedPorts.findIndex((u) => u.port === p.port && u.protocol === p.protocol && u.ip === p.ip);
    if (i >= 0) ni.usedPorts.splice(i, 1);
  }
  ni.generation = nextGeneration();
  return true;
}

/** A copy whose lists and aggregates are independent of the original (pod objects, PodInfos and
 *  the image map, which are never mutated in place, are shared). Keeps the generation. */
export function nodeInfoClone(ni: NodeInfo): NodeInfo {
  return {
    name: ni.name,
    node: ni.node,
    pods: ni.pods.slice(),
    podsWithAffinity: ni.podsWithAffinity.slice(),
    podsWithRequiredAntiAffinity: ni.podsWithRequiredAntiAffinity.slice(),
    usedPorts: ni.usedPorts.slice(),
    requested: cloneResource(ni.requested),
    nonZeroRequested: { ...ni.nonZeroRequested },
    allocatable: cloneResource(ni.allocatable),
    imageSizes: ni.imageSizes,
    hasPreferNoScheduleTaint: ni.hasPreferNoScheduleTaint,
    generation: ni.generation,
  };
}

/** Whether a host port (ip/protocol defaulted as upstream) conflicts with one in use: 0.0.0.0
 *  conflicts with the same protocol/port on any address, a specific address with itself and
 *  0.0.0.0. */
export function hostPortConflicts(used: readonly HostPortInfo[], ip: string, protocol: string, port: number): boolean {
  if (port <= 0) return false;
  const wantIP = ip || '0.0.0.0';
  const wantProto = protocol || 'TCP';
  for (let i = 0; i < used.length; i++) {
    const u = used[i]!;
    if (u.port !== port || u.protocol !== wantProto) continue;
    if (wantIP === '0.0.0.0' || u.ip === '0.0.0.0' || u.ip === wantIP) return true;
  }
  return false;
}
