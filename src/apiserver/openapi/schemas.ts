// The OpenAPI v3 component schemas of the kinds we serve, as generated into schemas.json by
// scripts/gen-openapi.ts (from kubernetes-types), with lookups by name and by group/version/kind
// and the closure of the schemas a set of names refers to. Loaded from disk once, on first use.

import { readFileSync } from 'node:fs';

/** One OpenAPI v3 schema object, as far as we read it (the JSON carries more). */
export interface Schema {
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  allOf?: Schema[];
  $ref?: string;
  'x-kubernetes-group-version-kind'?: Array<{ group: string; kind: string; version: string }>;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  [extension: string]: unknown;
}

const REF_PREFIX = '#/components/schemas/';

/** The component name a `$ref` points to (`#/components/schemas/<name>`), or undefined. */
export function refName(ref: string | undefined): string | undefined {
  return ref?.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : undefined;
}

/**
 * Read-only view of the generated schemas. Lookups never throw: an unknown name or kind is
 * undefined. Schemas returned are shared; callers must not change them.
 */
export class SchemaCatalog {
  readonly schemas: Readonly<Record<string, Schema>>;
  private readonly byGvk = new Map<string, string>();

  constructor(schemas: Record<string, Schema>) {
    this.schemas = schemas;
    for (const [name, s] of Object.entries(schemas)) {
      for (const g of s['x-kubernetes-group-version-kind'] ?? []) {
        const key = `${g.group}/${g.version}/${g.kind}`;
        // meta types (DeleteOptions, WatchEvent) list every group; a kind's own schema wins
        if (!this.byGvk.has(key)) this.byGvk.set(key, name);
      }
    }
  }

  /** The component name of the schema for a group/version/kind (`''` for core). */
  nameForKind(group: string, version: string, kind: string): string | undefined {
    return this.byGvk.get(`${group}/${version}/${kind}`);
  }

  get(name: string): Schema | undefined {
    return Object.hasOwn(this.schemas, name) ? this.schemas[name] : undefined;
  }

  /**
   * Follow a property schema to the schema that describes its value: a `$ref`, or a single
   * `allOf` member (how a described reference is written), as often as needed.
   */
  resolve(s: Schema): Schema {
    let cur = s;
    for (let i = 0; i < 16; i++) {
      const name = refName(cur.$ref) ?? (cur.allOf?.length === 1 && !cur.properties ? refName(cur.allOf[0]!.$ref) : undefined);
      const next = name === undefined ? undefined : this.get(name);
      if (!next) return cur;
      cur = next;
    }
    return cur;
  }

  /** The given names and every schema they refer to, transitively, sorted. Unknown names are dropped. */
  closure(names: Iterable<string>): string[] {
    const seen = new Set<string>();
    const stack = [...names];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      const s = this.get(n);
      if (!s) continue;
      seen.add(n);
      collectRefs(s, stack);
    }
    return [...seen].sort();
  }
}

/** Push every `$ref` target name found anywhere inside a JSON value. */
export function collectRefs(value: unknown, out: string[]): void {
  if (Array.isArray(value)) {
    for (const v of value) collectRefs(v, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') {
        const n = refName(v);
        if (n !== undefined) out.push(n);
      } else collectRefs(v, out);
    }
  }
}

const SCHEMAS_FILE = new URL('./schemas.json', import.meta.url);

let loaded: SchemaCatalog | undefined;

/**
 * The catalogue of the generated schemas.json: read and parsed on the first call, then shared
 * (static data, like a registry).
 */
export function schemaCatalog(): SchemaCatalog {
  if (!loaded) {
    const file = JSON.parse(readFileSync(SCHEMAS_FILE, 'utf8')) as { schemas: Record<string, Schema> };
    loaded = new SchemaCatalog(file.schemas);
  }
  return loaded;
}
