// The API core called in-process (no socket) on the memory backend: status codes, messages and
// "a failed request changes nothing" for the main verbs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../store/memory.ts';
import { silentLogger } from '../base/log.ts';
import { ApiServer } from './server.ts';
import { type ApiRequest, type ApiResponse, isStreaming, MAX_BODY_BYTES } from './request.ts';
import { parse as parseYaml } from 'yaml';

let backend: MemoryBackend;
let api: ApiServer;

before(async () => {
  backend = new MemoryBackend({ retainRevisions: 0 });
  api = await ApiServer.start({ backend, log: silentLogger });
  api.setReady();
});
after(async () => {
  await api.close();
  await backend.close();
});

interface Res {
  status: number;
  headers: Record<string, string>;
  json: any;
  text: string;
}

async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}, user = true): Promise<Res> {
  const u = new URL(url, 'http://x');
  const req: ApiRequest = {
    method,
    path: u.pathname,
    query: u.searchParams,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    signal: new AbortController().signal,
  };
  if (user) req.user = { name: 'admin', groups: ['system:masters'] };
  const out: ApiResponse = await api.handle(req);
  assert.ok(!isStreaming(out));
  const text = out.body === undefined ? '' : out.body.toString();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: out.status, headers: out.headers ?? {}, json, text };
}

const cm = (name: string, data: Record<string, string> = { a: '1' }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

test('unauthenticated requests get 401; health endpoints are public', async () => {
  const r = await call('GET', '/api/v1/namespaces', undefined, {}, false);
  assert.equal(r.status, 401);
  assert.equal(r.json.reason, 'Unauthorized');
  assert.equal((await call('GET', '/readyz', undefined, {}, false)).status, 200);
});

test('version reports 1.32 and aggregated discovery has the exact content type', async () => {
  const v = await call('GET', '/version');
  assert.equal(v.json.major, '1');
  assert.equal(v.json.minor, '32');
  const agg = await call('GET', '/apis', undefined, {
    accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
  });
  assert.equal(agg.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
  const apps = agg.json.items.find((g: any) => g.metadata.name === 'apps');
  const deploy = apps.versions[0].resources.find((r: any) => r.resource === 'deployments');
  assert.deepEqual(deploy.shortNames, ['deploy']);
  assert.equal(deploy.scope, 'Namespaced');
  assert.ok(deploy.subresources.some((s: any) => s.subresource === 'scale' && s.responseKind.kind === 'Scale'));
  const legacy = await call('GET', '/api');
  assert.equal(legacy.json.kind, 'APIVersions');
  const again = await call('GET', '/apis', undefined, { 'if-none-match': (await call('GET', '/apis')).headers.etag! });
  assert.equal(again.status, 304);
});

test('create: 201 with uid, creationTimestamp, resourceVersion; duplicate 409 AlreadyExists', async () => {
  const r = await call('POST', '/api/v1/namespaces/default/configmaps', cm('one'));
  assert.equal(r.status, 201);
  assert.match(r.json.metadata.uid, /^[0-9a-f-]{36}$/);
  assert.ok(Number(r.json.metadata.resourceVersion) > 0);
  assert.match(r.json.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const dup = await call('POST', '/api/v1/namespaces/default/configmaps', cm('one'));
  assert.equal(dup.status, 409);
  assert.equal(dup.json.reason, 'AlreadyExists');
  assert.equal(dup.json.message, 'configmaps "one" already exists');
});

test('create and update: the response, a GET and a LIST show the same object', async () => {
  const r = await call('POST', '/api/v1/namespaces/default/configmaps', { ...cm('same', { k: 'v' }), metadata: { name: 'same', labels: { l: 'x' } } });
  assert.equal(r.status, 201);
  const got = await call('GET', '/api/v1/namespaces/default/configmaps/same');
  assert.deepEqual(r.json, got.json);
  const listed = await call('GET', '/api/v1/namespaces/default/configmaps?labelSelector=l%3Dx');
  assert.deepEqual(listed.json.items, [r.json]);
  const patched = await call('PATCH', '/api/v1/namespaces/default/configmaps/same', { data: { k: 'w' } }, { 'content-type': 'application/merge-patch+json' });
  assert.equal(patched.status, 200);
  assert.equal(patched.json.data.k, 'w');
  assert.deepEqual((await call('GET', '/api/v1/namespaces/default/configmaps/same')).json, patched.json);
  assert.deepEqual((await call('GET', '/api/v1/namespaces/default/configmaps?labelSelector=l%3Dx')).json.items, [patched.json]);
});

test('generateName picks a unique name', async () => {
  const r = await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } });
  assert.equal(r.status, 201);
  assert.match(r.json.metadata.name, /^gen-[a-z0-9]{5}$/);
});

