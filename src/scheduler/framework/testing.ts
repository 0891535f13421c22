// Builders for scheduler tests: terse Pods and Nodes with the fields the framework reads, and
// tiny plugins whose behaviour a test sets per node. Test-only; nothing in production imports
// this file.

import type { KubeObject } from '../../api/types.ts';
import { newPodInfo } from './podinfo.ts';
import type { CycleState, FilterPlugin, NodeInfo, PodInfo, QueuedPodInfo } from './types.ts';
import { Status } from './types.ts';

export interface PodSpecOpts {
  ns?: string;
  uid?: string;
  node?: string;
  priority?: number;
  cpu?: string;
  memory?: string;
  labels?: Record<string, string>;
  schedulerName?: string;
  gates?: string[];
  nominatedNode?: string;
  startTime?: string;
  preemptionPolicy?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  extra?: Record<string, unknown>;
}

let uidSeq = 0;

export function makePod(name: string, o: PodSpecOpts = {}): KubeObject {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.ns ?? 'default', uid: o.uid ?? `uid-${name}-${++uidSeq}`, labels: o.labels ?? {}, creationTimestamp: o.creationTimestamp ?? '2026-01-01T00:00:00Z' },
    spec: {
      schedulerName: o.schedulerName ?? 'default-scheduler',
      containers: [{ name: 'c', image: 'busybox', resources: Object.keys(requests).length ? { requests } : {} }],
      ...(o.node ? { nodeName: o.node } : {}),
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
      ...(o.gates ? { schedulingGates: o.gates.map((g) => ({ name: g })) } : {}),
      ...(o.preemptionPolicy ? { preemptionPolicy: o.preemptionPolicy } : {}),
      ...(o.extra ?? {}),
    },
    status: { phase: 'Pending', ...(o.nominatedNode ? { nominatedNodeName: o.nominatedNode } : {}), ...(o.startTime ? { startTime: o.startTime } : {}) },
  };
  if (o.deletionTimestamp) pod.metadata.deletionTimestamp = o.deletionTimestamp;
  return pod;
}

export interface NodeOpts {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: Array<{ key: string; value?: string; effect: string }>;
  unschedulable?: boolean;
  images?: Array<{ names: string[]; sizeBytes: number }>;
}

export function makeNode(name: string, o: NodeOpts = {}): KubeObject {
  const alloc = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `node-${name}`, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: { capacity: alloc, allocatable: alloc, images: o.images ?? [], conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

export function queued(pod: KubeObject, timestamp = 0): QueuedPodInfo {
  return { podInfo: newPodInfo(pod), initialAttemptTimestamp: timestamp, timestamp, attempts: 0, unschedulablePlugins: new Set() };
}

/** A Filter plugin that rejects nodes listed in `reject` with the given status factory. */
export class FakeFilter implements FilterPlugin {
  readonly name: string;
  calls: string[] = [];
  reject: Map<string, () => Status>;
  constructor(name: string, reject: Record<string, () => Status> = {}) {
    this.name = name;
    this.reject = new Map(Object.entries(reject));
  }
  filter(_s: CycleState, _p: PodInfo, node: NodeInfo): Status {
    this.calls.push(node.name);
    const f = this.reject.get(node.name);
    return f ? f() : Status.success();
  }
}
