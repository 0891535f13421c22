// Server-side apply and managedFields: the field manager of the apiserver, as pure functions
// over JSON objects. The REST layer calls `applyPatch` for application/apply-patch+yaml PATCHes
// and `updateManagedFields` for every other write (create, update, other patches, status and
// scale writes); `defaultManager` names the manager of a request without `fieldManager`.
//
// The steps follow upstream's field manager chain (k8s.io/apimachinery/pkg/util/managedfields):
//
//   apply:  check kind → [keep last-applied annotation] → [kubectl: take over CSA fields]
//           → [start tracking an untracked object] → merge + prune + ownership → strip meta
//   update: managedFields from the request or the stored object → ownership of the changed
//           fields → strip meta → cap Update entries at 10 ("ancient-changes")

import { ApiError, apiErrors } from '../../base/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { findResourceByKind } from '../../api/resources.ts';
import { FieldSet, fieldPE, jsonEqual, path, serializePE, type Json, type JsonMap, type Path } from './fieldpath.ts';
import { ssaSchemaForKind, zeroObject, type SsaSchema } from './schema.ts';
import { dropNewNulls, validateApplied, type Comparison, type TypedFieldError } from './typed.ts';
import { ConflictsError, Updater, type FieldFilter, type VersionedSet } from './updater.ts';
import {
  compareEntries,
  decodeManagedFields,
  emptyManaged,
  encodeManagedFields,
  formatTime,
  isResetManagedFields,
  managerIdentifier,
  type Managed,
  type ManagedFieldsEntry,
} from './managedfields.ts';
import { conflictError } from './conflict.ts';
import { ShapeMemo } from './shape.ts';
import { allowedConflictsFromLastApplied, buildLastApplied, hasLastApplied, setLastApplied } from './lastapplied.ts';

export { conflictError } from './conflict.ts';
export { LAST_APPLIED } from './lastapplied.ts';
export type { ManagedFieldsEntry } from './managedfields.ts';

export interface ApplyOptions {
  /** The fieldManager of the request (required for apply; the REST layer checks that). */
  manager: string;
  /** `force=true`: take conflicting fields instead of failing. */
  force: boolean;
  /** The time recorded on the entries this write changes. */
  now: Date;
  /** The group, version and kind the request addresses (the applied object must match). */
  group: string;
  version: string;
  kind: string;
  /** `status` or `scale` for writes through those subresources. */
  subresource?: string;
  /** Whether the kind has a status subresource (main-resource writes then do not own status).
   *  Defaults to the resource catalogue's answer. */
  hasStatus?: boolean;
}

export interface UpdateOptions {
  manager: string;
  now: Date;
  /** The request's `group/version` (or `v1` for core). */
  apiVersion: string;
  subresource?: string;
  /** The kind; defaults to `next.kind`. */
  kind?: string;
  /** As in ApplyOptions. */
  hasStatus?: boolean;
}

/** Upstream caps Update entries at this many; older ones merge into "ancient-changes". */
const MAX_UPDATE_MANAGERS = 10;
const BEFORE_FIRST_APPLY = 'before-first-apply';
const CURRENT_OPERATION = 'current-operation';
const ANCIENT_CHANGES = 'ancient-changes';
const FIELD_MANAGER_MAX_LENGTH = 128;

/** Fields never recorded in managedFields. */
const STRIPPED = FieldSet.of(
  path('apiVersion'),
  path('kind'),
  path('metadata'),
  path('metadata', 'name'),
  path('metadata', 'namespace'),
  path('metadata', 'creationTimestamp'),
  path('metadata', 'selfLink'),
  path('metadata', 'uid'),
  path('metadata', 'clusterName'),
  path('metadata', 'generation'),
  path('metadata', 'managedFields'),
  path('metadata', 'resourceVersion'),
);

