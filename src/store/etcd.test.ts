// Runs the shared conformance suite against a real etcd started on loopback for this file
// (startEtcd), then stops exactly that process and removes its data directory, even on failure.
// Fails (does not skip) when etcd is not installed: CI installs it.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
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
