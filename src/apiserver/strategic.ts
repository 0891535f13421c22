// Strategic merge patch (application/strategic-merge-patch+json), applied server-side as
// upstream's apimachinery strategicpatch does: objects merge key by key and `null` deletes;
// lists merge by their patchMergeKey (or as a set of primitives) when the schema says
// patchStrategy=merge, and are replaced whole otherwise; the directives `$patch`
// (replace/delete/merge), `$retainKeys`, `$setElementOrder/<list>` and
// `$deleteFromPrimitiveList/<list>` are honoured. Pure: neither argument is mutated.
//
// Deliberate differences from upstream, all on inputs upstream mishandles:
// - a value added where the document had none has its directives applied against an empty
//   value (a `$patch: replace` map keeps its content, `$patch: delete` elements vanish) and its
//   nulls dropped; upstream copies it with directive-carrying maps removed.
// - `$patch: merge` is accepted as "merge as usual" (upstream rejects it; it is the default).
// - unknown `$`-prefixed keys are ignored, as the patch-format compatibility rules ask.
// - malformed patches answer 400 where upstream answers 500.

import { ApiError, apiErrors } from '../base/errors.ts';
import { GUESS_SCHEMA, type PatchSchema } from './strategic-schema.ts';

type JsonMap = Record<string, unknown>;

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';

/**
 * Apply a strategic merge patch to a JSON document and return the result.
 * `schema` is the patch metadata of the document's kind (see schemaForKind); without it, a
 * guess that covers every built-in kind we serve is used. Throws ApiError 400/422 for
 * malformed patches (missing merge key, bad directive, order list not matching the patch).
 */
export function strategicMerge(doc: unknown, patch: Record<string, unknown>, schema?: PatchSchema): unknown {
  const original: JsonMap = isMap(doc) ? (structuredClone(doc) as JsonMap) : {};
  return mergeMap(original, structuredClone(patch) as JsonMap, schema ?? GUESS_SCHEMA);
}

