// The client library against a real API server on the memory backend: first in-process
// (InProcessTransport, no socket), then over a real HTTPS listener with the cluster PKI and an
// HttpsTransport built from a kubeconfig carrying the admin certificate.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../api/types.ts';
import { ApiError } from '../base/errors.ts';
import { silentLogger } from '../base/log.ts';
import { MemoryBackend } from '../store/memory.ts';
import { ApiServer } from '../apiserver/server.ts';
import { listen, type RunningServer } from '../apiserver/https.ts';
import { ensurePki, tlsServerOptions } from '../apiserver/authn/pki.ts';
import { UnionAuthenticator, X509Authenticator } from '../apiserver/authn/authenticator.ts';
import { renderKubeconfig } from '../apiserver/authn/kubeconfig.ts';
import { ApiClient, type WatchEvent } from './client.ts';
import { isAlreadyExists, isConflict, isNotFound } from './errors.ts';
import { EventRecorder } from './events.ts';
import { SharedInformerFactory } from './factory.ts';
import { HttpsTransport } from './https-transport.ts';
import { InProcessTransport } from './inprocess-transport.ts';
import type { SharedInformer } from './informer.ts';
import type { Transport } from './transport.ts';
import { LeaderElector } from './leaderelection.ts';
import { Controller } from './runner.ts';

let backend: MemoryBackend;
let api: ApiServer;
let client: ApiClient;

before(async () => {
  backend = new MemoryBackend({ retainRevisions: 0 });
  api = await ApiServer.start({ backend, log: silentLogger, watchCacheSize: 50 });
  client = new ApiClient({ transport: new InProcessTransport({ handler: api, user: { name: 'admin', groups: ['system:masters', 'system:authenticated'] } }) });
});

after(async () => {
  await api.close();
  await backend.close();
  await new Promise((r) => setImmediate(r));
  // Nothing of ours may outlive the tests: no sockets, no ref'ed timers.
  const left = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap' && r !== 'FSReqPromise');
  assert.deepEqual(left, [], 'resources left running after the tests');
});

const pods = () => client.resource('', 'v1', 'pods');
const configMaps = () => client.resource('', 'v1', 'configmaps');

function pod(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
}

async function makeNamespace(name: string): Promise<void> {
  await client.resource('', 'v1', 'namespaces').create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/** Resolves when `pred` holds for the informer's cache, checked after every event. */
function until<T extends KubeObject>(inf: SharedInformer<T>, pred: () => boolean): Promise<void> {
  if (pred()) return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (!pred()) return;
      remove();
      resolve();
    };
    const remove = inf.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
  });
}

test('in-process: verbs and the errors callers check', async () => {
  await makeNamespace('verbs');
  const created = await pods().create('verbs', pod('web', { app: 'web' }));
  assert.equal(created.metadata.namespace, 'verbs');
  assert.ok(created.metadata.uid && created.metadata.resourceVersion);

  const dup = await pods().create('verbs', pod('web')).catch((e) => e);
  assert.ok(dup instanceof ApiError && isAlreadyExists(dup) && dup.httpCode === 409);
  assert.equal(dup.message, 'pods "web" already exists');

  const dry = await pods().create('verbs', pod('dry'), { dryRun: true });
  assert.equal(dry.metadata.name, 'dry');
  assert.ok(isNotFound(await pods().get('verbs', 'dry').catch((e) => e)), 'dry run persisted nothing');

  const invalid = await pods().create('verbs', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad' }, spec: { containers: [] } }).catch((e) => e);
  assert.equal(invalid.httpCode, 422);
  assert.equal(invalid.reason, 'Invalid');
  assert.ok(invalid.details.causes.some((c: { field: string }) => c.field === 'spec.containers'));

  await pods().create('verbs', pod('db', { app: 'db' }));
  const listed = await pods().list('verbs', { labelSelector: 'app=web' });
  assert.deepEqual(listed.items.map((p) => p.metadata.name), ['web']);
  assert.ok(Number(listed.metadata.resourceVersion) > 0);

  const fresh = await pods().get('verbs', 'web');
  const updated = await pods().update('verbs', { ...fresh, metadata: { ...fresh.metadata, labels: { app: 'web', tier: 'front' } } });
  const stale = await pods().update('verbs', { ...fresh, metadata: { ...fresh.metadata, labels: {} } }).catch((e) => e);
  assert.ok(isConflict(stale), 'an update from a stale resourceVersion is a 409 Conflict');

  const patched = await pods().patch('verbs', 'web', 'merge', { metadata: { annotations: { a: 'b' } } });
  assert.equal(patched.metadata.annotations!.a, 'b');
  assert.equal(patched.metadata.labels!.tier, 'front');
  const withStatus = await pods().updateStatus('verbs', { ...patched, status: { phase: 'Running' }, spec: { ...patched.spec, nodeName: 'ignored' } });
  assert.equal(withStatus.status.phase, 'Running');
  assert.equal(withStatus.spec.nodeName, undefined, 'status writes touch only status');
  assert.notEqual(updated.metadata.resourceVersion, withStatus.metadata.resourceVersion);

  const bound = await pods().bind('verbs', 'db', 'node-1');
  assert.equal(bound.status, 'Success');
  assert.equal((await pods().get('verbs', 'db')).spec.nodeName, 'node-1');
  const again = await pods().bind('verbs', 'db', 'node-2').catch((e) => e);
  assert.equal(again.httpCode, 409);

  const deleted = await pods().delete('verbs', 'web', { gracePeriodSeconds: 0 });
  assert.equal((deleted as KubeObject).metadata.name, 'web');
  assert.ok(isNotFound(await pods().delete('verbs', 'web').catch((e) => e)));
  const nsStatus = await client.resource('apps', 'v1', 'deployments').get('verbs', 'none').catch((e) => e);
  assert.equal(nsStatus.message, 'deployments.apps "none" not found');
});

test('in-process: a watch streams changes after a resourceVersion; one from before the history kept ends with ERROR 410', async () => {
  await makeNamespace('watching');
  const list = await configMaps().list('watching');
  const ac = new AbortController();
  const seen: string[] = [];
  const done = (async () => {
    for await (const ev of configMaps().watch('watching', { resourceVersion: list.metadata.resourceVersion, signal: ac.signal })) {
      seen.push(`${ev.type} ${(ev.object as KubeObject).metadata.name}`);
      if (seen.length === 3) ac.abort();
    }
  })();
  await configMaps().create('watching', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { k: 'v' } });
  await configMaps().patch('watching', 'a', 'merge', { data: { k: 'w' } });
  await configMaps().delete('watching', 'a');
  await done;
  assert.deepEqual(seen, ['ADDED a', 'MODIFIED a', 'DELETED a']);

  // Push the old revision out of the watch cache's history (50 events), then watch from it.
  for (let i = 0; i < 60; i++) await configMaps().create('watching', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `filler-${i}` } });
  const events: WatchEvent[] = [];
  for await (const ev of configMaps().watch('watching', { resourceVersion: list.metadata.resourceVersion })) events.push(ev);
  assert.equal(events.length, 1);
  assert.equal(events[0]!.type, 'ERROR');
  assert.equal((events[0]!.object as { code: number }).code, 410);
});

