// Field paths and field sets of server-side apply, and their `FieldsV1` wire form.
//
// A path element names a child of a value: a field of an object (`f:spec`), an element of a
// list-map by its key fields (`k:{"name":"main"}`), an element of a set by its value
// (`v:"a"`), or an element by index (`i:0`). A FieldSet is a tree of such elements: a node's
// members are the paths the set owns, its children lead deeper. This follows the behaviour of
// sigs.k8s.io/structured-merge-diff's fieldpath package (ordering, set algebra, the JSON form
// with `.` marking a node that is itself a member).

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonMap = { [key: string]: Json };

/** One step of a path. Exactly one of the properties is set; `key` fields are sorted by name. */
export type PathElement =
  | { readonly field: string }
  | { readonly key: readonly (readonly [string, Json])[] }
  | { readonly value: Json }
  | { readonly index: number };

export type Path = readonly PathElement[];

export function fieldPE(name: string): PathElement {
  return { field: name };
}

/** A list-map key element; the key fields are sorted by name as upstream does. */
export function keyPE(fields: Iterable<readonly [string, Json]>): PathElement {
  return { key: [...fields].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) };
}

export function valuePE(value: Json): PathElement {
  return { value };
}

export function indexPE(index: number): PathElement {
  return { index };
}

/** A path from field names, e.g. `path('spec', 'replicas')`. */
export function path(...fields: string[]): Path {
  return fields.map(fieldPE);
}

// ---- values: Go-compatible JSON text and a total order ----

/** JSON text of a string as Go's encoding/json writes it (HTML-safe escapes). */
export function goJsonString(s: string): string {
  if (!GO_ESCAPED.test(s)) return JSON.stringify(s); // the common case: nothing Go escapes differently
  return JSON.stringify(s)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const GO_ESCAPED = /[<>&\u2028\u2029]/;

/** Compact JSON as Go writes an unstructured value (map keys sorted). */
export function goJson(v: Json): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return goJsonString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${goJsonString(k)}:${goJson(v[k]!)}`).join(',')}}`;
}

function typeRank(v: Json): number {
  if (typeof v === 'number') return 0;
  if (typeof v === 'string') return 1;
  if (typeof v === 'boolean') return 2;
  if (Array.isArray(v)) return 3;
  if (v !== null) return 4;
  return 5;
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Upstream's total order of values: numbers < strings < booleans < lists < maps < null. */
export function compareValues(a: Json, b: Json): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 1:
      return cmpStr(a as string, b as string);
    case 2:
      return a === b ? 0 : a ? 1 : -1;
    case 3: {
      const la = a as Json[];
      const lb = b as Json[];
      for (let i = 0; i < Math.min(la.length, lb.length); i++) {
        const c = compareValues(la[i]!, lb[i]!);
        if (c !== 0) return c;
      }
      return la.length === lb.length ? 0 : la.length < lb.length ? -1 : 1;
    }
    case 4: {
      const ma = a as JsonMap;
      const mb = b as JsonMap;
      const ka = Object.keys(ma).sort();
      const kb = Object.keys(mb).sort();
      for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
        const c = cmpStr(ka[i]!, kb[i]!) || compareValues(ma[ka[i]!]!, mb[kb[i]!]!);
        if (c !== 0) return c;
      }
      return ka.length === kb.length ? 0 : ka.length < kb.length ? -1 : 1;
    }
    default:
      return 0;
  }
}

/** Deep equality of JSON values (maps compare without regard to key order). */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const lb = b as Json[];
    return a.length === lb.length && a.every((x, i) => jsonEqual(x, lb[i]));
  }
  const ma = a as JsonMap;
  const mb = b as JsonMap;
  const ka = Object.keys(ma);
  if (ka.length !== Object.keys(mb).length) return false;
  return ka.every((k) => Object.hasOwn(mb, k) && jsonEqual(ma[k], mb[k]));
}

// ---- path elements: order, text, wire form ----

function peRank(pe: PathElement): number {
  if ('field' in pe) return 0;
  if ('key' in pe) return 1;
  if ('value' in pe) return 2;
  return 3;
}

/** Upstream's order of path elements: fields < keys < values < indexes, then by content. */
export function comparePE(a: PathElement, b: PathElement): number {
  const ra = peRank(a);
  const rb = peRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if ('field' in a) return cmpStr(a.field, (b as { field: string }).field);
  if ('key' in a) {
    const kb = (b as { key: readonly (readonly [string, Json])[] }).key;
    for (let i = 0; ; i++) {
      if (i >= a.key.length && i >= kb.length) return 0;
      if (i >= a.key.length) return -1;
      if (i >= kb.length) return 1;
      const c = cmpStr(a.key[i]![0], kb[i]![0]) || compareValues(a.key[i]![1], kb[i]![1]);
      if (c !== 0) return c;
    }
  }
  if ('value' in a) return compareValues(a.value, (b as { value: Json }).value);
  const ib = (b as { index: number }).index;
  return a.index < ib ? -1 : a.index > ib ? 1 : 0;
}

