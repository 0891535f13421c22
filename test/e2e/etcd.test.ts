// End-to-end: `skiff server --datastore etcd://…` on a real throwaway etcd, driven by the real
// kubectl: create and get, optimistic concurrency (a stale resourceVersion is a conflict),
// `get -w`, and a server restart on the same etcd that keeps every object, uid and resourceVersion.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { startEtcd, type EtcdTestServer } from '../../src/store/etcd-testserver.ts';
import { startCluster, destroyCluster, kubectl, kubectlOk, kubectlStream, type Cluster } from './harness.ts';

let etcd: EtcdTestServer | undefined;
let c: Cluster | undefined;
const K = (args: string[], input?: string) => kubectlOk(c!, args, input);
const serverArgs = () => ['--datastore', etcd!.url];

before(async () => {
  etcd = await startEtcd();
  c = await startCluster({ args: serverArgs() });
});
after(async () => {
  await destroyCluster(c); // stops the server (its PID) and removes its data dir
  await etcd?.stop(); // stops etcd (its PID) and removes its data dir
});

function configMap(name: string, data: Record<string, string>) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data };
}

const NS = 'e2e-etcd';

test('the server reports it runs on etcd and kubectl creates and gets objects', async () => {
  assert.match(c!.logs(), /etcd:\/\/127\.0\.0\.1:\d+/);
  assert.ok(!(await readdir(c!.dataDir)).some((f) => f.startsWith('state.db')), 'no SQLite datastore in the data dir');
  await K(['create', '--validate=false', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }));
  const out = await K(['create', '--validate=false', '-n', NS, '-f', '-'], JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [configMap('alpha', { k: 'a' }), configMap('beta', { k: 'b' }), configMap('gamma', { k: 'c' })],
  }));
  assert.match(out, /configmap\/alpha created/);
  assert.match(out, /configmap\/gamma created/);
  const ns = JSON.parse(await K(['get', 'namespace', NS, '-o', 'json']));
  assert.equal(ns.status.phase, 'Active');
  const list = JSON.parse(await K(['get', 'configmaps', '-n', NS, '-o', 'json']));
  const mine = list.items.filter((o: any) => ['alpha', 'beta', 'gamma'].includes(o.metadata.name));
  assert.deepEqual(mine.map((o: any) => [o.metadata.name, o.data.k]), [['alpha', 'a'], ['beta', 'b'], ['gamma', 'c']]);
  for (const o of mine) {
    assert.match(o.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(o.metadata.resourceVersion, /^\d+$/);
  }
  const one = JSON.parse(await K(['get', 'configmap', 'beta', '-n', NS, '-o', 'json']));
  assert.deepEqual(one.data, { k: 'b' });
  const table = await K(['get', 'configmaps', '-n', NS]);
  assert.match(table, /^alpha\s+1\s+\d+s$/m);
  const missing = await kubectl(c!, ['get', 'configmap', 'nosuch', '-n', NS]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /NotFound.*configmaps "nosuch" not found/);
});

test('an update with a stale resourceVersion is a conflict and changes nothing', async () => {
  const live = JSON.parse(await K(['get', 'configmap', 'alpha', '-n', NS, '-o', 'json']));
  await K(['patch', 'configmap', 'alpha', '-n', NS, '--type=merge', '-p', '{"data":{"k":"a2"}}']);
  const patched = JSON.parse(await K(['get', 'configmap', 'alpha', '-n', NS, '-o', 'json']));
  assert.ok(Number(patched.metadata.resourceVersion) > Number(live.metadata.resourceVersion));
  const r = await kubectl(c!, ['replace', '--validate=false', '-f', '-'], JSON.stringify({ ...live, data: { k: 'stale' } }));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Operation cannot be fulfilled on configmaps "alpha": the object has been modified; please apply your changes to the latest version and try again/);
  const now = JSON.parse(await K(['get', 'configmap', 'alpha', '-n', NS, '-o', 'json']));
  assert.deepEqual(now.data, { k: 'a2' });
  assert.equal(now.metadata.resourceVersion, patched.metadata.resourceVersion);
  // the same replace with the current resourceVersion succeeds
  await K(['replace', '--validate=false', '-f', '-'], JSON.stringify({ ...now, data: { k: 'a3' } }));
  assert.deepEqual(JSON.parse(await K(['get', 'configmap', 'alpha', '-n', NS, '-o', 'json'])).data, { k: 'a3' });
});

test('get -w sees changes stored in etcd', async () => {
  const w = kubectlStream(c!, ['get', 'configmaps', '-n', NS, '-w', '--output-watch-events']);
  try {
    await w.waitFor(/ADDED\s+gamma\s+1\s+/);
    await K(['create', '--validate=false', '-n', NS, '-f', '-'], JSON.stringify(configMap('delta', { k: 'd', l: 'e' })));
    await w.waitFor(/ADDED\s+delta\s+2\s+/);
    await K(['label', 'configmap', 'beta', '-n', NS, 'seen=yes']);
    await w.waitFor(/MODIFIED\s+beta\s+1\s+/);
    await K(['delete', 'configmap', 'gamma', '-n', NS]);
    await w.waitFor(/DELETED\s+gamma\s+1\s+/);
  } finally {
    await w.stop();
  }
});

test('a restart on the same etcd keeps every object with its uid and resourceVersion', async () => {
  const snapshot = async () => {
    const list = JSON.parse(await K(['get', 'configmaps', '-n', NS, '-o', 'json']));
    return new Map<string, { uid: string; rv: string; data: unknown }>(
      list.items.map((o: any) => [o.metadata.name, { uid: o.metadata.uid, rv: o.metadata.resourceVersion, data: o.data }]),
    );
  };
  const before = await snapshot();
  for (const n of ['alpha', 'beta', 'delta']) assert.ok(before.has(n), `${n} before restart`);
  assert.ok(!before.has('gamma'));
  const nsBefore = JSON.parse(await K(['get', 'namespace', NS, '-o', 'json']));

  const code = await c!.stop();
  assert.equal(code, 0, c!.logs());
  c = await startCluster({ dataDir: c!.dataDir, args: serverArgs() });

  assert.deepEqual(await snapshot(), before);
  const nsAfter = JSON.parse(await K(['get', 'namespace', NS, '-o', 'json']));
  assert.equal(nsAfter.metadata.uid, nsBefore.metadata.uid);
  assert.equal(nsAfter.metadata.resourceVersion, nsBefore.metadata.resourceVersion);

  // writes continue the revision sequence and conflicts are still detected
  const beta = JSON.parse(await K(['get', 'configmap', 'beta', '-n', NS, '-o', 'json']));
  await K(['label', 'configmap', 'beta', '-n', NS, 'after=restart']);
  const relabeled = JSON.parse(await K(['get', 'configmap', 'beta', '-n', NS, '-o', 'json']));
  assert.ok(Number(relabeled.metadata.resourceVersion) > Math.max(...[...before.values()].map((v) => Number(v.rv))));
  const stale = await kubectl(c!, ['replace', '--validate=false', '-f', '-'], JSON.stringify(beta));
  assert.equal(stale.code, 1);
  assert.match(stale.stderr, /the object has been modified/);
});
