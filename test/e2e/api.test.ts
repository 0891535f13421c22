// End-to-end: the real kubectl against a real `skiff server` (SQLite datastore in a temp dir).
// Covers create, get in every output, watch, selectors, paging, conflicts, graceful delete,
// api-resources and a restart on the same data dir.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, destroyCluster, kubectl, kubectlOk, kubectlStream, type Cluster } from './harness.ts';

let c: Cluster | undefined;
const K = (args: string[], input?: string) => kubectlOk(c!, args, input);

before(async () => {
  c = await startCluster();
});
after(async () => {
  await destroyCluster(c);
});

function pod(name: string, labels: Record<string, string>, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }], ...extra },
  };
}

function yamlList(items: unknown[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

test('version and discovery: kubectl 1.32 is selected and api-resources lists the catalogue', async () => {
  const v = JSON.parse(await K(['version', '-o', 'json']));
  assert.equal(v.serverVersion.major, '1');
  assert.equal(v.serverVersion.minor, '32');
  assert.match(v.clientVersion.gitVersion, /^v1\.32\./);
  const res = await K(['api-resources', '--no-headers']);
  for (const re of [/^pods\s+po\s+v1\s+true\s+Pod$/m, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m, /^cronjobs\s+cj\s+batch\/v1\s+true\s+CronJob$/m, /^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/m, /^clusterroles\s+rbac\.authorization\.k8s\.io\/v1\s+false\s+ClusterRole$/m, /^horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler$/m]) {
    assert.match(res, re);
  }
  const ns = await K(['get', 'ns', '-o', 'name']);
  for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.match(ns, new RegExp(`^namespace/${n}$`, 'm'));
});

test('create and get in table, wide, yaml, json and jsonpath', async () => {
  await K(['create', '--validate=false', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'e2e-get' } }));
  const out = await K(['create', '--validate=false', '-n', 'e2e-get', '-f', '-'], yamlList([pod('web-1', { app: 'web' }), pod('web-2', { app: 'web' })]));
  assert.match(out, /pod\/web-1 created/);
  assert.match(out, /pod\/web-2 created/);

  const table = await K(['get', 'pods', '-n', 'e2e-get']);
  assert.match(table, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
  assert.match(table, /^web-1\s+0\/1\s+Pending\s+0\s+\d+s$/m);
  const wide = await K(['get', 'pods', '-n', 'e2e-get', '-o', 'wide']);
  assert.match(wide, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/m);
  const y = await K(['get', 'pod', 'web-1', '-n', 'e2e-get', '-o', 'yaml']);
  assert.match(y, /^kind: Pod$/m);
  assert.match(y, /restartPolicy: Always/); // defaulted by the server
  assert.match(y, /imagePullPolicy: IfNotPresent/);
  const j = JSON.parse(await K(['get', 'pods', '-n', 'e2e-get', '-o', 'json']));
  assert.equal(j.kind, 'List');
  assert.deepEqual(j.items.map((p: any) => p.metadata.name).sort(), ['web-1', 'web-2']);
  assert.equal(j.items[0].status.phase, 'Pending');
  assert.match(j.items[0].metadata.uid, /^[0-9a-f-]{36}$/);
  const jp = await K(['get', 'pods', '-n', 'e2e-get', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.dnsPolicy}{"\\n"}{end}']);
  assert.equal(jp, 'web-1=ClusterFirst\nweb-2=ClusterFirst\n');
  const showLabels = await K(['get', 'pods', '-n', 'e2e-get', '--show-labels']);
  assert.match(showLabels, /web-1 .* app=web$/m);
  const all = await K(['get', 'pods', '-A']);
  assert.match(all, /^e2e-get\s+web-1\s+/m);
  const missing = await kubectl(c!, ['get', 'pod', 'nosuch', '-n', 'e2e-get']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Error from server \(NotFound\): pods "nosuch" not found/);
});

test('get -w sees a change', async () => {
  await K(['create', '--validate=false', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'e2e-watch' } }));
  await K(['create', '--validate=false', '-n', 'e2e-watch', '-f', '-'], JSON.stringify(pod('w1', { app: 'w' })));
  const w = kubectlStream(c!, ['get', 'pods', '-n', 'e2e-watch', '-w', '--output-watch-events']);
  try {
    await w.waitFor(/ADDED\s+w1\s+0\/1\s+Pending/);
    await K(['create', '--validate=false', '-n', 'e2e-watch', '-f', '-'], JSON.stringify(pod('w2', { app: 'w' })));
    await w.waitFor(/ADDED\s+w2\s+0\/1\s+Pending/);
    await K(['label', 'pod', 'w1', '-n', 'e2e-watch', 'tier=front']);
    await w.waitFor(/MODIFIED\s+w1\s+/);
    await K(['delete', 'pod', 'w2', '-n', 'e2e-watch']);
    await w.waitFor(/DELETED\s+w2\s+/);
  } finally {
    await w.stop();
  }
});

