// The resource-allocation scoring shared by NodeResourcesFit (LeastAllocated, MostAllocated,
// RequestedToCapacityRatio) and NodeResourcesBalancedAllocation: per configured resource, the
// node's allocatable and what would be requested with the pod on it, fed to a scorer. Scratch
// arrays are reused between calls, so scoring a node allocates nothing.

import type { KubeObject } from '../../api/types.ts';
import type { NodeInfo } from '../framework/types.ts';
import { MAX_NODE_SCORE } from '../framework/types.ts';
import { isScalarResourceName, podRequests } from '../framework/podinfo.ts';

/** A resource to score and its weight. */
export interface ResourceSpec {
  name: string;
  weight: number;
}

export const DEFAULT_RESOURCES: readonly ResourceSpec[] = [
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 1 },
];

/** trunc(a*b/c) in integers, exact even when a*b passes 2^53 (large storage sizes). */
export function mulDiv(a: number, b: number, c: number): number {
  const p = a * b;
  if (Number.isSafeInteger(p)) return Math.trunc(p / c);
  return Number((BigInt(Math.trunc(a)) * BigInt(Math.trunc(b))) / BigInt(Math.trunc(c)));
}

/** Scores requested/allocatable vectors (entries with allocatable 0 are to be skipped). */
export type VectorScorer = (requested: Float64Array, allocatable: Float64Array, n: number) => number;

const KIND_CPU = 0;
const KIND_MEMORY = 1;
const KIND_EPHEMERAL = 2;
const KIND_SCALAR = 3;
const KIND_OTHER = 4;

export class ResourceAllocationScorer {
  readonly resources: readonly ResourceSpec[];
  /** Use actual requests (BalancedAllocation) instead of the non-zero defaults (Fit). */
  private readonly useRequested: boolean;
  private readonly scorer: VectorScorer;
  /** Per resource: 0 cpu, 1 memory, 2 ephemeral-storage, 3 scalar, 4 other (never scored). */
  private readonly kinds: Int8Array;
  private readonly requested: Float64Array;
  private readonly allocatable: Float64Array;

  constructor(resources: readonly ResourceSpec[], useRequested: boolean, scorer: VectorScorer) {
    this.resources = resources;
    this.useRequested = useRequested;
    this.scorer = scorer;
    this.kinds = Int8Array.from(resources, (r) =>
      r.name === 'cpu' ? KIND_CPU : r.name === 'memory' ? KIND_MEMORY : r.name === 'ephemeral-storage' ? KIND_EPHEMERAL : isScalarResourceName(r.name) ? KIND_SCALAR : KIND_OTHER,
    );
    this.requested = new Float64Array(resources.length);
    this.allocatable = new Float64Array(resources.length);
  }

  /** The pod's request for each configured resource, in scoring units. */
  podRequestList(pod: KubeObject): number[] {
    const reqs = podRequests(pod, !this.useRequested);
    return this.resources.map((r) => {
      const n = reqs.get(r.name) ?? 0n;
      const d = r.name === 'cpu' ? 1_000_000n : 1_000_000_000n;
      return n <= 0n ? 0 : Number((n + d - 1n) / d);
    });
  }

  /** Whether every configured resource request is zero (a best-effort pod for these resources). */
  static isBestEffort(podRequests: readonly number[]): boolean {
    for (const r of podRequests) if (r !== 0) return false;
    return true;
  }

  score(node: NodeInfo, podRequests: readonly number[]): number {
    const n = this.resources.length;
    const requested = this.requested;
    const allocatable = this.allocatable;
    const used = this.useRequested ? node.requested : node.nonZeroRequested;
    const kinds = this.kinds;
    for (let i = 0; i < n; i++) {
      const podReq = podRequests[i]!;
      let alloc = 0;
      let req = 0;
      switch (kinds[i]) {
        case KIND_CPU:
          alloc = node.allocatable.milliCPU;
          req = used.milliCPU + podReq;
          break;
        case KIND_MEMORY:
          alloc = node.allocatable.memory;
          req = used.memory + podReq;
          break;
        case KIND_EPHEMERAL:
          alloc = node.allocatable.ephemeralStorage;
          req = node.requested.ephemeralStorage + podReq;
          break;
        case KIND_SCALAR: {
          // A scalar the pod does not request does not take part.
          if (podReq === 0) break;
          const name = this.resources[i]!.name;
          const a = node.allocatable.scalar.get(name);
          if (a !== undefined) {
            alloc = a;
            req = (node.requested.scalar.get(name) ?? 0) + podReq;
          }
        }
      }
      // Only resources the node has take part.
      allocatable[i] = alloc;
      requested[i] = alloc === 0 ? 0 : req;
    }
    return this.scorer(requested, allocatable, n);
  }
}

