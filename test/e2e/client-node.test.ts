// End-to-end: the official JavaScript client (@kubernetes/client-node 2.0.1) against a real
// `skiff server`, authenticated by the kubeconfig the server wrote. Covers the typed CoreV1Api,
// the generic KubernetesObjectApi (legacy per-group-version discovery), an informer that follows
// changes made with kubectl, and an informer that recovers through a forced 410 Expired: a TCP
// proxy cuts it off while more writes than the watch cache keeps (--watch-cache-size 20) happen,
// so its re-watch from the old resourceVersion is expired and it must relist.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import {
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  ListWatch,
  Watch,
  makeInformer,
  type Informer,
  type KubernetesObject,
  type ObjectCache,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { startCluster, destroyCluster, kubectlOk, type Cluster } from './harness.ts';
import { startTcpProxy, type TcpProxy } from './proxy.ts';

const WATCH_CACHE_SIZE = 20;
const WAIT_MS = 30_000;

let c: Cluster | undefined;
let proxy: TcpProxy | undefined;
let scratch: string | undefined;
const informers: Informer<KubernetesObject>[] = [];
const K = (args: string[], input?: string) => kubectlOk(c!, args, input);

before(async () => {
  c = await startCluster({ args: ['--watch-cache-size', String(WATCH_CACHE_SIZE)] });
  scratch = await mkdtemp(path.join(tmpdir(), 'skiff-e2e-client-node-'));
});
after(async () => {
  for (const inf of informers) await inf.stop();
  await proxy?.close();
  await destroyCluster(c);
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function kubeConfig(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

function configMap(name: string, data: Record<string, string>, namespace?: string): V1ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(namespace ? { namespace } : {}) }, data };
}

async function createNamespace(name: string): Promise<void> {
  await K(['create', '--validate=false', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
}

/** name → resourceVersion of every configmap in `ns`, as the server (via kubectl) lists them. */
async function serverConfigMaps(ns: string): Promise<Map<string, string>> {
  const list = JSON.parse(await K(['get', 'configmaps', '-n', ns, '-o', 'json']));
  return new Map(list.items.map((o: KubernetesObject) => [o.metadata!.name!, o.metadata!.resourceVersion!]));
}

function cacheConfigMaps(cache: ObjectCache<KubernetesObject>, ns: string): Map<string, string> {
  return new Map(cache.list(ns).map((o) => [o.metadata!.name!, o.metadata!.resourceVersion!]));
}

/** Resolve when `cond()` holds, re-checking whenever `notify` is called; fail after `ms`. */
function conditionWaiter() {
  const waiters = new Set<() => void>();
  return {
    notify() {
      for (const w of [...waiters]) w();
    },
    until(what: string, cond: () => boolean, ms = WAIT_MS): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = () => {
          let ok: boolean;
          try {
            ok = cond();
          } catch (err) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(err);
            return;
          }
          if (!ok) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
}

test('CoreV1Api lists namespaces and pods; ConfigMaps are created through the typed and the generic API', async () => {
  const kc = kubeConfig(c!.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const nsList = await core.listNamespace();
  const nsNames = nsList.items.map((n) => n.metadata!.name);
  for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.ok(nsNames.includes(n), `namespace ${n} in ${nsNames}`);
  assert.match(nsList.metadata!.resourceVersion!, /^\d+$/);

  await createNamespace('cn-api');
  await K(['create', '--validate=false', '-n', 'cn-api', '-f', '-'], JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p1', labels: { app: 'x' } },
    spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] },
  }));
  const pods = await core.listNamespacedPod({ namespace: 'cn-api' });
  assert.deepEqual(pods.items.map((p) => p.metadata!.name), ['p1']);
  assert.equal(pods.items[0]!.spec!.containers[0]!.image, 'busybox:1.36');
  assert.equal(pods.items[0]!.status!.phase, 'Pending');
  assert.ok(pods.items[0]!.metadata!.creationTimestamp instanceof Date); // deserialized by the client

  // typed create and read
  const typed = await core.createNamespacedConfigMap({ namespace: 'cn-api', body: configMap('typed', { a: '1' }) });
  assert.equal(typed.metadata!.namespace, 'cn-api');
  assert.match(typed.metadata!.uid!, /^[0-9a-f-]{36}$/);
  const typedBack = await core.readNamespacedConfigMap({ name: 'typed', namespace: 'cn-api' });
  assert.deepEqual(typedBack.data, { a: '1' });
  assert.equal(typedBack.metadata!.uid, typed.metadata!.uid);
  assert.equal(typedBack.metadata!.resourceVersion, typed.metadata!.resourceVersion);

  // generic create: resolves the resource through GET /api/v1 discovery
  const generic = KubernetesObjectApi.makeApiClient(kc);
  const made = await generic.create(configMap('generic', { b: '2' }, 'cn-api'));
  assert.equal(made.kind, 'ConfigMap');
  assert.equal(made.metadata!.name, 'generic');
  const read = await generic.read<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'generic', namespace: 'cn-api' } });
  assert.deepEqual(read.data, { b: '2' });
  assert.equal(read.metadata!.uid, made.metadata!.uid);
  const listed = await generic.list('v1', 'ConfigMap', 'cn-api');
  assert.deepEqual(listed.items.map((o) => o.metadata!.name).sort(), ['generic', 'typed']);
  // both are visible to kubectl too
  assert.deepEqual([...(await serverConfigMaps('cn-api')).keys()].sort(), ['generic', 'typed']);

  // a missing object is an ApiException carrying the 404
  await assert.rejects(core.readNamespacedConfigMap({ name: 'nosuch', namespace: 'cn-api' }), (err: { code?: number }) => err.code === 404);
});