test('in-process: shared informers list in pages, follow the watch, and feed a controller through the runner', async () => {
  await makeNamespace('informers');
  for (let i = 0; i < 5; i++) await configMaps().create('informers', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, labels: { mirror: 'yes' } }, data: { i: String(i) } });
  // The informer's requests, seen through a wrapper around the in-process transport.
  const queries: Record<string, unknown>[] = [];
  const spy: Transport = {
    do: (req) => (queries.push({ ...req.query }), client.transport.do(req)),
    stream: (req) => (queries.push({ ...req.query }), client.transport.stream(req)),
  };
  const factory = new SharedInformerFactory({ client: new ApiClient({ transport: spy }), log: silentLogger, freeze: true, pageSize: 2 });
  const cms = factory.informer('', 'v1', 'configmaps', { namespace: 'informers' });
  const deletes: string[] = [];
  cms.addEventHandler({ onDelete: (o) => deletes.push(o.metadata.name!) });

  // A small level-triggered controller: every ConfigMap labelled mirror=yes gets a `<name>-mirror` copy of its data.
  const reconcile = async (key: string) => {
    const [ns, name] = key.split('/') as [string, string];
    if (name.endsWith('-mirror')) return;
    const source = cms.lister.get(ns, name);
    const mirror = cms.lister.get(ns, `${name}-mirror`);
    if (!source) {
      if (mirror) await configMaps().delete(ns, `${name}-mirror`).catch((e) => void (isNotFound(e) || Promise.reject(e)));
      return;
    }
    if (source.metadata.labels?.mirror !== 'yes') return;
    const want = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-mirror`, namespace: ns }, data: { ...source.data } };
    if (!mirror) await configMaps().create(ns, want);
    else if (JSON.stringify(mirror.data) !== JSON.stringify(source.data)) await configMaps().update(ns, { ...want, metadata: { ...want.metadata, resourceVersion: mirror.metadata.resourceVersion } });
  };
  const controller = new Controller({ name: 'mirror', log: silentLogger, informers: [cms], reconcile, workers: 2 });
  const ac = new AbortController();
  factory.start(ac.signal);
  const running = controller.run(ac.signal);
  try {
    assert.equal(await factory.waitForCacheSync(ac.signal), true);
    const pages = queries.filter((q) => !q.watch);
    assert.deepEqual(pages.map((q) => [q.limit, q.continue !== undefined]), [['2', false], ['2', true], ['2', true]], 'five objects listed two at a time');
    const mirrored = (n: number) => () => cms.lister.list('informers').filter((o) => o.metadata.name!.endsWith('-mirror')).length === n;
    await until(cms, mirrored(5));
    assert.throws(() => {
      (cms.lister.get('informers', 'cm-0')!.data as Record<string, string>).i = 'changed';
    }, TypeError, 'cached objects are frozen');

    await configMaps().patch('informers', 'cm-1', 'merge', { data: { i: 'one' } });
    await until(cms, () => cms.lister.get('informers', 'cm-1-mirror')?.data?.i === 'one');
    await configMaps().delete('informers', 'cm-2');
    await until(cms, () => !cms.lister.get('informers', 'cm-2-mirror'));
    assert.ok(deletes.includes('cm-2') && deletes.includes('cm-2-mirror'));
    assert.ok(Number(cms.lastSyncResourceVersion()) > 0);
  } finally {
    ac.abort();
    await running;
    await factory.shutdown();
  }
});

test('in-process: leader election on a real Lease, released on stop; events aggregate into one Event', async () => {
  const ac = new AbortController();
  let leading!: () => void;
  const started = new Promise<void>((r) => (leading = r));
  let stopped = false;
  const elector = new LeaderElector({
    client,
    namespace: 'kube-system',
    name: 'integration-test',
    identity: 'me-1',
    log: silentLogger,
    onStartedLeading: () => leading(),
    onStoppedLeading: () => (stopped = true),
  });
  const run = elector.run(ac.signal);
  await started;
  const leases = client.resource('coordination.k8s.io', 'v1', 'leases');
  const held = await leases.get('kube-system', 'integration-test');
  assert.equal(held.spec.holderIdentity, 'me-1');
  assert.equal(held.spec.leaseDurationSeconds, 15);
  ac.abort();
  await run;
  assert.equal(stopped, true);
  const released = await leases.get('kube-system', 'integration-test');
  assert.equal(released.spec.holderIdentity, '');
  assert.equal(released.spec.leaseDurationSeconds, 1);

  await makeNamespace('events');
  const target = await pods().create('events', pod('evented'));
  const recorder = new EventRecorder({ client, component: 'test-controller', host: 'node-a', log: silentLogger });
  recorder.event(target, 'Warning', 'FailedMount', 'volume "data" not found');
  recorder.event(target, 'Warning', 'FailedMount', 'volume "data" not found');
  recorder.event(target, 'Warning', 'FailedMount', 'volume "data" not found');
  await recorder.flush();
  const evs = await client.resource('', 'v1', 'events').list('events');
  assert.equal(evs.items.length, 1);
  const ev = evs.items[0]!;
  assert.equal(ev.count, 3);
  assert.equal(ev.involvedObject.uid, target.metadata.uid);
  assert.equal(ev.source.component, 'test-controller');
});

test('over HTTPS: kubeconfig with the admin certificate; verbs, errors, informer watch; no credentials → 401', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-client-'));
  let listener: RunningServer | undefined;
  let transport: HttpsTransport | undefined;
  let anonymous: HttpsTransport | undefined;
  try {
    const pki = await ensurePki(join(dir, 'pki'), { hosts: [] });
    listener = await listen(api, { host: '127.0.0.1', port: 0, tls: tlsServerOptions(pki), authenticator: new UnionAuthenticator([new X509Authenticator()]), log: silentLogger });
    const kubeconfig = join(dir, 'kubeconfig.yaml');
    await writeFile(kubeconfig, renderKubeconfig({ server: `https://127.0.0.1:${listener.port}`, caPem: pki.caCertPem, user: { clientCertPem: pki.adminCertPem, clientKeyPem: pki.adminKeyPem } }));
    transport = await HttpsTransport.fromKubeconfig(kubeconfig);
    const remote = new ApiClient({ transport });

    await remote.resource('', 'v1', 'namespaces').create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'https' } });
    const rpods = remote.resource('', 'v1', 'pods');
    await rpods.create('https', pod('one'));
    const e = await rpods.create('https', pod('one')).catch((x) => x);
    assert.ok(isAlreadyExists(e));
    assert.ok(isNotFound(await rpods.get('https', 'missing').catch((x) => x)));

    const factory = new SharedInformerFactory({ client: remote, log: silentLogger, freeze: true });
    const inf = factory.informer('', 'v1', 'pods', { namespace: 'https' });
    const ac = new AbortController();
    factory.start(ac.signal);
    try {
      await factory.waitForCacheSync(ac.signal);
      assert.deepEqual(inf.lister.list().map((p) => p.metadata.name), ['one']);
      await rpods.create('https', pod('two'));
      await until(inf, () => inf.lister.get('https', 'two') !== undefined);
      await rpods.delete('https', 'one', { gracePeriodSeconds: 0 });
      await until(inf, () => inf.lister.get('https', 'one') === undefined);
    } finally {
      ac.abort();
      await factory.shutdown();
    }

    anonymous = new HttpsTransport({ server: `https://127.0.0.1:${listener.port}`, caPem: pki.caCertPem });
    const denied = await new ApiClient({ transport: anonymous }).resource('', 'v1', 'pods').list('https').catch((x) => x);
    assert.equal(denied.httpCode, 401);
    assert.equal(denied.reason, 'Unauthorized');
  } finally {
    transport?.close();
    anonymous?.close();
    await listener?.close();
    await rm(dir, { recursive: true, force: true });
  }
});
