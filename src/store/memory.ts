// memory:// — an in-memory Backend with full revision history, for unit tests and as the
// reference implementation of the contract in backend.ts. Nothing is persisted.
//
// History is a revision-ordered array of rows in the kine style (one row per write: key,
// value, createRevision, the key's previous revision, created/deleted flags); the live keys
// are indexed in a Map. Compaction uses the same rule as sqlite.ts: a row at or below the
// compaction revision is discarded when a later write at or below that revision superseded it,
// and tombstones at or below it are discarded, so the state at every revision >= the
// compaction revision can still be rebuilt and every retained event still finds its prevKv.

import { CompactedError, ConflictError, FutureRevisionError, KeyExistsError, KeyNotFoundError } from '../base/errors.ts';
import type { Backend, BackendOptions, KeyValue, ListOptions, ListResult, WatchEvent, WatchHandlers, WatchOptions } from './backend.ts';
import { AutoCompactor, DEFAULT_COMPACT_INTERVAL_MS, DEFAULT_RETAIN_REVISIONS } from './autocompact.ts';
import { WatchHub } from './watchhub.ts';

interface Row {
  revision: number;
  key: string;
  value: string;
  createRevision: number;
  /** The key's previous write (0 when this row created the key). */
  prevRevision: number;
  deleted: boolean;
}

export interface MemoryBackendOptions extends BackendOptions {
  /** Where background (compaction) failures are reported; default console.error. */
  onError?: (err: unknown) => void;
}

export class MemoryBackend implements Backend {
  private rows: Row[] = [];
  private readonly live = new Map<string, Row>();
  private revision = 0;
  private compacted = 0;
  private closed = false;
  private readonly hub = new WatchHub();
  private readonly auto: AutoCompactor;

  constructor(opts: MemoryBackendOptions = {}) {
    this.auto = new AutoCompactor(
      {
        revisions: async () => ({ current: this.revision, compacted: this.compacted }),
        compact: (rev) => this.compact(rev),
      },
      {
        retainRevisions: opts.retainRevisions ?? DEFAULT_RETAIN_REVISIONS,
        intervalMs: opts.compactIntervalMs ?? DEFAULT_COMPACT_INTERVAL_MS,
        onError: opts.onError ?? ((err) => console.error('memory store: compaction failed', err)),
      },
    );
    this.auto.start();
  }

  async get(key: string): Promise<KeyValue | null> {
    this.check();
    const row = this.live.get(key);
    return row ? toKV(row) : null;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.check();
    const at = this.readRevision(opts.revision);
    const after = opts.startAfter;
    const rows: Row[] = [];
    if (at === this.revision) {
      for (const row of this.live.values()) if (row.key.startsWith(prefix)) rows.push(row);
    } else {
      const state = new Map<string, Row>();
      for (const row of this.rows) {
        if (row.revision > at) break;
        if (row.key.startsWith(prefix)) state.set(row.key, row);
      }
      for (const row of state.values()) if (!row.deleted) rows.push(row);
    }
    const keys = rows.filter((r) => after === undefined || r.key > after).sort((a, b) => (a.key < b.key ? -1 : 1));
    const limit = opts.limit && opts.limit > 0 ? opts.limit : keys.length;
    return { items: keys.slice(0, limit).map(toKV), revision: at, more: keys.length > limit };
  }

  async count(prefix: string): Promise<number> {
    this.check();
    let n = 0;
    for (const key of this.live.keys()) if (key.startsWith(prefix)) n++;
    return n;
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.check();
    if (this.live.has(key)) throw new KeyExistsError(key);
    const rev = ++this.revision;
    const row: Row = { revision: rev, key, value, createRevision: rev, prevRevision: 0, deleted: false };
    this.commit(row, undefined);
    return toKV(row);
  }

  async update(key: string, value: string, expectedRevision: number): Promise<KeyValue> {
    this.check();
    const prev = this.current(key, expectedRevision);
    const rev = ++this.revision;
    const row: Row = { revision: rev, key, value, createRevision: prev.createRevision, prevRevision: prev.revision, deleted: false };
    this.commit(row, prev);
    return toKV(row);
  }

