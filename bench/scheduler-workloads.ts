// The scheduler_perf workloads the scheduler benchmark runs, with upstream's pod templates
// (kubernetes test/integration/scheduler_perf/templates/*.yaml) and sizes
// (misc/performance-config.yaml, affinity/performance-config.yaml), and where skiff's bench
// deliberately differs from upstream, the reason beside it.
//
// Nodes are 32 cpu / 256Gi / 110 pods with a topology.kubernetes.io/zone label over three
// zones, except PreemptionBasic, which keeps upstream's node-default shape (4 cpu / 32Gi / 110
// pods) because its templates are sized against it: four 900m low-priority pods fill 3.6 of a
// node's 4 cpu, and each 3-cpu high-priority pod must evict three of them.

import type { KubeObject } from '../src/api/types.ts';
import type { NodeShape } from './scheduler-cluster.ts';

export const BIG_NODE: NodeShape = { cpu: '32', memory: '256Gi', pods: 110 };
export const UPSTREAM_NODE: NodeShape = { cpu: '4', memory: '32Gi', pods: 110 };

const PAUSE = 'registry.k8s.io/pause:3.10';

function pod(spec: Record<string, unknown>, container: Record<string, unknown>, labels?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'template', ...(labels ? { labels } : {}) },
    spec: { ...spec, containers: [{ name: 'pause', image: PAUSE, ports: [{ containerPort: 80 }], ...container }] },
  };
}

const res = (cpu: string, memory: string, withLimits = true) => ({ resources: { ...(withLimits ? { limits: { cpu, memory } } : {}), requests: { cpu, memory } } });

/** templates/pod-default.yaml */
export const podDefault = pod({}, res('100m', '500Mi'));

/** templates/pod-with-pod-anti-affinity.yaml: every `color: green` pod repels every other, per hostname. */
export const podAntiAffinity = pod(
  {
    affinity: {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { color: 'green' } }, topologyKey: 'kubernetes.io/hostname', namespaces: ['sched-1', 'sched-0'] }],
      },
    },
  },
  res('100m', '500Mi'),
  { color: 'green' },
);

/** templates/pod-low-priority.yaml (priority 0 through the bench-low PriorityClass). */
export const podLowPriority = pod({ terminationGracePeriodSeconds: 0, priorityClassName: 'bench-low' }, res('900m', '500Mi'));

/** templates/pod-high-priority.yaml: upstream sets spec.priority 10; here the bench-high PriorityClass (value 10) does. */
export const podHighPriority = pod({ priorityClassName: 'bench-high' }, res('3000m', '500Mi'));

/**
 * templates/pod-high-priority-large-cpu.yaml asks for 9 cpu, more than upstream's 4-cpu nodes;
 * on the bench's 32-cpu nodes that would fit, so it asks for 64 (still: more than any node).
 */
export const podHighPriorityLargeCpu = pod({ priorityClassName: 'bench-high' }, res('64', '500Mi', false));

/** The Unschedulable backlog: the default pod asking for more cpu than any node has (priority 0). */
export const podTooLarge = pod({}, res('64', '500Mi', false));

export const PRIORITY_CLASSES: KubeObject[] = [
  { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'bench-low' }, value: 0, description: 'scheduler bench: low' } as KubeObject,
  { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'bench-high' }, value: 10, description: 'scheduler bench: high' } as KubeObject,
];

/** One createPods step: `count` pods from `template` in `namespace`. */
export interface PodStep {
  template: KubeObject;
  namespace: string;
  count: number;
}