/** The FieldsV1 key of an element: `f:name`, `k:{"name":"x"}`, `v:"a"`, `i:0`. Unique per element. */
export function serializePE(pe: PathElement): string {
  if ('field' in pe) return `f:${pe.field}`;
  if ('key' in pe) return `k:{${pe.key.map(([n, v]) => `${goJsonString(n)}:${goJson(v)}`).join(',')}}`;
  if ('value' in pe) return `v:${goJson(pe.value)}`;
  return `i:${pe.index}`;
}

/** Parse a FieldsV1 key; undefined for an unknown element type (upstream skips those). */
export function deserializePE(s: string): PathElement | undefined {
  if (s.length < 2 || s[1] !== ':') throw new Error(`invalid path element ${JSON.stringify(s)}`);
  const body = s.slice(2);
  switch (s[0]) {
    case 'f':
      return { field: body };
    case 'v':
      return { value: JSON.parse(body) as Json };
    case 'k': {
      const obj = JSON.parse(body) as unknown;
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Error(`invalid key element ${JSON.stringify(s)}`);
      return keyPE(Object.entries(obj as JsonMap));
    }
    case 'i': {
      if (!/^-?\d+$/.test(body)) throw new Error(`invalid index element ${JSON.stringify(s)}`);
      return { index: Number(body) };
    }
    default:
      return undefined;
  }
}