  async delete(key: string, expectedRevision?: number): Promise<{ prev: KeyValue; revision: number }> {
    this.check();
    const prev = this.current(key, expectedRevision);
    const rev = ++this.revision;
    const row: Row = { revision: rev, key, value: '', createRevision: prev.createRevision, prevRevision: prev.revision, deleted: true };
    this.commit(row, prev);
    return { prev: toKV(prev), revision: rev };
  }

  watch(prefix: string, opts: WatchOptions, handlers: WatchHandlers): void {
    if (this.closed) {
      this.hub.reject(opts.signal, handlers, new Error('memory store is closed'));
      return;
    }
    const from = opts.fromRevision ?? 0;
    if (from <= 0) {
      this.hub.add(prefix, this.revision + 1, [], opts.signal, handlers);
      return;
    }
    if (from <= this.compacted) {
      this.hub.reject(opts.signal, handlers, new CompactedError(from, this.compacted));
      return;
    }
    const replay: WatchEvent[] = [];
    for (let i = this.indexAfter(from - 1); i < this.rows.length; i++) {
      const row = this.rows[i];
      if (row.key.startsWith(prefix)) replay.push(this.eventOf(row, this.findRow(row.prevRevision)));
    }
    this.hub.add(prefix, from, replay, opts.signal, handlers);
  }

  async currentRevision(): Promise<number> {
    this.check();
    return this.revision;
  }

  async compactRevision(): Promise<number> {
    this.check();
    return this.compacted;
  }

  async compact(revision: number): Promise<void> {
    this.check();
    if (revision > this.revision) throw new FutureRevisionError(revision, this.revision);
    if (revision <= this.compacted) return;
    const drop = new Set<number>();
    for (let i = this.indexAfter(this.compacted); i < this.rows.length && this.rows[i].revision <= revision; i++) {
      const row = this.rows[i];
      if (row.prevRevision > 0) drop.add(row.prevRevision);
      if (row.deleted) drop.add(row.revision);
    }
    this.rows = this.rows.filter((r) => !drop.has(r.revision));
    this.compacted = revision;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.auto.stop();
    this.hub.closeAll(new Error('store closed'));
  }

  private check(): void {
    if (this.closed) throw new Error('memory store is closed');
  }

  /** The revision a read should use, validating it against compaction and the current revision. */
  private readRevision(requested: number | undefined): number {
    if (!requested || requested <= 0) return this.revision;
    if (requested > this.revision) throw new FutureRevisionError(requested, this.revision);
    if (requested < this.compacted) throw new CompactedError(requested, this.compacted);
    return requested;
  }

  /** The live row for a CAS write, or the sentinel error. */
  private current(key: string, expectedRevision: number | undefined): Row {
    const prev = this.live.get(key);
    if (!prev) throw new KeyNotFoundError(key);
    if (expectedRevision !== undefined && prev.revision !== expectedRevision) {
      throw new ConflictError(key, expectedRevision, prev.revision);
    }
    return prev;
  }

  private commit(row: Row, prev: Row | undefined): void {
    this.rows.push(row);
    if (row.deleted) this.live.delete(row.key);
    else this.live.set(row.key, row);
    this.hub.publish([this.eventOf(row, prev)]);
    this.auto.noteWrite(this.revision, this.compacted);
  }

  private eventOf(row: Row, prev: Row | undefined): WatchEvent {
    const ev: WatchEvent = row.deleted ? { type: 'delete', kv: { ...toKV(row), value: '' } } : { type: 'put', kv: toKV(row) };
    if (prev && row.prevRevision > 0) ev.prevKv = toKV(prev);
    return ev;
  }

  /** Index of the first history row with revision > rev (binary search). */
  private indexAfter(rev: number): number {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rows[mid].revision <= rev) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private findRow(rev: number): Row | undefined {
    if (rev <= 0) return undefined;
    const row = this.rows[this.indexAfter(rev - 1)];
    return row && row.revision === rev ? row : undefined;
  }
}

function toKV(row: Row): KeyValue {
  return { key: row.key, value: row.value, createRevision: row.createRevision, modRevision: row.revision };
}
