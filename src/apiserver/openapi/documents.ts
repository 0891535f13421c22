// The OpenAPI v3 endpoints: `/openapi/v3` (the index of group-version documents, each with a
// content hash in its URL) and `/openapi/v3/api/v1`, `/openapi/v3/apis/<group>/<version>`
// (paths of every served resource plus the component schemas they use), derived from the
// resource catalogue and the generated schemas, built once on first request.
//
// kubectl depends on two details: a `patch` operation with `x-kubernetes-group-version-kind`
// and a `fieldValidation` query parameter makes it send `fieldValidation=Strict` (create, apply,
// replace, edit), and `kubectl explain` finds a kind's schema through the GVK extension on the
// operations and on `components.schemas`. `/openapi/v2` answers 404, after which kubectl falls
// back to its compiled-in types.
//
// Caching as upstream (kube-openapi handler3): ETag is the upper-case hex SHA-512 of the
// document; a request whose `hash` matches is `Cache-Control: public, immutable` for a year,
// a stale `hash` is redirected (301) to the current URL.

import { createHash } from 'node:crypto';
import type { ResourceDef } from '../../api/types.ts';
import { ApiError, apiErrors } from '../../base/errors.ts';
import type { ApiRequest, ApiResponse } from '../request.ts';
import { collectRefs, type SchemaCatalog, schemaCatalog } from './schemas.ts';

type Json = { [k: string]: unknown };
interface Gvk {
  group: string;
  kind: string;
  version: string;
}

interface Doc {
  body: string;
  hash: string;
}

export interface OpenApiClock {
  now(): Date;
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const STATUS_REF = `#/components/schemas/${META}.Status`;
const PATCH_REF = `#/components/schemas/${META}.Patch`;
const DELETE_OPTIONS_REF = `#/components/schemas/${META}.DeleteOptions`;
const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];
/** Subresources that are streams or proxies (no object body): not described. */
const CONNECT_SUBRESOURCES = new Set(['attach', 'exec', 'portforward', 'proxy', 'log']);

// ---- parameters (inlined in every operation: kubectl matches them by name) ----

function param(name: string, type: string, description: string, where: 'query' | 'path' = 'query'): Json {
  const p: Json = { name, in: where, description, schema: { type } };
  if (where === 'path') p.required = true;
  return p;
}

const P = {
  pretty: param('pretty', 'string', "If 'true', the output is pretty printed."),
  dryRun: param('dryRun', 'string', 'When present (only value: All), the request is processed in full but nothing is persisted.'),
  fieldManager: param('fieldManager', 'string', 'Name of the actor making the change, recorded in managedFields. Required for apply patches.'),
  fieldValidation: param(
    'fieldValidation',
    'string',
    'How to treat unknown and duplicate fields in the request body: Ignore (drop them), Warn (accept with a Warning header per field), Strict (reject with 400).',
  ),
  force: param('force', 'boolean', 'Apply patches only: take ownership of fields other managers own instead of failing with a conflict.'),
  gracePeriodSeconds: param('gracePeriodSeconds', 'integer', 'Seconds before the object is deleted; 0 means immediately. Defaults to the kind’s own grace period.'),
  orphanDependents: param('orphanDependents', 'boolean', 'Deprecated: use propagationPolicy.'),
  propagationPolicy: param('propagationPolicy', 'string', 'Garbage collection of dependents: Orphan, Background or Foreground.'),
  labelSelector: param('labelSelector', 'string', 'Only objects whose labels match this selector.'),
  fieldSelector: param('fieldSelector', 'string', 'Only objects whose fields match this selector.'),
  limit: param('limit', 'integer', 'Maximum number of items to return; continue with the returned continue token.'),
  continue: param('continue', 'string', 'The continue token of a previous limited list.'),
  resourceVersion: param('resourceVersion', 'string', 'The resource version a list or watch is served from.'),
  resourceVersionMatch: param('resourceVersionMatch', 'string', 'How resourceVersion applies to a list: Exact or NotOlderThan.'),
  timeoutSeconds: param('timeoutSeconds', 'integer', 'Time limit of a list or watch call.'),
  watch: param('watch', 'boolean', 'Stream changes (ADDED, MODIFIED, DELETED) instead of returning a list.'),
  allowWatchBookmarks: param('allowWatchBookmarks', 'boolean', 'Ask a watch for BOOKMARK events.'),
  sendInitialEvents: param('sendInitialEvents', 'boolean', 'Start a watch with synthetic ADDED events for the current state.'),
  namespace: param('namespace', 'string', 'object name and auth scope, such as for teams and projects', 'path'),
};

