// Per-kind behaviour wired into the resource catalogue: the defaulting (upstream SetDefaults_*)
// and validation (upstream Validate*/Validate*Update) of each group/version/kind.

import type { KubeObject, ValidationCause } from './types.ts';

export interface KindBehaviour {
  defaults?(obj: KubeObject): void;
  validate?(obj: KubeObject, old?: KubeObject): ValidationCause[];
}

const BEHAVIOUR: Record<string, KindBehaviour> = {};

/** Behaviour of `group/version/Kind` ({} when the kind has none). */
export function behaviourFor(group: string, version: string, kind: string): KindBehaviour {
  return BEHAVIOUR[`${group}/${version}/${kind}`] ?? {};
}
