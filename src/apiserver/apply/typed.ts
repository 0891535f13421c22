// Schema-aware walks over JSON values, the building blocks of server-side apply (the behaviour
// of structured-merge-diff's typed package): the field set a value sets, the difference of two
// values as added/modified/removed field sets, the merge of an applied configuration into a live
// object, and the removal of a field set from a value.
//
// Granular maps and structs are walked key by key, list-maps by their keys, sets by their
// values; atomic lists and maps, scalars, and values whose shapes differ on the two sides are
// leaves. A list whose elements cannot be identified (a live object breaking the key rules) is
// treated as atomic rather than failing; applied configurations are checked first (see
// `validateApplied`).

import {
  FieldSet,
  fieldPE,
  jsonEqual,
  keyPE,
  pathString,
  serializePE,
  valuePE,
  type Json,
  type JsonMap,
  type Path,
  type PathElement,
} from './fieldpath.ts';
import { fieldSchema, itemSchema, keysAreFields, listType, type SsaSchema } from './schema.ts';

type Kind = 'map' | 'list' | 'scalar' | 'none';

function kindOf(v: Json | undefined): Kind {
  if (v === undefined || v === null) return 'none';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'map';
  return 'scalar';
}

/** The shape two sides share (a null side takes the other's shape), or 'mismatch'. */
function pairKind(l: Json | undefined, r: Json | undefined): Kind | 'mismatch' {
  const lk = kindOf(l);
  const rk = kindOf(r);
  if (lk === 'none') return rk;
  if (rk === 'none' || lk === rk) return lk;
  return 'mismatch';
}

function isEmptyish(v: Json | undefined): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') {
    for (const _ in v) return false;
    return true;
  }
  return false;
}

const NO_FIELDS: JsonMap = Object.freeze({}) as JsonMap;
const NO_ITEMS: Json[] = Object.freeze([]) as unknown as Json[];

function atomicObject(s: SsaSchema): boolean {
  return !s.deduced && s.atomic === true;
}

// ---- list elements ----

function goQuoteList(keys: readonly string[]): string {
  return `[${keys.map((k) => JSON.stringify(k)).join(' ')}]`;
}

/** The path element of a list element, or an error message as upstream words it. */
export function listItemPE(s: SsaSchema, item: Json): PathElement | string {
  if (listType(s) === 'map') {
    const keys = s.keys ?? [];
    if (item === null) return 'associative list with keys may not have a null element';
    if (typeof item !== 'object' || Array.isArray(item)) return 'associative list with keys may not have non-map elements';
    const fields: [string, Json][] = [];
    for (const k of keys) {
      if (Object.hasOwn(item, k)) fields.push([k, item[k]!]);
      else if (s.keyDefaults?.[k] !== undefined) fields.push([k, s.keyDefaults[k]!]);
    }
    if (keys.length > 0 && fields.length === 0) {
      return `associative list with keys has an element that omits all key fields ${goQuoteList(keys)} (and doesn't have default values for any key fields)`;
    }
    return keyPE(fields);
  }
  if (item === null) return "associative list without keys has an element that's an explicit null";
  if (Array.isArray(item)) return 'not supported: associative list with lists as elements';
  if (typeof item === 'object') return "associative list without keys has an element that's a map type";
  return valuePE(item);
}

interface Indexed {
  readonly pe: PathElement;
  readonly key: string;
  readonly item: Json;
}

/** Elements with their path elements; undefined when one cannot be identified. */
function indexList(s: SsaSchema, list: readonly Json[]): Indexed[] | undefined {
  const out: Indexed[] = [];
  for (const item of list) {
    const pe = listItemPE(s, item);
    if (typeof pe === 'string') return undefined;
    out.push({ pe, key: serializePE(pe), item });
  }
  return out;
}

function granularList(s: SsaSchema): boolean {
  return listType(s) !== 'atomic';
}

// ---- validation of an applied configuration ----

export interface TypedFieldError {
  /** Upstream's path prefix, e.g. `.spec.template.spec.containers`. */
  readonly path: string;
  readonly message: string;
}

