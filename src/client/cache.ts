// The informer's local cache: a Store of objects by key (`namespace/name`, or `name` for
// cluster-scoped objects) with secondary indexes, and a Lister, the read-only view controllers
// query. The namespace index is built in; controllers add their own (e.g. pods by node).
//
// Objects in a Store are shared with every reader and MUST be treated as read-only: copy
// (structuredClone) before changing anything. Informers can deep-freeze them to catch
// offenders (SharedInformer option `freeze`, on in tests).
//
// Concurrency: JavaScript runs one thing at a time and every method here is synchronous, so
// a reader never sees a half-applied change: the store is thread-safe by construction.

import type { KubeObject } from '../api/types.ts';
import { LabelSelector, parseLabelSelector } from '../api/selectors.ts';

/** Maps an object to the index values it is filed under (none: not indexed). Must be pure. */
export type IndexFunc<T> = (obj: T) => string[];

export const NAMESPACE_INDEX = 'namespace';

/** client-go's MetaNamespaceKeyFunc: `ns/name`, or `name` for cluster-scoped objects. */
export function metaNamespaceKey(obj: Pick<KubeObject, 'metadata'>): string {
  const { namespace, name } = obj.metadata;
  if (!name) throw new Error('object has no metadata.name');
  return namespace ? `${namespace}/${name}` : name;
}

/** The inverse of metaNamespaceKey. */
export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** Result of Store.replace: what changed relative to the previous content. */
export interface ReplaceResult<T> {
  added: T[];
  /** [previous, current] for every key present before and after (changed or not). */
  updated: [T, T][];
  /** The last known state of every key that is gone. */
  deleted: T[];
}

/**
 * Objects by key with secondary indexes. Contract: after any call returns, every index agrees
 * with the objects; list order is unspecified; get/list/byIndex return the stored objects
 * themselves (read-only, see the header), never copies.
 */
export class Store<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  /** index name → index value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  readonly keyOf: (obj: T) => string;

  constructor(opts: { keyFunc?: (obj: T) => string } = {}) {
    this.keyOf = opts.keyFunc ?? metaNamespaceKey;
    this.addIndexer(NAMESPACE_INDEX, (o) => [o.metadata.namespace ?? '']);
  }

  /** Add an index; it is built from the current content at once. Names are unique. */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.indexers.has(name)) throw new Error(`indexer ${name} already exists`);
    this.indexers.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indices.set(name, index);
    for (const [key, obj] of this.items) for (const v of fn(obj)) addTo(index, v, key);
  }

  hasIndexer(name: string): boolean {
    return this.indexers.has(name);
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  /** Keys filed under `value` in index `name`. Unknown index → throws. */
  indexKeys(name: string, value: string): string[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`no indexer named ${name}`);
    return [...(index.get(value) ?? [])];
  }

  byIndex(name: string, value: string): T[] {
    return this.indexKeys(name, value).map((k) => this.items.get(k)!);
  }

  /** Insert or replace by key; returns the previous object, if any. */
  upsert(obj: T): T | undefined {
    const key = this.keyOf(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, obj);
    return old;
  }

  /** Remove by key; returns the removed object, if any. */
  remove(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  /** Make the content exactly `objs`; reports the differences. */
  replace(objs: readonly T[]): ReplaceResult<T> {
    const result: ReplaceResult<T> = { added: [], updated: [], deleted: [] };
    const seen = new Set<string>();
    for (const obj of objs) {
      const key = this.keyOf(obj);
      seen.add(key);
      const old = this.upsert(obj);
      if (old) result.updated.push([old, obj]);
      else result.added.push(obj);
    }
    for (const key of [...this.items.keys()]) {
      if (!seen.has(key)) result.deleted.push(this.remove(key)!);
    }
    return result;
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name)!;
      for (const v of fn(obj)) addTo(index, v, key);
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name)!;
      for (const v of fn(obj)) {
        const keys = index.get(v);
        if (!keys) continue;
        keys.delete(key);
        if (keys.size === 0) index.delete(v);
      }
    }
  }
}

function addTo(index: Map<string, Set<string>>, value: string, key: string): void {
  let keys = index.get(value);
  if (!keys) index.set(value, (keys = new Set()));
  keys.add(key);
}

/** The read-only view of a Store that controllers use. Returned objects are read-only. */
export class Lister<T extends KubeObject = KubeObject> {
  private readonly store: Store<T>;

  constructor(store: Store<T>) {
    this.store = store;
  }

  /** One object; `ns` undefined (or '') for cluster-scoped objects. */
  get(ns: string | undefined, name: string): T | undefined {
    return this.store.get(ns ? `${ns}/${name}` : name);
  }

  /** Objects in `ns` (all namespaces when omitted) whose labels match `selector`. */
  list(ns?: string, selector?: LabelSelector | string): T[] {
    const sel = typeof selector === 'string' ? parseLabelSelector(selector) : selector;
    const objs = ns ? this.store.byIndex(NAMESPACE_INDEX, ns) : this.store.list();
    if (!sel || sel.empty()) return objs;
    return objs.filter((o) => sel.matches(o.metadata.labels));
  }

  byIndex(name: string, value: string): T[] {
    return this.store.byIndex(name, value);
  }
}

/** Deep-freeze a JSON object in place and return it (for catching writes to cached objects). */
export function deepFreeze<V>(v: V): V {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v as object)) deepFreeze(child);
  }
  return v;
}
