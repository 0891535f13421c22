// etcd:// — the distributed Backend: a real etcd v3 cluster through the `etcd3` client. Keys
// are used verbatim and the revision is etcd's own, so several skiff apiservers can share one
// etcd. The contract maps onto etcd one to one:
// - create: txn(version(key) == 0 → put); update: txn(mod(key) == expected ∧ version > 0 →
//   put, else get); delete likewise with delete-range; the failure branch's get tells
//   KeyNotFoundError from ConflictError.
// - list: range [startAfter+'\0' | prefix, prefixEnd) at a revision with a limit; etcd's
//   "compacted" / "future revision" errors become CompactedError / FutureRevisionError. A list
//   without a limit is read in pages of LIST_PAGE_SIZE keys at one revision (the first page's),
//   so no single reply grows with the prefix; if that revision is compacted mid-way and the
//   caller asked for no revision, the list starts over at the new current revision.
// - watch: an etcd watch with start_revision and prev_kv. The client reconnects and resumes on
//   its own; we pin its resume point to the last delivered revision + 1 and drop anything at
//   or below it, so a reconnect can neither skip nor repeat events.
// - A new watch holds back this backend's writes until etcd acknowledged it (at most 5 s), so
//   a write issued after watch() returned is always seen by a watch "from now".
// - etcd 3.4 cannot report its compaction revision directly: compactRevision() probes reads
//   at a revision (a read below it fails) with a binary search, cached as a lower bound.
// - Faults (etcd-faults.ts): no circuit breaker; a call is retried only when it never reached
//   etcd, a read also when the connection broke under it; gRPC messages of any size.
// Auto-compaction is etcd's own (--auto-compaction-*) unless retainRevisions is set here.

import { Etcd3, type IKeyValue, type IWatchResponse, type Watcher } from 'etcd3';
import { CompactedError, ConflictError, FutureRevisionError, KeyExistsError, KeyNotFoundError } from '../base/errors.ts';
import type { Backend, BackendOptions, KeyValue, ListOptions, ListResult, WatchEvent, WatchHandlers, WatchOptions } from './backend.ts';
import { AutoCompactor, DEFAULT_COMPACT_INTERVAL_MS } from './autocompact.ts';
import { CALL_DEADLINE_MS, GRPC_CHANNEL_OPTIONS, faultHandling, retryableRead, withRetry } from './etcd-faults.ts';

export interface EtcdBackendOptions extends BackendOptions {
  /** Client endpoints, `http://host:port` or `host:port`. */
  endpoints: string[];
  /** Where background (compaction) failures are reported; default console.error. */
  onError?: (err: unknown) => void;
  /** Keys per etcd request when list() is called without a limit (default LIST_PAGE_SIZE). */
  listPageSize?: number;
}

/** Keys per request of an unlimited list (a few MB of replies for typical objects). */
export const LIST_PAGE_SIZE = 1000;
/** How often an unlimited list without a revision starts over when its revision is compacted. */
const LIST_RESTARTS = 3;

const COMPACTED = 'required revision has been compacted';
const FUTURE = 'required revision is a future revision';
/** Longest a write waits for etcd to acknowledge a new watch (it proceeds anyway after). */
const WATCH_ACK_WAIT_MS = 5000;

export class EtcdBackend implements Backend {
  private readonly client: Etcd3;
  private readonly auto: AutoCompactor;
  /** Largest revision known to be compacted (compaction only moves forward). */
  private knownCompact = 0;
  /** Watches not yet acknowledged by etcd; writes wait for them (see header). */
  private readonly starting = new Set<Promise<void>>();
  /** Stoppers of the running watches, called on close. */
  private readonly active = new Set<(err: Error) => void>();
  private closed = false;
  private readonly pageSize: number;

