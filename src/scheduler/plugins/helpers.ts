// Small helpers shared by the default plugins: upstream's default score normalization and a
// terse constructor for event registrations.

import type { KubeObject } from '../../api/types.ts';
import type { ActionType, ClusterEventWithHint, EventResource, NodeScore, QueueingHint } from '../framework/types.ts';
import { MAX_NODE_SCORE } from '../framework/types.ts';

/**
 * Upstream's DefaultNormalizeScore: scale scores so the highest becomes `max` (all become `max`
 * when reversing an all-zero list), optionally reversed (max - score). In place.
 */
export function defaultNormalizeScore(scores: NodeScore[], reverse: boolean, max = MAX_NODE_SCORE): void {
  let top = 0;
  for (const s of scores) if (s.score > top) top = s.score;
  if (top === 0) {
    if (reverse) for (const s of scores) s.score = max;
    return;
  }
  for (const s of scores) {
    let v = Math.trunc((max * s.score) / top);
    if (reverse) v = max - v;
    s.score = v;
  }
}

export type Hint = (pod: KubeObject, oldObj: KubeObject | undefined, newObj: KubeObject | undefined) => QueueingHint;

/** One registration per action (our ClusterEvent carries a single action). */
export function events(resource: EventResource, actions: ActionType[], hint?: Hint): ClusterEventWithHint[] {
  return actions.map((action) => (hint ? { event: { resource, action }, hint } : { event: { resource, action } }));
}

export const QUEUE: QueueingHint = 'Queue';
export const SKIP: QueueingHint = 'QueueSkip';
