// Generates src/apiserver/openapi/schemas.json: the OpenAPI v3 component schemas of every kind we
// serve (and of the types they reach), named as upstream names them
// (`io.k8s.api.core.v1.Pod`, `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`).
//
// Source: the `kubernetes-types` package, TypeScript declarations generated from upstream's own
// OpenAPI definitions, with every description as JSDoc. We walk them with the TypeScript compiler
// API: interfaces become object schemas (optional properties → not `required`), `Array<T>` arrays,
// `{[name: string]: T}` maps (`additionalProperties`), references `allOf: [{$ref}]`, the aliases
// Time/MicroTime/Quantity string schemas, the inlined `number | string` the IntOrString schema.
// Patch metadata comes from src/apiserver/strategic-schema.ts (the table the server itself merges
// with), from which we also derive the list types: `map` keyed by the merge key, `set` for merging
// lists of scalars, `atomic` otherwise.
//
// Run with `npm run gen:openapi`. The output is deterministic (sorted, one schema per line);
// src/apiserver/openapi/schemas.test.ts fails when the committed file is not what this produces.

import ts from 'typescript';
import { readdirSync, writeFileSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RESOURCES } from '../src/api/resources.ts';
import { KIND_SCHEMAS, patchExtensions, type PatchSchema } from '../src/apiserver/strategic-schema.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = { [k: string]: Json };
interface Gvk {
  group: string;
  kind: string;
  version: string;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TYPES_DIR = path.join(ROOT, 'node_modules/kubernetes-types');
const OUT = path.join(ROOT, 'src/apiserver/openapi/schemas.json');

/** Upstream package names of the kubernetes-types modules that are not `k8s.io/api/<group>/<v>`. */
const PACKAGES: Record<string, string> = {
  'meta/v1': 'io.k8s.apimachinery.pkg.apis.meta.v1',
  'api/resource': 'io.k8s.apimachinery.pkg.api.resource',
  runtime: 'io.k8s.apimachinery.pkg.runtime',
  version: 'io.k8s.apimachinery.pkg.version',
  'apiextensions/v1': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1',
};

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
/** Formats of the string aliases (Quantity has none). */
const ALIAS_FORMATS: Record<string, string> = {
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': 'date-time',
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': 'date-time',
};

/**
 * Lists whose upstream map keys are more than the patch merge key (`+listMapKey` markers that
 * kubernetes-types does not carry), by `<schema>.<property>`.
 */
const LIST_MAP_KEYS: Record<string, string[]> = {
  'io.k8s.api.core.v1.Container.ports': ['containerPort', 'protocol'],
  'io.k8s.api.core.v1.EphemeralContainer.ports': ['containerPort', 'protocol'],
  'io.k8s.api.core.v1.ServiceSpec.ports': ['port', 'protocol'],
  'io.k8s.api.core.v1.PodSpec.topologySpreadConstraints': ['topologyKey', 'whenUnsatisfiable'],
};

/** Meta types every group-version document refers to, besides the kinds themselves. */
const META_ROOTS = ['Status', 'DeleteOptions', 'Patch', 'WatchEvent'];

interface Decl {
  /** kubernetes-types module, e.g. `core/v1`. */
  module: string;
  name: string;
  schemaName: string;
  node: ts.InterfaceDeclaration | ts.TypeAliasDeclaration;
}

function listTypeFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listTypeFiles(p));
    else if (e.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

function schemaNameOf(module: string, name: string): string {
  return `${PACKAGES[module] ?? `io.k8s.api.${module.replace(/\//g, '.')}`}.${name}`;
}

class Generator {
  private readonly checker: ts.TypeChecker;
  private readonly decls = new Map<string, Decl>();
  private readonly byGvk = new Map<string, Decl>();
  private readonly gvks = new Map<string, Gvk[]>();
  /** Patch metadata per schema and property, gathered from the strategic-merge table. */
  private readonly patchMeta = new Map<string, Map<string, PatchSchema>>();
  private readonly schemas = new Map<string, Schema>();
  private readonly queue: Decl[] = [];
  private usesIntOrString = false;
  /** Patch-table fields that kubernetes-types does not have (newer than its version). */
  readonly warnings: string[] = [];

  constructor(files: string[]) {
    const program = ts.createProgram(files, { noEmit: true, types: [], skipLibCheck: true });
    this.checker = program.getTypeChecker();
    for (const file of files) {
      const sf = program.getSourceFile(file)!;
      const module = path.relative(TYPES_DIR, file).replace(/\.d\.ts$/, '').split(path.sep).join('/');
      for (const st of sf.statements) {
        if (!ts.isInterfaceDeclaration(st) && !ts.isTypeAliasDeclaration(st)) continue;
        const d: Decl = { module, name: st.name.text, schemaName: schemaNameOf(module, st.name.text), node: st };
        this.decls.set(d.schemaName, d);
        const gvk = ts.isInterfaceDeclaration(st) ? literalGvk(st) : undefined;
        if (gvk) {
          this.byGvk.set(gvkKey(gvk), d);
          this.gvks.set(d.schemaName, [gvk]);
        }
      }
    }
  }

  /** The declaration of a served kind, or undefined when kubernetes-types has no such kind. */
  kind(group: string, version: string, kind: string): Decl | undefined {
    return this.byGvk.get(gvkKey({ group, version, kind }));
  }

  meta(name: string): Decl {
    const d = this.decls.get(schemaNameOf('meta/v1', name));
    if (!d) throw new Error(`meta/v1 ${name} not found in kubernetes-types`);
    return d;
  }

  addGvks(schemaName: string, gvks: Gvk[]): void {
    const list = this.gvks.get(schemaName) ?? [];
    for (const g of gvks) if (!list.some((x) => gvkKey(x) === gvkKey(g))) list.push(g);
    list.sort((a, b) => gvkKey(a).localeCompare(gvkKey(b)));
    this.gvks.set(schemaName, list);
  }

  include(d: Decl): void {
    if (this.schemas.has(d.schemaName) || this.queue.includes(d)) return;
    this.queue.push(d);
  }

  // ---- patch metadata ----

  /** Record the patch metadata of a kind's tree on the (schema, property) pairs it names. */
  applyPatchTree(d: Decl, node: PatchSchema, where: string): void {
    if (!node.fields) return;
    if (!ts.isInterfaceDeclaration(d.node)) throw new Error(`${where}: patch fields on non-object ${d.schemaName}`);
    for (const [field, sub] of Object.entries(node.fields)) {
      const member = d.node.members.find((m): m is ts.PropertySignature => ts.isPropertySignature(m) && propName(m) === field);
      if (!member || !member.type) {
        this.warnings.push(`${where}.${field}: no such property in ${d.schemaName}; skipped`);
        continue;
      }
      const here = `${where}.${field}`;
      this.recordPatch(d.schemaName, field, sub, here);
      const inner = unwrapArray(member.type);
      const target = inner.isArray ? sub.item : sub;
      if (target?.fields && ts.isTypeReferenceNode(inner.node)) this.applyPatchTree(this.declOf(inner.node), target, here);
    }
  }

  private recordPatch(schemaName: string, field: string, node: PatchSchema, where: string): void {
    let m = this.patchMeta.get(schemaName);
    if (!m) this.patchMeta.set(schemaName, (m = new Map()));
    const prev = m.get(field);
    if (prev && JSON.stringify(patchExtensions(prev)) !== JSON.stringify(patchExtensions(node))) {
      throw new Error(`${where}: conflicting patch metadata for ${schemaName}.${field}`);
    }
    if (!prev || Object.keys(patchExtensions(prev)).length === 0) m.set(field, node);
  }

  // ---- schema building ----

  run(): Map<string, Schema> {
    while (this.queue.length > 0) {
      const d = this.queue.shift()!;
      if (this.schemas.has(d.schemaName)) continue;
      this.schemas.set(d.schemaName, this.build(d));
    }
    if (this.usesIntOrString) {
      this.schemas.set(INT_OR_STRING, {
        description: 'IntOrString holds either an int32 or a string; in JSON and YAML it is written as the bare number or string, so one field can take a port number or a port name.',
        type: 'string',
        format: 'int-or-string',
        'x-kubernetes-int-or-string': true,
      });
    }
    for (const [name, gvks] of this.gvks) {
      const s = this.schemas.get(name);
      if (s) s['x-kubernetes-group-version-kind'] = gvks.map((g) => ({ group: g.group, kind: g.kind, version: g.version }));
    }
    return this.schemas;
  }

  private build(d: Decl): Schema {
    const description = this.docOf(d.node.name);
    if (ts.isTypeAliasDeclaration(d.node)) {
      if (d.node.type.kind !== ts.SyntaxKind.StringKeyword) throw new Error(`unsupported type alias ${d.schemaName}`);
      const s: Schema = {};
      if (description) s.description = description;
      s.type = 'string';
      if (ALIAS_FORMATS[d.schemaName]) s.format = ALIAS_FORMATS[d.schemaName]!;
      return s;
    }
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    const patch = this.patchMeta.get(d.schemaName);
    for (const m of d.node.members) {
      if (!ts.isPropertySignature(m) || !m.type) throw new Error(`${d.schemaName}: unsupported member ${m.getText()}`);
      const name = propName(m);
      const p = this.propertySchema(m.type, this.docOf(m.name), `${d.schemaName}.${name}`);
      const meta = patch?.get(name);
      if (meta) Object.assign(p, patchExtensions(meta));
      if (p.type === 'array') this.addListType(p, meta, `${d.schemaName}.${name}`);
      properties[name] = p;
      if (!m.questionToken) required.push(name);
    }
    const s: Schema = {};
    if (description) s.description = description;
    s.type = 'object';
    if (Object.keys(properties).length > 0) s.properties = properties;
    if (required.length > 0) s.required = required;
    return s;
  }

  private addListType(p: Schema, meta: PatchSchema | undefined, where: string): void {
    if (meta?.key) {
      p['x-kubernetes-list-type'] = 'map';
      p['x-kubernetes-list-map-keys'] = LIST_MAP_KEYS[where] ?? [meta.key];
    } else if (meta?.strategy === 'merge') {
      p['x-kubernetes-list-type'] = 'set';
    } else {
      p['x-kubernetes-list-type'] = 'atomic';
    }
  }

  /** The schema of a property: a type, plus its description (refs wrapped in allOf). */
  private propertySchema(node: ts.TypeNode, description: string, where: string): Schema {
    const s = this.typeSchema(node, where);
    if (typeof s.$ref === 'string') {
      const out: Schema = { allOf: [{ $ref: s.$ref }] };
      if (description) out.description = description;
      return out;
    }
    return description ? { description, ...s } : s;
  }

  /** The schema of a type (a bare `$ref` for named types). */
  private typeSchema(node: ts.TypeNode, where: string): Schema {
    switch (node.kind) {
      case ts.SyntaxKind.StringKeyword:
        return { type: 'string' };
      case ts.SyntaxKind.BooleanKeyword:
        return { type: 'boolean' };
      // Every number of the kinds we serve is an integer upstream (int32 or int64; the .d.ts
      // does not say which, so no format).
      case ts.SyntaxKind.NumberKeyword:
        return { type: 'integer' };
    }
    if (ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal)) return { type: 'string' };
    if (ts.isUnionTypeNode(node)) {
      const kinds = node.types.map((t) => t.kind).sort();
      if (kinds.length === 2 && kinds.includes(ts.SyntaxKind.NumberKeyword) && kinds.includes(ts.SyntaxKind.StringKeyword)) {
        this.usesIntOrString = true;
        return { $ref: ref(INT_OR_STRING) };
      }
      throw new Error(`${where}: unsupported union ${node.getText()}`);
    }
    const arr = unwrapArray(node);
    if (arr.isArray) return { type: 'array', items: this.typeSchema(arr.node, `${where}[]`) };
    if (ts.isTypeLiteralNode(node)) {
      const idx = node.members.length === 1 ? node.members[0] : undefined;
      if (idx && ts.isIndexSignatureDeclaration(idx) && idx.type) {
        return { type: 'object', additionalProperties: this.typeSchema(idx.type, `${where}{}`) };
      }
      throw new Error(`${where}: unsupported type literal ${node.getText()}`);
    }
    if (ts.isTypeReferenceNode(node)) {
      const d = this.declOf(node);
      this.include(d);
      return { $ref: ref(d.schemaName) };
    }
    throw new Error(`${where}: unsupported type ${node.getText()}`);
  }

  private declOf(node: ts.TypeReferenceNode): Decl {
    let sym = this.checker.getSymbolAtLocation(node.typeName);
    if (sym && sym.flags & ts.SymbolFlags.Alias) sym = this.checker.getAliasedSymbol(sym);
    const decl = sym?.declarations?.[0];
    if (!decl || (!ts.isInterfaceDeclaration(decl) && !ts.isTypeAliasDeclaration(decl))) {
      throw new Error(`cannot resolve type ${node.getText()}`);
    }
    const module = path.relative(TYPES_DIR, decl.getSourceFile().fileName).replace(/\.d\.ts$/, '').split(path.sep).join('/');
    const d = this.decls.get(schemaNameOf(module, decl.name.text));
    if (!d) throw new Error(`no declaration for ${module} ${decl.name.text}`);
    return d;
  }

  private docOf(name: ts.Node): string {
    const sym = this.checker.getSymbolAtLocation(name);
    return sym ? ts.displayPartsToString(sym.getDocumentationComment(this.checker)).trim() : '';
  }
}

function ref(schemaName: string): string {
  return `#/components/schemas/${schemaName}`;
}

function gvkKey(g: Gvk): string {
  return `${g.group}/${g.version}/${g.kind}`;
}

function propName(m: ts.PropertySignature): string {
  const n = m.name;
  if (ts.isIdentifier(n) || ts.isStringLiteral(n)) return n.text;
  throw new Error(`unsupported property name ${n.getText()}`);
}

/** `Array<T>` / `T[]` → T (isArray), anything else unchanged. */
function unwrapArray(node: ts.TypeNode): { isArray: boolean; node: ts.TypeNode } {
  if (ts.isArrayTypeNode(node)) return { isArray: true, node: node.elementType };
  if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName) && node.typeName.text === 'Array' && node.typeArguments?.length === 1) {
    return { isArray: true, node: node.typeArguments[0]! };
  }
  return { isArray: false, node };
}

