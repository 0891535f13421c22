// Watch events inside the cache: one ChangeRecord per applied store change (kept in the
// history ring), the CacheEvent objects handed to watchers, and the pure decision of which
// event (if any) a watcher with a filter receives for a change — upstream's rule: an object
// that starts matching arrives as ADDED, one that stops matching as DELETED.
//
// Allocation: a change allocates its natural event once; the ADDED/DELETED variants for
// filter transitions are built lazily, once, and shared by every watcher that needs them.

import type { KubeObject } from '../../api/types.ts';
import type { JsonMemo } from './json-memo.ts';
import type { CacheEvent, CacheEventType } from './types.ts';

export class CacheEventImpl implements CacheEvent {
  readonly type: CacheEventType;
  readonly object: KubeObject;
  readonly revision: number;
  private readonly memo: JsonMemo;

  constructor(type: CacheEventType, object: KubeObject, revision: number, memo: JsonMemo) {
    this.type = type;
    this.object = object;
    this.revision = revision;
    this.memo = memo;
  }

  objectJson(): string {
    return this.memo.json(this.object);
  }

  objectBytes(): Buffer {
    return this.memo.bytes(this.object);
  }
}

/** A shallow copy of `obj` whose metadata.resourceVersion is `revision` (content shared). */
export function withResourceVersion(obj: KubeObject, revision: number): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } };
}

/** One applied change of one key. */
export class ChangeRecord {
  readonly revision: number;
  readonly key: string;
  readonly namespace: string;
  /** The event every unfiltered watcher gets. */
  readonly event: CacheEventImpl;
  /** State before the change (resourceVersion = its own modRevision); undefined for ADDED. */
  readonly prevObject: KubeObject | undefined;
  /** State after the change; undefined for DELETED. */
  readonly object: KubeObject | undefined;
  private readonly memo: JsonMemo;
  private asAddedEvent: CacheEventImpl | undefined;
  private asDeletedEvent: CacheEventImpl | undefined;

  constructor(
    revision: number,
    key: string,
    namespace: string,
    type: CacheEventType,
    object: KubeObject | undefined,
    prevObject: KubeObject | undefined,
    memo: JsonMemo,
  ) {
    this.revision = revision;
    this.key = key;
    this.namespace = namespace;
    this.object = object;
    this.prevObject = prevObject;
    this.memo = memo;
    const shown = type === 'DELETED' ? withResourceVersion(prevObject!, revision) : object!;
    this.event = new CacheEventImpl(type, shown, revision, memo);
    if (type === 'DELETED') this.asDeletedEvent = this.event;
  }

  /** ADDED for a watcher whose filter starts matching at this change. */
  asAdded(): CacheEventImpl {
    if (this.event.type === 'ADDED') return this.event;
    this.asAddedEvent ??= new CacheEventImpl('ADDED', this.object!, this.revision, this.memo);
    return this.asAddedEvent;
  }

  /** DELETED (previous state, this change's revision) for a watcher whose filter stops matching. */
  asDeleted(): CacheEventImpl {
    this.asDeletedEvent ??= new CacheEventImpl('DELETED', withResourceVersion(this.prevObject!, this.revision), this.revision, this.memo);
    return this.asDeletedEvent;
  }
}

/**
 * The event a watcher with `filter` receives for `change`, or undefined when the change is of
 * no interest to it. Without a filter every change is delivered as is.
 */
export function eventFor(change: ChangeRecord, filter: ((obj: KubeObject) => boolean) | undefined): CacheEventImpl | undefined {
  if (!filter) return change.event;
  const cur = change.object !== undefined && filter(change.object);
  const prev = change.prevObject !== undefined && filter(change.prevObject);
  if (cur && prev) return change.event;
  if (cur) return change.asAdded();
  if (prev) return change.event.type === 'DELETED' ? change.event : change.asDeleted();
  return undefined;
}
