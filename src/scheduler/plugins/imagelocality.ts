// ImageLocality: favours nodes that already hold the pod's container images, by image size
// scaled by how widely the image has spread (an image on every node says little about any one
// node, and scaling avoids piling pods onto the few nodes that pulled it first).

import type { KubeObject } from '../../api/types.ts';
import type { CycleState, NodeInfo, PodInfo, PreScorePlugin, ScorePlugin, Snapshot } from '../framework/types.ts';
import { MAX_NODE_SCORE, Status } from '../framework/types.ts';
import { StateSlot } from './helpers.ts';

export const IMAGE_LOCALITY = 'ImageLocality';
const PRE_SCORE_KEY = 'PreScore' + IMAGE_LOCALITY;

const MB = 1024 * 1024;
/** Bounds of the score range: typical compressed image sizes. */
export const MIN_THRESHOLD = 23 * MB;
export const MAX_CONTAINER_THRESHOLD = 1000 * MB;

export interface ImageLocalityDeps {
  /** The snapshot of the running cycle (all nodes, image spread). */
  snapshot(): Snapshot;
}

/** The name the node reports for an image reference: a missing tag means ":latest". */
export function normalizedImageName(name: string): string {
  return name.lastIndexOf(':') <= name.lastIndexOf('/') ? `${name}:latest` : name;
}

/** 0..100 from the summed scaled image sizes, clamped to [23 MB, 1000 MB × containers]. */
export function calculatePriority(sumScores: number, numContainers: number): number {
  const maxThreshold = MAX_CONTAINER_THRESHOLD * numContainers;
  const s = Math.min(Math.max(sumScores, MIN_THRESHOLD), maxThreshold);
  return Math.trunc((MAX_NODE_SCORE * (s - MIN_THRESHOLD)) / (maxThreshold - MIN_THRESHOLD));
}

interface ImageState {
  /** Normalized image names of all init and regular containers (duplicates kept, as upstream). */
  images: string[];
  /** Per image: the fraction of all nodes that have it. */
  spread: number[];
  containers: number;
}

function podImages(pod: KubeObject): string[] {
  const out: string[] = [];
  for (const c of pod.spec?.initContainers ?? []) out.push(normalizedImageName(String(c?.image ?? '')));
  for (const c of pod.spec?.containers ?? []) out.push(normalizedImageName(String(c?.image ?? '')));
  return out;
}

export class ImageLocality implements PreScorePlugin, ScorePlugin {
  readonly name = IMAGE_LOCALITY;
  private readonly deps: ImageLocalityDeps;
  private readonly slot = new StateSlot<ImageState>(PRE_SCORE_KEY);

  constructor(deps: ImageLocalityDeps) {
    this.deps = deps;
  }

  private stateFor(pod: KubeObject): ImageState {
    const snap = this.deps.snapshot();
    const total = snap.nodeInfos().length;
    const images = podImages(pod);
    return { images, spread: images.map((i) => (total === 0 ? 0 : snap.imageNodeCount(i) / total)), containers: images.length };
  }

  preScore(state: CycleState, pod: PodInfo, _nodes: readonly NodeInfo[]): Status {
    const s = this.stateFor(pod.pod);
    // No node has any of the images: every node scores 0, which scoring nothing gives too.
    if (!s.spread.some((x) => x > 0)) return Status.skip();
    this.slot.write(state, s);
    return Status.success();
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): { score: number; status: Status } {
    const s = this.slot.read(state) ?? this.stateFor(pod.pod);
    if (node.imageSizes.size === 0) return { score: 0, status: Status.success() };
    let sum = 0;
    for (let i = 0; i < s.images.length; i++) {
      const size = node.imageSizes.get(s.images[i]!);
      if (size !== undefined) sum += Math.trunc(size * s.spread[i]!);
    }
    return { score: calculatePriority(sum, s.containers), status: Status.success() };
  }
}

export function newImageLocality(deps: ImageLocalityDeps): ImageLocality {
  return new ImageLocality(deps);
}