test('label selectors of every kind and field selectors', async () => {
  await K(['create', '--validate=false', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'e2e-sel' } }));
  await K(['create', '--validate=false', '-n', 'e2e-sel', '-f', '-'], yamlList([
    pod('a', { app: 'web', tier: 'front' }),
    pod('b', { app: 'web', tier: 'back' }),
    pod('c', { app: 'db' }),
    pod('d', { app: 'cache', tier: 'back' }, { nodeName: 'node-x' }),
  ]));
  const names = async (args: string[]) => (await K(['get', 'pods', '-n', 'e2e-sel', '-o', 'jsonpath={.items[*].metadata.name}', ...args])).trim();
  assert.equal(await names(['-l', 'app=web']), 'a b');
  assert.equal(await names(['-l', 'app==db']), 'c');
  assert.equal(await names(['-l', 'app!=web']), 'c d');
  assert.equal(await names(['-l', 'app in (db,cache)']), 'c d');
  assert.equal(await names(['-l', 'app notin (db,cache)']), 'a b');
  assert.equal(await names(['-l', 'tier']), 'a b d');
  assert.equal(await names(['-l', '!tier']), 'c');
  assert.equal(await names(['-l', 'app=web,tier=back']), 'b');
  assert.equal(await names(['--field-selector', 'metadata.name=c']), 'c');
  assert.equal(await names(['--field-selector', 'spec.nodeName=node-x']), 'd');
  assert.equal(await names(['--field-selector', 'status.phase!=Pending']), '');
  assert.equal(await names(['--field-selector', 'metadata.name!=a,status.phase=Pending']), 'b c d');
  const bad = await kubectl(c!, ['get', 'pods', '-n', 'e2e-sel', '--field-selector', 'spec.bogus=1']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /field label not supported: spec\.bogus/);
});

test('paging with --chunk-size returns every object across pages', async () => {
  await K(['create', '--validate=false', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'e2e-page' } }));
  const cms = Array.from({ length: 7 }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { i: String(i) } }));
  await K(['create', '--validate=false', '-n', 'e2e-page', '-f', '-'], yamlList(cms));
  const r = await kubectl(c!, ['get', 'configmaps', '-n', 'e2e-page', '--chunk-size=3', '-o', 'name', '-v=6']);
  assert.equal(r.code, 0, r.stderr);
  const got = r.stdout.trim().split('\n').filter((l) => l.startsWith('configmap/cm-'));
  assert.deepEqual(got, cms.map((cm) => `configmap/${cm.metadata.name}`));
  assert.match(r.stderr, /limit=3/);
  assert.match(r.stderr, /continue=/); // a second page was requested with the token
});

test('replace with a stale resourceVersion is a conflict; a failed request changes nothing', async () => {
  await K(['create', '--validate=false', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'conf', namespace: 'default' }, data: { v: '1' } }));
  const live = JSON.parse(await K(['get', 'configmap', 'conf', '-o', 'json']));
  const stale = { ...live, data: { v: 'stale' } };
  await K(['patch', 'configmap', 'conf', '--type=merge', '-p', '{"data":{"v":"2"}}']);
  const r = await kubectl(c!, ['replace', '--validate=false', '-f', '-'], JSON.stringify(stale));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Operation cannot be fulfilled on configmaps "conf": the object has been modified/);
  const now = JSON.parse(await K(['get', 'configmap', 'conf', '-o', 'json']));
  assert.equal(now.data.v, '2');
  // invalid object: 422 with the field path, nothing written
  const inv = await kubectl(c!, ['create', '--validate=false', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad', namespace: 'default' }, spec: { containers: [{ name: 'main' }], restartPolicy: 'Sometimes' } }));
  assert.equal(inv.code, 1);
  assert.match(inv.stderr, /The Pod "bad" is invalid/);
  assert.match(inv.stderr, /spec\.containers\[0\]\.image: Required value/);
  assert.match(inv.stderr, /spec\.restartPolicy: Unsupported value: "Sometimes"/);
  const gone = await kubectl(c!, ['get', 'pod', 'bad']);
  assert.equal(gone.code, 1);
});

