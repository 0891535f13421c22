// Server-side field validation against the OpenAPI schemas: the fields of a request body that
// its kind's schema does not know, and the keys a JSON body repeats, both as the JSON paths
// upstream's strict decoder names them (`spec.foo`, `spec.containers[0].imagee`,
// `metadata.name`), in document order. fieldvalidation.ts turns them into
// `strict decoding error: unknown field "spec.foo", ...` or warnings.

import { closingQuote } from '../request.ts';
import { type Schema, type SchemaCatalog, schemaCatalog } from './schemas.ts';

/**
 * The paths of the fields in `obj` that the schema of group/version/kind does not declare.
 * Objects the schema leaves open (RawExtension, FieldsV1, x-kubernetes-preserve-unknown-fields,
 * embedded resources) are not looked into. A kind without a schema (a custom resource) has no
 * unknown fields: [].
 */
export function unknownFields(group: string, version: string, kind: string, obj: unknown, catalog: SchemaCatalog = schemaCatalog()): string[] {
  return checkDecoded(group, version, kind, obj, catalog).unknown;
}

export interface DecodeCheck {
  /** Paths of undeclared fields, in document order. */
  unknown: string[];
  /**
   * The first value (in document order) whose JSON type the field cannot take, as upstream's
   * decoder reports it: `json: cannot unmarshal number into Go struct field
   * ObjectMeta.metadata.name of type string`. Such a body is a 400 in any fieldValidation mode.
   */
  typeError?: string;
}

/**
 * One walk of `obj` against its kind's schema: the unknown fields and the first type mismatch.
 * null is every type's zero value (Go's decoder leaves the field unset): no mismatch. Where Go
 * would make the zero value a present one, `obj` is changed to hold it: a null element of a list
 * of structs becomes `{}`, a null value of a string map `''`. Quantities and int-or-string take
 * numbers and strings; open objects take anything.
 */
export function checkDecoded(group: string, version: string, kind: string, obj: unknown, catalog: SchemaCatalog = schemaCatalog()): DecodeCheck {
  const out: DecodeCheck = { unknown: [] };
  if (obj === null || typeof obj !== 'object') return out;
  const root = rootNode(catalog, group, version, kind);
  if (root) walk(root, obj, [], out, root.goName ?? kind);
  return out;
}