test('an informer sees ADD, UPDATE and DELETE of configmaps changed with kubectl', async () => {
  const ns = 'cn-informer';
  await createNamespace(ns);
  await K(['create', '--validate=false', '-n', ns, '-f', '-'], JSON.stringify(configMap('pre', { v: '0' })));
  const kc = kubeConfig(c!.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const informer = makeInformer<V1ConfigMap>(kc, `/api/v1/namespaces/${ns}/configmaps`, () => core.listNamespacedConfigMap({ namespace: ns }));
  informers.push(informer as Informer<KubernetesObject>);
  const seen: string[] = [];
  const errors: unknown[] = [];
  const changed = conditionWaiter();
  informer.on('add', (o) => (seen.push(`add ${o.metadata!.name}`), changed.notify()));
  informer.on('update', (o) => (seen.push(`update ${o.metadata!.name} ${o.data?.v}`), changed.notify()));
  informer.on('delete', (o) => (seen.push(`delete ${o.metadata!.name}`), changed.notify()));
  informer.on('error', (e) => (errors.push(e), changed.notify()));
  const has = (line: string) => () => {
    if (errors.length) throw new Error(`informer error: ${String(errors[0])}`);
    return seen.includes(line);
  };

  await informer.start();
  await changed.until('initial add of pre', has('add pre'));
  await K(['create', '--validate=false', '-n', ns, '-f', '-'], JSON.stringify(configMap('cm1', { v: '1' })));
  await changed.until('add cm1', has('add cm1'));
  await K(['patch', 'configmap', 'cm1', '-n', ns, '--type=merge', '-p', '{"data":{"v":"2"}}']);
  await changed.until('update cm1', has('update cm1 2'));
  await K(['delete', 'configmap', 'pre', '-n', ns]);
  await changed.until('delete pre', has('delete pre'));
  assert.deepEqual(seen, ['add pre', 'add cm1', 'update cm1 2', 'delete pre']);
  assert.deepEqual(cacheConfigMaps(informer, ns), await serverConfigMaps(ns));
  assert.equal(informer.get('cm1', ns)!.data!.v, '2');
  await informer.stop();
});

/** A Watch that records what the server said: every watch request, ERROR events, and done errors. */
class RecordingWatch extends Watch {
  readonly requests: string[] = []; // resourceVersion of each watch request
  readonly errorEvents: { code?: number; reason?: string }[] = [];
  readonly doneErrors: unknown[] = [];
  readonly onActivity: () => void;
  constructor(kc: KubeConfig, onActivity: () => void) {
    super(kc);
    this.onActivity = onActivity;
  }
  override watch(path: string, query: Record<string, string | number | boolean | undefined>, callback: (phase: string, apiObj: any, watchObj?: any) => void, done: (err: any) => void): Promise<AbortController> {
    this.requests.push(String(query.resourceVersion ?? ''));
    this.onActivity();
    return super.watch(
      path,
      query,
      (phase, obj, raw) => {
        if (phase === 'ERROR') this.errorEvents.push(obj);
        callback(phase, obj, raw);
        this.onActivity();
      },
      (err) => {
        if (err) this.doneErrors.push(err);
        done(err);
        this.onActivity();
      },
    );
  }
}

test('an informer cut off while the watch cache rolls over gets 410 Expired, relists, and matches the server', async () => {
  const ns = 'cn-expired';
  await createNamespace(ns);
  const initial = Array.from({ length: 6 }, (_, i) => configMap(`old-${i}`, { v: '0' }));
  await K(['create', '--validate=false', '-n', ns, '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: initial }));

  // The informer talks to the server through the proxy, with a kubeconfig copy pointing there.
  proxy = await startTcpProxy(c!.port);
  const cfg = parse(await readFile(c!.kubeconfig, 'utf8'));
  for (const cl of cfg.clusters) cl.cluster.server = `https://127.0.0.1:${proxy.port}`;
  const proxiedConfig = path.join(scratch!, 'kubeconfig-proxied.yaml');
  await writeFile(proxiedConfig, stringify(cfg));
  const kc = kubeConfig(proxiedConfig);
  assert.equal(kc.getCurrentCluster()!.server, `https://127.0.0.1:${proxy.port}`);
  const core = kc.makeApiClient(CoreV1Api);

  const progress = conditionWaiter();
  let listCalls = 0;
  let listsDone = 0;
  const listFn = async () => {
    listCalls++;
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    listsDone++;
    return list;
  };
  const watch = new RecordingWatch(kc, () => progress.notify());
  // What makeInformer() builds, with a Watch that lets the test see the 410 itself.
  const informer = new ListWatch<V1ConfigMap>(`/api/v1/namespaces/${ns}/configmaps`, watch, listFn, false);
  informers.push(informer as unknown as Informer<KubernetesObject>);
  const errors: unknown[] = [];
  const deleted: string[] = [];
  const added: string[] = [];
  informer.on('error', (e) => (errors.push(e), progress.notify()));
  informer.on('add', (o) => (added.push(o.metadata!.name!), progress.notify()));
  informer.on('delete', (o) => (deleted.push(o.metadata!.name!), progress.notify()));

  await informer.start();
  await progress.until('the first list and watch', () => listsDone === 1 && watch.requests.length === 1);
  const syncedRv = informer.latestResourceVersion();
  assert.equal(watch.requests[0], syncedRv);
  assert.deepEqual(cacheConfigMaps(informer, ns), await serverConfigMaps(ns));
  assert.equal(errors.length, 0);

  // Cut the informer off. Its watch stream breaks; client-node reports that through 'error' and stops.
  proxy.cut();
  await progress.until('the informer to report its broken watch', () => errors.length === 1);
  assert.equal(watch.errorEvents.length, 0);

  // More configmap writes than the watch cache keeps, straight to the server: 25 creates, 4 updates, 3 deletes.
  const fresh = Array.from({ length: 25 }, (_, i) => configMap(`new-${i}`, { v: '1' }));
  await K(['create', '--validate=false', '-n', ns, '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: fresh }));
  await K(['label', 'configmap', '-n', ns, 'old-0', 'old-1', 'old-2', 'old-3', 'touched=yes']);
  await K(['delete', 'configmap', '-n', ns, 'old-3', 'old-4', 'old-5']);
  const expected = await serverConfigMaps(ns);
  assert.equal(expected.size, 3 + 25);

  // Let it through again and restart it, as an application's error handler would. It re-watches
  // from its old resourceVersion, which the server no longer holds.
  proxy.resume();
  const requestsBefore = watch.requests.length;
  await informer.start();
  await progress.until(
    'the relist and the watch that follows it',
    () => listsDone === 2 && watch.requests.length === requestsBefore + 2 && watch.requests.at(-1) !== '',
  );
  assert.equal(watch.requests[requestsBefore], syncedRv, 'the restarted informer re-watches from where it was');
  const expired = watch.errorEvents.find((e) => e.code === 410) ?? watch.doneErrors.find((e) => (e as { statusCode?: number }).statusCode === 410);
  assert.ok(expired, `a 410 from the server; events ${JSON.stringify(watch.errorEvents)}, errors ${watch.doneErrors.map(String)}`);
  if (watch.errorEvents.length) assert.equal(watch.errorEvents[0]!.reason, 'Expired');
  assert.equal(listCalls, 2);
  assert.equal(errors.length, 1, `no further errors: ${errors.map(String)}`);

  // The cache is exactly the server's state, and the relist reported what changed.
  assert.deepEqual(cacheConfigMaps(informer, ns), expected);
  assert.deepEqual(deleted.sort(), ['old-3', 'old-4', 'old-5']);
  assert.deepEqual(added.filter((n) => n.startsWith('new-')).sort(), fresh.map((f) => f.metadata!.name!).sort());
  assert.ok(Number(informer.latestResourceVersion()) > Number(syncedRv));

  // And it is live again: a change made now arrives over the new watch.
  await K(['delete', 'configmap', '-n', ns, 'new-0']);
  await progress.until('the live delete of new-0', () => deleted.includes('new-0'));
  assert.deepEqual(cacheConfigMaps(informer, ns), await serverConfigMaps(ns));
  await informer.stop();
});