test('bad input: malformed JSON 400, wrong kind 400, oversized 413, missing namespace 404 — nothing written', async () => {
  const before = await backend.currentRevision();
  assert.equal((await call('POST', '/api/v1/namespaces/default/configmaps', '{"kind":')).status, 400);
  assert.equal((await call('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } })).status, 400);
  const ns = await call('POST', '/api/v1/namespaces/nosuch/configmaps', cm('x'));
  assert.equal(ns.status, 404);
  assert.equal(ns.json.message, 'namespaces "nosuch" not found');
  const yaml = await call('POST', '/api/v1/namespaces/default/configmaps', 'a: [1', { 'content-type': 'application/yaml' });
  assert.equal(yaml.status, 400);
  assert.equal(await backend.currentRevision(), before);
  // the transport enforces the limit before the core; the core's constant is what it uses
  assert.equal(MAX_BODY_BYTES, 3 * 1024 * 1024);
});

test('bad input: a value of the wrong JSON type is 400 in every fieldValidation mode, a banned JSON patch path 422 — nothing written', async () => {
  await call('POST', '/api/v1/namespaces/default/configmaps', cm('typed'));
  const before = await backend.currentRevision();
  const pod = (spec: unknown, meta: Record<string, unknown> = { name: 'typed' }) => ({ apiVersion: 'v1', kind: 'Pod', metadata: meta, spec });
  for (const mode of ['', '?fieldValidation=Ignore', '?fieldValidation=Strict']) {
    const r = await call('POST', `/api/v1/namespaces/default/pods${mode}`, pod('x'));
    assert.equal(r.status, 400, mode);
    assert.equal(r.json.reason, 'BadRequest');
    assert.equal(r.json.message, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec');
  }
  const name = await call('POST', '/api/v1/namespaces/default/pods', pod({ containers: [{ name: 'c', image: 'i' }] }, { name: 5 }));
  assert.equal(name.status, 400);
  assert.match(name.json.message, /cannot unmarshal number into Go struct field ObjectMeta\.metadata\.name of type string$/);
  const put = await call('PUT', '/api/v1/namespaces/default/configmaps/typed', { ...cm('typed'), data: { a: { b: 1 } } });
  assert.equal(put.status, 400);
  assert.match(put.json.message, /ConfigMap.*cannot unmarshal object into Go struct field ConfigMap\.data of type string$/);
  const merge = await call('PATCH', '/api/v1/namespaces/default/configmaps/typed', { data: [1] }, { 'content-type': 'application/merge-patch+json' });
  assert.equal(merge.status, 400);
  const proto = await call('PATCH', '/api/v1/namespaces/default/configmaps/typed', [{ op: 'add', path: '/__proto__/polluted', value: 'yes' }], { 'content-type': 'application/json-patch+json' });
  assert.equal(proto.status, 422);
  assert.match(proto.json.message, /^the server rejected our request due to an error in our request: .*__proto__/);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  // subresource PUTs decode the whole object too
  const fin = await call('PUT', '/api/v1/namespaces/default/finalize', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' }, spec: { finalizers: [5] } });
  assert.equal(fin.status, 400);
  assert.match(fin.json.message, /cannot unmarshal number into Go struct field NamespaceSpec\.spec\.finalizers of type string$/);
  assert.equal(await backend.currentRevision(), before);
  // a null element of a list of structs is a zero struct, as Go decodes it: validation speaks
  const nul = await call('POST', '/api/v1/namespaces/default/pods', pod({ containers: [null] }));
  assert.equal(nul.status, 422);
  assert.match(nul.json.message, /spec\.containers\[0\]\.name: Required value/);
  assert.equal(await backend.currentRevision(), before);
});

test('bad input: bodies nested deeper than 1000 levels are 400 in JSON, YAML and patches; 900 levels are stored and served', async () => {
  // JSON text of objects and lists nested n deep (built as text: JSON.stringify itself recurses)
  const nest = (n: number): string => {
    let open = '';
    let close = '';
    for (let i = 0; i < n; i++) {
      open += i % 2 ? '[' : '{"x":';
      close = (i % 2 ? ']' : '}') + close;
    }
    return `${open}1${close}`;
  };
  const cr = (name: string, data: string) => `{"apiVersion":"apps/v1","kind":"ControllerRevision","metadata":{"name":"${name}"},"revision":1,"data":${data}}`;
  const url = '/apis/apps/v1/namespaces/default/controllerrevisions';
  const ok = await call('POST', url, cr('deep-ok', nest(900)));
  assert.equal(ok.status, 201, ok.text);
  assert.equal((await call('GET', `${url}/deep-ok`)).status, 200);
  const before = await backend.currentRevision();
  for (const depth of [1000, 20_000]) {
    const r = await call('POST', url, cr('deep', nest(depth)));
    assert.equal(r.status, 400, String(depth));
    assert.equal(r.json.message, 'the request body nests objects or lists more than 1000 levels deep');
  }
  const yaml = await call('POST', url, cr('deep', nest(20_000)), { 'content-type': 'application/yaml' });
  assert.equal(yaml.status, 400);
  for (const type of ['application/merge-patch+json', 'application/strategic-merge-patch+json']) {
    const r = await call('PATCH', `${url}/deep-ok`, `{"data":${nest(20_000)}}`, { 'content-type': type });
    assert.equal(r.status, 400, type);
  }
  const jp = await call('PATCH', `${url}/deep-ok`, `[{"op":"replace","path":"/data","value":${nest(20_000)}}]`, { 'content-type': 'application/json-patch+json' });
  assert.equal(jp.status, 400);
  // a number no Go integer holds
  const big = await call('POST', '/apis/apps/v1/namespaces/default/deployments', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'big' },
    spec: { replicas: 1e30, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
  });
  assert.equal(big.status, 400);
  assert.equal(big.json.message, 'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 1e+30 into Go struct field DeploymentSpec.spec.replicas of type int32');
  assert.equal(await backend.currentRevision(), before);
});

test('bad input: Secret data and ConfigMap binaryData must be base64, as Go decodes []byte', async () => {
  const before = await backend.currentRevision();
  const secret = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'b64' }, data });
  const bad = await call('POST', '/api/v1/namespaces/default/secrets', secret({ a: 'YQ==', b: '!!!' }));
  assert.equal(bad.status, 400);
  assert.equal(bad.json.message, 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0');
  const unpadded = await call('POST', '/api/v1/namespaces/default/configmaps', { ...cm('b64'), binaryData: { a: 'YWJjZA' } });
  assert.equal(unpadded.status, 400);
  assert.match(unpadded.json.message, /illegal base64 data at input byte 4$/);
  assert.equal(await backend.currentRevision(), before);
  assert.equal((await call('POST', '/api/v1/namespaces/default/secrets', secret({ a: 'YQ==', b: 'YWJj\nZA==' }))).status, 201);
});

test('invalid pod: 422 with one cause per field and the Kind in details', async () => {
  const before = await backend.currentRevision();
  const r = await call('POST', '/api/v1/namespaces/default/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'Bad_Name' },
    spec: { containers: [{ name: 'c' }], restartPolicy: 'Sometimes' },
  });
  assert.equal(r.status, 422);
  assert.equal(r.json.reason, 'Invalid');
  assert.equal(r.json.details.kind, 'Pod');
  const fields = r.json.details.causes.map((c: any) => c.field).sort();
  assert.ok(fields.includes('metadata.name'));
  assert.ok(fields.includes('spec.containers[0].image'));
  assert.ok(fields.includes('spec.restartPolicy'));
  assert.equal(await backend.currentRevision(), before);
});

test('update: stale resourceVersion is 409 Conflict; no-op update keeps the resourceVersion', async () => {
  const created = (await call('POST', '/api/v1/namespaces/default/configmaps', cm('upd'))).json;
  const ok = await call('PUT', '/api/v1/namespaces/default/configmaps/upd', { ...created, data: { a: '2' } });
  assert.equal(ok.status, 200);
  const stale = await call('PUT', '/api/v1/namespaces/default/configmaps/upd', { ...created, data: { a: '3' } });
  assert.equal(stale.status, 409);
  assert.equal(stale.json.reason, 'Conflict');
  assert.match(stale.json.message, /the object has been modified/);
  const same = await call('PUT', '/api/v1/namespaces/default/configmaps/upd', ok.json);
  assert.equal(same.json.metadata.resourceVersion, ok.json.metadata.resourceVersion);
});

test('patch: merge, JSON and strategic; a no-op patch does not bump resourceVersion', async () => {
  await call('POST', '/apis/apps/v1/namespaces/default/deployments', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'nginx:1.26', ports: [{ containerPort: 80 }] }, { name: 'side', image: 'busybox' }] } },
    },
  });
  const smp = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', { spec: { template: { spec: { containers: [{ name: 'main', image: 'nginx:1.27' }] } } } }, { 'content-type': 'application/strategic-merge-patch+json' });
  assert.equal(smp.status, 200);
  const cs = smp.json.spec.template.spec.containers;
  assert.equal(cs.length, 2);
  assert.equal(cs.find((c: any) => c.name === 'main').image, 'nginx:1.27');
  assert.equal(cs.find((c: any) => c.name === 'main').ports[0].protocol, 'TCP');
  assert.equal(smp.json.metadata.generation, 2);
  const jp = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', [{ op: 'replace', path: '/spec/replicas', value: 3 }], { 'content-type': 'application/json-patch+json' });
  assert.equal(jp.json.spec.replicas, 3);
  const mp = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', { metadata: { labels: { tier: 'a' } } }, { 'content-type': 'application/merge-patch+json' });
  assert.equal(mp.json.metadata.labels.tier, 'a');
  assert.equal(mp.json.metadata.generation, 3); // labels are not spec
  const noop = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', { metadata: { labels: { tier: 'a' } } }, { 'content-type': 'application/merge-patch+json' });
  assert.equal(noop.json.metadata.resourceVersion, mp.json.metadata.resourceVersion);
  const bad = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/web', [{ op: 'replace', path: '/spec/nope/x', value: 1 }], { 'content-type': 'application/json-patch+json' });
  assert.equal(bad.status, 422);
  // scale subresource
  const scale = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', { spec: { replicas: 5 } }, { 'content-type': 'application/merge-patch+json' });
  assert.equal(scale.json.kind, 'Scale');
  assert.equal(scale.json.spec.replicas, 5);
  assert.equal(scale.json.status.selector, 'app=web');
});