interface Context {
  /** Identifies everything below but `now`: the prefix of memo keys. */
  readonly key: string;
  readonly schema: SsaSchema;
  readonly updater: Updater;
  readonly apiVersion: string;
  readonly kind: string;
  readonly subresource: string | undefined;
  readonly now: string;
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** What a write through `subresource` may claim: the main resource not status, status only status. */
function filterFor(subresource: string | undefined, hasStatus: boolean): FieldFilter {
  if (subresource === undefined || subresource === '') {
    if (!hasStatus) return (s) => s;
    const status = FieldSet.of(path('status'));
    return (s) => s.recursiveDifference(status);
  }
  if (subresource === 'status') return (s) => s.only([fieldPE('status')]);
  if (subresource === 'scale') {
    const replicas = path('spec', 'replicas');
    return (s) => (s.has(replicas) ? FieldSet.of(replicas) : new FieldSet());
  }
  return (s) => s;
}

/** Contexts by everything but the time: the schema, updater and filter of a kind are built once. */
const contexts = new Map<string, Omit<Context, 'now'>>();

function contextFor(group: string, version: string, kind: string, subresource: string | undefined, hasStatus: boolean | undefined, now: Date): Context {
  const id = `${group}/${kind}|${version}|${subresource ?? ''}|${hasStatus ?? ''}`;
  let c = contexts.get(id);
  if (!c) {
    const schema = ssaSchemaForKind(group, kind);
    const status = hasStatus ?? findResourceByKind(group, version, kind)?.hasStatus ?? false;
    c = {
      key: `${group}/${kind}|${version}|${subresource ?? ''}|${status}`,
      schema,
      updater: new Updater(schema, filterFor(subresource, status)),
      apiVersion: group ? `${group}/${version}` : version,
      kind,
      subresource: subresource || undefined,
    };
    if (contexts.size < 1024) contexts.set(id, c); // bounded: kinds × subresources, plus unknown kinds
  }
  return { ...c, now: formatTime(now) };
}

/** The object as JSON, without its managedFields. */
/** A read-only view without metadata.managedFields: shallow copies of the object and its
 *  metadata only (ownership comparison never writes into the objects it compares). */
function viewWithoutManagedFields(obj: KubeObject): JsonMap {
  const view = { ...obj } as unknown as JsonMap;
  const meta = obj.metadata;
  if (meta !== null && typeof meta === 'object' && !Array.isArray(meta) && 'managedFields' in meta) {
    const { managedFields: _m, ...rest } = meta;
    view.metadata = rest as JsonMap;
  }
  return view;
}

function asJson(obj: KubeObject): JsonMap {
  const copy = structuredClone(obj) as unknown as JsonMap;
  const meta = copy.metadata;
  if (meta !== null && typeof meta === 'object' && !Array.isArray(meta)) delete meta.managedFields;
  return copy;
}

/** Upstream's empty object of the kind (the "live" object of a create). */
function emptyObject(ctx: Context): JsonMap {
  return { ...zeroObject(ctx.schema), apiVersion: ctx.apiVersion, kind: ctx.kind };
}

function stripMeta(fields: Map<string, VersionedSet>, id: string): void {
  const vs = fields.get(id);
  if (!vs) return;
  const set = vs.set.difference(STRIPPED);
  if (set.empty()) fields.delete(id);
  else fields.set(id, { ...vs, set });
}

/** Merge the oldest Update entries per apiVersion until at most MAX_UPDATE_MANAGERS remain. */
function capUpdateManagers(m: Managed): void {
  const seconds = (id: string): number => {
    const t = m.times.get(id);
    return t ? Math.floor(Date.parse(t) / 1000) || 0 : 0;
  };
  const updaters = [...m.fields].filter(([, vs]) => !vs.applied).map(([id]) => id);
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  updaters.sort((a, b) => seconds(a) - seconds(b) || (a < b ? -1 : a > b ? 1 : 0));
  const firstByVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > MAX_UPDATE_MANAGERS; i++) {
    const id = updaters[i]!;
    const vs = m.fields.get(id)!;
    const time = m.times.get(id);
    const bucket = managerIdentifier({ manager: ANCIENT_CHANGES, operation: 'Update', apiVersion: vs.apiVersion });
    const first = firstByVersion.get(vs.apiVersion);
    // (An existing bucket counts as the first of its version; it never merges into itself.)
    if (first === undefined || id === bucket) {
      firstByVersion.set(vs.apiVersion, id);
      continue;
    }
    if (!m.fields.has(bucket)) {
      const s = m.fields.get(first)!;
      m.fields.delete(first);
      m.fields.set(bucket, s);
    }
    m.fields.set(bucket, { set: vs.set.union(m.fields.get(bucket)!.set), apiVersion: vs.apiVersion, applied: vs.applied });
    m.fields.delete(id);
    length--;
    if (time) m.times.set(bucket, time);
    else m.times.delete(bucket);
  }
}

