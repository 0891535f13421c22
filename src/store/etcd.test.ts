// Runs the shared conformance suite against a real etcd started on loopback for this file
// (startEtcd), then stops exactly that process and removes its data directory, even on failure.
// Also: lists larger than gRPC's default message size, paging at one revision, and the fault
// policy (no circuit breaker, bounded retries).
// Fails (does not skip) when etcd is not installed: CI installs it.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { CompactedError } from '../base/errors.ts';
import type { WatchEvent } from './backend.ts';
import { runConformance } from './conformance.ts';
import { EtcdBackend } from './etcd.ts';
import { startEtcd, type EtcdTestServer } from './etcd-testserver.ts';

// Started by the first test; every test reports the start failure (e.g. "etcd is not installed").
let server: Promise<EtcdTestServer> | undefined;

after(async () => {
  const running = await server?.catch(() => undefined);
  await running?.stop();
});

runConformance('etcd', async () => {
  server ??= startEtcd();
  const backend = new EtcdBackend({ endpoints: [(await server).clientUrl] });
  return { backend, cleanup: () => backend.close() };
});

test('etcd: a watch survives an etcd restart without gaps or duplicates', async () => {
  server ??= startEtcd();
  const etcd = await server;
  const writer = new EtcdBackend({ endpoints: [etcd.clientUrl] });
  const watching = new EtcdBackend({ endpoints: [etcd.clientUrl] });
  const ac = new AbortController();
  try {
    const prefix = `/restart/${Date.now()}/`;
    const start = await writer.currentRevision();
    const events: WatchEvent[] = [];
    let wake = () => {};
    let failure: Error | undefined;
    watching.watch(prefix, { fromRevision: start + 1, signal: ac.signal }, {
      onEvents: (evs) => {
        events.push(...evs);
        wake();
      },
      onError: (err) => {
        failure = err;
        wake();
      },
    });
    const seen = (n: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`saw ${events.length} of ${n} events`)), 20000);
        wake = () => {
          if (failure || events.length >= n) {
            clearTimeout(timer);
            if (failure) reject(failure);
            else resolve();
          }
        };
        wake();
      });
    for (let i = 0; i < 5; i++) await writer.create(`${prefix}before-${i}`, 'v');
    await seen(5);
    await etcd.restart();
    // Written while the watching client is still reconnecting: it must replay them on resume.
    for (let i = 0; i < 5; i++) await writer.create(`${prefix}after-${i}`, 'v');
    await seen(10);
    const revs = events.map((e) => e.kv.modRevision);
    assert.deepEqual(revs, Array.from({ length: 10 }, (_, i) => start + 1 + i));
  } finally {
    ac.abort();
    await watching.close();
    await writer.close();
  }
});

/** Create `count` keys `${prefix}NNNNN` holding `value`, `concurrency` at a time. */
async function fill(backend: EtcdBackend, prefix: string, count: number, value: string, concurrency = 32): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        await backend.create(`${prefix}${String(i).padStart(5, '0')}`, value);
      }
    }),
  );
}