test('status subresource writes only status; main resource writes keep status', async () => {
  const d = (await call('GET', '/apis/apps/v1/namespaces/default/deployments/web')).json;
  const st = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web/status', { ...d, spec: { ...d.spec, replicas: 99 }, status: { replicas: 5 } });
  assert.equal(st.status, 200);
  assert.equal(st.json.status.replicas, 5);
  assert.equal(st.json.spec.replicas, 5);
  const main = await call('PUT', '/apis/apps/v1/namespaces/default/deployments/web', { ...st.json, status: { replicas: 0 } });
  assert.equal(main.json.status.replicas, 5);
});

test('list: label/field selectors, paging with continue, unsupported field selector 400', async () => {
  await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'paging' } });
  for (let i = 0; i < 5; i++) await call('POST', '/api/v1/namespaces/paging/configmaps', { ...cm(`p${i}`), metadata: { name: `p${i}`, labels: { even: String(i % 2 === 0) } } });
  const sel = await call('GET', '/api/v1/namespaces/paging/configmaps?labelSelector=even%3Dtrue');
  assert.deepEqual(sel.json.items.map((x: any) => x.metadata.name), ['p0', 'p2', 'p4']);
  const page1 = await call('GET', '/api/v1/namespaces/paging/configmaps?limit=2');
  assert.equal(page1.json.items.length, 2);
  assert.ok(page1.json.metadata.continue);
  assert.equal(page1.json.metadata.remainingItemCount, 3);
  const page2 = await call('GET', `/api/v1/namespaces/paging/configmaps?limit=2&continue=${encodeURIComponent(page1.json.metadata.continue)}`);
  assert.deepEqual(page2.json.items.map((x: any) => x.metadata.name), ['p2', 'p3']);
  const bad = await call('GET', '/api/v1/namespaces/paging/configmaps?fieldSelector=spec.nodeName%3Dx');
  assert.equal(bad.status, 400);
  assert.match(bad.json.message, /field label not supported: spec.nodeName/);
  const table = await call('GET', '/api/v1/namespaces/paging/configmaps', undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
  assert.equal(table.json.kind, 'Table');
  assert.equal(table.json.rows.length, 5);
  assert.equal(table.json.rows[0].object.kind, 'PartialObjectMetadata');
});