/** Weighted average of per-resource scores over the resources the node has. */
function weighted(resources: readonly ResourceSpec[], per: (req: number, cap: number) => number): VectorScorer {
  return (requested, allocatable, n) => {
    let nodeScore = 0;
    let weightSum = 0;
    for (let i = 0; i < n; i++) {
      if (allocatable[i] === 0) continue;
      const w = resources[i]!.weight;
      nodeScore += per(requested[i]!, allocatable[i]!) * w;
      weightSum += w;
    }
    return weightSum === 0 ? 0 : Math.trunc(nodeScore / weightSum);
  };
}

/** Unused share of capacity, 0..100 (more free = higher). */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return mulDiv(capacity - requested, MAX_NODE_SCORE, capacity);
}

/** Used share of capacity, 0..100 (fuller = higher), capped at capacity. */
export function mostRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  return mulDiv(Math.min(requested, capacity), MAX_NODE_SCORE, capacity);
}

export const leastAllocatedScorer = (resources: readonly ResourceSpec[]): VectorScorer => weighted(resources, leastRequestedScore);
export const mostAllocatedScorer = (resources: readonly ResourceSpec[]): VectorScorer => weighted(resources, mostRequestedScore);

export interface UtilizationShapePoint {
  /** 0..100 */
  utilization: number;
  /** 0..10 (scaled to 0..100) */
  score: number;
}

/** A piecewise-linear function through the points (upstream's BuildBrokenLinearFunction). */
export function brokenLinear(shape: readonly { utilization: number; score: number }[]): (p: number) => number {
  return (p) => {
    for (let i = 0; i < shape.length; i++) {
      if (p <= shape[i]!.utilization) {
        if (i === 0) return shape[0]!.score;
        const a = shape[i - 1]!;
        const b = shape[i]!;
        return a.score + Math.trunc(((b.score - a.score) * (p - a.utilization)) / (b.utilization - a.utilization));
      }
    }
    return shape[shape.length - 1]!.score;
  };
}

const MAX_CUSTOM_PRIORITY_SCORE = 10;
const MAX_UTILIZATION = 100;

export function requestedToCapacityRatioScorer(resources: readonly ResourceSpec[], shape: readonly UtilizationShapePoint[]): VectorScorer {
  const f = brokenLinear(shape.map((p) => ({ utilization: p.utilization, score: p.score * (MAX_NODE_SCORE / MAX_CUSTOM_PRIORITY_SCORE) })));
  const perResource = (requested: number, capacity: number): number =>
    capacity === 0 || requested > capacity ? f(MAX_UTILIZATION) : f(mulDiv(requested, MAX_UTILIZATION, capacity));
  return (requested, allocatable, n) => {
    let nodeScore = 0;
    let weightSum = 0;
    for (let i = 0; i < n; i++) {
      if (allocatable[i] === 0) continue;
      const w = resources[i]!.weight;
      const s = perResource(requested[i]!, allocatable[i]!);
      if (s > 0) {
        nodeScore += s * w;
        weightSum += w;
      }
    }
    return weightSum === 0 ? 0 : Math.round(nodeScore / weightSum);
  };
}

/** 100 × (1 − standard deviation of the requested fractions): balanced usage scores high. */
export const balancedScorer: VectorScorer = (requested, allocatable, n) => {
  let count = 0;
  let total = 0;
  let f0 = 0;
  let f1 = 0;
  for (let i = 0; i < n; i++) {
    if (allocatable[i] === 0) continue;
    const f = Math.min(requested[i]! / allocatable[i]!, 1);
    if (count === 0) f0 = f;
    else if (count === 1) f1 = f;
    total += f;
    count++;
  }
  let std = 0;
  if (count === 2) {
    std = Math.abs((f0 - f1) / 2);
  } else if (count > 2) {
    const mean = total / count;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      if (allocatable[i] === 0) continue;
      const f = Math.min(requested[i]! / allocatable[i]!, 1);
      sum += (f - mean) * (f - mean);
    }
    std = Math.sqrt(sum / count);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
};
