// Test-only Backend for the watch cache: full revision history, compaction, and control over
// watch delivery (hold events back, release them, fail every watch) so tests can put the
// cache behind the store on purpose. Not a reference implementation (src/store/memory.ts is).

import { CompactedError, ConflictError, FutureRevisionError, KeyExistsError, KeyNotFoundError } from '../../base/errors.ts';
import type { Backend, KeyValue, ListOptions, ListResult, WatchEvent, WatchHandlers, WatchOptions } from '../../store/backend.ts';

interface Row {
  revision: number;
  key: string;
  value: string;
  createRevision: number;
  deleted: boolean;
  prev?: KeyValue;
}

interface FakeWatch {
  prefix: string;
  next: number;
  handlers: WatchHandlers;
  signal: AbortSignal;
}

export class FakeBackend implements Backend {
  private rows: Row[] = [];
  private readonly live = new Map<string, KeyValue>();
  private rev = 0;
  private compacted = 0;
  private readonly watches = new Set<FakeWatch>();
  private pumpScheduled = false;
  /** While true, watch events are queued and delivered only by release(). */
  hold = false;
  /** Every list call (prefix and options), for asserting what was read from the store. */
  readonly listCalls: { prefix: string; opts: ListOptions }[] = [];

  async get(key: string): Promise<KeyValue | null> {
    return this.live.get(key) ?? null;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.listCalls.push({ prefix, opts: { ...opts } });
    const at = opts.revision && opts.revision > 0 ? opts.revision : this.rev;
    if (at > this.rev) throw new FutureRevisionError(at, this.rev);
    if (at < this.compacted) throw new CompactedError(at, this.compacted);
    const state = new Map<string, KeyValue>();
    for (const row of this.rows) {
      if (row.revision > at) break;
      if (!row.key.startsWith(prefix)) continue;
      if (row.deleted) state.delete(row.key);
      else state.set(row.key, { key: row.key, value: row.value, createRevision: row.createRevision, modRevision: row.revision });
    }
    let items = [...state.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (opts.startAfter !== undefined) items = items.filter((kv) => kv.key > opts.startAfter!);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : items.length;
    return { items: items.slice(0, limit), revision: at, more: items.length > limit };
  }

  async count(prefix: string): Promise<number> {
    let n = 0;
    for (const k of this.live.keys()) if (k.startsWith(prefix)) n++;
    return n;
  }

  async create(key: string, value: string): Promise<KeyValue> {
    if (this.live.has(key)) throw new KeyExistsError(key);
    const revision = ++this.rev;
    const kv = { key, value, createRevision: revision, modRevision: revision };
    this.commit({ revision, key, value, createRevision: revision, deleted: false }, kv);
    return kv;
  }

  async update(key: string, value: string, expectedRevision: number): Promise<KeyValue> {
    const prev = this.live.get(key);
    if (!prev) throw new KeyNotFoundError(key);
    if (prev.modRevision !== expectedRevision) throw new ConflictError(key, expectedRevision, prev.modRevision);
    const revision = ++this.rev;
    const kv = { key, value, createRevision: prev.createRevision, modRevision: revision };
    this.commit({ revision, key, value, createRevision: prev.createRevision, deleted: false, prev }, kv);
    return kv;
  }

  async delete(key: string, expectedRevision?: number): Promise<{ prev: KeyValue; revision: number }> {
    const prev = this.live.get(key);
    if (!prev) throw new KeyNotFoundError(key);
    if (expectedRevision !== undefined && prev.modRevision !== expectedRevision) throw new ConflictError(key, expectedRevision, prev.modRevision);
    const revision = ++this.rev;
    this.commit({ revision, key, value: '', createRevision: prev.createRevision, deleted: true, prev }, undefined);
    return { prev, revision };
  }

  watch(prefix: string, opts: WatchOptions, handlers: WatchHandlers): void {
    const from = opts.fromRevision && opts.fromRevision > 0 ? opts.fromRevision : this.rev + 1;
    if (from <= this.compacted) {
      queueMicrotask(() => {
        if (!opts.signal.aborted) handlers.onError(new CompactedError(from, this.compacted));
      });
      return;
    }
    const w: FakeWatch = { prefix, next: from, handlers, signal: opts.signal };
    this.watches.add(w);
    opts.signal.addEventListener('abort', () => this.watches.delete(w), { once: true });
    this.schedule();
  }

  async currentRevision(): Promise<number> {
    return this.rev;
  }

  async compactRevision(): Promise<number> {
    return this.compacted;
  }

  async compact(revision: number): Promise<void> {
    if (revision > this.rev) throw new FutureRevisionError(revision, this.rev);
    if (revision > this.compacted) this.compacted = revision;
  }

  async close(): Promise<void> {
    this.watches.clear();
  }

  // ---- test controls

  /** Create a key holding JSON of obj; returns the revision. */
  async put(key: string, obj: unknown): Promise<number> {
    const cur = this.live.get(key);
    if (cur) return (await this.update(key, JSON.stringify(obj), cur.modRevision)).modRevision;
    return (await this.create(key, JSON.stringify(obj))).modRevision;
  }

  /** Deliver everything queued (also while `hold` stays true). */
  release(): void {
    this.pump();
  }

  /** End every watch with err (as a lost backend would). */
  failWatches(err: Error): void {
    const all = [...this.watches];
    this.watches.clear();
    for (const w of all) if (!w.signal.aborted) w.handlers.onError(err);
  }

  get watchCount(): number {
    return this.watches.size;
  }

  private commit(row: Row, kv: KeyValue | undefined): void {
    this.rows.push(row);
    if (kv) this.live.set(row.key, kv);
    else this.live.delete(row.key);
    this.schedule();
  }

  private schedule(): void {
    if (this.hold || this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      if (!this.hold) this.pump();
    });
  }

  private pump(): void {
    for (const w of [...this.watches]) {
      if (w.signal.aborted) continue;
      const events: WatchEvent[] = [];
      // rows[i] holds revision i + 1
      for (let i = Math.max(0, w.next - 1); i < this.rows.length; i++) {
        const row = this.rows[i];
        if (!row.key.startsWith(w.prefix)) continue;
        const kv: KeyValue = { key: row.key, value: row.value, createRevision: row.createRevision, modRevision: row.revision };
        events.push(row.deleted ? { type: 'delete', kv, prevKv: row.prev } : row.prev ? { type: 'put', kv, prevKv: row.prev } : { type: 'put', kv });
      }
      w.next = this.rev + 1;
      if (events.length > 0) w.handlers.onEvents(events);
    }
  }
}