test('list: a large list is streamed in slices with back-pressure and reads as the same JSON', async () => {
  await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'big' } });
  const value = 'x'.repeat(600) + '\u00e9\ud83d\ude00'; // non-ASCII and a surrogate pair in every item
  for (let i = 0; i < 700; i++) {
    const r = await call('POST', '/api/v1/namespaces/big/configmaps', cm(`c${String(i).padStart(3, '0')}`, { v: value }));
    assert.equal(r.status, 201);
  }
  const u = new URL('http://x/api/v1/namespaces/big/configmaps');
  const out = await api.handle({ method: 'GET', path: u.pathname, query: u.searchParams, headers: {}, signal: new AbortController().signal, user: { name: 'admin', groups: ['system:masters'] } });
  assert.ok(isStreaming(out));
  assert.equal(out.status, 200);
  assert.equal(out.headers?.['content-type'], 'application/json');
  const chunks: (string | Buffer)[] = [];
  let drains = 0;
  await new Promise<void>((resolve) =>
    out.stream({
      write: (c) => (chunks.push(typeof c === 'string' ? c : Buffer.from(c)), c.length), // report everything as still buffered
      end: resolve,
      drain: (resume) => (drains++, setImmediate(resume)),
    }),
  );
  assert.ok(chunks.length > 1 && drains > 0, `${chunks.length} slices, ${drains} drains`);
  const list = JSON.parse(chunks.join(''));
  assert.equal(list.kind, 'ConfigMapList');
  assert.ok(Number(list.metadata.resourceVersion) > 0);
  assert.equal(list.items.length, 700);
  assert.deepEqual(list.items.map((x: any) => x.metadata.name).slice(0, 3), ['c000', 'c001', 'c002']);
  assert.ok(list.items.every((x: any) => x.data.v === value));
  const one = await call('GET', '/api/v1/namespaces/big/configmaps/c123');
  assert.deepEqual(list.items[123], one.json);
});