/** An Update by `manager`: ownership of what changed from `live` to `next` (JSON without managedFields). */
function updateOwnership(live: JsonMap, next: JsonMap, managed: Managed, manager: string, ctx: Context, comparison?: Comparison): Managed {
  const id = managerIdentifier({ manager: manager || 'unknown', operation: 'Update', apiVersion: ctx.apiVersion, subresource: ctx.subresource });
  const fields = ctx.updater.updateOwnership(live, next, ctx.apiVersion, managed.fields, CURRENT_OPERATION, comparison);
  stripMeta(fields, CURRENT_OPERATION);
  const times = new Map(managed.times);
  const self = fields.get(CURRENT_OPERATION);
  if (self) {
    fields.delete(CURRENT_OPERATION);
    const prev = fields.get(id);
    fields.set(id, { set: prev ? self.set.union(prev.set) : self.set, apiVersion: self.apiVersion, applied: self.applied });
    times.set(id, ctx.now);
  }
  const out = { fields, times };
  capUpdateManagers(out);
  return out;
}

function gvkString(obj: JsonMap): string {
  const av = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const { group, version } = splitApiVersion(av);
  return `${group}/${version}, Kind=${typeof obj.kind === 'string' ? obj.kind : ''}`;
}

function typedErrorText(errs: readonly TypedFieldError[]): string {
  const one = (e: TypedFieldError): string => (e.path ? `${e.path}: ${e.message}` : e.message);
  if (errs.length === 1) return one(errs[0]!);
  return ['errors:', ...errs.map((e) => `  ${one(e)}`)].join('\n');
}

/** The apply proper, for one force setting. Throws ConflictsError. */
function applyOnce(
  live: JsonMap,
  config: JsonMap,
  managedIn: Managed,
  manager: string,
  force: boolean,
  ctx: Context,
): { object: JsonMap; managed: Managed } {
  let managed = managedIn;
  let liveObj = live;
  if (managed.fields.size === 0) {
    // An object nobody manages yet: whatever it holds belongs to "before-first-apply".
    managed = updateOwnership(emptyObject(ctx), liveObj, managed, BEFORE_FIRST_APPLY, ctx);
  }
  const id = managerIdentifier({ manager: manager || 'unknown', operation: 'Apply', subresource: ctx.subresource });
  const res = ctx.updater.apply(liveObj, config, ctx.apiVersion, managed.fields, id, force);
  stripMeta(res.managers, id);
  const times = new Map(managed.times);
  if (res.object !== undefined) {
    times.set(id, ctx.now);
    liveObj = res.object;
  }
  return { object: liveObj, managed: { fields: res.managers, times } };
}

/**
 * Server-side apply (PATCH with application/apply-patch+yaml) of `applied` onto `current`
 * (undefined: the object does not exist and the apply creates it). Returns the merged object,
 * not yet defaulted or validated, with metadata.managedFields updated; the REST layer then
 * treats it as the requested object of a create or update. Neither argument is mutated.
 *
 * Throws ApiError:
 * - 409 Conflict with FieldManagerConflict causes when, without `force`, the apply would change
 *   fields other managers own (`kubectl` may take over fields client-side apply set);
 * - 400 BadRequest for an object of another kind/version or one that sets managedFields;
 * - 500 (no reason) for a configuration with duplicate list keys or unidentifiable elements,
 *   with upstream's "failed to create typed patch object" message.
 */
