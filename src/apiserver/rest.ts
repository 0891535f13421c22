// REST verbs for one resource: decodes an ApiRequest into calls on the ResourceStore and encodes
// what comes back (objects, lists, Tables, watch streams, Status). Subresources with their own
// wire shape (scale, binding, eviction) live in subresources.ts.

import { apiErrors, ApiError } from '../base/errors.ts';
import type { KubeObject, ResourceDef } from '../api/types.ts';
import { apiVersionOf } from '../api/types.ts';
import {
  type ApiRequest,
  type ApiResponse,
  boolParam,
  bodyMediaType,
  bodyText,
  decodeObjectBody,
  intParam,
  jsonResponse,
  JSON_TYPE,
  wantsTable,
} from './request.ts';
import type { ResourceRequestInfo } from './router.ts';
import type { ResourceStore, DeleteOptions } from './registry/store.ts';
import { applyPatch, PATCH_TYPES } from './patch.ts';
import { successStatus } from './status.ts';
import { checkFields } from './fieldvalidation.ts';
import { applyPatch as serverSideApply, defaultManager, fieldManagerError } from './apply/index.ts';

export const APPLY_PATCH_TYPE = 'application/apply-patch+yaml';

/** The fieldManager of a write: the query parameter, else derived from the User-Agent as upstream. */
export function fieldManagerOf(req: ApiRequest, verb: 'create' | 'update' | 'patch', apply = false): { manager: string; apply: boolean } {
  const fm = req.query.get('fieldManager') ?? '';
  const err = fieldManagerError(verb, fm, { apply, force: req.query.get('force') === 'true' });
  if (err) throw err;
  return { manager: fm || defaultManager(req.headers['user-agent']), apply };
}
import { asPartialList, asPartialObject, metadataTarget } from './negotiate.ts';
import { buildTable } from './tables/table.ts';
import { objectFilter } from './filters.ts';
import { serveWatch } from './watch.ts';
import { TooOldResourceVersionError, ContinueExpiredError } from './watchcache/cache.ts';

export interface RestContext {
  now(): Date;
  /** Issues ServiceAccount tokens (serviceaccounts/token); absent → that subresource is not served. */
  tokens?: { issue(sa: KubeObject, tokenRequest: Record<string, any>): unknown };
}

function dryRun(req: ApiRequest, bodyDryRun?: unknown): boolean {
  const q = req.query.getAll('dryRun');
  const all = [...q, ...(Array.isArray(bodyDryRun) ? bodyDryRun : [])];
  for (const v of all) {
    if (v !== 'All') throw apiErrors.badRequest(`invalid dry run value "${v}": supported values are "All"`);
  }
  return all.length > 0;
}