function isMap(v: unknown): v is JsonMap {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function kindOf(v: unknown): 'map' | 'list' | 'primitive' {
  return Array.isArray(v) ? 'list' : isMap(v) ? 'map' : 'primitive';
}

function show(v: unknown): string {
  return JSON.stringify(v);
}

function badRequest(message: string): ApiError {
  return apiErrors.badRequest(message);
}

function noMergeKey(element: unknown, key: string): ApiError {
  return badRequest(`map: ${show(element)} does not contain declared merge key: ${key}`);
}

// Own-property access only: a patch may carry a `__proto__` key (JSON.parse makes it an own
// property), which plain indexing would read and write as the object's prototype.
function own(map: JsonMap, key: string): unknown {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

function put(map: JsonMap, key: string, value: unknown): void {
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
}

function fieldOf(schema: PatchSchema | undefined, key: string): PatchSchema | undefined {
  return schema?.fields && Object.hasOwn(schema.fields, key) ? schema.fields[key] : undefined;
}

/** Equality of JSON values (merge-key values, set members). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Merge `patch` into `original` (both owned by us, mutated freely) and return the result. */
function mergeMap(original: JsonMap, patch: JsonMap, schema: PatchSchema | undefined): JsonMap {
  if (Object.hasOwn(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    delete patch[DIRECTIVE];
    if (directive === 'replace') return mergeMap({}, patch, schema);
    if (directive === 'delete') return {};
    if (directive !== 'merge') throw badRequest(`unknown patch type: ${show(directive)} in map: ${show(patch)}`);
  }
  applyRetainKeys(original, patch);
  applySetElementOrder(original, patch, schema);

  const deletions: [string, unknown][] = [];
  for (const [key, patchValue] of Object.entries(patch)) {
    if (key.startsWith(DELETE_FROM)) {
      deletions.push([key, patchValue]);
      continue;
    }
    if (key.startsWith('$')) continue; // a directive this server does not know: ignore it
    const field = fieldOf(schema, key);
    if (patchValue === null) {
      delete original[key];
      continue;
    }
    const current = own(original, key);
    if (current === undefined || current === null || kindOf(current) !== kindOf(patchValue)) {
      setFromPatch(original, key, patchValue, field);
      continue;
    }
    if (isMap(current)) {
      const merged =
        field?.strategy === 'replace'
          ? valueFromPatch(patchValue, field) ?? {}
          : mergeMap(current, patchValue as JsonMap, field);
      put(original, key, merged);
    } else if (Array.isArray(current)) {
      const merged =
        field?.strategy === 'merge'
          ? mergeList(current, patchValue as unknown[], field)
          : valueFromPatch(patchValue, field);
      put(original, key, merged);
    } else {
      put(original, key, patchValue);
    }
  }
  for (const [key, toDelete] of deletions) deleteFromPrimitiveList(original, key, toDelete);
  return original;
}

/** Store a patch value where the document has none (or one of another kind). */
function setFromPatch(target: JsonMap, key: string, patchValue: unknown, field: PatchSchema | undefined): void {
  const value = valueFromPatch(patchValue, field);
  if (value === undefined) delete target[key];
  else put(target, key, value);
}

/**
 * A patch value as a document value: directives applied against an empty value, nulls dropped.
 * Undefined when the value deletes itself (`$patch: delete` on a map).
 */
function valueFromPatch(patchValue: unknown, field: PatchSchema | undefined): unknown {
  if (isMap(patchValue)) {
    if (patchValue[DIRECTIVE] === 'delete') return undefined;
    return mergeMap({}, patchValue, field);
  }
  if (Array.isArray(patchValue)) {
    if (field?.strategy === 'merge') return mergeList([], patchValue, field);
    const out: unknown[] = [];
    for (const element of patchValue) {
      if (isMap(element) && Object.hasOwn(element, DIRECTIVE) && Object.keys(element).length === 1) continue;
      const value = valueFromPatch(element, field?.item);
      if (value !== undefined) out.push(value);
    }
    return out;
  }
  return patchValue;
}

// ---- $retainKeys ----

function applyRetainKeys(original: JsonMap, patch: JsonMap): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const retain = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(retain)) throw badRequest('invalid patch format of retainKeys');
  const keep = new Set(retain);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key.startsWith('$')) continue;
    if (!keep.has(key)) throw badRequest('invalid patch format of retainKeys');
  }
  for (const key of Object.keys(original)) if (!keep.has(key)) delete original[key];
}

// ---- $deleteFromPrimitiveList/<list> ----

function deleteFromPrimitiveList(original: JsonMap, directiveKey: string, toDelete: unknown): void {
  const key = directiveKey.slice(DELETE_FROM.length);
  if (!key || !Array.isArray(toDelete)) throw badRequest('invalid patch format of primitive list');
  const current = own(original, key);
  if (!Array.isArray(current)) return; // nothing to delete from; never creates the list
  put(original, key, current.filter((v) => !toDelete.some((d) => sameValue(d, v))));
}

// ---- lists ----

/** The identity of a list element: its merge-key value for objects, itself for primitives. */
type Identity = (element: unknown) => unknown;

function identityFor(mergeKey: string | undefined, elements: unknown[]): Identity {
  if (mergeKey && elements.some(isMap)) return (e) => (isMap(e) ? own(e, mergeKey) : undefined);
  return (e) => e;
}

function checkElements(list: unknown[]): void {
  if (list.some(Array.isArray)) throw new ApiError(422, 'Invalid', 'lists of lists are not supported');
}

/** The outcome of merging two lists, before ordering. */
interface ListMerge {
  /** the server's elements left after the patch's deletions, merged, then the patch's new ones */
  merged: unknown[];
  /** the order the result is sorted by: the patch's elements (directives aside) */
  patchOrder: unknown[];
  /** the server's order: its elements left after the patch's deletions */
  serverOrder: unknown[];
  /** elements the patch added (not on the server) */
  added: unknown[];
  /** how many server elements the patch deleted */
  deleted: number;
  id: Identity;
}

/** Merge two lists under patchStrategy=merge, in upstream's order. */
function mergeList(original: unknown[], patch: unknown[], field: PatchSchema): unknown[] {
  const m = mergeListElements(original, patch, field);
  return Array.isArray(m) ? m : orderMerged(m.merged, m.patchOrder, m.serverOrder, m.id);
}

