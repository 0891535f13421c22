// Small helpers shared by the default plugins: upstream's default score normalization and a
// terse constructor for event registrations.

import type { KubeObject } from '../../api/types.ts';
import type { ActionType, ClusterEventWithHint, CycleState, EventResource, NodeScore, QueueingHint } from '../framework/types.ts';
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

/**
 * A plugin's view of one CycleState key that remembers the last state it saw, so per-node calls
 * (Filter, Score) skip the map lookup. Writes go through it too, so a state object reused for
 * a later cycle never yields a stale value; a cloned state (preemption) is simply a miss.
 */
export class StateSlot<T> {
  private readonly key: string;
  private state: CycleState | undefined;
  private value: T | undefined;

  constructor(key: string) {
    this.key = key;
  }

  write(state: CycleState, value: T): void {
    state.write(this.key, value);
    this.state = state;
    this.value = value;
  }

  read(state: CycleState): T | undefined {
    if (state === this.state) return this.value;
    const v = state.read<T>(this.key);
    this.state = state;
    this.value = v;
    return v;
  }
}