/** Object kind/apiVersion in a body must match the URL's resource when given. */
function checkTypeMeta(def: ResourceDef, obj: Record<string, any>): void {
  const want = apiVersionOf(def);
  if (obj.kind !== undefined && obj.kind !== def.kind) {
    throw apiErrors.badRequest(`the kind of the provided object (${obj.kind}) does not match the resource (${def.kind})`);
  }
  if (obj.apiVersion !== undefined && obj.apiVersion !== want) {
    throw apiErrors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${want})`);
  }
  if (obj.metadata !== undefined && (obj.metadata === null || typeof obj.metadata !== 'object' || Array.isArray(obj.metadata))) {
    throw apiErrors.badRequest('metadata must be a JSON object');
  }
}

function objectResponse(req: ApiRequest, store: ResourceStore, status: number, obj: KubeObject, ctx: RestContext): ApiResponse {
  if (wantsTable(req)) {
    return jsonResponse(status, buildTable(store.def, [obj], { now: ctx.now(), includeObject: includeObjectParam(req) }));
  }
  const partial = metadataTarget(req.headers['accept']);
  if (partial) return jsonResponse(status, asPartialObject(obj, partial));
  // store.json reuses the watch cache's JSON of an object it adopted (no second stringify)
  return { status, headers: { 'content-type': JSON_TYPE }, body: store.json(obj) };
}

function includeObjectParam(req: ApiRequest): 'None' | 'Metadata' | 'Object' {
  const v = req.query.get('includeObject');
  if (v === 'None' || v === 'Object' || v === 'Metadata') return v;
  if (v) throw apiErrors.badRequest(`invalid includeObject "${v}": supported values are None, Metadata, Object`);
  return 'Metadata';
}

/** Dispatch a request for a resource collection or object (no subresource). */
export async function handleResource(
  req: ApiRequest,
  info: ResourceRequestInfo,
  store: ResourceStore,
  ctx: RestContext,
): Promise<ApiResponse> {
  const def = store.def;
  const ns = def.namespaced ? info.namespace : undefined;
  if (!def.namespaced && info.namespace !== undefined) {
    throw apiErrors.notFound('', def.plural, info.name ?? '');
  }
  const isWatch = info.legacyWatch || boolParam(req, 'watch');
  switch (req.method) {
    case 'GET':
      if (isWatch) return serveWatch(req, store, ns, info.name, ctx);
      if (info.name === undefined) return list(req, store, ns, ctx);
      return objectResponse(req, store, 200, await store.get(ns, info.name), ctx);
    case 'POST': {
      if (info.name !== undefined) throw apiErrors.methodNotAllowed(`POST is not supported on a named ${def.plural} object`);
      if (def.namespaced && ns === undefined) {
        throw apiErrors.badRequest(`${def.plural} is namespaced: POST to /namespaces/<namespace>/${def.plural}`);
      }
      const body = decodeObjectBody(req);
      checkTypeMeta(def, body);
      checkFields(req, def, body, bodyText(req));
      const created = await store.create(ns, body as KubeObject, { dryRun: dryRun(req), fieldManager: fieldManagerOf(req, 'create') });
      return objectResponse(req, store, 201, created, ctx);
    }
    case 'PUT': {
      if (info.name === undefined) throw apiErrors.methodNotAllowed(`PUT needs an object name`);
      const body = decodeObjectBody(req);
      checkTypeMeta(def, body);
      checkFields(req, def, body, bodyText(req));
      const updated = await store.guaranteedUpdate(ns, info.name, () => body as KubeObject, { dryRun: dryRun(req), fieldManager: fieldManagerOf(req, 'update') });
      return objectResponse(req, store, 200, updated, ctx);
    }
    case 'PATCH': {
      if (info.name === undefined) throw apiErrors.methodNotAllowed(`PATCH needs an object name`);
      if (bodyMediaType(req) === APPLY_PATCH_TYPE) {
        const r = await applyObject(req, store, ns, info.name, undefined, ctx);
        return objectResponse(req, store, r.created ? 201 : 200, r.object, ctx);
      }
      const out = await patchObject(req, store, ns, info.name, undefined);
      return objectResponse(req, store, 200, out, ctx);
    }
    case 'DELETE':
      if (info.name === undefined) return deleteCollection(req, store, ns);
      return deleteOne(req, store, ns, info.name);
    default:
      throw apiErrors.methodNotAllowed(`method ${req.method} is not supported`);
  }
}

/** PATCH of an object or its status: apply the patch to the current object, then update. */
export async function patchObject(
  req: ApiRequest,
  store: ResourceStore,
  ns: string | undefined,
  name: string,
  subresource: string | undefined,
): Promise<KubeObject> {
  const type = bodyMediaType(req);
  const fieldManager = fieldManagerOf(req, 'patch');
  if (!(PATCH_TYPES as readonly string[]).includes(type)) {
    throw new ApiError(415, 'UnsupportedMediaType', `the server does not support patch type ${type}: supported types are ${PATCH_TYPES.join(', ')}`);
  }
  const text = req.body?.toString('utf8') ?? '';
  if (text.trim() === '') throw apiErrors.badRequest('the patch body is empty');
  return store.guaranteedUpdate(
    ns,
    name,
    (current) => {
      const rv = current.metadata.resourceVersion;
      const patched = applyPatch(type, current, text, store.def) as KubeObject;
      if (patched === null || typeof patched !== 'object' || Array.isArray(patched)) {
        throw apiErrors.badRequest('the patch must leave a JSON object');
      }
      checkTypeMeta(store.def, patched);
      checkFields(req, store.def, patched);
      patched.metadata ??= {};
      // Only a resourceVersion the patch itself names is a precondition.
      if (patched.metadata.resourceVersion === rv) delete patched.metadata.resourceVersion;
      return patched;
    },
    { dryRun: dryRun(req), subresource, fieldManager },
  );
}

/**
 * Server-side apply (application/apply-patch+yaml): merge the applied configuration into the
 * live object with field ownership; create the object when it does not exist (201).
 */
export async function applyObject(
  req: ApiRequest,
  store: ResourceStore,
  ns: string | undefined,
  name: string,
  subresource: string | undefined,
  ctx: RestContext,
): Promise<{ object: KubeObject; created: boolean }> {
  const def = store.def;
  const fieldManager = fieldManagerOf(req, 'patch', true);
  const applied = decodeObjectBody(req, [APPLY_PATCH_TYPE]) as KubeObject;
  checkFields(req, def, applied);
  applied.metadata ??= {};
  if (applied.metadata.name !== undefined && applied.metadata.name !== name) {
    throw apiErrors.badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
  }
  const opts = () => ({
    manager: fieldManager.manager,
    force: req.query.get('force') === 'true',
    now: ctx.now(),
    group: def.group,
    version: def.version,
    kind: def.kind,
    subresource,
    hasStatus: def.hasStatus,
  });
  const write = { dryRun: dryRun(req), subresource, fieldManager };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const object = await store.guaranteedUpdate(ns, name, (current) => {
        const merged = serverSideApply(current, structuredClone(applied), opts());
        const rv = applied.metadata.resourceVersion;
        if (rv && rv !== current.metadata.resourceVersion) merged.metadata.resourceVersion = rv; // precondition → 409
        else delete merged.metadata.resourceVersion;
        return merged;
      }, write);
      return { object, created: false };
    } catch (e) {
      if (!(e instanceof ApiError) || e.httpCode !== 404 || subresource !== undefined) throw e;
    }
    const fresh = serverSideApply(undefined, structuredClone(applied), opts());
    fresh.metadata.name = name;
    try {
      return { object: await store.create(ns, fresh, write), created: true };
    } catch (e) {
      if (!(e instanceof ApiError) || e.reason !== 'AlreadyExists') throw e; // lost a race: apply to it
    }
  }
  throw apiErrors.conflict(def.group, def.plural, name, 'the object kept changing while applying; try again');
}

function parseDeleteOptions(req: ApiRequest): DeleteOptions {
  let body: Record<string, any> = {};
  if (req.body && req.body.length > 0 && req.body.toString('utf8').trim() !== '') {
    body = decodeObjectBody(req);
    if (body.kind !== undefined && body.kind !== 'DeleteOptions') {
      throw apiErrors.badRequest(`the body of a DELETE must be DeleteOptions, not ${body.kind}`);
    }
  }
  const opts: DeleteOptions = { dryRun: dryRun(req, body.dryRun) };
  const grace = intParam(req, 'gracePeriodSeconds') ?? body.gracePeriodSeconds;
  if (grace !== undefined && grace !== null) {
    if (typeof grace !== 'number' || !Number.isInteger(grace)) throw apiErrors.badRequest('gracePeriodSeconds must be an integer');
    opts.gracePeriodSeconds = grace;
  }
  const policy = req.query.get('propagationPolicy') ?? body.propagationPolicy;
  if (policy !== undefined && policy !== null) {
    if (!['Orphan', 'Background', 'Foreground'].includes(policy)) {
      throw apiErrors.badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
    }
    opts.propagationPolicy = policy;
  }
  const orphan = req.query.get('orphanDependents') ?? body.orphanDependents;
  if (orphan !== undefined && orphan !== null) opts.orphanDependents = orphan === true || orphan === 'true';
  if (body.preconditions) opts.preconditions = body.preconditions;
  return opts;
}

async function deleteOne(req: ApiRequest, store: ResourceStore, ns: string | undefined, name: string): Promise<ApiResponse> {
  const res = await store.delete(ns, name, parseDeleteOptions(req));
  // Upstream answers 200 with the object while it is only marked (and always for pods),
  // and a Success Status once a non-pod object is gone.
  if (!res.deleted || store.def.kind === 'Pod') {
    const partial = metadataTarget(req.headers['accept']);
    return jsonResponse(200, partial ? asPartialObject(res.object, partial) : res.object);
  }
  return jsonResponse(
    200,
    successStatus({ name, group: store.def.group || undefined, kind: store.def.plural, uid: res.object.metadata.uid }),
  );
}

async function deleteCollection(req: ApiRequest, store: ResourceStore, ns: string | undefined): Promise<ApiResponse> {
  const opts = parseDeleteOptions(req);
  const filter = objectFilter(store.def, req.query.get('labelSelector'), req.query.get('fieldSelector'));
  const listed = await store.list({ namespace: ns, filter });
  const items: KubeObject[] = [];
  for (const obj of listed.items) {
    try {
      const r = await store.delete(obj.metadata.namespace, obj.metadata.name!, opts);
      items.push(r.object);
    } catch (e) {
      if (e instanceof ApiError && e.httpCode === 404) continue; // deleted meanwhile
      throw e;
    }
  }
  return jsonResponse(200, {
    kind: store.def.listKind,
    apiVersion: apiVersionOf(store.def),
    metadata: {},
    items,
  });
}

async function list(req: ApiRequest, store: ResourceStore, ns: string | undefined, ctx: RestContext): Promise<ApiResponse> {
  const def = store.def;
  const filter = objectFilter(def, req.query.get('labelSelector'), req.query.get('fieldSelector'));
  const limit = intParam(req, 'limit');
  if (limit !== undefined && limit < 0) throw apiErrors.badRequest('limit must not be negative');
  const cont = req.query.get('continue') ?? undefined;
  const rv = req.query.get('resourceVersion') ?? undefined;
  const rvm = req.query.get('resourceVersionMatch') ?? undefined;
  if (rvm !== undefined && rvm !== 'NotOlderThan' && rvm !== 'Exact') {
    throw apiErrors.badRequest(`resourceVersionMatch: Unsupported value: "${rvm}": supported values: "Exact", "NotOlderThan"`);
  }
  if (cont && rv && rv !== '0') throw apiErrors.badRequest('specifying resource version is not allowed when using continue');
  let result;
  try {
    result = await store.list({
      namespace: ns,
      filter,
      limit: limit || undefined,
      continueToken: cont || undefined,
      resourceVersion: rv,
      resourceVersionMatch: rvm as 'NotOlderThan' | 'Exact' | undefined,
    });
  } catch (e) {
    if (e instanceof ContinueExpiredError) {
      throw new ApiError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
    }
    if (e instanceof TooOldResourceVersionError) throw apiErrors.expired(e.message);
    throw e;
  }
  if (result.items.some((o) => o.apiVersion !== apiVersionOf(def))) result = { ...result, items: result.items.map((o) => store.view(o)) };
  if (wantsTable(req)) {
    return jsonResponse(
      200,
      buildTable(def, result.items, {
        now: ctx.now(),
        includeObject: includeObjectParam(req),
        resourceVersion: result.resourceVersion,
        continue: result.continueToken,
        remainingItemCount: result.remainingItemCount,
      }),
    );
  }
  const metadata: Record<string, unknown> = { resourceVersion: result.resourceVersion };
  if (result.continueToken) metadata.continue = result.continueToken;
  if (result.remainingItemCount !== undefined) metadata.remainingItemCount = result.remainingItemCount;
  const partial = metadataTarget(req.headers['accept']);
  if (partial) return jsonResponse(200, asPartialList(def.listKind, metadata, result.items, partial));
  return encodeList(req, store, metadata, result.items);
}

/** Lists of more items than this are streamed in slices rather than built as one body. */
const STREAMED_LIST_ITEMS = 500;
/** Size of the buffer a streamed list is copied into, one slice at a time (bytes). */
const LIST_SLICE_BYTES = 256 << 10;
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']}');

/**
 * Encode a list. Items are read-only cached objects whose JSON, and the UTF-8 bytes of it, the
 * cache memoizes: the body is copied together from those bytes, with no string joining or
 * re-encoding per request, and its length is known up front (Content-Length, so the TLS layer
 * encrypts each slice as it is, without chunk framing). A large list is streamed: pieces are
 * copied into one slice buffer of LIST_SLICE_BYTES, which is written and then reused once the
 * sink has drained it. No body-sized buffer is built and little garbage is made, the first
 * bytes leave at once, and other requests are served between slices.
 */
function encodeList(req: ApiRequest, store: ResourceStore, metadata: Record<string, unknown>, items: KubeObject[]): ApiResponse {
  const def = store.def;
  const head = Buffer.from(`{"kind":${JSON.stringify(def.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(def))},"metadata":${JSON.stringify(metadata)},"items":[`);
  // head, item, ",", item, …, "]}"
  const pieces: Buffer[] = new Array(items.length === 0 ? 2 : 2 * items.length + 1);
  pieces[0] = head;
  let total = head.length + CLOSE.length;
  for (let i = 0; i < items.length; i++) {
    const b = store.cache.objectBytes(items[i]!);
    if (i > 0) pieces[2 * i] = COMMA;
    pieces[2 * i + 1] = b;
    total += b.length + (i > 0 ? 1 : 0);
  }
  pieces[pieces.length - 1] = CLOSE;
  if (items.length <= STREAMED_LIST_ITEMS) {
    const body = Buffer.allocUnsafe(total);
    let off = 0;
    for (const p of pieces) off += p.copy(body, off);
    return { status: 200, headers: { 'content-type': JSON_TYPE }, body };
  }
  return {
    status: 200,
    headers: { 'content-type': JSON_TYPE, 'content-length': String(total) },
    stream(sink) {
      let k = 0;
      let spare: Buffer | undefined; // the slice buffer, once the sink has drained it
      const pump = (): void => {
        while (k < pieces.length) {
          if (req.signal.aborted) return sink.end();
          const slice = spare ?? Buffer.allocUnsafeSlow(LIST_SLICE_BYTES);
          spare = undefined;
          let out: Buffer;
          if (pieces[k]!.length > slice.length) {
            out = pieces[k++]!; // an object larger than a slice goes out as it is
          } else {
            let off = 0;
            while (k < pieces.length && off + pieces[k]!.length <= slice.length) off += pieces[k++]!.copy(slice, off);
            out = slice.subarray(0, off);
          }
          sink.write(out);
          if (k < pieces.length && sink.drain) {
            const drained = slice;
            return sink.drain(() => {
              spare = drained;
              pump();
            });
          }
        }
        sink.end();
      };
      pump();
    },
  };
}