export function applyPatch(current: KubeObject | undefined, applied: KubeObject, opts: ApplyOptions): KubeObject {
  const ctx = contextFor(opts.group, opts.version, opts.kind, opts.subresource, opts.hasStatus, opts.now);
  let managed: Managed;
  try {
    managed = decodeManagedFields(current?.metadata?.managedFields);
  } catch (e) {
    throw new ApiError(500, '', `failed to decode managed fields: ${(e as Error).message}`);
  }
  const config = structuredClone(applied) as unknown as JsonMap;
  if (config.apiVersion !== ctx.apiVersion || config.kind !== ctx.kind) {
    throw apiErrors.badRequest(`invalid object type: ${gvkString(config)}`);
  }
  const meta = (config.metadata !== null && typeof config.metadata === 'object' && !Array.isArray(config.metadata) ? config.metadata : {}) as JsonMap;
  if (meta.managedFields !== undefined && meta.managedFields !== null) {
    throw apiErrors.badRequest('metadata.managedFields must be nil');
  }
  const errs = validateApplied(config, ctx.schema);
  if (errs.length > 0) {
    const ns = typeof meta.namespace === 'string' ? meta.namespace : '';
    const name = typeof meta.name === 'string' ? meta.name : '';
    throw new ApiError(500, '', `failed to create typed patch object (${ns}/${name}; ${gvkString(config)}): ${typedErrorText(errs)}`);
  }

  // A create starts from nothing (upstream's empty Go object only adds zero values).
  const live: JsonMap = current ? asJson(current) : {};
  let result: { object: JsonMap; managed: Managed };
  try {
    result = applyOnce(live, config, managed, opts.manager, opts.force, ctx);
  } catch (e) {
    if (!(e instanceof ConflictsError)) throw e;
    if (opts.manager !== 'kubectl') throw conflictError(e.conflicts);
    // kubectl taking over from client-side apply: conflicts on fields the annotation says
    // client-side apply set (and still hold its values) are not conflicts.
    const allowed = allowedConflictsFromLastApplied(live, ctx.apiVersion, ctx.schema);
    if (!allowed) throw conflictError(e.conflicts);
    const remaining = e.conflicts.filter((c) => !allowed.has(c.path));
    if (remaining.length > 0) throw conflictError(remaining);
    result = applyOnce(live, config, managed, opts.manager, true, ctx);
  }

  const object = result.object;
  // kubectl's server-side apply keeps an existing client-side-apply annotation in step.
  if (opts.manager === 'kubectl' && hasLastApplied(object)) setLastApplied(object, buildLastApplied(config));
  const out = dropNewNulls(object, live) as JsonMap;
  setManagedFields(out, result.managed, current?.metadata);
  return out as unknown as KubeObject;
}

/**
 * Set (or remove) metadata.managedFields on `obj`, at the place the key had in `refMeta` (the
 * stored or requested metadata), else last as upstream writes it: the key order of a rewritten
 * object then matches the stored one, so an unchanged object stays byte-identical.
 */
function setManagedFields(obj: JsonMap, managed: Managed, refMeta: unknown): void {
  placeManagedFields(obj, encodeManagedFields(managed) as unknown as Json | undefined, refMeta);
}

function placeManagedFields(obj: JsonMap, entries: Json | undefined, refMeta: unknown): void {
  const meta = (obj.metadata !== null && typeof obj.metadata === 'object' && !Array.isArray(obj.metadata) ? obj.metadata : (obj.metadata = {})) as JsonMap;
  delete meta.managedFields;
  if (!entries) return;
  const ref = refMeta !== null && typeof refMeta === 'object' && !Array.isArray(refMeta) ? Object.keys(refMeta) : [];
  const at = ref.indexOf('managedFields');
  let after: string | undefined;
  for (let i = at - 1; i >= 0 && after === undefined; i--) if (Object.hasOwn(meta, ref[i]!)) after = ref[i];
  if (at < 0) {
    meta.managedFields = entries;
    return;
  }
  const rebuilt: JsonMap = {};
  if (after === undefined) rebuilt.managedFields = entries;
  for (const [k, v] of Object.entries(meta)) {
    rebuilt[k] = v;
    if (k === after) rebuilt.managedFields = entries;
  }
  for (const k of Object.keys(meta)) delete meta[k];
  Object.assign(meta, rebuilt);
}

/** FieldsV1 of a create by shape (see shape.ts); null: the create records no entry. Frozen:
 *  objects of one shape share it. */
const createFields = new ShapeMemo<Json | null>(256);

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/**
 * The managedFields of a create that starts with no entries: one Update entry of `manager` for
 * the fields `view` sets. Its fieldsV1 is remembered per object shape, since it depends on the
 * shape only; the entry itself (time) is built per write.
 */
function createEntries(view: JsonMap, manager: string, ctx: Context): Json | undefined {
  const key = createFields.key(view, ctx.schema, ctx.key);
  let fields = key === undefined ? undefined : createFields.get(key);
  if (fields === undefined) {
    const entries = encodeManagedFields(updateOwnership(emptyObject(ctx), view, emptyManaged(), manager, ctx));
    if (entries === undefined) fields = null;
    else if (entries.length === 1 && entries[0]!.operation === 'Update') fields = deepFreeze(entries[0]!.fieldsV1 as Json);
    else return entries as unknown as Json; // not the shape of a plain create: not remembered
    if (key !== undefined) createFields.set(key, fields);
  }
  if (fields === null) return undefined;
  const e: JsonMap = { manager: manager || 'unknown', operation: 'Update', apiVersion: ctx.apiVersion, time: ctx.now, fieldsType: 'FieldsV1', fieldsV1: fields };
  if (ctx.subresource) e.subresource = ctx.subresource;
  return [e];
}