const LIST_PARAMS = [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.resourceVersionMatch, P.sendInitialEvents, P.timeoutSeconds, P.watch];
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];
const PATCH_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation, P.force];
const DELETE_PARAMS = [P.dryRun, P.gracePeriodSeconds, P.orphanDependents, P.propagationPolicy];

// ---- naming ----

/** `CoreV1`, `AppsV1`, `RbacAuthorizationV1`: upstream's operationId infix. */
function gvWord(group: string, version: string): string {
  const g = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '');
  const words = g.split('.').map((w) => w.charAt(0).toUpperCase() + w.slice(1));
  return `${words.join('')}${version.charAt(0).toUpperCase()}${version.slice(1)}`;
}

/** `core_v1`, `rbacAuthorization_v1`: upstream's tag. */
function gvTag(group: string, version: string): string {
  const w = gvWord(group, version).slice(0, -version.length);
  return `${w.charAt(0).toLowerCase()}${w.slice(1)}_${version}`;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The index key of a group-version document: `api/v1`, `apis/apps/v1`. */
export function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

function hashOf(body: string): string {
  return createHash('sha512').update(body).digest('hex').toUpperCase();
}

// ---- document building ----

class GroupVersionDoc {
  readonly paths: Record<string, Json> = {};
  private readonly group: string;
  private readonly version: string;
  private readonly catalog: SchemaCatalog;

  constructor(group: string, version: string, catalog: SchemaCatalog) {
    this.group = group;
    this.version = version;
    this.catalog = catalog;
  }

  private ref(g: Gvk, list = false): string {
    const kind = list ? `${g.kind}List` : g.kind;
    const name = this.catalog.nameForKind(g.group, g.version, kind);
    // a kind the generated schemas do not know yet (regenerate): a free-form object
    return `#/components/schemas/${name ?? `${META}.Patch`}`;
  }

  private path(p: string, params: Json[]): Json {
    return (this.paths[p] ??= { parameters: params });
  }

  private op(action: string, verbWord: string, what: string, gvk: Gvk, o: { params?: Json[]; body?: Json; responses: Json }): Json {
    const op: Json = {
      description: `${action === 'list' ? 'list or watch' : verbWord} ${what}`,
      operationId: '',
      tags: [gvTag(this.group, this.version)],
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': { group: gvk.group, kind: gvk.kind, version: gvk.version },
    };
    if (o.params?.length) op.parameters = o.params;
    if (o.body) op.requestBody = o.body;
    op.responses = o.responses;
    return op;
  }

  addResource(def: ResourceDef): void {
    const gvk: Gvk = { group: def.group, version: def.version, kind: def.kind };
    const base = def.group === '' ? `/api/${def.version}` : `/apis/${def.group}/${def.version}`;
    const nsPrefix = def.namespaced ? `${base}/namespaces/{namespace}` : base;
    const scope = def.namespaced ? 'Namespaced' : '';
    const gvw = gvWord(def.group, def.version);
    const nameParam = param('name', 'string', `name of the ${def.kind}`, 'path');
    const collParams = def.namespaced ? [P.namespace, P.pretty] : [P.pretty];
    const itemParams = def.namespaced ? [nameParam, P.namespace, P.pretty] : [nameParam, P.pretty];
    const has = (v: string) => def.verbs.includes(v);
    const objRef = this.ref(gvk);

    const coll = `${nsPrefix}/${def.plural}`;
    const item = `${coll}/{name}`;
    if (has('list')) {
      this.set(coll, collParams, 'get', this.op('list', 'list', `objects of kind ${def.kind}`, gvk, { params: LIST_PARAMS, responses: ok(this.ref(gvk, true)) }), `list${gvw}${scope}${def.kind}`);
      if (def.namespaced) {
        this.set(`${base}/${def.plural}`, [P.pretty], 'get', this.op('list', 'list', `objects of kind ${def.kind}`, gvk, { params: LIST_PARAMS, responses: ok(this.ref(gvk, true)) }), `list${gvw}${def.kind}ForAllNamespaces`);
      }
    }
    if (has('create')) {
      this.set(coll, collParams, 'post', this.op('post', 'create', `a ${def.kind}`, gvk, { params: WRITE_PARAMS, body: body(objRef), responses: created(objRef) }), `create${gvw}${scope}${def.kind}`);
    }
    if (has('deletecollection')) {
      this.set(coll, collParams, 'delete', this.op('deletecollection', 'delete', `collection of ${def.kind}`, gvk, { params: [...DELETE_PARAMS, ...LIST_PARAMS], body: body(DELETE_OPTIONS_REF, false), responses: ok(STATUS_REF) }), `delete${gvw}Collection${scope}${def.kind}`);
    }
    if (has('get')) this.set(item, itemParams, 'get', this.op('get', 'read', `the specified ${def.kind}`, gvk, { responses: ok(objRef) }), `read${gvw}${scope}${def.kind}`);
    if (has('update')) {
      this.set(item, itemParams, 'put', this.op('put', 'replace', `the specified ${def.kind}`, gvk, { params: WRITE_PARAMS, body: body(objRef), responses: ok(objRef, true) }), `replace${gvw}${scope}${def.kind}`);
    }
    if (has('patch')) {
      this.set(item, itemParams, 'patch', this.op('patch', 'partially update', `the specified ${def.kind}`, gvk, { params: PATCH_PARAMS, body: patchBody(), responses: ok(objRef, true) }), `patch${gvw}${scope}${def.kind}`);
    }
    if (has('delete')) {
      this.set(item, itemParams, 'delete', this.op('delete', 'delete', `a ${def.kind}`, gvk, { params: DELETE_PARAMS, body: body(DELETE_OPTIONS_REF, false), responses: accepted(objRef) }), `delete${gvw}${scope}${def.kind}`);
    }

    for (const sub of def.subresources) {
      if (CONNECT_SUBRESOURCES.has(sub.name)) continue;
      const sg: Gvk = { group: sub.kind.group, version: sub.kind.version, kind: sub.kind.kind };
      const sref = this.ref(sg);
      const p = `${item}/${sub.name}`;
      const params = def.namespaced ? [param('name', 'string', `name of the ${sub.kind.kind}`, 'path'), P.namespace, P.pretty] : [param('name', 'string', `name of the ${sub.kind.kind}`, 'path'), P.pretty];
      const what = `${sub.name} of the specified ${def.kind}`;
      const suffix = `${gvw}${scope}${def.kind}${capital(sub.name)}`;
      const sv = (v: string) => sub.verbs.includes(v);
      if (sv('get')) this.set(p, params, 'get', this.op('get', 'read', what, sg, { responses: ok(sref) }), `read${suffix}`);
      if (sv('create')) this.set(p, params, 'post', this.op('post', 'create', what, sg, { params: WRITE_PARAMS, body: body(sref), responses: created(sref) }), `create${suffix}`);
      if (sv('update')) this.set(p, params, 'put', this.op('put', 'replace', what, sg, { params: WRITE_PARAMS, body: body(sref), responses: ok(sref, true) }), `replace${suffix}`);
      if (sv('patch')) this.set(p, params, 'patch', this.op('patch', 'partially update', what, sg, { params: PATCH_PARAMS, body: patchBody(), responses: ok(sref, true) }), `patch${suffix}`);
    }
  }

  private set(p: string, params: Json[], method: string, op: Json, operationId: string): void {
    op.operationId = operationId;
    this.path(p, params)[method] = op;
  }

  /** The finished document: paths plus exactly the component schemas they reach. */
  build(): Json {
    const roots: string[] = [];
    collectRefs(this.paths, roots);
    const schemas: Record<string, unknown> = {};
    for (const name of this.catalog.closure(roots)) schemas[name] = this.catalog.get(name);
    const paths: Record<string, Json> = {};
    for (const p of Object.keys(this.paths).sort()) paths[p] = this.paths[p]!;
    return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'unversioned' }, paths, components: { schemas } };
  }
}