function isOpen(s: Schema): boolean {
  if (s['x-kubernetes-preserve-unknown-fields'] || s['x-kubernetes-embedded-resource']) return true;
  if (s.additionalProperties === true) return true;
  // an object schema with no fields and no value schema (RawExtension, FieldsV1, Patch) takes anything
  return !s.properties && (s.additionalProperties === undefined || s.additionalProperties === false) && (s.type === 'object' || s.type === undefined);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/**
 * A schema compiled for the walk: resolved once, its answers precomputed, and its children
 * compiled on first use and kept (schemas are static, and recursive ones stay finite because
 * one resolved schema has one node). Nodes are shared by everything a catalogue validates.
 */
class Node {
  /** Values here are not looked into. */
  readonly open: boolean;
  /** The JSON type a value here must have (null aside). */
  readonly expect: Expect;
  /** The Go type's name of a named schema (`PodSpec`, `ObjectMeta`), for error messages. */
  readonly goName: string | undefined;
  private readonly schemaName: string | undefined;
  private readonly compiler: Compiler;
  private readonly itemsSchema: Schema | undefined;
  private readonly props: Record<string, Schema> | undefined;
  private readonly additionalSchema: Schema | undefined;
  private itemsNode: Node | undefined;
  private additionalNode: Node | undefined;
  /** Child per property name; null for a name the schema does not declare. */
  private readonly propNodes = new Map<string, Node | null>();

  constructor(compiler: Compiler, s: Schema, name: string | undefined) {
    this.compiler = compiler;
    this.open = isOpen(s);
    this.schemaName = name;
    this.goName = name?.slice(name.lastIndexOf('.') + 1);
    this.expect = expectation(s, name, this.open);
    this.itemsSchema = s.items;
    this.props = s.properties;
    const ap = s.additionalProperties;
    this.additionalSchema = ap && typeof ap === 'object' ? ap : undefined;
  }

  /** The node of array items, or undefined when arrays are not looked into. */
  items(): Node | undefined {
    if (this.itemsSchema === undefined) return undefined;
    return (this.itemsNode ??= this.compiler.node(this.itemsSchema));
  }

  /** Whether the schema declares properties (then other keys are unknown). */
  get hasProps(): boolean {
    return this.props !== undefined;
  }

  /** The Go type a mismatch message names (`string`, `int32`, `[]v1.Container`, `map[string]string`). */
  goType(field: string): string {
    if (this.schemaName !== undefined) {
      const parts = this.schemaName.split('.');
      return parts.length >= 2 ? `${parts[parts.length - 2]}.${parts[parts.length - 1]}` : this.schemaName;
    }
    switch (this.expect) {
      case 'string':
        return 'string';
      case 'boolean':
        return 'bool';
      case 'number':
        return 'float64';
      case 'integer':
        // the schemas carry no int32/int64 formats: upstream's int64 fields are these
        return /Seconds$|^runAs|^fsGroup|^supplementalGroups$|[gG]eneration$|^revision$|^size$|Bytes$/.test(field) ? 'int64' : 'int32';
      case 'array': {
        const items = this.items();
        return `[]${items ? items.goType(field) : 'interface {}'}`;
      }
      case 'object': {
        const ap = this.additional();
        return ap ? `map[string]${ap.goType(field)}` : 'map[string]interface {}';
      }
      default:
        return 'interface {}';
    }
  }

  /** The node of a declared property, or null when the schema does not declare it. */
  prop(key: string): Node | null {
    let n = this.propNodes.get(key);
    if (n === undefined) {
      n = Object.hasOwn(this.props!, key) ? this.compiler.node(this.props![key]!) : null;
      this.propNodes.set(key, n);
    }
    return n;
  }

  /** The node of the values of a map (additionalProperties schema), if any. */
  additional(): Node | undefined {
    if (this.additionalSchema === undefined) return undefined;
    return (this.additionalNode ??= this.compiler.node(this.additionalSchema));
  }
}

/** One catalogue's compiled nodes, by resolved schema. */
class Compiler {
  private readonly catalog: SchemaCatalog;
  private readonly nodes = new Map<Schema, Node>();
  private names: Map<Schema, string> | undefined;
  readonly roots = new Map<string, Node | null>();

  constructor(catalog: SchemaCatalog) {
    this.catalog = catalog;
  }

  node(schema: Schema): Node {
    const s = this.catalog.resolve(schema);
    let n = this.nodes.get(s);
    if (!n) {
      n = new Node(this, s, this.nameOf(s));
      this.nodes.set(s, n);
    }
    return n;
  }

  private nameOf(s: Schema): string | undefined {
    if (!this.names) {
      this.names = new Map();
      for (const [name, schema] of Object.entries(this.catalog.schemas)) this.names.set(schema, name);
    }
    return this.names.get(s);
  }
}

type Expect = 'any' | 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object' | 'scalar';

/** Quantities unmarshal from a JSON string or number; their schema says string. */
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

function expectation(s: Schema, name: string | undefined, open: boolean): Expect {
  if (s['x-kubernetes-int-or-string'] || name === QUANTITY) return 'scalar';
  // RawExtension, FieldsV1 and the like unmarshal any JSON value
  if (open && !s.properties && !(s.additionalProperties && typeof s.additionalProperties === 'object')) return 'any';
  switch (s.type) {
    case 'string':
    case 'integer':
    case 'number':
    case 'boolean':
    case 'array':
      return s.type;
    case 'object':
      return 'object';
    default:
      return open ? 'any' : s.properties ? 'object' : 'any';
  }
}

/** The JSON type of a parsed value, as Go's decoder names it in a mismatch ('number 1.5' for a fraction into an integer). */
function jsonTypeName(v: unknown, expect: Expect): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'number') return expect === 'integer' ? `number ${String(v)}` : 'number';
  if (typeof v === 'boolean') return 'bool';
  return 'string';
}

/** Whether a non-null value fits what the node expects. */
function fits(node: Node, v: unknown): boolean {
  switch (node.expect) {
    case 'any':
      return true;
    case 'string':
      return typeof v === 'string';
    case 'integer':
      // no field is wider than int64 (which of int32/int64 a field is the schemas do not say)
      return typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 2 ** 63;
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && !Array.isArray(v);
    case 'scalar':
      return typeof v === 'string' || typeof v === 'number';
  }
}