test('delete: pods wait for their node, finalizers hold objects, namespaces terminate and refuse content', async () => {
  const podSpec = (name: string, nodeName?: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] } });
  await call('POST', '/api/v1/namespaces/default/pods', podSpec('free'));
  const gone = await call('DELETE', '/api/v1/namespaces/default/pods/free');
  assert.equal(gone.status, 200);
  assert.equal((await call('GET', '/api/v1/namespaces/default/pods/free')).status, 404);

  await call('POST', '/api/v1/namespaces/default/pods', podSpec('bound', 'n1'));
  const marked = await call('DELETE', '/api/v1/namespaces/default/pods/bound', { gracePeriodSeconds: 10 });
  assert.equal(marked.json.metadata.deletionGracePeriodSeconds, 10);
  assert.equal((await call('GET', '/api/v1/namespaces/default/pods/bound')).status, 200);
  await call('DELETE', '/api/v1/namespaces/default/pods/bound', { gracePeriodSeconds: 0 });
  assert.equal((await call('GET', '/api/v1/namespaces/default/pods/bound')).status, 404);

  await call('POST', '/api/v1/namespaces/default/configmaps', { ...cm('held'), metadata: { name: 'held', finalizers: ['example.com/hold'] } });
  const held = await call('DELETE', '/api/v1/namespaces/default/configmaps/held');
  assert.ok(held.json.metadata.deletionTimestamp);
  const release = await call('PATCH', '/api/v1/namespaces/default/configmaps/held', { metadata: { finalizers: null } }, { 'content-type': 'application/merge-patch+json' });
  assert.equal(release.status, 200);
  assert.equal((await call('GET', '/api/v1/namespaces/default/configmaps/held')).status, 404);

  await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
  const ns = await call('DELETE', '/api/v1/namespaces/doomed');
  assert.equal(ns.json.status.phase, 'Terminating');
  const refused = await call('POST', '/api/v1/namespaces/doomed/configmaps', cm('late'));
  assert.equal(refused.status, 403);
  assert.match(refused.json.message, /because it is being terminated/);
});

test('binding assigns a node once', async () => {
  await call('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'tobind' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  const b = await call('POST', '/api/v1/namespaces/default/pods/tobind/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'tobind' }, target: { kind: 'Node', name: 'n1' } });
  assert.equal(b.status, 201);
  const p = (await call('GET', '/api/v1/namespaces/default/pods/tobind')).json;
  assert.equal(p.spec.nodeName, 'n1');
  assert.equal(p.status.conditions.find((c: any) => c.type === 'PodScheduled').status, 'True');
  const again = await call('POST', '/api/v1/namespaces/default/pods/tobind/binding', { target: { name: 'n2' } });
  assert.equal(again.status, 409);
  const logs = await call('GET', '/api/v1/namespaces/default/pods/tobind/log');
  assert.equal(logs.status, 503);
  assert.equal(logs.headers['retry-after'], '1');
});