/** The GVK of an interface whose `apiVersion` and `kind` are string literals (a served kind or its list). */
function literalGvk(node: ts.InterfaceDeclaration): Gvk | undefined {
  const lit = (name: string): string | undefined => {
    const m = node.members.find((x): x is ts.PropertySignature => ts.isPropertySignature(x) && propName(x) === name);
    const t = m?.type;
    return t && ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal) ? t.literal.text : undefined;
  };
  const apiVersion = lit('apiVersion');
  const kind = lit('kind');
  if (!apiVersion || !kind) return undefined;
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion, kind } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), kind };
}

/** The text of schemas.json, and the patch-table fields that could not be placed. */
export function generateSchemasJson(): { text: string; schemaCount: number; warnings: string[] } {
  const gen = new Generator(listTypeFiles(TYPES_DIR));
  const servedGvs = new Map<string, Gvk>();
  const missing: string[] = [];
  for (const def of RESOURCES) {
    servedGvs.set(`${def.group}/${def.version}`, { group: def.group, version: def.version, kind: '' });
    const kind = gen.kind(def.group, def.version, def.kind);
    if (!kind) {
      missing.push(`${def.group}/${def.version}/${def.kind}`);
      continue;
    }
    const list = gen.kind(def.group, def.version, `${def.kind}List`);
    if (list) gen.include(list);
    gen.include(kind);
    const tree = KIND_SCHEMAS[`${def.group}/${def.kind}`];
    if (tree) gen.applyPatchTree(kind, tree, `${def.group}/${def.version}/${def.kind}`);
    for (const sub of def.subresources) {
      const sk = gen.kind(sub.kind.group, sub.kind.version, sub.kind.kind);
      if (sk) gen.include(sk);
    }
  }
  if (missing.length > 0) throw new Error(`kinds not in kubernetes-types: ${missing.join(', ')}`);
  const metaGvks = [{ group: '', version: 'v1', kind: '' }, ...servedGvs.values()];
  for (const name of META_ROOTS) {
    const d = gen.meta(name);
    gen.include(d);
    if (name === 'Status') gen.addGvks(d.schemaName, [{ group: '', version: 'v1', kind: 'Status' }]);
    if (name === 'DeleteOptions' || name === 'WatchEvent') gen.addGvks(d.schemaName, metaGvks.map((g) => ({ ...g, kind: name })));
  }
  const schemas = gen.run();
  const names = [...schemas.keys()].sort();
  const typesVersion = JSON.parse(readFileSync(path.join(TYPES_DIR, 'package.json'), 'utf8')).version as string;
  const lines = names.map((n) => `${JSON.stringify(n)}:${JSON.stringify(schemas.get(n))}`);
  const text = `{"source":"kubernetes-types@${typesVersion}","generator":"scripts/gen-openapi.ts","schemas":{\n${lines.join(',\n')}\n}}\n`;
  return { text, schemaCount: names.length, warnings: gen.warnings };
}

export const SCHEMAS_JSON_PATH = OUT;

if (import.meta.main) {
  const { text, schemaCount, warnings } = generateSchemasJson();
  for (const w of warnings) console.warn(`gen-openapi: ${w}`);
  writeFileSync(OUT, text);
  console.log(`gen-openapi: wrote ${schemaCount} schemas, ${text.length} bytes to ${path.relative(ROOT, OUT)}`);
}