function json(ref: string): Json {
  return { 'application/json': { schema: { $ref: ref } } };
}
function ok(ref: string, withCreated = false): Json {
  const r: Json = { '200': { description: 'OK', content: json(ref) } };
  if (withCreated) r['201'] = { description: 'Created', content: json(ref) };
  return r;
}
function created(ref: string): Json {
  return { ...ok(ref, true), '202': { description: 'Accepted', content: json(ref) } };
}
function accepted(ref: string): Json {
  return { '200': { description: 'OK', content: json(ref) }, '202': { description: 'Accepted', content: json(ref) } };
}
function body(ref: string, required = true): Json {
  return required ? { content: json(ref), required: true } : { content: json(ref) };
}
function patchBody(): Json {
  const content: Json = {};
  for (const t of PATCH_TYPES) content[t] = { schema: { $ref: PATCH_REF } };
  return { content, required: true };
}

// ---- serving ----

/** True when the Accept header admits JSON (absent, application/json, application/*, or * / *). */
function acceptsJson(accept: string | undefined): boolean {
  if (!accept || accept.trim() === '') return true;
  return accept.split(',').some((part) => {
    const type = part.split(';')[0]!.trim().toLowerCase();
    return type === 'application/json' || type === 'application/*' || type === '*/*';
  });
}