test('binding starts from the watch cache (no store read); a cache behind the store costs a retry, not the newer write', async () => {
  const pods = api.store('', 'v1', 'pods')!;
  const mk = (name: string) => call('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  const bind = (name: string, node: string) => call('POST', `/api/v1/namespaces/default/pods/${name}/binding`, { target: { name: node } });
  const realGet = backend.get.bind(backend);
  let reads = 0;
  backend.get = (key: string) => {
    if (key.endsWith('/default/fromcache') || key.endsWith('/default/stale')) reads++;
    return realGet(key);
  };
  const realCacheGet = pods.cache.get.bind(pods.cache);
  const staleKey = pods.key('default', 'stale');
  try {
    assert.equal((await mk('fromcache')).status, 201);
    assert.equal((await bind('fromcache', 'n1')).status, 201);
    assert.equal(reads, 0, 'bound from the cached pod');
    assert.equal((await call('GET', '/api/v1/namespaces/default/pods/fromcache')).json.spec.nodeName, 'n1');

    assert.equal((await mk('stale')).status, 201);
    const old = structuredClone(realCacheGet(staleKey));
    assert.ok(old?.metadata.resourceVersion, 'the cache holds the pod');
    const patched = await call('PATCH', '/api/v1/namespaces/default/pods/stale', { metadata: { labels: { later: 'yes' } } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(patched.status, 200);
    pods.cache.get = (key: string) => (key === staleKey ? old : realCacheGet(key));
    reads = 0;
    assert.equal((await bind('stale', 'n2')).status, 201);
    assert.equal(reads, 1, `one store read after the conflict (saw ${reads})`);
    const p = (await call('GET', '/api/v1/namespaces/default/pods/stale')).json;
    assert.equal(p.spec.nodeName, 'n2');
    assert.deepEqual(p.metadata.labels, { later: 'yes' }, 'the newer write is kept');
    assert.equal((await bind('stale', 'n3')).status, 409, 'a second binding (from the stale copy first) is still refused');
  } finally {
    backend.get = realGet;
    pods.cache.get = realCacheGet;
  }
});

test('versions sharing storage convert: core Event ↔ events.k8s.io, HPA autoscaling/v1 ↔ v2', async () => {
  const ev = await call('POST', '/api/v1/namespaces/default/events', {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'ev1' },
    involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' },
    reason: 'Started',
    message: 'started container',
    type: 'Normal',
  });
  assert.equal(ev.status, 201);
  const asNew = await call('GET', '/apis/events.k8s.io/v1/namespaces/default/events/ev1');
  assert.equal(asNew.json.apiVersion, 'events.k8s.io/v1');
  assert.equal(asNew.json.note, 'started container');
  assert.equal(asNew.json.regarding.name, 'p');
  const listed = await call('GET', '/apis/events.k8s.io/v1/namespaces/default/events');
  assert.equal(listed.json.items.find((e: any) => e.metadata.name === 'ev1').note, 'started container');

  const hpa = await call('POST', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers', {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'h' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 60 },
  });
  assert.equal(hpa.status, 201);
  const v2 = await call('GET', '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/h');
  assert.equal(v2.json.apiVersion, 'autoscaling/v2');
  assert.equal(v2.json.spec.metrics[0].resource.target.averageUtilization, 60);
  assert.equal(v2.json.spec.targetCPUUtilizationPercentage, undefined);
});

test('reviews: SelfSubjectAccessReview, SelfSubjectRulesReview, SelfSubjectReview; nothing is stored', async () => {
  const before = await backend.currentRevision();
  const ssar = await call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { namespace: 'default', verb: 'create', resource: 'pods' } },
  });
  assert.equal(ssar.status, 201);
  assert.equal(ssar.json.status.allowed, true);
  const rules = await call('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { kind: 'SelfSubjectRulesReview', spec: { namespace: 'default' } });
  assert.deepEqual(rules.json.status.resourceRules[0].verbs, ['*']);
  const who = await call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { kind: 'SelfSubjectReview' });
  assert.equal(who.json.status.userInfo.username, 'admin');
  const tr = await call('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { kind: 'TokenReview', spec: { token: 'nope' } });
  assert.equal(tr.json.status.authenticated, false);
  const get = await call('GET', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews');
  assert.equal(get.status, 405);
  assert.equal(await backend.currentRevision(), before);
});