/** The errors upstream reports when converting an applied object (duplicate keys, bad elements). */
export function validateApplied(v: Json, s: SsaSchema): TypedFieldError[] {
  const errs: TypedFieldError[] = [];
  const walk = (x: Json, sch: SsaSchema, p: PathElement[]): void => {
    if (Array.isArray(x)) {
      if (!granularList(sch)) return;
      const seen = new Set<string>();
      x.forEach((item, i) => {
        const pe = listItemPE(sch, item);
        if (typeof pe === 'string') {
          errs.push({ path: pathString(p), message: `element ${i}: ${pe}` });
          return;
        }
        const key = serializePE(pe);
        if (seen.has(key)) {
          errs.push({ path: pathString(p), message: `duplicate entries for key ${pathString([pe])}` });
          return;
        }
        seen.add(key);
        walk(item, itemSchema(sch), [...p, pe]);
      });
    } else if (x !== null && typeof x === 'object') {
      if (atomicObject(sch)) return;
      for (const [k, c] of Object.entries(x)) walk(c, fieldSchema(sch, k), [...p, fieldPE(k)]);
    }
  };
  walk(v, s, []);
  return errs;
}

// ---- the field set of a value ----

/** Every field a value sets: leaves, list elements, map keys, atomic values, empty/null fields. */
export function toFieldSet(v: Json, s: SsaSchema): FieldSet {
  const set = new FieldSet();
  const walk = (x: Json, sch: SsaSchema, p: PathElement[]): void => {
    if (Array.isArray(x)) {
      const idx = granularList(sch) ? indexList(sch, x) : undefined;
      if (!idx) {
        set.insert(p);
        return;
      }
      const counts = new Map<string, number>();
      for (const e of idx) counts.set(e.key, (counts.get(e.key) ?? 0) + 1);
      for (const e of idx) if (counts.get(e.key)! > 1) set.insert([...p, e.pe]);
      for (const e of idx) {
        if (counts.get(e.key)! > 1) continue;
        const cp = [...p, e.pe];
        walk(e.item, itemSchema(sch), cp);
        set.insert(cp);
      }
      return;
    }
    if (x !== null && typeof x === 'object') {
      if (atomicObject(sch)) {
        set.insert(p);
        return;
      }
      const fields = keysAreFields(sch);
      for (const [k, c] of Object.entries(x)) {
        const cp = [...p, fieldPE(k)];
        walk(c, fieldSchema(sch, k), cp);
        if (c === null || (typeof c === 'object' && !Array.isArray(c) && Object.keys(c).length === 0) || !fields) set.insert(cp);
      }
      return;
    }
    set.insert(p);
  };
  walk(v, s, []);
  return set;
}

// ---- comparison ----

export interface Comparison {
  readonly added: FieldSet;
  readonly modified: FieldSet;
  readonly removed: FieldSet;
}