/** Go's `%v` of a value inside a path string: strings quoted, numbers and booleans bare. */
function valueText(v: Json): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(valueText).join(',')}]`;
  return Object.entries(v).map(([k, x]) => `${k}=${valueText(x)}`).join('');
}

/** Human form of an element, as in conflict messages: `.spec`, `[name="main"]`, `[="a"]`, `[0]`. */
export function peString(pe: PathElement): string {
  if ('field' in pe) return `.${pe.field}`;
  if ('key' in pe) return `[${pe.key.map(([n, v]) => `${n}=${valueText(v)}`).join(',')}]`;
  if ('value' in pe) return `[=${valueText(pe.value)}]`;
  return `[${pe.index}]`;
}

/** Human form of a path: `.spec.template.spec.containers[name="main"].image`. */
export function pathString(p: Path): string {
  return p.map(peString).join('');
}

// ---- sets ----

interface Child {
  readonly pe: PathElement;
  readonly set: FieldSet;
}

/**
 * A set of field paths, as a tree. Immutable once built by the operations below (they return new
 * sets); `insert` mutates and is meant for building. Order is kept only on output (sorted as
 * upstream sorts), so lookups go by the element's wire key.
 */
export class FieldSet {
  private readonly members = new Map<string, PathElement>();
  private readonly children = new Map<string, Child>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  /** Add one path (its parents are not added). The empty path is ignored, as upstream does. */
  insert(p: Path): void {
    if (p.length === 0) return;
    let s: FieldSet = this;
    for (let i = 0; i < p.length - 1; i++) s = s.descend(p[i]!);
    const last = p[p.length - 1]!;
    s.members.set(serializePE(last), last);
  }

  private descend(pe: PathElement): FieldSet {
    const k = serializePE(pe);
    let c = this.children.get(k);
    if (!c) {
      c = { pe, set: new FieldSet() };
      this.children.set(k, c);
    }
    return c.set;
  }

  has(p: Path): boolean {
    if (p.length === 0) return false;
    let s: FieldSet | undefined = this;
    for (let i = 0; i < p.length - 1; i++) {
      s = s.children.get(serializePE(p[i]!))?.set;
      if (!s) return false;
    }
    return s.members.has(serializePE(p[p.length - 1]!));
  }

  hasMember(pe: PathElement): boolean {
    return this.members.has(serializePE(pe));
  }

  /** The paths below `pe`, without the prefix (empty when there are none). */
  withPrefix(pe: PathElement): FieldSet {
    return this.children.get(serializePE(pe))?.set ?? EMPTY;
  }

  empty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.set.empty()) return false;
    return true;
  }

  /** Members, sorted. */
  memberElements(): PathElement[] {
    return [...this.members.values()].sort(comparePE);
  }

  /** Child nodes, sorted by element. */
  childNodes(): { pe: PathElement; set: FieldSet }[] {
    return [...this.children.values()].sort((a, b) => comparePE(a.pe, b.pe));
  }

  union(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) out.members.set(k, pe);
    for (const [k, pe] of o.members) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      const oc = o.children.get(k);
      out.children.set(k, oc ? { pe: c.pe, set: c.set.union(oc.set) } : c);
    }
    for (const [k, c] of o.children) if (!this.children.has(k)) out.children.set(k, c);
    return out;
  }

  /** Paths in both sets. */
  intersection(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) if (o.members.has(k)) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      const oc = o.children.get(k);
      if (!oc) continue;
      const r = c.set.intersection(oc.set);
      if (!r.empty()) out.children.set(k, { pe: c.pe, set: r });
    }
    return out;
  }

  /** Paths of this set not in `o` (a member of `o` does not remove the paths below it). */
  difference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) if (!o.members.has(k)) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      const oc = o.children.get(k);
      if (!oc) {
        out.children.set(k, c);
        continue;
      }
      const r = c.set.difference(oc.set);
      if (!r.empty()) out.children.set(k, { pe: c.pe, set: r });
    }
    return out;
  }

  /** Like difference, but a member of `o` also removes everything below it. */
  recursiveDifference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [k, pe] of this.members) if (!o.members.has(k)) out.members.set(k, pe);
    for (const [k, c] of this.children) {
      if (o.members.has(k)) continue;
      const oc = o.children.get(k);
      if (!oc) {
        out.children.set(k, c);
        continue;
      }
      const r = c.set.recursiveDifference(oc.set);
      if (!r.empty()) out.children.set(k, { pe: c.pe, set: r });
    }
    return out;
  }

  /** Only the paths under the given top-level elements (everything else dropped). */
  only(pes: readonly PathElement[]): FieldSet {
    const out = new FieldSet();
    for (const pe of pes) {
      const k = serializePE(pe);
      const m = this.members.get(k);
      if (m) out.members.set(k, m);
      const c = this.children.get(k);
      if (c) out.children.set(k, c);
    }
    return out;
  }

  /** Builds a new set node from members and children (used by schema-aware walks). */
  static build(members: Iterable<PathElement>, children: Iterable<{ pe: PathElement; set: FieldSet }>): FieldSet {
    const out = new FieldSet();
    for (const pe of members) out.members.set(serializePE(pe), pe);
    for (const c of children) if (!c.set.empty()) out.children.set(serializePE(c.pe), { pe: c.pe, set: c.set });
    return out;
  }

  /** Every path, members before children at each level, both sorted (upstream's Iterate order). */
  paths(): Path[] {
    const out: Path[] = [];
    const walk = (s: FieldSet, prefix: PathElement[]): void => {
      for (const pe of s.memberElements()) out.push([...prefix, pe]);
      for (const c of s.childNodes()) walk(c.set, [...prefix, c.pe]);
    };
    walk(this, []);
    return out;
  }

  equals(o: FieldSet): boolean {
    return JSON.stringify(this.toFieldsV1()) === JSON.stringify(o.toFieldsV1());
  }

  /** The FieldsV1 object: keys sorted as upstream writes them, `.` for a node that is a member. */
  toFieldsV1(): JsonMap {
    return this.emit(false);
  }

  private emit(includeSelf: boolean): JsonMap {
    const out: JsonMap = {};
    const members = this.memberElements();
    const children = this.childNodes().filter((c) => !c.set.empty());
    if (includeSelf && (members.length > 0 || children.length > 0)) out['.'] = {};
    let mi = 0;
    let ci = 0;
    while (mi < members.length || ci < children.length) {
      const m = members[mi];
      const c = children[ci];
      const d = m === undefined ? 1 : c === undefined ? -1 : comparePE(m, c.pe);
      if (d < 0) {
        out[serializePE(m!)] = {};
        mi++;
      } else if (d > 0) {
        out[serializePE(c!.pe)] = c!.set.emit(false);
        ci++;
      } else {
        out[serializePE(c!.pe)] = c!.set.emit(true);
        mi++;
        ci++;
      }
    }
    return out;
  }

  /** Parse a FieldsV1 object. Throws on a malformed element; unknown element types are skipped. */
  static fromFieldsV1(v: unknown): FieldSet {
    if (v === null || v === undefined) return new FieldSet();
    if (typeof v !== 'object' || Array.isArray(v)) throw new Error('fieldsV1 must be an object');
    return FieldSet.read(v as Record<string, unknown>).set;
  }

  private static read(obj: Record<string, unknown>): { set: FieldSet; isMember: boolean } {
    const set = new FieldSet();
    let isMember = false;
    let anyChild = false;
    for (const [k, child] of Object.entries(obj)) {
      if (k === '.') {
        isMember = true;
        continue;
      }
      const pe = deserializePE(k);
      if (!pe) continue;
      if (child === null || typeof child !== 'object' || Array.isArray(child)) throw new Error(`fieldsV1: ${k} must map to an object`);
      const sub = FieldSet.read(child as Record<string, unknown>);
      anyChild = true;
      const key = serializePE(pe);
      if (sub.isMember) set.members.set(key, pe);
      if (!sub.set.empty()) set.children.set(key, { pe, set: sub.set });
    }
    // A node without children (`{}`) is itself a member.
    if (!anyChild) isMember = true;
    return { set, isMember };
  }
}

const EMPTY = new FieldSet();