/** The merge itself; a plain list when the patch replaced the list (`$patch: replace`). */
function mergeListElements(original: unknown[], patch: unknown[], field: PatchSchema): ListMerge | unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  checkElements(original);
  checkElements(patch);
  const maps = original.some(isMap) || patch.some(isMap);
  if (maps && (original.some((e) => !isMap(e)) || patch.some((e) => !isMap(e)))) {
    throw badRequest(`list element types are not identical: ${show(original)} and ${show(patch)}`);
  }
  if (!maps) {
    const merged: unknown[] = [];
    for (const v of [...original, ...patch]) if (!merged.some((m) => sameValue(m, v))) merged.push(v);
    const added = merged.slice(original.length);
    return { merged, patchOrder: patch, serverOrder: original, added, deleted: 0, id: (e) => e };
  }

  const key = field.key;
  if (!key) throw badRequest('cannot merge lists without merge key');
  let base = original as JsonMap[];
  const plain: JsonMap[] = [];
  let replace = false;
  for (const element of patch as JsonMap[]) {
    if (!Object.hasOwn(element, DIRECTIVE)) {
      plain.push(element);
      continue;
    }
    const directive = element[DIRECTIVE];
    if (directive === 'delete') {
      if (!Object.hasOwn(element, key)) throw noMergeKey(element, key);
      base = base.filter((e) => !sameValue(own(e, key), element[key]));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive !== 'merge') {
      throw badRequest(`unknown patch type: ${show(directive)} in map: ${show(element)}`);
    }
  }
  if (replace) {
    // `$patch: replace` as an element: the list becomes exactly the patch's other elements
    const out: unknown[] = [];
    for (const element of plain) {
      const value = valueFromPatch(element, field.item);
      if (value !== undefined) out.push(value);
    }
    return out;
  }

  const merged: unknown[] = [...base];
  const added: unknown[] = [];
  for (const element of plain) {
    if (!Object.hasOwn(element, key)) throw noMergeKey(element, key);
    const at = merged.findIndex((e) => sameValue(own(e as JsonMap, key), element[key]));
    if (at >= 0) merged[at] = mergeMap(merged[at] as JsonMap, element, field.item);
    else {
      const value = valueFromPatch(element, field.item) ?? {};
      merged.push(value);
      added.push(value);
    }
  }
  const id: Identity = (e) => (isMap(e) ? own(e, key) : undefined);
  return { merged, patchOrder: plain, serverOrder: base, added, deleted: original.length - base.length, id };
}

/**
 * Order a merged list as upstream does: elements named by `patchOrder` keep its relative
 * order, the others (server-only) keep their relative order from `serverOrder`, and the two
 * runs are interleaved so that a server-only element stays ahead of a patch element it
 * preceded in the server's list.
 */
function orderMerged(merged: unknown[], patchOrder: unknown[], serverOrder: unknown[], id: Identity): unknown[] {
  const indexIn = (list: unknown[], element: unknown): number => {
    const want = id(element);
    return list.findIndex((e) => sameValue(id(e), want));
  };
  const rank = (list: unknown[]) => (element: unknown) => {
    const i = indexIn(list, element);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const byPatch = rank(patchOrder);
  const byServer = rank(serverOrder);
  const fromPatch = merged.filter((e) => indexIn(patchOrder, e) >= 0).sort((a, b) => byPatch(a) - byPatch(b));
  const serverOnly = merged.filter((e) => indexIn(patchOrder, e) < 0).sort((a, b) => byServer(a) - byServer(b));

  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < fromPatch.length) {
    if (j >= fromPatch.length) out.push(serverOnly[i++]);
    else if (i >= serverOnly.length) out.push(fromPatch[j++]);
    else {
      const left = indexIn(serverOrder, serverOnly[i]);
      const right = indexIn(serverOrder, fromPatch[j]);
      if (left >= 0 && right >= 0 && left < right) out.push(serverOnly[i++]);
      else out.push(fromPatch[j++]);
    }
  }
  return out;
}