const compilers = new WeakMap<SchemaCatalog, Compiler>();

function rootNode(catalog: SchemaCatalog, group: string, version: string, kind: string): Node | null {
  let c = compilers.get(catalog);
  if (!c) {
    c = new Compiler(catalog);
    compilers.set(catalog, c);
  }
  const id = `${group}/${version}/${kind}`;
  let root = c.roots.get(id);
  if (root === undefined) {
    const name = catalog.nameForKind(group, version, kind);
    const schema = name === undefined ? undefined : catalog.get(name);
    root = schema ? c.node(schema) : null;
    c.roots.set(id, root);
  }
  return root;
}

/** The path of `key` under the path segments (property names and array indexes) in `segs`. */
function pathOf(segs: (string | number)[], key: string): string {
  let path = '';
  for (const seg of segs) path = typeof seg === 'number' ? `${path}[${seg}]` : join(path, seg);
  return join(path, key);
}

/** Go's field path: the JSON names from the root, list indexes left out (`spec.containers.image`). */
function goPathOf(segs: (string | number)[], key?: string): string {
  let path = '';
  for (const seg of segs) if (typeof seg === 'string') path = join(path, seg);
  return key === undefined ? path : join(path, key);
}

/**
 * Record the first type mismatch: `v` does not fit `child`, the schema of the field at `goPath`
 * (of a list's elements or a map's values when the field is a list or map).
 */
function mismatch(out: DecodeCheck, struct: string, goPath: string, child: Node, v: unknown): void {
  if (out.typeError !== undefined) return;
  const field = goPath.slice(goPath.lastIndexOf('.') + 1);
  out.typeError = `json: cannot unmarshal ${jsonTypeName(v, child.expect)} into Go struct field ${struct}.${goPath} of type ${child.goType(field)}`;
}

/**
 * Visit `value` (an object or array) under `node`; paths are built only for unknown fields and
 * mismatches. `struct` is the Go name of the innermost struct around it.
 */
function walk(node: Node, value: object, segs: (string | number)[], out: DecodeCheck, struct: string): void {
  if (Array.isArray(value)) {
    const items = node.items();
    if (!items) return;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (v === null) {
        if (items.expect === 'object' && items.hasProps) value[i] = {}; // Go decodes it as a zero struct
        continue;
      }
      if (!fits(items, v)) {
        mismatch(out, struct, goPathOf(segs), items, v);
        continue;
      }
      if (typeof v !== 'object') continue;
      segs.push(i);
      walk(items, v, segs, out, struct);
      segs.pop();
    }
    return;
  }
  if (node.open) return;
  const obj = value as Record<string, unknown>;
  if (node.hasProps) {
    const inner = node.goName ?? struct;
    for (const k of Object.keys(obj)) {
      const child = node.prop(k);
      if (child === null) {
        out.unknown.push(pathOf(segs, k));
        continue;
      }
      const v = obj[k];
      if (v === null) continue;
      if (!fits(child, v)) {
        mismatch(out, inner, goPathOf(segs, k), child, v);
        continue;
      }
      if (typeof v !== 'object') continue;
      segs.push(k);
      walk(child, v, segs, out, inner);
      segs.pop();
    }
    return;
  }
  const ap = node.additional();
  if (!ap) return;
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (v === null) {
      if (ap.expect === 'string') obj[k] = ''; // Go decodes it as the zero string
      continue;
    }
    if (!fits(ap, v)) {
      mismatch(out, struct, goPathOf(segs), ap, v); // Go names the map field itself
      continue;
    }
    if (typeof v !== 'object') continue;
    segs.push(k);
    walk(ap, v, segs, out, struct);
    segs.pop();
  }
}

// ---- duplicate keys in a JSON text ----

/**
 * duplicateFields(jsonText) for a text whose parsed value is at hand (`parsed` =
 * JSON.parse(jsonText)), fast in the usual case of no duplicates: a repeated key leaves one key
 * fewer in the parsed value than the text spells, so when the keys the text spells (one quick
 * scan for `"…":`) are exactly as many as the parsed value holds, there is none; otherwise the
 * full scan names them.
 */
