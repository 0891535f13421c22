// Runs the shared conformance suite against sqlite:// plus sqlite-specific checks: commit
// batching, persistence across a restart, single-process locking and bounded file size.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { runConformance } from './conformance.ts';
import { SqliteBackend, type SqliteBackendOptions } from './sqlite.ts';

/** A backend on a fresh temp dir, removed by cleanup. */
async function temp(opts: Partial<SqliteBackendOptions> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-sqlite-'));
  const path = join(dir, 'state.db');
  let backend: SqliteBackend;
  try {
    backend = new SqliteBackend({ path, retainRevisions: 0, ...opts });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    backend,
    dir,
    path,
    cleanup: async () => {
      await backend.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

runConformance('sqlite', () => temp());

test('sqlite: concurrent writes in one tick share one transaction', async () => {
  const t = await temp();
  try {
    const before = t.backend.commits;
    const kvs = await Promise.all(Array.from({ length: 500 }, (_, i) => t.backend.create(`/b/${i}`, 'v')));
    assert.equal(t.backend.commits, before + 1);
    assert.deepEqual(kvs.map((kv) => kv.modRevision), Array.from({ length: 500 }, (_, i) => i + 1));
    // A failed compare-and-swap inside a batch fails only that write.
    const mixed = await Promise.allSettled([t.backend.update('/b/1', 'x', 999), t.backend.update('/b/2', 'y', 3), t.backend.create('/b/1', 'z')]);
    assert.deepEqual(mixed.map((r) => r.status), ['rejected', 'fulfilled', 'rejected']);
    assert.equal(t.backend.commits, before + 2);
    assert.equal(await t.backend.currentRevision(), 501);
  } finally {
    await t.cleanup();
  }
});

test('sqlite: a create of an existing key inside a batch fails alone; revisions stay dense', async () => {
  const t = await temp();
  try {
    await t.backend.create('/d/a', 'first');
    const before = t.backend.commits;
    const out = await Promise.allSettled([
      t.backend.create('/d/b', 'b'),
      t.backend.create('/d/a', 'again'), // exists since the last batch
      t.backend.create('/d/c', 'c'),
      t.backend.create('/d/c', 'c twice'), // created earlier in this batch
      t.backend.create('/d/e', 'e'),
    ]);
    assert.equal(t.backend.commits, before + 1);
    assert.deepEqual(out.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    for (const i of [1, 3]) assert.equal((out[i] as PromiseRejectedResult).reason.constructor.name, 'KeyExistsError');
    assert.deepEqual(out.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ modRevision: number }>).value.modRevision), [2, 3, 4]);
    assert.equal(await t.backend.currentRevision(), 4);
    assert.equal((await t.backend.get('/d/a'))?.value, 'first');
    assert.equal((await t.backend.get('/d/c'))?.value, 'c');
  } finally {
    await t.cleanup();
  }
});

test('sqlite: a committed batch is invisible until its WAL sync is done; then events, writes, reads, watches', async () => {
  const t = await temp();
  try {
    assert.equal(t.backend.walSynced, true);
    const a = await t.backend.create('/s/a', '1');
    const order: string[] = [];
    const seen: string[] = [];
    const ctrl = new AbortController();
    t.backend.watch('/s/', { signal: ctrl.signal }, { onEvents: (evs) => evs.forEach((e) => seen.push(`now ${e.kv.key}@${e.kv.modRevision}`)), onError: () => {} });
    const write = t.backend.update('/s/a', '2', a.modRevision).then((kv) => (order.push('write'), kv));
    const commits = t.backend.commits;
    await new Promise((resolve) => setImmediate(resolve)); // the batch has committed; its sync runs
    assert.equal(t.backend.commits, commits + 1);
    // registered while the sync runs: from the next revision, and from now
    t.backend.watch('/s/', { signal: ctrl.signal, fromRevision: a.modRevision + 1 }, { onEvents: (evs) => evs.forEach((e) => seen.push(`from ${e.kv.key}@${e.kv.modRevision}`)), onError: () => {} });
    t.backend.watch('/s/', { signal: ctrl.signal }, { onEvents: (evs) => evs.forEach((e) => seen.push(`later ${e.kv.key}@${e.kv.modRevision}`)), onError: () => {} });
    const read = t.backend.get('/s/a').then((kv) => (order.push(`read ${kv?.value}`), kv));
    const rev = t.backend.currentRevision().then((r) => (order.push(`revision ${r}`), r));
    const [kv] = await Promise.all([write, read, rev]);
    assert.deepEqual(order, ['write', 'read 2', `revision ${kv.modRevision}`]);
    await t.backend.create('/s/b', '3');
    const b = `/s/b@${kv.modRevision + 1}`;
    assert.deepEqual(seen.sort(), [`from /s/a@${kv.modRevision}`, `from ${b}`, `later ${b}`, `now /s/a@${kv.modRevision}`, `now ${b}`].sort());
    ctrl.abort();
  } finally {
    await t.cleanup();
  }
});

test('sqlite: data, current and compact revision survive a restart', async () => {
  const t = await temp();
  try {
    const a = await t.backend.create('/r/a', 'a1');
    const a2 = await t.backend.update('/r/a', 'a2', a.modRevision);
    await t.backend.create('/r/b', 'b1');
    const d = await t.backend.delete('/r/b');
    await t.backend.compact(a2.modRevision);
    await t.backend.close();

    const again = new SqliteBackend({ path: t.path, retainRevisions: 0 });
    try {
      assert.equal(await again.currentRevision(), d.revision);
      assert.equal(await again.compactRevision(), a2.modRevision);
      assert.deepEqual(await again.get('/r/a'), a2);
      assert.equal(await again.get('/r/b'), null);
      await assert.rejects(again.list('/r/', { revision: a.modRevision }), { code: 'Compacted' });
      assert.deepEqual((await again.list('/r/', { revision: a2.modRevision })).items, [a2]);
      const next = await again.create('/r/c', 'c1');
      assert.equal(next.modRevision, d.revision + 1);
    } finally {
      await again.close();
    }
  } finally {
    await t.cleanup();
  }
});

test('sqlite: compaction keeps only what reads and watches above it need', async () => {
  const t = await temp();
  try {
    const b = t.backend;
    for (let i = 0; i < 10; i++) {
      let kv = await b.create(`/c/${i}`, 'v0');
      for (let j = 1; j <= 3; j++) kv = await b.update(`/c/${i}`, `v${j}`, kv.modRevision);
    }
    for (let i = 0; i < 5; i++) await b.delete(`/c/${i}`);
    const mid = await b.currentRevision();
    const last = await b.update('/c/9', 'v4', (await b.get('/c/9'))!.modRevision);
    await b.compact(mid);
    await b.close();
    const db = new DatabaseSync(t.path);
    try {
      const rows = db.prepare('SELECT id, name, deleted, live FROM log ORDER BY id').all() as { id: number; name: string; deleted: number; live: number }[];
      // Live keys 5..9 as of `mid` (the row /c/9 had then is kept: the write above `mid` points at it), plus the newer write.
      assert.deepEqual(rows.map((r) => [r.name, r.deleted, r.live]), [
        ['/c/5', 0, 1], ['/c/6', 0, 1], ['/c/7', 0, 1], ['/c/8', 0, 1], ['/c/9', 0, 0], ['/c/9', 0, 1],
      ]);
      assert.equal(rows.at(-1)?.id, last.modRevision);
    } finally {
      db.close();
    }
  } finally {
    await t.cleanup();
  }
});

test('sqlite: a second opener of the same file fails clearly', async () => {
  const t = await temp();
  try {
    await t.backend.create('/x', 'y');
    assert.throws(() => new SqliteBackend({ path: t.path }), /locked: is another skiff server/);
  } finally {
    await t.cleanup();
  }
});

test('sqlite: the file stays bounded under churn with auto-compaction', async () => {
  const retain = 1000;
  const t = await temp({ retainRevisions: retain, compactIntervalMs: 3600_000 });
  try {
    const keys = 1000;
    const value = (i: number, round: number) => JSON.stringify({ round, i, pad: 'x'.repeat(480) });
    const revs: number[] = [];
    for (let i = 0; i < keys; i++) revs.push(0);
    await Promise.all(revs.map(async (_, i) => (revs[i] = (await t.backend.create(`/churn/key-${i}`, value(i, 0))).modRevision)));
    const live = (await t.backend.list('/churn/')).items.reduce((n, kv) => n + kv.key.length + kv.value.length, 0);
    let peak = 0;
    for (let round = 1; round <= 100; round++) {
      const kvs = await Promise.all(revs.map((rev, i) => t.backend.update(`/churn/key-${i}`, value(i, round), rev)));
      kvs.forEach((kv, i) => (revs[i] = kv.modRevision));
      peak = Math.max(peak, (await fileSize(t.path)) + (await fileSize(t.path + '-wal')));
    }
    console.log(`# live ${live} B, peak db+wal ${peak} B (${(peak / live).toFixed(1)}x)`);
    assert.equal(await t.backend.currentRevision(), 101 * keys);
    const compacted = await t.backend.compactRevision();
    assert.ok(compacted >= 101 * keys - retain - keys - retain / 4, `compacted only to ${compacted}`);
    assert.ok(peak <= 8 * live, `database peaked at ${peak} bytes for ${live} bytes of live data (${(peak / live).toFixed(1)}x)`);
    assert.equal((await t.backend.get('/churn/key-7'))?.value, value(7, 100));
    assert.equal(t.backend.walSynced, true, 'still syncing the WAL after compactions truncated it');
  } finally {
    await t.cleanup();
  }
});

test('sqlite: the store checkpoints the WAL itself, writes waiting out its syncs; the WAL stays small', async () => {
  const t = await temp();
  try {
    assert.equal(t.backend.walSynced, true);
    const value = (i: number) => JSON.stringify({ i, pad: 'x'.repeat(4000) });
    // 7.5 MiB in batches of 16: a batch either commits at once, or waits out one checkpoint
    // (during which reads still answer); without checkpoints the WAL would hold all of it.
    let waited = 0;
    let peakWal = 0;
    for (let b = 0; b < 120; b++) {
      const commits = t.backend.commits;
      const checkpoints = t.backend.checkpoints;
      const batch = Promise.all(Array.from({ length: 16 }, (_, j) => t.backend.create(`/ck/k-${b * 16 + j}`, value(b * 16 + j))));
      await new Promise((resolve) => setImmediate(resolve)); // the batch's flush ran
      if (t.backend.commits === commits) {
        waited++;
        assert.equal((await t.backend.get('/ck/k-3'))?.value, value(3));
        await batch;
        assert.equal(t.backend.checkpoints, checkpoints + 1);
      } else {
        await batch;
        assert.equal(t.backend.checkpoints, checkpoints);
      }
      assert.equal(t.backend.commits, commits + 1);
      peakWal = Math.max(peakWal, await fileSize(t.path + '-wal'));
    }
    assert.ok(waited >= 5, `only ${waited} checkpoints`);
    assert.ok(peakWal < 3 << 20, `the WAL grew to ${peakWal} bytes`);
    await t.backend.close();
    const again = new SqliteBackend({ path: t.path, retainRevisions: 0 });
    try {
      assert.equal((await again.list('/ck/')).items.length, 120 * 16);
      assert.equal((await again.get('/ck/k-1907'))?.value, value(1907));
    } finally {
      await again.close();
    }
  } finally {
    await t.cleanup();
  }
});

test('sqlite: an update reads the old value only while a watch of its key asked for prevKv', async () => {
  const t = await temp();
  try {
    const seen: { who: string; type: string; prev: string | undefined }[] = [];
    const watch = (who: string, prefix: string, prevKv: boolean, ac: AbortController) =>
      t.backend.watch(prefix, { signal: ac.signal, prevKv }, { onEvents: (evs) => evs.forEach((e) => seen.push({ who, type: e.type, prev: e.prevKv?.value })), onError: () => {} });
    const plain = new AbortController();
    watch('plain', '/p/', false, plain);
    const a = await t.backend.create('/p/a', '1');
    const a2 = await t.backend.update('/p/a', '2', a.modRevision);
    const other = new AbortController();
    watch('other', '/q/', true, other); // asks, but for other keys
    const a3 = await t.backend.update('/p/a', '3', a2.modRevision);
    const asking = new AbortController();
    watch('asking', '/p/', true, asking);
    const a4 = await t.backend.update('/p/a', '4', a3.modRevision);
    asking.abort();
    await t.backend.update('/p/a', '5', a4.modRevision);
    await t.backend.delete('/p/a');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seen, [
      { who: 'plain', type: 'put', prev: undefined },
      { who: 'plain', type: 'put', prev: undefined },
      { who: 'plain', type: 'put', prev: undefined },
      { who: 'plain', type: 'put', prev: '3' }, // events are shared: it gets what 'asking' asked for
      { who: 'asking', type: 'put', prev: '3' },
      { who: 'plain', type: 'put', prev: undefined },
      { who: 'plain', type: 'delete', prev: '5' }, // a delete reads it for its result anyway
    ]);
    plain.abort();
    other.abort();
  } finally {
    await t.cleanup();
  }
});