// ---- $setElementOrder/<list> ----

function applySetElementOrder(original: JsonMap, patch: JsonMap, schema: PatchSchema | undefined): void {
  for (const directiveKey of Object.keys(patch)) {
    if (!directiveKey.startsWith(SET_ORDER)) continue;
    const order = patch[directiveKey];
    delete patch[directiveKey];
    const key = directiveKey.slice(SET_ORDER.length);
    if (!key || !Array.isArray(order)) throw badRequest('invalid patch format of setElementOrder list');
    const field = mergingField(fieldOf(schema, key), order);

    const current = own(original, key);
    const patchList = own(patch, key);
    const hasOriginal = current !== undefined && current !== null;
    const hasPatch = patchList !== undefined && patchList !== null;
    if (hasOriginal && !Array.isArray(current)) throw badRequest(`expected a list at ${key}, found ${show(current)}`);
    if (hasPatch && !Array.isArray(patchList)) throw badRequest(`expected a list at ${key}, found ${show(patchList)}`);
    const mergeKey = field?.strategy === 'merge' ? field.key : undefined;
    if (hasPatch) validateAgainstOrder(patchList as unknown[], order, mergeKey);

    let merged: unknown[];
    let serverOrder: unknown[] = hasOriginal ? (current as unknown[]) : [];
    if (hasOriginal && hasPatch && field?.strategy === 'merge') {
      const m = mergeListElements(current as unknown[], patchList as unknown[], field);
      if (Array.isArray(m)) merged = m;
      else {
        merged = orderMerged(m.merged, m.patchOrder, m.serverOrder, m.id);
        // Upstream's server order here is the server list after the deletions, followed by as
        // many added elements as there were deletions (Go reuses the freed slots of the
        // server's slice). Reproduced so that server-only elements land where upstream puts them.
        serverOrder = [...m.serverOrder, ...m.added.slice(0, m.deleted)];
      }
    } else if (hasPatch) {
      merged = valueFromPatch(patchList, field) as unknown[];
    } else if (hasOriginal) {
      merged = current as unknown[];
    } else {
      continue;
    }
    put(original, key, orderMerged(merged, order, serverOrder, identityFor(mergeKey, [...merged, ...order])));
    delete patch[key];
  }
}

/**
 * Clients send `$setElementOrder` only for lists they know as patchStrategy=merge. When our
 * table does not say so (a field it lacks), take the client's word: merge, by the one key the
 * order list's elements carry (or as a set when they are primitives). Replacing instead would
 * drop every element the client left out of its partial list.
 */
function mergingField(field: PatchSchema | undefined, order: unknown[]): PatchSchema | undefined {
  if (field?.strategy === 'merge' || order.length === 0) return field;
  if (order.every((e) => !isMap(e) && !Array.isArray(e))) return { ...field, strategy: 'merge' };
  const keys = new Set(order.map((e) => (isMap(e) && Object.keys(e).length === 1 ? Object.keys(e)[0] : '')));
  const [key] = keys;
  if (keys.size !== 1 || !key) return field;
  return { ...field, strategy: 'merge', key };
}

/**
 * The patch list's elements (deletions and directive-only elements aside) must appear in the
 * order list, in the same relative order.
 */
function validateAgainstOrder(patchList: unknown[], order: unknown[], mergeKey: string | undefined): void {
  if (order.length === 0 || patchList.length === 0) return;
  const id = identityFor(mergeKey, [...patchList, ...order]);
  const elements = patchList.filter((e) => !(isMap(e) && Object.hasOwn(e, DIRECTIVE)));
  if (mergeKey) {
    for (const e of [...elements, ...order]) {
      if (!isMap(e) || !Object.hasOwn(e, mergeKey)) throw noMergeKey(e, mergeKey);
    }
  }
  let p = 0;
  for (let o = 0; o < order.length && p < elements.length; o++) {
    if (sameValue(id(elements[p]), id(order[o]))) p++;
  }
  if (p < elements.length) {
    throw badRequest(`the order in patch list: ${show(patchList)} doesn't match $setElementOrder list: ${show(order)}`);
  }
}
