// sqlite:// — the embedded default Backend: one SQLite file in the data directory, opened by
// one process through node:sqlite (DatabaseSync), in the style of k3s's kine.
//
// Schema: `log` holds one row per revision (the row id IS the revision): the key (`name`),
// `created`/`deleted` flags, the key's create_revision, prev_revision (the key's previous write,
// 0 for a create), `live` (1 on the row holding a live key's current value) and the value.
// `meta` holds the current and the compaction revision so both survive a restart. Indexes:
// (name, id) for reads at an old revision, and a partial unique index on name WHERE live = 1
// for current reads, counts and the compare-and-swap check. The previous value of an event
// (prevKv) is read by joining on prev_revision; compaction never removes a row that a retained
// event points at, so the kine `old_value` column is not needed and history costs one value
// per revision, not two.
//
// Durability: WAL journal plus our own fdatasync of the WAL after every commit, on the libuv
// thread pool: a write whose promise resolved (a resourceVersion handed to a client) survives
// power loss, as with etcd and as with synchronous=FULL, but the event loop never waits for
// that sync. Checkpoints are ours too (synchronous=OFF, no autocheckpoint): once about
// CHECKPOINT_BYTES were written, writes pause while the WAL is synced, its pages are copied into
// the database and the database is synced, the order SQLite's own checkpoints keep; only the
// copy (CPU) runs on the event loop, the syncs on the thread pool.
// Group commit: writes arriving in the same event-loop turn are queued and committed together
// in one transaction on setImmediate (at most maxBatch per transaction); while a batch's sync
// runs, new writes queue for the next batch. A batch is invisible until synced: reads and
// watch registrations wait for the sync, and its events are published and its writes settled
// only after it. Within a batch writes apply in arrival order; a failed compare-and-swap fails
// only that write. A failed sync stops the store.
// See docs/store.md ("Write batching", "Durability").
//
// Watchers are notified in-process (watchhub.ts) after the sync. locking_mode=EXCLUSIVE makes
// a second process opening the same file fail instead of silently missing our events.
//
// Compaction (autocompact.ts triggers it) deletes, in chunks, rows at or below the target that
// a later write at or below the target superseded, and tombstones at or below it. Freed pages
// are reused by later writes (auto_vacuum=INCREMENTAL gives a large surplus back to the file
// system) and the WAL is truncated after each compaction, so the files stay bounded under churn.