export function duplicateFieldsOf(jsonText: string, parsed: unknown): string[] {
  if (keysSpelled(jsonText) === keysHeld(parsed)) return [];
  return duplicateFields(jsonText);
}

/** How many object keys a JSON text spells (strings followed by `:`); -1 when a string is unterminated. */
function keysSpelled(text: string): number {
  const n = text.length;
  let count = 0;
  let i = 0;
  for (;;) {
    const open = text.indexOf('"', i);
    if (open < 0) return count;
    const close = closingQuote(text, open);
    if (close < 0) return -1;
    let k = close + 1;
    for (let c = text.charCodeAt(k); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = text.charCodeAt(++k));
    if (k < n && text.charCodeAt(k) === 0x3a) count++;
    i = close + 1;
  }
}

/** How many keys the objects of a parsed JSON value hold, all depths (no recursion). */
function keysHeld(value: unknown): number {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const item of v) if (item !== null && typeof item === 'object') stack.push(item);
      continue;
    }
    for (const key of Object.keys(v)) {
      count++;
      const child = (v as Record<string, unknown>)[key];
      if (child !== null && typeof child === 'object') stack.push(child);
    }
  }
  return count;
}

type Frame = { kind: 'object'; path: string; keys: Set<string>; key: string } | { kind: 'array'; path: string; index: number };

const WS = new Set([' ', '\t', '\n', '\r']);

/**
 * The paths of the keys that a JSON text repeats within one object (`metadata.name`,
 * `spec.containers[0].name`, `metadata.labels.app`), each time a repeat is seen, in document
 * order. Scans the text without building values and without recursion (any nesting depth);
 * malformed JSON ends the scan and returns what was found so far.
 */
export function duplicateFields(jsonText: string): string[] {
  const text = jsonText;
  const n = text.length;
  const out: string[] = [];
  const stack: Frame[] = [];
  let i = 0;
  const ws = (): void => {
    while (i < n && WS.has(text[i]!)) i++;
  };
  /** Index just past the string starting at i (text[i] === '"'), or -1 when unterminated. */
  const stringEnd = (start: number): number => {
    let j = start + 1;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === 0x5c) j += 2; // backslash: skip the escaped character
      else if (c === 0x22) return j + 1;
      else j++;
    }
    return -1;
  };
  const nextPath = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    return top.kind === 'object' ? join(top.path, top.key) : `${top.path}[${top.index}]`;
  };

  let state: 'value' | 'key' | 'after' = 'value';
  for (;;) {
    ws();
    if (i >= n) return out;
    if (state === 'value') {
      const c = text[i];
      if (c === '{') {
        stack.push({ kind: 'object', path: nextPath(), keys: new Set(), key: '' });
        i++;
        ws();
        if (text[i] === '}') {
          i++;
          stack.pop();
          state = 'after';
        } else state = 'key';
      } else if (c === '[') {
        stack.push({ kind: 'array', path: nextPath(), index: 0 });
        i++;
        ws();
        if (text[i] === ']') {
          i++;
          stack.pop();
          state = 'after';
        }
      } else if (c === '"') {
        const end = stringEnd(i);
        if (end < 0) return out;
        i = end;
        state = 'after';
      } else {
        const start = i;
        while (i < n && !WS.has(text[i]!) && text[i] !== ',' && text[i] !== ']' && text[i] !== '}') i++;
        if (i === start) return out;
        state = 'after';
      }
    } else if (state === 'key') {
      const top = stack[stack.length - 1];
      if (!top || top.kind !== 'object' || text[i] !== '"') return out;
      const end = stringEnd(i);
      if (end < 0) return out;
      let key: string;
      try {
        key = JSON.parse(text.slice(i, end)) as string;
      } catch {
        return out;
      }
      i = end;
      ws();
      if (text[i] !== ':') return out;
      i++;
      if (top.keys.has(key)) out.push(join(top.path, key));
      else top.keys.add(key);
      top.key = key;
      state = 'value';
    } else {
      const top = stack[stack.length - 1];
      if (!top) return out;
      const c = text[i];
      if (c === ',') {
        i++;
        if (top.kind === 'object') state = 'key';
        else {
          top.index++;
          state = 'value';
        }
      } else if ((c === '}' && top.kind === 'object') || (c === ']' && top.kind === 'array')) {
        i++;
        stack.pop();
      } else return out;
    }
  }
}