/** What changed from `l` to `r`, as field sets (no path is in two of them). */
export function compare(l: Json | undefined, r: Json | undefined, s: SsaSchema): Comparison {
  const added = new FieldSet();
  const modified = new FieldSet();
  const removed = new FieldSet();
  // The path of the node being compared: one stack, copied only when a path is recorded.
  const p: PathElement[] = [];

  const leaf = (a: Json | undefined, b: Json | undefined): void => {
    if (a === undefined) added.insert([...p]);
    else if (b === undefined) removed.insert([...p]);
    else if (!jsonEqual(a, b)) modified.insert([...p]);
  };

  const child = (a: Json | undefined, b: Json | undefined, sch: SsaSchema, pe: PathElement): void => {
    p.push(pe);
    node(a, b, sch);
    p.pop();
  };

  const node = (a: Json | undefined, b: Json | undefined, sch: SsaSchema): void => {
    const k = pairKind(a, b);
    let isLeaf = true;
    if (k === 'map' && !atomicObject(sch) && !(isEmptyish(a) && isEmptyish(b))) {
      isLeaf = false;
      const am = (kindOf(a) === 'map' ? a : NO_FIELDS) as JsonMap;
      const bm = (kindOf(b) === 'map' ? b : NO_FIELDS) as JsonMap;
      for (const key in am) child(am[key], bm[key], fieldSchema(sch, key), fieldPE(key));
      for (const key in bm) if (!Object.hasOwn(am, key)) child(undefined, bm[key], fieldSchema(sch, key), fieldPE(key));
    } else if (k === 'list' && granularList(sch) && !(isEmptyish(a) && isEmptyish(b))) {
      const al = (kindOf(a) === 'list' ? a : NO_ITEMS) as Json[];
      const bl = (kindOf(b) === 'list' ? b : NO_ITEMS) as Json[];
      const ai = indexList(sch, al);
      const bi = indexList(sch, bl);
      if (ai && bi) {
        isLeaf = false;
        listItems(ai, bi, itemSchema(sch));
      }
    }
    if (isLeaf) {
      leaf(a, b);
      return;
    }
    if (a === undefined) added.insert([...p]);
    else if (b === undefined) removed.insert([...p]);
  };

  const listItems = (ai: Indexed[], bi: Indexed[], item: SsaSchema): void => {
    const order: Indexed[] = [];
    const lv = new Map<string, Json[]>();
    const rv = new Map<string, Json[]>();
    for (const e of ai) {
      const got = lv.get(e.key);
      if (got) got.push(e.item);
      else {
        lv.set(e.key, [e.item]);
        order.push(e);
      }
    }
    for (const e of bi) {
      const got = rv.get(e.key);
      if (got) got.push(e.item);
      else {
        rv.set(e.key, [e.item]);
        if (!lv.has(e.key)) order.push(e);
      }
    }
    for (const { pe, key } of order) {
      const ll = lv.get(key) ?? [];
      const rl = rv.get(key) ?? [];
      p.push(pe);
      if (ll.length <= 1 && rl.length <= 1) {
        node(ll[0], rl[0], item);
      } else if (ll.length >= 2 && rl.length >= 2) {
        if (ll.length !== rl.length || ll.some((x, i) => !jsonEqual(x, rl[i]))) modified.insert([...p]);
      } else if (ll.length >= 2) {
        if (rl.length > 0) node(undefined, rl[0], item);
        removed.insert([...p]);
      } else {
        if (ll.length > 0) node(ll[0], undefined, item);
        added.insert([...p]);
      }
      p.pop();
    }
  };

  node(l, r, s);
  return { added, modified, removed };
}

// ---- merge ----

/**
 * Merge `r` (an applied configuration) into `l` (the live object): granular maps key by key,
 * list-maps and sets element by element (in upstream's order), everything else taken from `r`
 * when it has a value. Undefined when neither side has anything.
 */
