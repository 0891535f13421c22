// Applying PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902, via
// fast-json-patch) and strategic merge patch (strategic.ts). Pure functions; errors are 400/422
// ApiErrors with messages a user can act on.

import jsonpatch from 'fast-json-patch';
import { apiErrors, ApiError } from '../base/errors.ts';
import { strategicMerge } from './strategic.ts';
import { schemaForKind } from './strategic-schema.ts';
import { jsonNestsDeeper, tooDeep } from './request.ts';

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
] as const;

export type PatchType = (typeof PATCH_TYPES)[number];

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** RFC 7386: objects merge recursively, null deletes, everything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '__proto__') continue; // never let a patch reach an object's prototype
    if (v === null) delete out[k];
    else out[k] = mergePatch(Object.hasOwn(out, k) ? out[k] : undefined, v);
  }
  return out;
}

/** Apply a patch of the given type to a JSON document (not mutated); returns the new document.
 *  `kind` picks the strategic-merge schema (merge keys of the kind's lists). */
export function applyPatch(type: string, doc: unknown, patchText: string, kind?: { group: string; kind: string }): unknown {
  let patch: unknown;
  try {
    patch = JSON.parse(patchText);
  } catch (e) {
    throw apiErrors.badRequest(`error decoding patch: ${(e as Error).message}`);
  }
  if (jsonNestsDeeper(patchText)) throw tooDeep();
  switch (type) {
    case 'application/merge-patch+json':
      if (!isObject(patch)) throw apiErrors.badRequest('a JSON merge patch must be a JSON object');
      return mergePatch(doc, patch);
    case 'application/strategic-merge-patch+json':
      if (!isObject(patch)) throw apiErrors.badRequest('a strategic merge patch must be a JSON object');
      return strategicMerge(doc, patch, kind ? schemaForKind(kind.group, kind.kind) : undefined);
    case 'application/json-patch+json': {
      if (!Array.isArray(patch)) throw apiErrors.badRequest('a JSON patch must be a JSON array of operations');
      try {
        // validate() returns a malformed operation's error, and throws for a banned path (__proto__)
        const err = jsonpatch.validate(patch as jsonpatch.Operation[], doc);
        if (err) throw err;
        return jsonpatch.applyPatch(structuredClone(doc), patch as jsonpatch.Operation[], false, true).newDocument;
      } catch (e) {
        throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    default:
      throw new ApiError(415, 'UnsupportedMediaType', `the server does not support patch type ${type}: supported types are ${PATCH_TYPES.join(', ')}`);
  }
}