/** Whether `p` is a member of a FieldsV1 tree, read as FieldSet.fromFieldsV1 reads it. */
function fieldsV1Has(tree: unknown, p: Path): boolean {
  let node = tree;
  for (const pe of p) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return false;
    const k = serializePE(pe);
    if (!Object.hasOwn(node, k)) return false;
    node = (node as Record<string, unknown>)[k];
  }
  if (p.length === 0 || node === null || typeof node !== 'object' || Array.isArray(node)) return false;
  if (Object.hasOwn(node, '.')) return true;
  for (const k in node) if (k.length >= 2 && k[1] === ':' && 'fkvi'.includes(k[0]!)) return false;
  return true;
}

function wellFormed(e: unknown): e is ManagedFieldsEntry {
  if (e === null || typeof e !== 'object' || Array.isArray(e)) return false;
  const x = e as ManagedFieldsEntry;
  return (
    (x.operation === 'Apply' || x.operation === 'Update') &&
    typeof x.manager === 'string' &&
    typeof x.apiVersion === 'string' &&
    x.apiVersion !== '' &&
    x.fieldsType === 'FieldsV1' &&
    x.fieldsV1 !== null &&
    typeof x.fieldsV1 === 'object' &&
    !Array.isArray(x.fieldsV1)
  );
}

/**
 * The entries after an ordinary write that needs no field-set work, else undefined. That is
 * the case when the write adds and removes nothing it may claim, and every field it changes
 * already belongs to the writer's own Update entry and to no one else: then every set stays
 * as it is, and only the writer's time moves (when anything changed). The stored entries are
 * the field manager's own output (canonical keys, sorted, capped), so they are reused as they
 * are instead of being decoded and encoded again.
 */
function keptOwnership(stored: readonly unknown[], c: Comparison, manager: string, ctx: Context): ManagedFieldsEntry[] | undefined {
  if (stored.length === 0 || !c.added.empty() || !c.removed.empty()) return undefined;
  let updaters = 0;
  for (const e of stored) {
    if (!wellFormed(e)) return undefined;
    if (e.operation === 'Update') updaters++;
  }
  if (updaters > MAX_UPDATE_MANAGERS) return undefined;
  const entries = stored as ManagedFieldsEntry[];
  if (c.modified.empty()) return entries;
  const name = manager || 'unknown';
  const sub = ctx.subresource ?? '';
  const self = entries.findIndex((e) => e.operation === 'Update' && e.manager === name && e.apiVersion === ctx.apiVersion && (e.subresource ?? '') === sub);
  if (self < 0) return undefined;
  for (const p of c.modified.paths()) {
    if (STRIPPED.has(p)) return undefined;
    for (let i = 0; i < entries.length; i++) if (fieldsV1Has(entries[i]!.fieldsV1, p) !== (i === self)) return undefined;
  }
  const e = entries[self]!;
  const updated: ManagedFieldsEntry = { manager: e.manager, operation: 'Update', apiVersion: e.apiVersion, time: ctx.now, fieldsType: 'FieldsV1', fieldsV1: e.fieldsV1 };
  if (e.subresource) updated.subresource = e.subresource;
  const out = entries.map((x, i) => (i === self ? updated : x));
  out.sort(compareEntries);
  return out;
}

function decodeOrEmpty(v: unknown): Managed {
  try {
    return decodeManagedFields(v);
  } catch {
    return emptyManaged();
  }
}

/**
 * Keep managedFields in step with an ordinary write (operation Update) by `opts.manager`:
 * the manager takes the fields it added or changed; every manager loses the fields that were
 * removed. `old` undefined means a create. Mutates `next.metadata.managedFields` only.
 *
 * The starting entries are those `next` carries when it sets any (a client may rewrite them,
 * as kubectl's client-side→server-side migration does; `[]` or `[{}]` clears them), else
 * those of `old`; a subresource write always starts from `old`'s. An existing object without
 * entries stays untracked. Never throws: on an internal error `old`'s entries are kept.
 *
 * Call it with the object as it will be stored (after the strategy and defaulting), so that
 * defaulted fields are credited to the writer as upstream does.
 */