export function merge(l: Json | undefined, r: Json | undefined, s: SsaSchema): Json | undefined {
  const k = pairKind(l, r);
  const keepRight = (): Json | undefined => (r !== undefined ? r : l);
  if (k === 'map' && !atomicObject(s) && !(isEmptyish(l) && isEmptyish(r))) {
    const lm = (kindOf(l) === 'map' ? l : {}) as JsonMap;
    const rm = (kindOf(r) === 'map' ? r : {}) as JsonMap;
    const out: JsonMap = {};
    for (const key of new Set([...Object.keys(lm), ...Object.keys(rm)])) {
      const v = merge(lm[key], rm[key], fieldSchema(s, key));
      if (v !== undefined) out[key] = v;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (k === 'list' && granularList(s) && !(isEmptyish(l) && isEmptyish(r))) {
    const li = indexList(s, (kindOf(l) === 'list' ? l : []) as Json[]);
    const ri = indexList(s, (kindOf(r) === 'list' ? r : []) as Json[]);
    if (li && ri) {
      const out = mergeList(li, ri, itemSchema(s));
      return out.length > 0 ? out : undefined;
    }
  }
  return keepRight();
}

const DUPLICATE = Symbol('duplicate');

function mergeList(lhs: Indexed[], rhsAll: Indexed[], item: SsaSchema): Json[] {
  // The applied side was validated; ignore any repeated key there.
  const observedR = new Map<string, Json>();
  const rhs: Indexed[] = [];
  for (const e of rhsAll) {
    if (observedR.has(e.key)) continue;
    observedR.set(e.key, e.item);
    rhs.push(e);
  }
  const observedL = new Map<string, Json | typeof DUPLICATE>();
  for (const e of lhs) observedL.set(e.key, observedL.has(e.key) ? DUPLICATE : e.item);
  const lChildOf = (key: string): Json | undefined => {
    const v = observedL.get(key);
    return v === DUPLICATE ? null : v;
  };

  const shared = rhs.filter((e) => observedL.has(e.key)).map((e) => e.key);
  let nextShared: string | undefined = shared.shift();
  const mergedR = new Set<string>();
  const out: Json[] = [];
  const push = (v: Json | undefined): void => {
    if (v !== undefined) out.push(v);
  };
  let lI = 0;
  let rI = 0;
  while (lI < lhs.length || rI < rhs.length) {
    if (lI < lhs.length && rI < rhs.length) {
      const le = lhs[lI]!;
      if (le.key === rhs[rI]!.key) {
        mergedR.add(le.key);
        push(merge(lChildOf(le.key), observedR.get(le.key), item));
        lI++;
        rI++;
        nextShared = shared.shift();
        continue;
      }
      if (observedR.has(le.key) && nextShared !== undefined && nextShared !== le.key) {
        lI++;
        continue;
      }
    }
    if (lI < lhs.length) {
      const le = lhs[lI]!;
      if (!observedR.has(le.key)) {
        push(merge(le.item, undefined, item));
        lI++;
        continue;
      } else if (mergedR.has(le.key)) {
        lI++;
      }
    }
    if (rI < rhs.length) {
      const re = rhs[rI]!;
      mergedR.add(re.key);
      push(merge(lChildOf(re.key), re.item, item));
      rI++;
      if (nextShared !== undefined && nextShared === re.key) nextShared = shared.shift();
    }
  }
  return out;
}

// ---- removal ----

/**
 * `v` without the fields of `set`. A map or list left empty by the removal becomes null, as
 * upstream leaves it (callers drop nulls when they produce the final object).
 */
export function removeItems(v: Json, set: FieldSet, s: SsaSchema): Json {
  if (Array.isArray(v)) {
    if (v.length === 0 || !granularList(s)) return null;
    const out: Json[] = [];
    for (const x of v) {
      const pe = listItemPE(s, x);
      if (typeof pe === 'string') {
        out.push(x);
        continue;
      }
      if (set.hasMember(pe)) continue;
      const sub = set.withPrefix(pe);
      out.push(sub.empty() ? x : removeItems(x, sub, itemSchema(s)));
    }
    return out.length > 0 ? out : null;
  }
  if (v !== null && typeof v === 'object') {
    if (Object.keys(v).length === 0 || atomicObject(s)) return null;
    const out: JsonMap = {};
    for (const [k, x] of Object.entries(v)) {
      const pe = fieldPE(k);
      if (set.hasMember(pe)) continue;
      const sub = set.withPrefix(pe);
      out[k] = sub.empty() ? x : removeItems(x, sub, fieldSchema(s, k));
    }
    return Object.keys(out).length > 0 ? out : null;
  }
  return v;
}

// ---- named fields ----

/**
 * The set plus, as members, every struct field that has members below it (upstream's
 * EnsureNamedFieldsAreMembers): owning `spec.replicas` then also counts as owning `spec`,
 * but owning a map key does not count as owning the map.
 */
export function ensureNamedFieldsAreMembers(set: FieldSet, s: SsaSchema): FieldSet {
  const fields = keysAreFields(s);
  const members = set.memberElements();
  const children = set.childNodes().map((c) => {
    const sub = 'field' in c.pe ? fieldSchema(s, c.pe.field) : itemSchema(s);
    if (fields && 'field' in c.pe) members.push(c.pe);
    return { pe: c.pe, set: ensureNamedFieldsAreMembers(c.set, sub) };
  });
  return FieldSet.build(members, children);
}

/**
 * Drop the null values of maps that are not null in `live` at the same place: nulls an applied
 * configuration wrote (`creationTimestamp: null`) or a removal left behind. Upstream turns them
 * into absent fields when it converts to its typed objects; nulls the live object already had
 * (`lastProbeTime: null`) stay. List elements are paired with the live list by position.
 */
export function dropNewNulls(v: Json, live: Json | undefined): Json {
  if (Array.isArray(v)) {
    const ll = Array.isArray(live) ? live : [];
    return v.map((x, i) => dropNewNulls(x, ll[i]));
  }
  if (v !== null && typeof v === 'object') {
    const lm = live !== null && typeof live === 'object' && !Array.isArray(live) ? live : {};
    const out: JsonMap = {};
    for (const [k, x] of Object.entries(v)) {
      if (x === null && lm[k] !== null) continue;
      out[k] = dropNewNulls(x, lm[k]);
    }
    return out;
  }
  return v;
}
