// One page of a list over an in-memory sorted snapshot (the live cache, or a state read from
// the backend at a revision): filter, limit, continue token and remainingItemCount. Pure:
// no I/O, no clock.

import type { KubeObject } from '../../api/types.ts';
import { encodeContinue } from './continue-token.ts';
import { lowerBound } from './key-index.ts';
import type { ListResult } from './types.ts';

export interface PageRequest {
  /** Keys in ascending order. */
  keys: readonly string[];
  /** The object stored under a key of `keys`. */
  lookup: (key: string) => KubeObject;
  /** The prefix the continue token's start key is relative to (prefix + namespace + '/'). */
  scopePrefix: string;
  /** The revision this state reflects (becomes the list's resourceVersion and the token's rv). */
  revision: number;
  filter?: (obj: KubeObject) => boolean;
  /** 0/undefined = no limit. */
  limit?: number;
  /** Start at the first key >= startKey (absolute key). */
  startKey?: string;
}

export function page(req: PageRequest): ListResult {
  const { keys, lookup, filter } = req;
  const limit = req.limit && req.limit > 0 ? req.limit : Infinity;
  let i = req.startKey === undefined ? 0 : lowerBound(keys, req.startKey);
  const items: KubeObject[] = [];
  let lastKey: string | undefined;
  for (; i < keys.length && items.length < limit; i++) {
    const obj = lookup(keys[i]);
    if (filter && !filter(obj)) continue;
    items.push(obj);
    lastKey = keys[i];
  }
  const result: ListResult = { items, resourceVersion: String(req.revision) };
  if (items.length === limit && i < keys.length && lastKey !== undefined) {
    result.continueToken = encodeContinue(req.revision, lastKey.slice(req.scopePrefix.length));
    if (!filter) result.remainingItemCount = keys.length - i;
  }
  return result;
}