  constructor(opts: EtcdBackendOptions) {
    this.client = new Etcd3({
      hosts: opts.endpoints,
      dialTimeout: 10000,
      grpcOptions: { ...GRPC_CHANNEL_OPTIONS },
      faultHandling: faultHandling(),
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + CALL_DEADLINE_MS }),
    });
    this.pageSize = opts.listPageSize && opts.listPageSize > 0 ? opts.listPageSize : LIST_PAGE_SIZE;
    this.auto = new AutoCompactor(
      { revisions: async () => ({ current: await this.currentRevision(), compacted: this.knownCompact }), compact: (rev) => this.compact(rev) },
      {
        retainRevisions: opts.retainRevisions ?? 0,
        intervalMs: opts.compactIntervalMs ?? DEFAULT_COMPACT_INTERVAL_MS,
        onError: opts.onError ?? ((err) => console.error('etcd store: compaction failed', err)),
      },
    );
    this.auto.start();
  }

  async get(key: string): Promise<KeyValue | null> {
    this.check();
    const res = await this.read(() => this.client.kv.range({ key: Buffer.from(key) }));
    return res.kvs.length > 0 ? toKV(res.kvs[0]) : null;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.check();
    const revision = opts.revision && opts.revision > 0 ? opts.revision : 0;
    if (opts.limit && opts.limit > 0) return this.listPage(prefix, revision, opts.limit, opts.startAfter);
    for (let restarts = 0; ; restarts++) {
      const items: KeyValue[] = [];
      let page = await this.listPage(prefix, revision, this.pageSize, opts.startAfter);
      const at = page.revision;
      try {
        for (;;) {
          for (const kv of page.items) items.push(kv);
          if (!page.more || page.items.length === 0) return { items, revision: at, more: false };
          page = await this.listPage(prefix, at, this.pageSize, page.items[page.items.length - 1].key);
        }
      } catch (err) {
        // Compacted under a list of "the current state": read that state again, now.
        if (!(err instanceof CompactedError) || revision > 0 || restarts >= LIST_RESTARTS) throw err;
      }
    }
  }

  /** One range request: at most `limit` keys (0 = all) under `prefix` after `startAfter`. */
  private async listPage(prefix: string, revision: number, limit: number, startAfter: string | undefined): Promise<ListResult> {
    const start = startAfter !== undefined && startAfter >= prefix ? Buffer.concat([Buffer.from(startAfter), Buffer.from([0])]) : rangeStart(prefix);
    const end = rangeEnd(prefix);
    const openEnded = end.length === 1 && end[0] === 0;
    if (!openEnded && Buffer.compare(start, end) >= 0) return { items: [], revision: revision || (await this.currentRevision()), more: false };
    const res = await this.read(() => this.client.kv.range({ key: start, range_end: end, revision, limit })).catch((err: unknown) =>
      this.readError(err, revision),
    );
    return { items: res.kvs.map(toKV), revision: revision || Number(res.header.revision), more: res.more };
  }

  async count(prefix: string): Promise<number> {
    this.check();
    const res = await this.read(() => this.client.kv.range({ key: rangeStart(prefix), range_end: rangeEnd(prefix), count_only: true }));
    return Number(res.count);
  }

  async create(key: string, value: string): Promise<KeyValue> {
    await this.beforeWrite();
    const k = Buffer.from(key);
    const res = await this.client.kv.txn({
      compare: [{ key: k, target: 'Version', result: 'Equal', version: 0 }],
      success: [{ request_put: { key: k, value: Buffer.from(value) } }],
    });
    if (!res.succeeded) throw new KeyExistsError(key);
    const rev = Number(res.header.revision);
    this.auto.noteWrite(rev, this.knownCompact);
    return { key, value, createRevision: rev, modRevision: rev };
  }

  async update(key: string, value: string, expectedRevision: number): Promise<KeyValue> {
    await this.beforeWrite();
    const k = Buffer.from(key);
    const res = await this.client.kv.txn({
      compare: [
        { key: k, target: 'Mod', result: 'Equal', mod_revision: expectedRevision },
        { key: k, target: 'Version', result: 'Greater', version: 0 },
      ],
      success: [{ request_put: { key: k, value: Buffer.from(value), prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) throw casError(key, expectedRevision, res.responses[0]?.response_range.kvs[0]);
    const rev = Number(res.header.revision);
    this.auto.noteWrite(rev, this.knownCompact);
    const prev = res.responses[0]?.response_put.prev_kv;
    return { key, value, createRevision: prev ? Number(prev.create_revision) : rev, modRevision: rev };
  }

  async delete(key: string, expectedRevision?: number): Promise<{ prev: KeyValue; revision: number }> {
    await this.beforeWrite();
    const k = Buffer.from(key);
    const compare = [{ key: k, target: 'Version' as const, result: 'Greater' as const, version: 0 }];
    const res = await this.client.kv.txn({
      compare:
        expectedRevision === undefined ? compare : [...compare, { key: k, target: 'Mod', result: 'Equal', mod_revision: expectedRevision }],
      success: [{ request_delete_range: { key: k, prev_kv: true } }],
      failure: [{ request_range: { key: k } }],
    });
    if (!res.succeeded) throw casError(key, expectedRevision ?? 0, res.responses[0]?.response_range.kvs[0]);
    const prev = res.responses[0]?.response_delete_range.prev_kvs[0];
    if (!prev) throw new KeyNotFoundError(key);
    const rev = Number(res.header.revision);
    this.auto.noteWrite(rev, this.knownCompact);
    return { prev: toKV(prev), revision: rev };
  }

  watch(prefix: string, opts: WatchOptions, handlers: WatchHandlers): void {
    const { signal } = opts;
    if (signal.aborted) return;
    let done = false;
    let watcher: Watcher | undefined;
    /** Revision of the last event delivered (or known to precede the watch). */
    let last = 0;
    let acknowledged: () => void = () => {};
    const gate = new Promise<void>((resolve) => (acknowledged = resolve));
    const stop = (err?: Error) => {
      if (done) return;
      done = true;
      acknowledged();
      this.active.delete(stop);
      signal.removeEventListener('abort', onAbort);
      if (watcher) watcher.cancel().catch(() => {});
      if (err && !signal.aborted) queueMicrotask(() => handlers.onError(err));
    };
    const onAbort = () => stop();
    signal.addEventListener('abort', onAbort, { once: true });
    this.active.add(stop);
    this.starting.add(gate);
    void gate.then(() => this.starting.delete(gate));
    if (this.closed) return stop(new Error('etcd store is closed'));

    const from = opts.fromRevision && opts.fromRevision > 0 ? opts.fromRevision : 0;
    const begin = async () => {
      if (from > 0) {
        const compacted = await this.compactRevision();
        if (from <= compacted) throw new CompactedError(from, compacted);
        last = from - 1;
      }
      if (done) return;
      const builder = this.client.watch().inRange({ start: rangeStart(prefix), end: rangeEnd(prefix) }).withPreviousKV();
      if (from > 0) builder.startRevision(String(from));
      const w = builder.watcher(); // attaches now; listeners below are registered before any event
      watcher = w;
      // On (re)connect the client resumes from request.start_revision: pin it to last + 1.
      const pin = () => ((w.request as { start_revision?: number | string }).start_revision = last + 1);
      w.on('connected', (res: IWatchResponse) => {
        if (last === 0 && from === 0) last = Number(res.header.revision);
        pin();
        acknowledged();
      });
      w.on('data', (res: IWatchResponse) => {
        const batch: WatchEvent[] = [];
        for (const ev of res.events) {
          const rev = Number(ev.kv.mod_revision);
          if (rev > last) {
            batch.push(toEvent(ev.type, ev.kv, ev.prev_kv));
            last = rev;
          }
        }
        pin();
        if (batch.length === 0 || done) return;
        try {
          handlers.onEvents(batch);
        } catch (err) {
          stop(err instanceof Error ? err : new Error(String(err)));
        }
      });
      w.on('error', (err: Error) => {
        watcher = undefined; // the client already dropped it
        this.compactRevision().then(
          (compacted) => stop(last + 1 <= compacted ? new CompactedError(last + 1, compacted) : err),
          () => stop(err),
        );
      });
    };
    begin().catch((err: unknown) => stop(err instanceof Error ? err : new Error(String(err))));
  }

  async currentRevision(): Promise<number> {
    this.check();
    const res = await this.read(() => this.client.kv.range({ key: Buffer.from([0]), count_only: true }));
    return Number(res.header.revision);
  }

  async compactRevision(): Promise<number> {
    this.check();
    let lo = Math.max(this.knownCompact, 1);
    if (await this.readable(lo)) return this.knownCompact;
    // Reads fail below the compaction revision and succeed at and above it.
    let hi = await this.currentRevision();
    while (lo + 1 < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (await this.readable(mid)) hi = mid;
      else lo = mid;
    }
    this.knownCompact = Math.max(this.knownCompact, hi);
    return this.knownCompact;
  }

  async compact(revision: number): Promise<void> {
    this.check();
    if (revision <= this.knownCompact) return;
    try {
      await this.read(() => this.client.kv.compact({ revision, physical: true })); // idempotent
    } catch (err) {
      if (!(err instanceof Error && err.message.includes(COMPACTED))) await this.readError(err, revision);
    }
    this.knownCompact = Math.max(this.knownCompact, revision);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.auto.stop();
    for (const stop of [...this.active]) stop(new Error('etcd store closed'));
    this.client.close();
  }

  private check(): void {
    if (this.closed) throw new Error('etcd store is closed');
  }

  /** Run an idempotent call, retried (bounded) when the connection or leader went away. */
  private read<T>(call: () => Promise<T>): Promise<T> {
    return withRetry(call, (err) => !this.closed && retryableRead(err));
  }

  /** Writes wait (bounded) for watches being established, see the header. */
  private async beforeWrite(): Promise<void> {
    this.check();
    if (this.starting.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, WATCH_ACK_WAIT_MS)));
    await Promise.race([Promise.all(this.starting), bound]);
    clearTimeout(timer);
  }

  private async readable(revision: number): Promise<boolean> {
    try {
      await this.read(() => this.client.kv.range({ key: Buffer.from([0]), revision, count_only: true }));
      return true;
    } catch (err) {
      if (err instanceof Error && err.message.includes(COMPACTED)) return false;
      throw err;
    }
  }

  /** Map etcd's revision errors for a read (or compaction) at `requested` to our sentinels. */
  private async readError(err: unknown, requested: number): Promise<never> {
    const message = err instanceof Error ? err.message : '';
    if (message.includes(COMPACTED)) throw new CompactedError(requested, await this.compactRevision());
    if (message.includes(FUTURE)) throw new FutureRevisionError(requested, await this.currentRevision());
    throw err;
  }
}

/** The etcd range start for `prefix` (etcd wants a non-empty key; '\0' is the first one). */
function rangeStart(prefix: string): Buffer {
  return prefix === '' ? Buffer.from([0]) : Buffer.from(prefix);
}

/** The etcd range end covering every key under `prefix` ('\0' = to the end of the keyspace). */
function rangeEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

function toKV(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
  };
}

function toEvent(type: string, kv: IKeyValue, prev: IKeyValue | undefined): WatchEvent {
  if (type === 'Delete') {
    const ev: WatchEvent = {
      type: 'delete',
      kv: { key: kv.key.toString('utf8'), value: '', createRevision: prev ? Number(prev.create_revision) : 0, modRevision: Number(kv.mod_revision) },
    };
    if (prev) ev.prevKv = toKV(prev);
    return ev;
  }
  return prev ? { type: 'put', kv: toKV(kv), prevKv: toKV(prev) } : { type: 'put', kv: toKV(kv) };
}

/** Why a compare-and-swap transaction failed, from the failure branch's read of the key. */
function casError(key: string, expected: number, current: IKeyValue | undefined): Error {
  return current ? new ConflictError(key, expected, Number(current.mod_revision)) : new KeyNotFoundError(key);
}