test('pod admission: service account, priority from PriorityClass (named or globalDefault), default tolerations, gated condition', async () => {
  const mk = (name: string, spec: Record<string, unknown> = {}) =>
    call('POST', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } });
  const plain = (await mk('adm-plain')).json;
  assert.equal(plain.spec.serviceAccountName, 'default');
  assert.equal(plain.spec.priority, 0);
  assert.equal(plain.spec.preemptionPolicy, 'PreemptLowerPriority');
  // the creator's managedFields hold what it set and the defaults, not what admission added
  const owned = Object.keys(plain.metadata.managedFields[0].fieldsV1['f:spec']).sort();
  assert.deepEqual(owned, ['f:containers', 'f:dnsPolicy', 'f:enableServiceLinks', 'f:restartPolicy', 'f:schedulerName', 'f:securityContext', 'f:terminationGracePeriodSeconds']);
  const given = await mk('adm-given', { priority: 5 });
  assert.equal(given.status, 403);
  assert.equal(given.json.message, 'pods "adm-given" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name');
  assert.deepEqual(plain.spec.tolerations.map((t: any) => `${t.key}:${t.effect}:${t.tolerationSeconds}`), [
    'node.kubernetes.io/not-ready:NoExecute:300',
    'node.kubernetes.io/unreachable:NoExecute:300',
  ]);
  const critical = (await mk('adm-critical', { priorityClassName: 'system-node-critical' })).json;
  assert.equal(critical.spec.priority, 2000001000);
  const missing = await mk('adm-missing', { priorityClassName: 'nope' });
  assert.equal(missing.status, 403);
  assert.equal(missing.json.message, 'pods "adm-missing" is forbidden: no PriorityClass with name nope was found');
  await call('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'everyone' }, value: 7, globalDefault: true });
  const defaulted = (await mk('adm-default')).json;
  assert.equal(defaulted.spec.priorityClassName, 'everyone');
  assert.equal(defaulted.spec.priority, 7);
  const gated = (await mk('adm-gated', { schedulingGates: [{ name: 'example.com/wait' }] })).json;
  assert.equal(gated.status.conditions[0].reason, 'SchedulingGated');
  await call('DELETE', '/apis/scheduling.k8s.io/v1/priorityclasses/everyone');
});

test('Accept negotiation: YAML answers when asked (objects, lists, errors), 406 for media types we do not write', async () => {
  assert.equal((await call('POST', '/api/v1/namespaces/default/configmaps', cm('neg-1', { b: '2', a: '1' }))).status, 201);
  const yaml = { accept: 'application/yaml' };
  const one = await call('GET', '/api/v1/namespaces/default/configmaps/neg-1', undefined, yaml);
  assert.equal(one.status, 200);
  assert.equal(one.headers['content-type'], 'application/yaml');
  const parsed = parseYaml(one.text);
  assert.equal(parsed.metadata.name, 'neg-1');
  assert.deepEqual(parsed.data, { a: '1', b: '2' });
  assert.match(one.text, /^apiVersion: v1\ndata:\n {2}a: "1"\n {2}b: "2"\nkind: ConfigMap\n/);
  const list = await call('GET', '/api/v1/namespaces/default/configmaps', undefined, yaml);
  assert.equal(parseYaml(list.text).kind, 'ConfigMapList');
  const missing = await call('GET', '/api/v1/namespaces/default/configmaps/nope', undefined, yaml);
  assert.equal(missing.status, 404);
  assert.equal(missing.headers['content-type'], 'application/yaml');
  assert.equal(parseYaml(missing.text).reason, 'NotFound');

  for (const accept of ['text/html', 'application/vnd.kubernetes.protobuf', 'application/json;q=0']) {
    const r = await call('GET', '/api/v1/namespaces/default/configmaps/neg-1', undefined, { accept });
    assert.equal(r.status, 406, accept);
    assert.equal(r.json.reason, 'NotAcceptable');
    assert.equal(r.json.message, 'only the following media types are accepted: application/json, application/yaml');
  }
  // a write refused for its Accept header changes nothing
  const refused = await call('POST', '/api/v1/namespaces/default/configmaps', cm('neg-2'), { accept: 'text/html' });
  assert.equal(refused.status, 406);
  assert.equal((await call('GET', '/api/v1/namespaces/default/configmaps/neg-2')).status, 404);
  // watches have no YAML form
  const w = await call('GET', '/api/v1/namespaces/default/configmaps?watch=true', undefined, yaml);
  assert.equal(w.status, 406);
  assert.equal(w.json.message, 'only the following media types are accepted: application/json');
  // what kubectl sends still gets JSON
  const typed = await call('GET', '/api/v1/namespaces/default/configmaps/neg-1', undefined, { accept: 'application/vnd.kubernetes.protobuf,application/json' });
  assert.equal(typed.headers['content-type'], 'application/json');
  assert.equal(typed.json.metadata.name, 'neg-1');
});

