// The shape of an object as far as its field set is concerned: a string that is equal for two
// objects whenever `compare(zero, object)` (and so the field set a create records) is equal.
// It lets the field manager remember the managedFields of a create per object shape instead of
// recomputing them: pods stamped out from one template differ only in values, and values do
// not matter to field sets except where they identify list elements.
//
// What the string holds, walking the object with its SSA schema:
// - map keys (in order; a different order only costs a cache miss) and, per value, its kind:
//   undefined, null, empty map, empty list, scalar;
// - for granular lists, every element's path element (list-map keys, set values), in order,
//   duplicates included;
// - atomic lists as one leaf; atomic maps too, with whether they equal the field's zero value
//   where the schema gives the field an empty-object zero value (the only place where `compare`
//   against upstream's empty object, whose values are all null or objects, can find a value
//   equal) — not their JSON, so that e.g. every core/v1 Event's involvedObject has one shape;
// - the top level's apiVersion and kind values (the empty object of a kind carries them).

import { jsonEqual, serializePE, type Json, type JsonMap } from './fieldpath.ts';
import { fieldSchema, itemSchema, keysAreFields, listType, type SsaSchema, zeroObject } from './schema.ts';
import { listItemPE } from './typed.ts';

function walk(x: Json | undefined, s: SsaSchema): string {
  if (x === undefined) return 'u';
  if (x === null) return 'n';
  if (Array.isArray(x)) {
    if (x.length === 0) return 'e';
    if (listType(s) === 'atomic') return 'a';
    const item = itemSchema(s);
    let out = '[';
    for (const it of x) {
      const pe = listItemPE(s, it);
      if (typeof pe === 'string') return 'a'; // unidentifiable elements: compared as one leaf
      out += serializePE(pe) + walk(it, item) + ',';
    }
    return out + ']';
  }
  if (typeof x === 'object') {
    let out = '{';
    let any = false;
    if (!s.deduced && s.atomic === true) return s.zero === 'object' ? (jsonEqual(x, zeroOf(s)) ? 'A=' : 'A!') : isEmptyMap(x) ? 'A{}' : 'A';
    for (const k in x) {
      any = true;
      out += `${k.length}:${k}${walk(x[k], fieldSchema(s, k))}`;
    }
    if (!any) return '{}';
    return keysAreFields(s) ? out + '}' : out + '}m';
  }
  return 's'; // a scalar never equals a zero value (null or an object)
}

const zeros = new WeakMap<SsaSchema, JsonMap>();

/** The zero value of a field whose zero is an object, as upstream's empty object holds it. */
function zeroOf(s: SsaSchema): JsonMap {
  let z = zeros.get(s);
  if (z === undefined) {
    z = zeroObject(s);
    zeros.set(s, z);
  }
  return z;
}

function isEmptyMap(x: JsonMap): boolean {
  for (const _ in x) return false;
  return true;
}

/** The shape key of `obj` (a top-level object) under `schema`. */
export function shapeKey(obj: JsonMap, schema: SsaSchema): string {
  return `${JSON.stringify(obj.apiVersion ?? null)}|${JSON.stringify(obj.kind ?? null)}|${walk(obj, schema)}`;
}

/**
 * A bounded memo from shape keys to values: cleared when full (the working set is a handful of
 * templates; a churn of one-off shapes only costs misses).
 */
export class ShapeMemo<V> {
  private readonly map = new Map<string, V>();
  private readonly max: number;

  constructor(max = 256) {
    this.max = max;
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  set(key: string, v: V): void {
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(key, v);
  }

  get size(): number {
    return this.map.size;
  }
}