export interface Workload {
  name: string;
  /** Upstream's workload this follows, e.g. "SchedulingBasic/5000Nodes_10000Pods". */
  upstream: string;
  /** Upstream CI's threshold for that workload, pods/s (undefined: upstream sets none). */
  upstreamThreshold?: number;
  nodes: number;
  nodeShape: NodeShape;
  priorityClasses?: boolean;
  /** Scheduled before the measurement and waited for (bound). */
  init?: PodStep;
  /** Created before the measurement and waited for until each was marked Unschedulable once. */
  backlog?: PodStep;
  /** Upstream's churn op: one pod from the template every intervalMs while the measured pods schedule. */
  churn?: { template: KubeObject; namespace: string; intervalMs: number };
  measured: PodStep;
  /** Also measure the same measured creates with the scheduler stopped (the API's own create rate). */
  baseline?: boolean;
  /** Give up waiting for the measured pods after this long. */
  deadlineMs: number;
  /** Where this workload's sizes or templates differ from upstream's, said in the output. */
  notes: string[];
}

export type WorkloadName = 'SchedulingBasic' | 'SchedulingPodAntiAffinity' | 'PreemptionBasic' | 'Unschedulable';
export const WORKLOAD_NAMES: readonly WorkloadName[] = ['SchedulingBasic', 'SchedulingPodAntiAffinity', 'PreemptionBasic', 'Unschedulable'];

/** Sizes: full (upstream's performance workloads) or quick (a smoke run, a tenth or less). */
export function workloads(quick: boolean): Workload[] {
  const q = (full: number, small: number) => (quick ? small : full);
  return [
    {
      name: 'SchedulingBasic',
      upstream: 'SchedulingBasic/5000Nodes_10000Pods',
      upstreamThreshold: 680,
      nodes: q(5000, 500),
      nodeShape: BIG_NODE,
      init: { template: podDefault, namespace: 'sched-0', count: q(1000, 100) },
      measured: { template: podDefault, namespace: 'sched-1', count: q(10_000, 1000) },
      baseline: true,
      deadlineMs: q(180_000, 60_000),
      notes: ['nodes 32 cpu / 256Gi / 110 pods with zone labels (upstream node-default: 4 cpu / 32Gi, no zone); the pods never come near either capacity'],
    },
    {
      name: 'SchedulingPodAntiAffinity',
      upstream: 'SchedulingPodAntiAffinity/5000Nodes_2000Pods',
      upstreamThreshold: 60,
      nodes: q(5000, 500),
      nodeShape: BIG_NODE,
      init: { template: podAntiAffinity, namespace: 'sched-0', count: q(1000, 100) },
      measured: { template: podAntiAffinity, namespace: 'sched-1', count: q(2000, 400) },
      deadlineMs: q(180_000, 60_000),
      notes: [],
    },
    {
      name: 'PreemptionBasic',
      upstream: 'PreemptionBasic (500Nodes shape of older configs: 4 low-priority pods per node, 1 preemptor per node; today upstream runs 1000Nodes/4000/1000)',
      nodes: q(500, 50),
      nodeShape: UPSTREAM_NODE,
      priorityClasses: true,
      init: { template: podLowPriority, namespace: 'sched-0', count: q(2000, 200) },
      measured: { template: podHighPriority, namespace: 'sched-1', count: q(500, 50) },
      deadlineMs: q(180_000, 60_000),
      notes: ['priority through PriorityClasses bench-low (0) / bench-high (10) instead of a literal spec.priority'],
    },
    {
      name: 'Unschedulable',
      upstream: 'Unschedulable/5kNodes/20kInit/10kPods',
      upstreamThreshold: 600,
      nodes: q(5000, 500),
      nodeShape: BIG_NODE,
      priorityClasses: true,
      backlog: { template: podTooLarge, namespace: 'sched-0', count: q(20_000, 2000) },
      churn: { template: podHighPriorityLargeCpu, namespace: 'sched-2', intervalMs: 200 },
      measured: { template: podDefault, namespace: 'sched-1', count: q(10_000, 1000) },
      deadlineMs: q(240_000, 60_000),
      notes: [
        "the 20k initial pods are a backlog of unschedulable pods (64 cpu, priority 0) attempted once and parked in the queue before the measurement; upstream's 20k initial pods are ordinary pods that get scheduled",
        "churn as upstream: one high-priority pod that fits nowhere every 200 ms during the measurement (64 cpu instead of upstream's 9, which would fit a 32-cpu node); each one runs preemption",
      ],
    },
  ];
}
