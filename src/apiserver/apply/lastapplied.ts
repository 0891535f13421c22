// kubectl's client-side-apply annotation, seen from server-side apply:
// - an apply by the `kubectl` manager may take over, without conflict, fields that client-side
//   apply set (fields of the annotation whose value the live object still has);
// - an apply by `kubectl` keeps the annotation up to date when the object has one, so that
//   going back to client-side apply works.

import { goJson, type Json, type JsonMap, FieldSet } from './fieldpath.ts';
import type { SsaSchema } from './schema.ts';
import { compare, toFieldSet, validateApplied } from './typed.ts';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Upstream's limit on the total size of an object's annotations. */
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

function annotationsOf(obj: JsonMap): Record<string, Json> | undefined {
  const meta = obj.metadata;
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return undefined;
  const a = meta.annotations;
  return a !== null && typeof a === 'object' && !Array.isArray(a) ? a : undefined;
}

export function hasLastApplied(obj: JsonMap): boolean {
  const v = annotationsOf(obj)?.[LAST_APPLIED];
  return typeof v === 'string' && v.length > 0;
}

/** The annotation value for an applied configuration: the object without the annotation, as JSON. */
export function buildLastApplied(applied: JsonMap): string {
  const copy = structuredClone(applied);
  const meta = copy.metadata;
  if (meta !== null && typeof meta === 'object' && !Array.isArray(meta)) {
    const a = meta.annotations;
    if (a !== null && typeof a === 'object' && !Array.isArray(a)) delete a[LAST_APPLIED];
  }
  return goJson(copy);
}

/** Set the annotation on `obj` (mutated); dropped when the annotations would grow too large. */
export function setLastApplied(obj: JsonMap, value: string): void {
  const meta = (obj.metadata ??= {}) as JsonMap;
  const annotations = (meta.annotations !== null && typeof meta.annotations === 'object' && !Array.isArray(meta.annotations)
    ? meta.annotations
    : (meta.annotations = {})) as JsonMap;
  annotations[LAST_APPLIED] = value;
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) size += k.length + (typeof v === 'string' ? Buffer.byteLength(v) : 0);
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) delete annotations[LAST_APPLIED];
}

/**
 * The fields client-side apply owned according to the live object's annotation: those of the
 * last applied configuration whose values the live object still has. Undefined when there is
 * no usable annotation (absent, unparsable, another apiVersion).
 */
export function allowedConflictsFromLastApplied(live: JsonMap, apiVersion: string, schema: SsaSchema): FieldSet | undefined {
  const raw = annotationsOf(live)?.[LAST_APPLIED];
  if (typeof raw !== 'string' || raw === '') return undefined;
  let last: Json;
  try {
    last = JSON.parse(raw) as Json;
  } catch {
    return undefined;
  }
  if (last === null || typeof last !== 'object' || Array.isArray(last)) return undefined;
  if (last.apiVersion !== apiVersion) return undefined;
  if (validateApplied(last, schema).length > 0) return undefined;
  const set = toFieldSet(last, schema);
  const c = compare(last, live, schema);
  return set.difference(c.modified).difference(c.added).difference(c.removed);
}
