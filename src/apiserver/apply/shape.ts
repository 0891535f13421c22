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

import { jsonEqual, type Json, type JsonMap } from './fieldpath.ts';
import { fieldSchema, itemSchema, keysAreFields, listType, type SsaSchema, zeroObject } from './schema.ts';

// The key is written as UTF-16 code units: structural tokens below FIRST_ID, and every map key
// and list-element identity as the id its text was given in the memo's table. Objects of one
// template use the same few hundred names, so a key is a short flat string, built without
// concatenating (and later flattening and hashing) the names themselves.
const T_UNDEFINED = 1;
const T_NULL = 2;
const T_EMPTY_LIST = 3;
const T_ATOMIC = 4;
const T_LIST = 5;
const T_LIST_END = 6;
const T_MAP = 7;
const T_STRUCT_END = 8;
const T_MAP_END = 9;
const T_EMPTY_MAP = 10;
const T_ATOMIC_ZERO = 11;
const T_ATOMIC_NONZERO = 12;
const T_ATOMIC_EMPTY = 13;
const T_ATOMIC_MAP = 14;
const T_SCALAR = 15;
const T_ITEM_END = 16;
const FIRST_ID = 32;
const LAST_ID = 0xffff;

/** Thrown inside a walk when the id table is full: that object gets no key. */
const TABLE_FULL = Symbol('shape ids exhausted');

/** Builds shape keys: the id table and a reusable token buffer. */
class KeyWriter {
  private readonly ids = new Map<string, number>();
  private buf = new Uint16Array(1024);
  private n = 0;

  /** The number of texts with an id; cleared (with every key made so far) by clear(). */
  get size(): number {
    return this.ids.size;
  }

  clear(): void {
    this.ids.clear();
  }

  key(obj: JsonMap, schema: SsaSchema): string | undefined {
    this.n = 0;
    try {
      this.walk(obj, schema);
    } catch (e) {
      if (e === TABLE_FULL) return undefined;
      throw e;
    }
    let tokens = '';
    for (let at = 0; at < this.n; at += 8192) {
      tokens += String.fromCharCode.apply(null, this.buf.subarray(at, Math.min(this.n, at + 8192)) as unknown as number[]);
    }
    return `${JSON.stringify(obj.apiVersion ?? null)}|${JSON.stringify(obj.kind ?? null)}|${tokens}`;
  }

  private push(t: number): void {
    if (this.n === this.buf.length) {
      const bigger = new Uint16Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.n++] = t;
  }

  private id(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = FIRST_ID + this.ids.size;
      if (id > LAST_ID) throw TABLE_FULL;
      this.ids.set(text, id);
    }
    return id;
  }

  private walk(x: Json | undefined, s: SsaSchema): void {
    if (x === undefined) return this.push(T_UNDEFINED);
    if (x === null) return this.push(T_NULL);
    if (Array.isArray(x)) {
      if (x.length === 0) return this.push(T_EMPTY_LIST);
      const type = listType(s);
      if (type === 'atomic') return this.push(T_ATOMIC);
      const mark = this.n;
      const item = itemSchema(s);
      this.push(T_LIST);
      for (const it of x) {
        const pe = type === 'map' ? mapItemId(s, it) : setItemId(it);
        if (pe === undefined) {
          this.n = mark; // unidentifiable elements: compared as one leaf
          return this.push(T_ATOMIC);
        }
        this.push(this.id(pe));
        this.walk(it, item);
        this.push(T_ITEM_END);
      }
      return this.push(T_LIST_END);
    }
    if (typeof x === 'object') {
      if (!s.deduced && s.atomic === true) {
        return this.push(s.zero === 'object' ? (jsonEqual(x, zeroOf(s)) ? T_ATOMIC_ZERO : T_ATOMIC_NONZERO) : isEmptyMap(x) ? T_ATOMIC_EMPTY : T_ATOMIC_MAP);
      }
      const mark = this.n;
      this.push(T_MAP);
      for (const k in x) {
        this.push(this.id(k));
        this.walk(x[k], fieldSchema(s, k));
      }
      if (this.n === mark + 1) {
        this.buf[mark] = T_EMPTY_MAP;
        return;
      }
      return this.push(keysAreFields(s) ? T_STRUCT_END : T_MAP_END);
    }
    this.push(T_SCALAR); // a scalar never equals a zero value (null or an object)
  }
}

/**
 * The identity of a list-map element (its key fields, present or defaulted, in the schema's key
 * order) as text, one-to-one with the path element upstream gives it (listItemPE); undefined
 * where listItemPE finds the element unidentifiable.
 */
function mapItemId(s: SsaSchema, item: Json): string | undefined {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return undefined;
  const keys = s.keys ?? [];
  let out = 'k';
  let found = false;
  for (const k of keys) {
    if (Object.hasOwn(item, k)) {
      out += `${k.length}:${k}=${String(JSON.stringify(item[k]))};`;
      found = true;
    } else if (s.keyDefaults?.[k] !== undefined) {
      out += `${k.length}:${k}=${JSON.stringify(s.keyDefaults[k])};`;
      found = true;
    }
  }
  if (keys.length > 0 && !found) return undefined;
  return out;
}

/** The identity of a set element (its value), as listItemPE; undefined for null, lists and maps. */
function setItemId(item: Json): string | undefined {
  if (item === null || typeof item === 'object') return undefined;
  return `v${JSON.stringify(item)}`;
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

/** Texts given ids before a memo forgets everything (keys of another table mean nothing). */
const MAX_IDS = 50_000;

/**
 * A bounded memo from object shapes to values: cleared when full (the working set is a handful
 * of templates; a churn of one-off shapes only costs misses), and when its id table is.
 * Keys are only comparable within one memo.
 */
export class ShapeMemo<V> {
  private readonly map = new Map<string, V>();
  private readonly max: number;
  private readonly writer = new KeyWriter();

  constructor(max = 256) {
    this.max = max;
  }

  /**
   * The shape key of `obj` (a top-level object) under `schema`, within `scope` (e.g. the kind,
   * version and subresource the value also depends on); undefined when the object has too many
   * distinct names to be keyed (compute without the memo).
   */
  key(obj: JsonMap, schema: SsaSchema, scope = ''): string | undefined {
    if (this.writer.size > MAX_IDS) {
      this.writer.clear();
      this.map.clear();
    }
    const k = this.writer.key(obj, schema);
    return k === undefined ? undefined : `${scope}|${k}`;
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