import { closeSync, fdatasync, fdatasyncSync, fstatSync, openSync, statSync } from 'node:fs';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { CompactedError, ConflictError, FutureRevisionError, KeyExistsError, KeyNotFoundError } from '../base/errors.ts';
import type { Backend, BackendOptions, KeyValue, ListOptions, ListResult, WatchEvent, WatchHandlers, WatchOptions } from './backend.ts';
import { AutoCompactor, DEFAULT_COMPACT_INTERVAL_MS, DEFAULT_RETAIN_REVISIONS } from './autocompact.ts';
import { prefixEnd } from './keyrange.ts';
import { WatchHub } from './watchhub.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS log (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  live INTEGER NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_name_id ON log (name, id);
CREATE UNIQUE INDEX IF NOT EXISTS log_live_name ON log (name) WHERE live = 1;
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (k, v) VALUES ('revision', 0), ('compact', 0);
`;

/** Revisions compacted per transaction, so one compaction never blocks the loop for long. */
const COMPACT_CHUNK = 5000;

export interface SqliteBackendOptions extends BackendOptions {
  /** Path of the database file (created if missing; its directory must exist). */
  path: string;
  /** At most this many writes per transaction (default 2000). */
  maxBatch?: number;
  /** Where background (compaction) failures are reported; default console.error. */
  onError?: (err: unknown) => void;
}

type WriteKind = 'create' | 'update' | 'delete';
interface WriteOp {
  kind: WriteKind;
  key: string;
  value: string;
  expected: number | undefined;
  resolve(result: unknown): void;
  reject(err: unknown): void;
}
type Outcome = { ok: true; result: unknown } | { ok: false; error: Error };
interface LiveRow {
  id: number;
  c: number;
  value: string;
}
interface ListRow extends LiveRow {
  name: string;
}
interface ReplayRow extends ListRow {
  deleted: number;
  pr: number;
  pv: string | null;
  pc: number | null;
}

/** SQLITE_CONSTRAINT_UNIQUE: an INSERT met an existing live name (the log_live_name index). */
const SQLITE_CONSTRAINT_UNIQUE = 2067;

function isUniqueViolation(err: unknown): boolean {
  return (err as { errcode?: unknown } | null)?.errcode === SQLITE_CONSTRAINT_UNIQUE;
}

/**
 * SQLite's own checkpoints, only when it syncs itself (the FULL fallback): WAL pages after which
 * a commit checkpoints, inside that COMMIT on the event loop. 1000 pages (SQLite's default)
 * blocked 7–10 ms per checkpoint under pod creates, 250 pages ≈ 3 ms (bench/RESULTS.md,
 * 2026-11-22 06:40).
 */
const WAL_AUTOCHECKPOINT_PAGES = 250;

/**
 * Bytes of keys and values written after which the next batch first checkpoints, when the
 * store syncs the WAL itself (about 1.5 MiB of WAL: values span overflow pages, and index pages
 * are rewritten too). SQLite's own checkpoints ran two syncs inside a COMMIT, on the event
 * loop: ≈ 10 µs per create of a 4 KB pod; ours run them on the thread pool (docs/store.md).
 */
const CHECKPOINT_BYTES = 1 << 20;
/** What a write adds to the WAL beyond its key and value (row header, index entries), roughly. */
const ROW_OVERHEAD_BYTES = 64;
/**
 * What a transaction adds to the WAL whatever it holds: whole pages, at least a table leaf, a
 * leaf of each index and the meta row's page. A lone 3 KB write (kubectl, one at a time) puts
 * about four 4 KiB pages into the WAL; counting only its bytes let the WAL grow to 5 MiB
 * between checkpoints.
 */
const COMMIT_OVERHEAD_BYTES = 3 * 4096;

export class SqliteBackend implements Backend {
  private readonly db: DatabaseSync;
  private readonly path: string;
  private readonly maxBatch: number;
  private readonly hub = new WatchHub();
  private readonly auto: AutoCompactor;
  private readonly statements = new Map<string, StatementSync>();
  private revision: number;
  private compacted: number;
  private pending: WriteOp[] = [];
  private flushTimer: NodeJS.Immediate | undefined;
  private compaction: Promise<void> = Promise.resolve();
  private closed = false;
  /** The WAL file, synced off the event loop after each commit; undefined: SQLite syncs (FULL). */
  private walFd: number | undefined;
  /** The database file, synced off the event loop after our checkpoints (with walFd). */
  private dbFd: number | undefined;
  /** Bytes written since the last checkpoint (keys, values, ROW_OVERHEAD_BYTES per row,
   *  COMMIT_OVERHEAD_BYTES per transaction): an estimate of the WAL's growth. */
  private unCheckpointed = 0;
  /** Our checkpoint, while it runs: no transaction commits until it is done. */
  private checkpointing: Promise<void> | undefined;
  /** The sync of the last committed batch, while it runs. Readers wait for it. */
  private syncing: Promise<void> | undefined;
  /** Set when a WAL sync failed: the store stops (fail-stop, as etcd and PostgreSQL do). */
  private failure: Error | undefined;
  /** Write transactions committed since open (for tests and metrics). */
  commits = 0;
  /** Checkpoints the store ran itself since open (for tests and metrics). */
  checkpoints = 0;

  /** True when commits are made durable by our own WAL sync off the event loop; false when
   *  SQLite syncs at every commit (FULL), the fallback when the WAL or database file cannot be
   *  opened for syncing. */
  get walSynced(): boolean {
    return this.walFd !== undefined;
  }

  constructor(opts: SqliteBackendOptions) {
    this.path = opts.path;
    this.maxBatch = opts.maxBatch ?? 2000;
    this.db = new DatabaseSync(opts.path);
    try {
      this.db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA auto_vacuum = INCREMENTAL;');
      const mode = this.db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
      if (mode.journal_mode !== 'wal') throw new Error(`cannot use WAL journal (got ${mode.journal_mode})`);
      this.db.exec(`PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}; PRAGMA journal_size_limit = ${4 << 20};
        PRAGMA cache_size = -16000; PRAGMA temp_store = MEMORY;`);
      this.db.exec(`BEGIN IMMEDIATE; ${SCHEMA} COMMIT;`);
      this.walFd = openForSync(opts.path + '-wal');
      this.dbFd = this.walFd === undefined ? undefined : openForSync(opts.path);
      if (this.dbFd === undefined && this.walFd !== undefined) {
        closeSync(this.walFd);
        this.walFd = undefined;
      }
      // With our own syncs (the WAL after every commit, WAL and database around our checkpoints),
      // SQLite need not sync at all; without the files, SQLite syncs every commit (FULL).
      if (this.walFd !== undefined) this.db.exec('PRAGMA synchronous = OFF; PRAGMA wal_autocheckpoint = 0');
      const meta = new Map((this.db.prepare('SELECT k, v FROM meta').all() as { k: string; v: number }[]).map((r) => [r.k, r.v]));
      const maxId = (this.db.prepare('SELECT MAX(id) AS m FROM log').get() as { m: number | null }).m ?? 0;
      this.revision = Math.max(meta.get('revision') ?? 0, maxId);
      this.compacted = meta.get('compact') ?? 0;
    } catch (err) {
      if (this.walFd !== undefined) closeSync(this.walFd);
      if (this.dbFd !== undefined) closeSync(this.dbFd);
      this.db.close();
      const locked = err instanceof Error && /locked|busy/i.test(err.message);
      throw new Error(
        locked
          ? `sqlite store ${opts.path} is locked: is another skiff server using this data directory?`
          : `sqlite store ${opts.path}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    this.auto = new AutoCompactor(
      { revisions: async () => ({ current: this.revision, compacted: this.compacted }), compact: (rev) => this.compact(rev) },
      {
        retainRevisions: opts.retainRevisions ?? DEFAULT_RETAIN_REVISIONS,
        intervalMs: opts.compactIntervalMs ?? DEFAULT_COMPACT_INTERVAL_MS,
        onError: opts.onError ?? ((err) => console.error(`sqlite store ${opts.path}: compaction failed`, err)),
      },
    );
    this.auto.start();
  }

  async get(key: string): Promise<KeyValue | null> {
    if (this.syncing) await this.syncing;
    this.check();
    const row = this.stmt('SELECT id, create_revision AS c, value FROM log WHERE name = ? AND live = 1').get(key) as LiveRow | undefined;
    return row ? toKV(key, row) : null;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    if (this.syncing) await this.syncing;
    this.check();
    const at = this.readRevision(opts.revision);
    const end = prefixEnd(prefix);
    const after = opts.startAfter !== undefined && opts.startAfter >= prefix ? opts.startAfter : undefined;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const where = `name ${after === undefined ? '>=' : '>'} ?${end === null ? '' : ' AND name < ?'}`;
    const params: (string | number)[] = [after ?? prefix];
    if (end !== null) params.push(end);
    let sql: string;
    if (at === this.revision) {
      sql = `SELECT name, id, create_revision AS c, value FROM log WHERE live = 1 AND ${where} ORDER BY name LIMIT ?`;
    } else {
      // SQLite takes the bare columns of a MAX() aggregate from the row holding the maximum.
      sql = `SELECT name, MAX(id) AS id, deleted, create_revision AS c, value FROM log
             WHERE ${where} AND id <= ? GROUP BY name HAVING deleted = 0 ORDER BY name LIMIT ?`;
      params.push(at);
    }
    params.push(limit ? limit + 1 : -1);
    const rows = this.stmt(sql).all(...params) as unknown as ListRow[];
    const more = limit > 0 && rows.length > limit;
    if (more) rows.length = limit;
    return { items: rows.map((r) => toKV(r.name, r)), revision: at, more };
  }

  async count(prefix: string): Promise<number> {
    if (this.syncing) await this.syncing;
    this.check();
    const end = prefixEnd(prefix);
    const sql = `SELECT COUNT(*) AS n FROM log WHERE live = 1 AND name >= ?${end === null ? '' : ' AND name < ?'}`;
    const row = this.stmt(sql).get(...(end === null ? [prefix] : [prefix, end])) as { n: number };
    return row.n;
  }

  create(key: string, value: string): Promise<KeyValue> {
    return this.enqueue('create', key, value, undefined) as Promise<KeyValue>;
  }

  update(key: string, value: string, expectedRevision: number): Promise<KeyValue> {
    return this.enqueue('update', key, value, expectedRevision) as Promise<KeyValue>;
  }

  delete(key: string, expectedRevision?: number): Promise<{ prev: KeyValue; revision: number }> {
    return this.enqueue('delete', key, '', expectedRevision) as Promise<{ prev: KeyValue; revision: number }>;
  }

  watch(prefix: string, opts: WatchOptions, handlers: WatchHandlers): void {
    if (this.closed || this.failure) return this.hub.reject(opts.signal, handlers, this.failure ?? new Error(`sqlite store ${this.path} is closed`));
    // A committed batch whose sync runs is not visible yet: register once it is (its events follow).
    if (this.syncing) {
      void this.syncing.then(() => this.watch(prefix, opts, handlers));
      return;
    }
    const from = opts.fromRevision ?? 0;
    const prevKv = opts.prevKv === true;
    if (from <= 0) return this.hub.add(prefix, this.revision + 1, [], opts.signal, handlers, prevKv);
    if (from <= this.compacted) return this.hub.reject(opts.signal, handlers, new CompactedError(from, this.compacted));
    // Read history and register in one synchronous step: no commit can slip in between.
    const end = prefixEnd(prefix);
    const sql = `SELECT l.id, l.name, l.deleted, l.create_revision AS c, l.value,
        l.prev_revision AS pr, p.value AS pv, p.create_revision AS pc
      FROM log l LEFT JOIN log p ON p.id = l.prev_revision
      WHERE l.id >= ? AND l.name >= ?${end === null ? '' : ' AND l.name < ?'} ORDER BY l.id`;
    const params = end === null ? [from, prefix] : [from, prefix, end];
    const rows = this.stmt(sql).all(...params) as unknown as ReplayRow[];
    this.hub.add(prefix, from, rows.map(replayEvent), opts.signal, handlers, prevKv);
  }

  async currentRevision(): Promise<number> {
    if (this.syncing) await this.syncing;
    this.check();
    return this.revision;
  }

  async compactRevision(): Promise<number> {
    this.check();
    return this.compacted;
  }

  compact(revision: number): Promise<void> {
    this.check();
    if (revision > this.revision) return Promise.reject(new FutureRevisionError(revision, this.revision));
    const run = this.compaction.then(() => this.compactTo(revision));
    this.compaction = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.auto.stop();
    await this.compaction;
    if (this.flushTimer) clearImmediate(this.flushTimer);
    while (this.syncing || this.checkpointing) await (this.syncing ?? this.checkpointing);
    while (this.pending.length > 0 && !this.failure) this.flush(true);
    this.hub.closeAll(new Error(`sqlite store ${this.path} closed`));
    if (this.walFd !== undefined) {
      // Closing checkpoints the WAL into the database and removes it: let SQLite sync that.
      this.db.exec('PRAGMA synchronous = NORMAL');
      closeSync(this.walFd);
    }
    if (this.dbFd !== undefined) closeSync(this.dbFd);
    this.db.close();
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new Error(`sqlite store ${this.path} is closed`);
  }

  private stmt(sql: string): StatementSync {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private readRevision(requested: number | undefined): number {
    if (!requested || requested <= 0) return this.revision;
    if (requested > this.revision) throw new FutureRevisionError(requested, this.revision);
    if (requested < this.compacted) throw new CompactedError(requested, this.compacted);
    return requested;
  }

  private enqueue(kind: WriteKind, key: string, value: string, expected: number | undefined): Promise<unknown> {
    this.check();
    return new Promise((resolve, reject) => {
      this.pending.push({ kind, key, value, expected, resolve, reject });
      if (!this.syncing) this.flushTimer ??= setImmediate(() => this.flush());
    });
  }

  /**
   * Commit up to maxBatch queued writes in one transaction, make it durable, then notify and
   * settle them. The WAL is synced (fdatasync) on the thread pool, not on the event loop:
   * requests are parsed and queued meanwhile, and the next batch commits when this sync is
   * done (group commit). Until then the batch is invisible: reads and new watches wait for the
   * sync, so nothing is ever read, watched or acknowledged before it is on disk. `final`
   * (close) syncs in place.
   */
  private flush(final = false): void {
    this.flushTimer = undefined;
    // The sync's (or checkpoint's) completion flushes what queued meanwhile.
    if (this.syncing || this.checkpointing || this.failure) return;
    if (this.pending.length === 0) return;
    if (!final && this.dbFd !== undefined && this.unCheckpointed >= CHECKPOINT_BYTES) return this.checkpoint();
    const ops = this.pending.splice(0, this.maxBatch);
    const before = this.revision;
    const events: WatchEvent[] = [];
    const outcomes: Outcome[] = [];
    try {
      this.db.exec('BEGIN IMMEDIATE');
      for (const op of ops) outcomes.push(this.apply(op, events));
      if (this.revision !== before) this.stmt("UPDATE meta SET v = ? WHERE k = 'revision'").run(this.revision);
      this.db.exec('COMMIT');
      this.commits++;
      this.unCheckpointed += COMMIT_OVERHEAD_BYTES;
    } catch (err) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      this.revision = before;
      for (const op of ops) op.reject(err);
      this.scheduleFlush();
      return;
    }
    const fd = this.walFd;
    if (fd === undefined) return this.settle(ops, events, outcomes); // SQLite synced (FULL)
    if (final) {
      try {
        fdatasyncSync(fd);
      } catch (err) {
        return this.fail(err, ops);
      }
      return this.settle(ops, events, outcomes);
    }
    this.syncing = new Promise<void>((done) => {
      fdatasync(fd, (err) => {
        this.syncing = undefined;
        if (err) this.fail(err, ops);
        else this.settle(ops, events, outcomes);
        done(); // waiting reads run now, before the next batch commits (setImmediate)
      });
    });
  }

  /**
   * Checkpoint with the syncs off the event loop, in the order SQLite's own checkpoints keep:
   * sync the WAL (compactions commit without a sync of their own), copy its pages into the
   * database (PASSIVE: CPU and page-cache writes only, with synchronous=OFF), sync the database.
   * No transaction commits meanwhile: the next write would restart the WAL over frames whose
   * pages may not be on disk in the database yet. Then the queued writes flush.
   */
  private checkpoint(): void {
    const walFd = this.walFd;
    const dbFd = this.dbFd;
    if (walFd === undefined || dbFd === undefined) return;
    this.unCheckpointed = 0;
    this.checkpointing = new Promise<void>((done) => {
      const finish = (err: unknown) => {
        this.checkpointing = undefined;
        if (err) this.fail(err, [], 'a checkpoint');
        else this.scheduleFlush();
        done();
      };
      fdatasync(walFd, (err) => {
        if (err) return finish(err);
        try {
          this.db.exec('PRAGMA wal_checkpoint(PASSIVE)');
          this.checkpoints++;
        } catch (e) {
          return finish(e);
        }
        fdatasync(dbFd, finish);
      });
    });
  }

  /** After a durable commit: events to the watchers, then each write's outcome. */
  private settle(ops: WriteOp[], events: WatchEvent[], outcomes: Outcome[]): void {
    this.hub.publish(events);
    ops.forEach((op, i) => {
      const o = outcomes[i];
      if (o.ok) op.resolve(o.result);
      else op.reject(o.error);
    });
    this.auto.noteWrite(this.revision, this.compacted);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.pending.length > 0 && !this.closed) this.flushTimer ??= setImmediate(() => this.flush());
  }

  /** The WAL (or, in a checkpoint, the database) could not be synced: whether the last batch is on disk is unknown, so stop. */
  private fail(err: unknown, ops: WriteOp[], what = 'syncing the write-ahead log'): void {
    const failure = new Error(`sqlite store ${this.path}: ${what} failed; the store has stopped: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    this.failure = failure;
    for (const op of ops) op.reject(failure);
    for (const op of this.pending.splice(0)) op.reject(failure);
    this.hub.closeAll(failure);
  }

  /** Apply one write inside the open transaction; compare-and-swap failures are outcomes. */
  private apply(op: WriteOp, events: WatchEvent[]): Outcome {
    this.unCheckpointed += op.key.length + op.value.length + ROW_OVERHEAD_BYTES;
    const insert = this.stmt('INSERT INTO log (id, name, created, deleted, create_revision, prev_revision, live, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    if (op.kind === 'create') {
      // No lookup first: the unique index of live names refuses an existing key, and a failed
      // statement is undone alone (the transaction goes on). Saves a probe per create.
      const rev = this.revision + 1;
      try {
        insert.run(rev, op.key, 1, 0, rev, 0, 1, op.value);
      } catch (err) {
        if (isUniqueViolation(err)) return { ok: false, error: new KeyExistsError(op.key) };
        throw err;
      }
      this.revision = rev;
      const kv = { key: op.key, value: op.value, createRevision: rev, modRevision: rev };
      events.push({ type: 'put', kv });
      return { ok: true, result: kv };
    }
    // The old value only when something will read it: a delete's result, or a watch that asked
    // for prevKv. (It spans overflow pages for a pod; the watch cache keeps its own old object.)
    const withValue = op.kind === 'delete' || this.hub.wantsPrevKv(op.key);
    const cur = (withValue
      ? this.stmt('SELECT id, create_revision AS c, value FROM log WHERE name = ? AND live = 1')
      : this.stmt("SELECT id, create_revision AS c, '' AS value FROM log WHERE name = ? AND live = 1")
    ).get(op.key) as LiveRow | undefined;
    if (!cur) return { ok: false, error: new KeyNotFoundError(op.key) };
    if (op.expected !== undefined && cur.id !== op.expected) return { ok: false, error: new ConflictError(op.key, op.expected, cur.id) };
    const rev = ++this.revision;
    this.stmt('UPDATE log SET live = 0 WHERE id = ?').run(cur.id);
    if (op.kind === 'update') {
      insert.run(rev, op.key, 0, 0, cur.c, cur.id, 1, op.value);
      const kv = { key: op.key, value: op.value, createRevision: cur.c, modRevision: rev };
      events.push(withValue ? { type: 'put', kv, prevKv: toKV(op.key, cur) } : { type: 'put', kv });
      return { ok: true, result: kv };
    }
    const prevKv = toKV(op.key, cur);
    insert.run(rev, op.key, 0, 1, cur.c, cur.id, 0, '');
    events.push({ type: 'delete', kv: { key: op.key, value: '', createRevision: cur.c, modRevision: rev }, prevKv });
    return { ok: true, result: { prev: prevKv, revision: rev } };
  }

  /** Compact in chunks of COMPACT_CHUNK revisions, yielding to the event loop between them. */
  private async compactTo(target: number): Promise<void> {
    if (target <= this.compacted) return;
    while (this.compacted < target) {
      while (this.checkpointing) await this.checkpointing; // no commit between its syncs
      if (this.closed || this.failure) return;
      const from = this.compacted;
      const to = Math.min(target, from + COMPACT_CHUNK);
      this.db.exec('BEGIN IMMEDIATE');
      try {
        this.stmt('DELETE FROM log WHERE id IN (SELECT prev_revision FROM log WHERE id > ? AND id <= ? AND prev_revision > 0)').run(from, to);
        this.stmt('DELETE FROM log WHERE id > ? AND id <= ? AND deleted = 1').run(from, to);
        this.stmt("UPDATE meta SET v = ? WHERE k = 'compact'").run(to);
        this.db.exec('COMMIT');
      } catch (err) {
        if (this.db.isTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
      this.compacted = to;
      if (to < target) await new Promise((resolve) => setImmediate(resolve));
      if (this.closed) return;
    }
    this.reclaim();
  }

  /** Give a large surplus of free pages back to the file system and truncate the WAL. */
  private reclaim(): void {
    const pages = (this.db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count;
    const free = (this.db.prepare('PRAGMA freelist_count').get() as { freelist_count: number }).freelist_count;
    if (free > 256 && free > pages / 2) this.db.exec(`PRAGMA incremental_vacuum(${free - Math.floor(pages / 8)})`);
    // A truncating checkpoint removes the WAL's frames at once: SQLite must sync around it.
    if (this.walFd !== undefined) this.db.exec('PRAGMA synchronous = NORMAL');
    this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    if (this.walFd !== undefined) this.db.exec('PRAGMA synchronous = OFF');
    this.unCheckpointed = 0;
    this.checkWal();
  }

  /** The file we sync must still be the WAL SQLite writes (it never replaces it while open). */
  private checkWal(): void {
    if (this.walFd === undefined) return;
    let same = false;
    try {
      same = fstatSync(this.walFd).ino === statSync(this.path + '-wal').ino;
    } catch {
      same = false;
    }
    if (!same) {
      // Fall back to SQLite's own syncs and checkpoints rather than sync the wrong file.
      this.db.exec(`PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      closeSync(this.walFd);
      this.walFd = undefined;
      if (this.dbFd !== undefined) closeSync(this.dbFd);
      this.dbFd = undefined;
    }
  }
}

/** Open a file for syncing it; undefined when it cannot be opened. */
function openForSync(path: string): number | undefined {
  try {
    return openSync(path, 'r');
  } catch {
    return undefined;
  }
}

function toKV(key: string, row: LiveRow): KeyValue {
  return { key, value: row.value, createRevision: row.c, modRevision: row.id };
}

function replayEvent(r: ReplayRow): WatchEvent {
  const ev: WatchEvent = r.deleted
    ? { type: 'delete', kv: { key: r.name, value: '', createRevision: r.c, modRevision: r.id } }
    : { type: 'put', kv: { key: r.name, value: r.value, createRevision: r.c, modRevision: r.id } };
  if (r.pr > 0 && r.pv !== null) ev.prevKv = { key: r.name, value: r.pv, createRevision: r.pc ?? r.c, modRevision: r.pr };
  return ev;
}