export function updateManagedFields(old: KubeObject | undefined, next: KubeObject, opts: UpdateOptions): void {
  const { group, version } = splitApiVersion(opts.apiVersion);
  const kind = opts.kind ?? next.kind ?? old?.kind ?? '';
  const ctx = contextFor(group, version, kind, opts.subresource, opts.hasStatus, opts.now);
  next.metadata ??= {};
  const requested = next.metadata.managedFields;
  const refMeta = Object.hasOwn(next.metadata, 'managedFields') ? { ...next.metadata } : old?.metadata;
  const stored = old?.metadata?.managedFields;
  let comparison: Comparison | undefined;
  if (
    old !== undefined &&
    Array.isArray(stored) &&
    (ctx.subresource || requested === undefined || (!isResetManagedFields(requested) && jsonEqual(requested as Json, stored as unknown as Json)))
  ) {
    // The write starts from the stored entries: first see whether it needs any field-set work.
    try {
      comparison = ctx.updater.changes(viewWithoutManagedFields(old), viewWithoutManagedFields(next));
      const kept = keptOwnership(stored, comparison, opts.manager, ctx);
      if (kept) {
        delete next.metadata.managedFields;
        placeManagedFields(next as unknown as JsonMap, kept as unknown as Json, refMeta);
        return;
      }
    } catch {
      comparison = undefined; // the full path below decides (and keeps the stored entries on an error)
    }
  }
  let managed: Managed;
  if (ctx.subresource) managed = decodeOrEmpty(stored);
  else if (isResetManagedFields(requested)) managed = emptyManaged();
  else {
    let fromRequest: Managed | undefined;
    try {
      fromRequest = decodeManagedFields(requested);
    } catch {
      fromRequest = undefined;
    }
    managed = fromRequest && fromRequest.fields.size > 0 ? fromRequest : decodeOrEmpty(stored);
  }
  delete next.metadata.managedFields;
  if (managed.fields.size === 0 && old !== undefined && old.metadata?.uid) return;
  try {
    const view = viewWithoutManagedFields(next);
    if (old === undefined && managed.fields.size === 0) {
      placeManagedFields(next as unknown as JsonMap, createEntries(view, opts.manager, ctx), refMeta);
      return;
    }
    const live = old ? viewWithoutManagedFields(old) : emptyObject(ctx);
    const result = updateOwnership(live, view, managed, opts.manager, ctx, comparison);
    setManagedFields(next as unknown as JsonMap, result, refMeta);
  } catch {
    const kept = old?.metadata?.managedFields;
    placeManagedFields(next as unknown as JsonMap, kept === undefined ? undefined : (structuredClone(kept) as Json), refMeta);
  }
}

/**
 * The manager of a write that names no fieldManager: the User-Agent up to its first `/`,
 * without unprintable characters, at most 128 bytes ("kubectl/v1.32.4 (linux/amd64) …" →
 * "kubectl"). An empty result is recorded as "unknown".
 */
export function defaultManager(userAgent: string | undefined): string {
  const prefix = (userAgent ?? '').split('/')[0]!;
  let out = '';
  let bytes = 0;
  for (const ch of prefix) {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) continue;
    const n = Buffer.byteLength(ch);
    if (bytes + n > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/**
 * Upstream's checks of the fieldManager/force query parameters of a write, as the 422 it
 * answers (`PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required
 * for apply patch`). `verb` names the options kind: 'create' | 'update' | 'patch'.
 */
export function fieldManagerError(verb: 'create' | 'update' | 'patch', fieldManager: string | undefined, opts: { apply?: boolean; force?: boolean } = {}): ApiError | undefined {
  const causes: { reason: string; message: string; field: string }[] = [];
  const m = fieldManager ?? '';
  if (verb === 'patch') {
    if (!opts.apply && opts.force) causes.push({ reason: 'FieldValueForbidden', message: 'Forbidden: may not be specified for non-apply patch', field: 'force' });
    if (opts.apply && m === '') causes.push({ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' });
  }
  if (Buffer.byteLength(m) > FIELD_MANAGER_MAX_LENGTH) {
    causes.push({ reason: 'FieldValueTooLong', message: `Too long: may not be more than ${FIELD_MANAGER_MAX_LENGTH} bytes`, field: 'fieldManager' });
  }
  let i = 0;
  for (const ch of m) {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) {
      const cp = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(m)}: invalid character U+${cp} (at position ${i})`, field: 'fieldManager' });
    }
    i += Buffer.byteLength(ch);
  }
  if (causes.length === 0) return undefined;
  const kind = verb === 'create' ? 'CreateOptions' : verb === 'update' ? 'UpdateOptions' : 'PatchOptions';
  return apiErrors.invalid('meta.k8s.io', kind, '', causes);
}