function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((t) => {
    const v = t.trim().replace(/^W\//, '');
    return v === '*' || v === etag;
  });
}

const NOT_FOUND = 'the server could not find the requested resource';

/**
 * Serves `/openapi/v3`, `/openapi/v3/<group-version path>` and `/openapi/v2` (404). Documents
 * are built on the first request and then never change (the resources are fixed at
 * construction). Safe to share between concurrent requests.
 */
export class OpenApi {
  private readonly resources: readonly ResourceDef[];
  private readonly clock: OpenApiClock;
  private readonly catalog: () => SchemaCatalog;
  private built: { root: Doc; byPath: Map<string, Doc> } | undefined;

  constructor(resources: readonly ResourceDef[], opts: { clock?: OpenApiClock; catalog?: SchemaCatalog } = {}) {
    this.resources = resources;
    this.clock = opts.clock ?? { now: () => new Date() };
    const catalog = opts.catalog;
    this.catalog = () => catalog ?? schemaCatalog();
  }

  /** The documents, built once: the index and each group-version document, by index key (`api/v1`). */
  documents(): { root: Doc; byPath: Map<string, Doc> } {
    if (this.built) return this.built;
    const catalog = this.catalog();
    const docs = new Map<string, GroupVersionDoc>();
    for (const def of this.resources) {
      const key = gvPath(def.group, def.version);
      let d = docs.get(key);
      if (!d) docs.set(key, (d = new GroupVersionDoc(def.group, def.version, catalog)));
      d.addResource(def);
    }
    const byPath = new Map<string, Doc>();
    const index: Record<string, { serverRelativeURL: string }> = {};
    for (const [key, d] of docs) {
      const text = JSON.stringify(d.build());
      const hash = hashOf(text);
      byPath.set(key, { body: text, hash });
      index[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
    }
    const rootBody = JSON.stringify({ paths: index });
    this.built = { root: { body: rootBody, hash: hashOf(rootBody) }, byPath };
    return this.built;
  }

  /** Answer an OpenAPI request, or undefined when the path is not under /openapi. Errors are thrown as ApiError. */
  serve(req: ApiRequest): ApiResponse | undefined {
    const path = req.path;
    if (path !== '/openapi' && !path.startsWith('/openapi/')) return undefined;
    if (req.method !== 'GET' && req.method !== 'HEAD') throw apiErrors.methodNotAllowed(`${req.method} is not supported on ${path}`);
    if (path === '/openapi/v3' || path === '/openapi/v3/') {
      const root = this.documents().root;
      return this.answer(req, root, { 'cache-control': 'no-cache, private' });
    }
    if (!path.startsWith('/openapi/v3/')) throw new ApiError(404, 'NotFound', NOT_FOUND);
    const key = path.slice('/openapi/v3/'.length).replace(/\/+$/, '');
    const doc = this.documents().byPath.get(key);
    if (!doc) throw new ApiError(404, 'NotFound', NOT_FOUND);
    if (!acceptsJson(req.headers['accept'])) throw apiErrors.notAcceptable('only application/json is supported for OpenAPI v3 documents');
    const hash = req.query.get('hash');
    if (hash) {
      if (hash !== doc.hash) {
        const location = `/openapi/v3/${key}?hash=${doc.hash}`;
        return { status: 301, headers: { location, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache, private' }, body: `<a href="${location}">Moved Permanently</a>.\n` };
      }
      const expires = new Date(this.clock.now().getTime());
      expires.setUTCFullYear(expires.getUTCFullYear() + 1);
      return this.answer(req, doc, { 'cache-control': 'public, immutable', expires: expires.toUTCString(), vary: 'Accept' });
    }
    return this.answer(req, doc, { 'cache-control': 'no-cache, private', vary: 'Accept' });
  }

  private answer(req: ApiRequest, doc: Doc, extra: Record<string, string>): ApiResponse {
    const etag = `"${doc.hash}"`;
    const headers = { 'content-type': 'application/json', etag, ...extra };
    if (matchesEtag(req.headers['if-none-match'], etag)) return { status: 304, headers };
    return { status: 200, headers, body: doc.body };
  }
}