test('sqlite: a process killed while writing and checkpointing loses no acknowledged write', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-sqlite-kill-'));
  const path = join(dir, 'state.db');
  // The child writes 4 KB values from 16 writers (creates, then updates) and prints each
  // acknowledged write and its checkpoint count; it is SIGKILLed in mid-stream.
  const child = spawn(process.execPath, ['--input-type=module', '-e', `
    const { SqliteBackend } = await import(${JSON.stringify(new URL('./sqlite.ts', import.meta.url).href)});
    const b = new SqliteBackend({ path: ${JSON.stringify(path)}, retainRevisions: 0 });
    const pad = 'x'.repeat(4000);
    let n = 0;
    await Promise.all(Array.from({ length: 16 }, async (_, w) => {
      let rev = 0;
      for (let round = 0; ; round++) {
        const key = '/kill/' + w + '/' + (round % 50);
        const value = JSON.stringify({ w, round, pad });
        const kv = round < 50 ? await b.create(key, value) : await b.update(key, value, (await b.get(key)).modRevision);
        process.stdout.write(key + ' ' + round + ' ' + kv.modRevision + ' ' + b.checkpoints + '\\n');
        n++;
      }
    }));
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acked = new Map<string, number>(); // key → last acknowledged round
  try {
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        buf += d;
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) {
          const [key, round, , checkpoints] = l.split(' ');
          acked.set(key!, Number(round));
          if (Number(checkpoints) >= 5) { // past the 800 creates: updates are under way
            child.kill('SIGKILL');
            resolve();
          }
        }
      });
      child.once('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited early (${code ?? signal})`))));
    });
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    const b = new SqliteBackend({ path, retainRevisions: 0 });
    try {
      for (const [key, round] of acked) {
        const kv = await b.get(key);
        assert.ok(kv, `${key} was acknowledged but is gone`);
        assert.ok(JSON.parse(kv.value).round >= round, `${key}: round ${JSON.parse(kv.value).round} < acknowledged ${round}`);
      }
    } finally {
      await b.close();
    }
    const db = new DatabaseSync(path);
    try {
      assert.deepEqual(db.prepare('PRAGMA integrity_check').all().map((r) => ({ ...r })), [{ integrity_check: 'ok' }]);
    } finally {
      db.close();
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

test('sqlite: one write per transaction, as kubectl makes them, also keeps the WAL small', async () => {
  const t = await temp();
  try {
    const value = (i: number) => JSON.stringify({ i, pad: 'y'.repeat(3000) });
    let peakWal = 0;
    for (let i = 0; i < 600; i++) {
      await t.backend.create(`/one/k-${i}`, value(i));
      if (i % 20 === 19) peakWal = Math.max(peakWal, await fileSize(t.path + '-wal'));
    }
    assert.equal(t.backend.commits, 600);
    assert.ok(t.backend.checkpoints >= 3, `only ${t.backend.checkpoints} checkpoints`);
    assert.ok(peakWal < 3 << 20, `the WAL grew to ${peakWal} bytes`);
  } finally {
    await t.cleanup();
  }
});