test('Accept negotiation: a list large enough to be streamed is sent whole as YAML', async () => {
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'neg-big' } };
  assert.equal((await call('POST', '/api/v1/namespaces', ns)).status, 201);
  for (let i = 0; i < 510; i++) assert.equal((await call('POST', '/api/v1/namespaces/neg-big/configmaps', cm(`c-${i}`))).status, 201);
  const u = new URL('/api/v1/namespaces/neg-big/configmaps', 'http://x');
  const req: ApiRequest = { method: 'GET', path: u.pathname, query: u.searchParams, headers: { accept: 'application/yaml' }, signal: new AbortController().signal, user: { name: 'admin', groups: ['system:masters'] } };
  const out = await api.handle(req);
  assert.ok(!isStreaming(out));
  assert.equal(out.headers?.['content-type'], 'application/yaml');
  assert.equal(out.headers?.['content-length'], undefined);
  const list = parseYaml(String(out.body));
  assert.equal(list.items.length, 510);
  assert.equal(list.items[509].metadata.name, 'c-99'); // name order: c-0, c-1, c-10, c-100, …
});

test('metadata-only answers (client-go metadata client): get, list and watch as PartialObjectMetadata, 406 when object and list are crossed', { timeout: 20_000 }, async () => {
  const one = 'application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';
  const many = 'application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
  await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'pom' } });
  await call('POST', '/api/v1/namespaces/pom/configmaps', { ...cm('m1'), metadata: { name: 'm1', labels: { a: 'b' } } });
  await call('POST', '/api/v1/namespaces/pom/configmaps', cm('m2'));

  const got = await call('GET', '/api/v1/namespaces/pom/configmaps/m1', undefined, { accept: one });
  assert.equal(got.status, 200);
  const full = (await call('GET', '/api/v1/namespaces/pom/configmaps/m1')).json;
  assert.deepEqual(got.json, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: full.metadata });

  const listed = await call('GET', '/api/v1/namespaces/pom/configmaps?limit=1', undefined, { accept: many });
  assert.equal(listed.json.kind, 'PartialObjectMetadataList');
  assert.equal(listed.json.apiVersion, 'meta.k8s.io/v1');
  assert.ok(listed.json.metadata.resourceVersion && listed.json.metadata.continue);
  assert.deepEqual(listed.json.items, [{ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: full.metadata }]);

  const crossed = await call('GET', '/api/v1/namespaces/pom/configmaps', undefined, { accept: one });
  assert.equal(crossed.status, 406);
  assert.equal(crossed.json.message, 'you requested PartialObjectMetadata, but the requested object is a list (ConfigMapList)');
  assert.equal((await call('GET', '/api/v1/namespaces/pom/configmaps/m1', undefined, { accept: many })).status, 406);

  // a watch from resourceVersion 0: synthetic ADDED events and a change, each object metadata only
  const u = new URL('http://x/api/v1/namespaces/pom/configmaps?watch=true&resourceVersion=0&timeoutSeconds=5');
  const ac = new AbortController();
  const out = await api.handle({ method: 'GET', path: u.pathname, query: u.searchParams, headers: { accept: one }, signal: ac.signal, user: { name: 'admin', groups: ['system:masters'] } });
  assert.ok(isStreaming(out));
  const events: any[] = [];
  let buffered = '';
  let sawChange: () => void = () => {};
  const changed = new Promise<void>((resolve) => (sawChange = resolve));
  const ended = new Promise<void>((resolve) =>
    out.stream({
      write(c) {
        buffered += c.toString();
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          events.push(JSON.parse(buffered.slice(0, nl)));
          buffered = buffered.slice(nl + 1);
          if (events.some((e) => e.type === 'MODIFIED')) sawChange();
        }
        return 0;
      },
      end: resolve,
    }),
  );
  await call('PATCH', '/api/v1/namespaces/pom/configmaps/m2', { metadata: { labels: { x: 'y' } } }, { 'content-type': 'application/merge-patch+json' });
  await changed;
  ac.abort();
  await ended;
  assert.deepEqual(events.map((e) => `${e.type} ${e.object.kind} ${e.object.apiVersion} ${e.object.metadata.name}`), [
    'ADDED PartialObjectMetadata meta.k8s.io/v1 m1',
    'ADDED PartialObjectMetadata meta.k8s.io/v1 m2',
    'MODIFIED PartialObjectMetadata meta.k8s.io/v1 m2',
  ]);
  assert.deepEqual(events[2].object.metadata.labels, { x: 'y' });
  assert.ok(events.every((e) => e.object.data === undefined));
});
