// Turns labelSelector/fieldSelector query parameters into one object predicate for lists,
// watches and deletecollection. Bad syntax and unsupported fields are 400s, as upstream.

import { apiErrors } from '../base/errors.ts';
import type { KubeObject, ResourceDef } from '../api/types.ts';
import { parseLabelSelector, parseFieldSelector, supportedFieldSelectors, objectFieldAttrs } from '../api/selectors.ts';

export function objectFilter(
  def: ResourceDef,
  labelSelector: string | null,
  fieldSelector: string | null,
): ((obj: KubeObject) => boolean) | undefined {
  const preds: ((obj: KubeObject) => boolean)[] = [];
  if (labelSelector && labelSelector.trim() !== '') {
    let sel;
    try {
      sel = parseLabelSelector(labelSelector);
    } catch (e) {
      throw apiErrors.badRequest((e as Error).message);
    }
    preds.push((o) => sel.matches(o.metadata.labels ?? {}));
  }
  if (fieldSelector && fieldSelector.trim() !== '') {
    let sel;
    try {
      sel = parseFieldSelector(fieldSelector);
    } catch (e) {
      throw apiErrors.badRequest((e as Error).message);
    }
    const supported = new Set(supportedFieldSelectors(def));
    for (const r of sel.requirements) {
      if (!supported.has(r.field)) {
        throw apiErrors.badRequest(`field label not supported: ${r.field}`);
      }
    }
    preds.push((o) => sel.matches(objectFieldAttrs(def, o)));
  }
  if (preds.length === 0) return undefined;
  if (preds.length === 1) return preds[0];
  return (o) => preds.every((p) => p(o));
}