test('etcd: a prefix larger than gRPC\'s 4 MB reply default lists whole, unpaged, and in pages at one revision', async () => {
  server ??= startEtcd();
  const etcd = await server;
  const backend = new EtcdBackend({ endpoints: [etcd.clientUrl] });
  // One etcd request for the whole prefix: the reply itself is > 8 MB.
  const unpaged = new EtcdBackend({ endpoints: [etcd.clientUrl], listPageSize: 1_000_000 });
  try {
    const prefix = `/large/${Date.now()}/`;
    const count = 3000;
    const value = 'v'.repeat(3 * 1024);
    await fill(backend, prefix, count, value);
    const keys = Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(5, '0')}`);
    assert.ok(count * value.length > 8 * 1024 * 1024);

    const whole = await backend.list(prefix);
    assert.equal(whole.more, false);
    assert.deepEqual(whole.items.map((kv) => kv.key), keys);
    assert.ok(whole.items.every((kv) => kv.value === value));
    assert.equal(whole.revision, await backend.currentRevision());

    const single = await unpaged.list(prefix);
    assert.deepEqual(single.items.map((kv) => kv.key), keys);

    // Explicit pages at the first page's revision; a write between pages is not seen.
    const paged: string[] = [];
    let res = await backend.list(prefix, { limit: 1000 });
    const at = res.revision;
    await backend.create(`${prefix}zz-after-first-page`, 'late');
    for (;;) {
      paged.push(...res.items.map((kv) => kv.key));
      if (!res.more) break;
      res = await backend.list(prefix, { revision: at, limit: 1000, startAfter: paged[paged.length - 1] });
      assert.equal(res.revision, at);
    }
    assert.deepEqual(paged, keys);
    // An unlimited list at that revision (paged inside the backend) agrees.
    assert.deepEqual((await backend.list(prefix, { revision: at })).items.map((kv) => kv.key), keys);
    assert.equal((await backend.list(prefix)).items.length, count + 1);
  } finally {
    await unpaged.close();
    await backend.close();
  }
});

test('etcd: a failed call does not fail the calls after it (no circuit breaker)', async () => {
  server ??= startEtcd();
  const etcd = await server;
  const backend = new EtcdBackend({ endpoints: [etcd.clientUrl] });
  try {
    const prefix = `/faults/${Date.now()}/`;
    await backend.create(`${prefix}a`, 'v');
    // Larger than etcd accepts: gRPC RESOURCE_EXHAUSTED, which etcd3's default policy counts
    // toward opening its circuit breaker (then every call fails for 5 s).
    for (let i = 0; i < 3; i++) await assert.rejects(backend.create(`${prefix}huge`, 'x'.repeat(3_000_000)), /RESOURCE_EXHAUSTED/);
    assert.equal((await backend.get(`${prefix}a`))?.value, 'v');
    assert.equal((await backend.create(`${prefix}b`, 'v')).key, `${prefix}b`);
    assert.equal((await backend.list(prefix)).items.length, 2);
  } finally {
    await backend.close();
  }
});

test('etcd: an unlimited list of "now" starts over when its revision is compacted between pages', async () => {
  server ??= startEtcd();
  const etcd = await server;
  const backend = new EtcdBackend({ endpoints: [etcd.clientUrl], listPageSize: 10 });
  try {
    const prefix = `/restartlist/${Date.now()}/`;
    await fill(backend, prefix, 25, 'v', 5);
    // After the first page: a write, and a compaction past the revision the pages are read at.
    const inner = backend as unknown as { listPage: (...args: unknown[]) => Promise<{ revision: number }> };
    const listPage = inner.listPage.bind(backend);
    let interfere: (() => Promise<void>) | undefined;
    inner.listPage = async (...args: unknown[]) => {
      const res = await listPage(...args);
      const once = interfere;
      interfere = undefined;
      await once?.();
      return res;
    };
    const writeAndCompact = (key: string) => async () => {
      await backend.create(key, 'v');
      await backend.compact(await backend.currentRevision());
    };
    interfere = writeAndCompact(`${prefix}new`);
    const res = await backend.list(prefix);
    assert.equal(res.items.length, 26);
    assert.equal(res.revision, await backend.currentRevision());

    // With a revision asked for, the compaction is the caller's error.
    interfere = writeAndCompact(`${prefix}newer`);
    await assert.rejects(backend.list(prefix, { revision: res.revision }), CompactedError);
  } finally {
    await backend.close();
  }
});

test('etcd: calls to an unreachable etcd fail within a few seconds (bounded retries)', async () => {
  const port = await new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
  const backend = new EtcdBackend({ endpoints: [`http://127.0.0.1:${port}`] });
  try {
    const started = Date.now();
    await Promise.all([assert.rejects(backend.get('/a'), /UNAVAILABLE/), assert.rejects(backend.create('/a', 'v'), /UNAVAILABLE/)]);
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
  } finally {
    await backend.close();
  }
});