test('kubectl create and apply of a manifest with a value of the wrong type: upstream\'s BadRequest, nothing created', async () => {
  // the classic mistakes: a quoted replica count, an unquoted env value
  const manifest = (replicas: string, envValue: string) =>
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: {name: typed, namespace: default}',
      'spec:',
      `  replicas: ${replicas}`,
      '  selector: {matchLabels: {app: typed}}',
      '  template:',
      '    metadata: {labels: {app: typed}}',
      '    spec:',
      `      containers: [{name: web, image: nginx, env: [{name: PORT, value: ${envValue}}]}]`,
      '',
    ].join('\n');
  const quoted = await kubectl(c!, ['create', '-f', '-'], manifest('"3"', '"80"'));
  assert.equal(quoted.code, 1);
  assert.match(
    quoted.stderr,
    /Error from server \(BadRequest\): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec\.spec\.replicas of type int32/,
  );
  const env = await kubectl(c!, ['apply', '-f', '-'], manifest('3', '80'));
  assert.equal(env.code, 1);
  assert.match(env.stderr, /cannot unmarshal number into Go struct field EnvVar\.spec\.template\.spec\.containers\.env\.value of type string/);
  const none = await kubectl(c!, ['get', 'deployment', 'typed']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /NotFound/);
  await K(['create', '-f', '-'], manifest('3', '"80"'));
  assert.equal(JSON.parse(await K(['get', 'deployment', 'typed', '-o', 'json'])).spec.replicas, 3);
  await K(['delete', 'deployment', 'typed']);
});

test('delete --wait: unscheduled pods go at once, scheduled pods wait for their node', async () => {
  await K(['create', '--validate=false', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'e2e-del' } }));
  await K(['create', '--validate=false', '-n', 'e2e-del', '-f', '-'], yamlList([pod('loose', { a: 'b' }), pod('bound', { a: 'b' }, { nodeName: 'node-1' })]));
  const del = await K(['delete', 'pod', 'loose', '-n', 'e2e-del', '--wait']);
  assert.match(del, /pod "loose" deleted/);
  assert.equal((await kubectl(c!, ['get', 'pod', 'loose', '-n', 'e2e-del'])).code, 1);

  // A bound pod stays, terminating, until its node confirms (here: a grace-period-0 delete, as the agent sends).
  await K(['delete', 'pod', 'bound', '-n', 'e2e-del', '--wait=false']);
  const terminating = JSON.parse(await K(['get', 'pod', 'bound', '-n', 'e2e-del', '-o', 'json']));
  assert.ok(terminating.metadata.deletionTimestamp);
  assert.equal(terminating.metadata.deletionGracePeriodSeconds, 30);
  assert.match(await K(['get', 'pod', 'bound', '-n', 'e2e-del']), /bound\s+0\/1\s+Terminating/);
  const waiter = kubectl(c!, ['wait', '--for=delete', 'pod/bound', '-n', 'e2e-del', '--timeout=60s']);
  await K(['delete', 'pod', 'bound', '-n', 'e2e-del', '--grace-period=0', '--force']);
  const w = await waiter;
  assert.equal(w.code, 0, w.stderr);
  assert.equal((await kubectl(c!, ['get', 'pod', 'bound', '-n', 'e2e-del'])).code, 1);
});

test('a restart on the same data dir keeps everything', async () => {
  await K(['create', '--validate=false', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'survivor', namespace: 'default' }, data: { k: 'v' } }));
  const before = JSON.parse(await K(['get', 'configmap', 'survivor', '-o', 'json']));
  const code = await c!.stop();
  assert.equal(code, 0, c!.logs());
  c = await startCluster({ dataDir: c!.dataDir });
  const afterObj = JSON.parse(await K(['get', 'configmap', 'survivor', '-o', 'json']));
  assert.equal(afterObj.metadata.uid, before.metadata.uid);
  assert.equal(afterObj.metadata.resourceVersion, before.metadata.resourceVersion);
  assert.deepEqual(afterObj.data, { k: 'v' });
  // new writes continue the revision sequence
  await K(['label', 'configmap', 'survivor', 'x=y']);
  const relabeled = JSON.parse(await K(['get', 'configmap', 'survivor', '-o', 'json']));
  assert.ok(Number(relabeled.metadata.resourceVersion) > Number(before.metadata.resourceVersion));
});
