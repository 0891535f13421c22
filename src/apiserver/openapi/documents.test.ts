// The /openapi/v3 index and group-version documents, served through OpenApi.serve.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES } from '../../api/resources.ts';
import { ApiError } from '../../base/errors.ts';
import type { ApiRequest, BufferedResponse } from '../request.ts';
import { OpenApi, gvPath } from './documents.ts';
import { refName } from './schemas.ts';

const NOW = new Date('2026-01-02T03:04:05Z');
const openapi = new OpenApi(RESOURCES, { clock: { now: () => NOW } });

function req(url: string, headers: Record<string, string> = {}, method = 'GET'): ApiRequest {
  const u = new URL(url, 'http://x');
  return { method, path: u.pathname, query: u.searchParams, headers, signal: new AbortController().signal, user: { name: 'u', groups: [] } };
}

function get(url: string, headers: Record<string, string> = {}): BufferedResponse {
  const r = openapi.serve(req(url, headers));
  assert.ok(r, `${url} not served`);
  return r as BufferedResponse;
}

function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ApiError);
    return e;
  }
  assert.fail('expected an ApiError');
}

type Doc = { openapi: string; paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } };
const docOf = (key: string): Doc => {
  const root = JSON.parse(get('/openapi/v3').body as string);
  return JSON.parse(get(root.paths[key].serverRelativeURL).body as string);
};

test('the index lists every served group-version with a hashed URL', () => {
  const r = get('/openapi/v3?timeout=32s');
  assert.equal(r.status, 200);
  assert.equal(r.headers!['content-type'], 'application/json');
  const root = JSON.parse(r.body as string) as { paths: Record<string, { serverRelativeURL: string }> };
  const gvs = new Set(RESOURCES.map((d) => gvPath(d.group, d.version)));
  assert.deepEqual(new Set(Object.keys(root.paths)), gvs);
  assert.ok(gvs.has('api/v1') && gvs.has('apis/apps/v1'));
  for (const [key, v] of Object.entries(root.paths)) assert.match(v.serverRelativeURL, new RegExp(`^/openapi/v3/${key}\\?hash=[0-9A-F]{128}$`));
});

test('apps/v1: PATCH on deployments carries the GVK and the fieldValidation parameter', () => {
  const doc = docOf('apis/apps/v1');
  assert.equal(doc.openapi, '3.0.0');
  const item = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']!;
  const patch = item.patch;
  assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'apps', kind: 'Deployment', version: 'v1' });
  assert.equal(patch['x-kubernetes-action'], 'patch');
  const names = patch.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
  for (const n of ['query:fieldValidation', 'query:dryRun', 'query:fieldManager', 'query:force']) assert.ok(names.includes(n), n);
  assert.deepEqual(Object.keys(patch.requestBody.content).sort(), [
    'application/apply-patch+yaml',
    'application/json-patch+json',
    'application/merge-patch+json',
    'application/strategic-merge-patch+json',
  ]);
  assert.equal(patch.operationId, 'patchAppsV1NamespacedDeployment');
  for (const m of ['get', 'put', 'delete']) assert.ok(item[m]?.['x-kubernetes-group-version-kind'], m);
  assert.ok(item.parameters.some((p: { name: string }) => p.name === 'namespace'));
  const coll = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments']!;
  assert.equal(coll.get['x-kubernetes-action'], 'list');
  assert.equal(coll.post['x-kubernetes-action'], 'post');
  assert.ok(coll.post.parameters.some((p: { name: string }) => p.name === 'fieldValidation'));
  assert.equal(coll.delete['x-kubernetes-action'], 'deletecollection');
  assert.ok(doc.paths['/apis/apps/v1/deployments']!.get);
  const scale = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale']!;
  assert.deepEqual(scale.patch['x-kubernetes-group-version-kind'], { group: 'autoscaling', kind: 'Scale', version: 'v1' });
  assert.ok(doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status']!.put);
});

test('every write operation of every document has GVK and fieldValidation', () => {
  const root = JSON.parse(get('/openapi/v3').body as string);
  for (const key of Object.keys(root.paths)) {
    const doc = docOf(key);
    let patches = 0;
    for (const [p, item] of Object.entries(doc.paths)) {
      for (const m of ['get', 'post', 'put', 'patch', 'delete']) {
        const op = item[m];
        if (!op) continue;
        assert.ok(op['x-kubernetes-group-version-kind'], `${key} ${m} ${p}`);
        if (m === 'post' || m === 'put' || m === 'patch') assert.ok(op.parameters.some((x: { name: string }) => x.name === 'fieldValidation'), `${m} ${p}`);
        if (m === 'patch') patches++;
      }
    }
    // the review kinds are create-only; everything else is patchable
    if (!key.startsWith('apis/authentication') && !key.startsWith('apis/authorization')) assert.ok(patches > 0, key);
  }
});

test('a group-version document carries exactly the schemas it refers to', () => {
  const doc = docOf('api/v1');
  const schemas = doc.components.schemas;
  const pod = schemas['io.k8s.api.core.v1.Pod'];
  assert.deepEqual(pod['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Pod', version: 'v1' }]);
  assert.ok(schemas['io.k8s.api.core.v1.Container']);
  assert.ok(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.Status']);
  assert.ok(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.Patch']);
  assert.equal(schemas['io.k8s.api.apps.v1.Deployment'], undefined);
  const text = JSON.stringify(doc);
  for (const m of text.matchAll(/"\$ref":"([^"]+)"/g)) assert.ok(schemas[refName(m[1])!], `dangling ${m[1]}`);
  const apps = docOf('apis/apps/v1').components.schemas;
  assert.ok(apps['io.k8s.api.autoscaling.v1.Scale']);
  assert.ok(apps['io.k8s.api.core.v1.PodSpec']);
});

test('core paths: namespaced and cluster-scoped, subresources', () => {
  const doc = docOf('api/v1');
  assert.ok(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}']!.patch);
  assert.ok(doc.paths['/api/v1/pods']!.get);
  assert.ok(doc.paths['/api/v1/nodes/{name}']!.patch);
  assert.ok(!doc.paths['/api/v1/namespaces/{namespace}/nodes']);
  assert.equal(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/status']!.patch.operationId, 'patchCoreV1NamespacedPodStatus');
  const eviction = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction']!.post;
  assert.deepEqual(eviction['x-kubernetes-group-version-kind'], { group: 'policy', kind: 'Eviction', version: 'v1' });
  assert.ok(!doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/exec']);
  // services have no deletecollection
  assert.equal(doc.paths['/api/v1/namespaces/{namespace}/services']!.delete, undefined);
});

test('caching: ETag, immutable when the hash matches, redirect when it does not, 304', () => {
  const root = JSON.parse(get('/openapi/v3').body as string);
  const url: string = root.paths['apis/batch/v1'].serverRelativeURL;
  const hash = new URL(url, 'http://x').searchParams.get('hash')!;
  const r = get(`${url}&timeout=32s`);
  assert.equal(r.status, 200);
  assert.equal(r.headers!.etag, `"${hash}"`);
  assert.equal(r.headers!['cache-control'], 'public, immutable');
  assert.equal(r.headers!.expires, 'Sat, 02 Jan 2027 03:04:05 GMT');
  const plain = get('/openapi/v3/apis/batch/v1');
  assert.equal(plain.status, 200);
  assert.equal(plain.headers!['cache-control'], 'no-cache, private');
  assert.equal(plain.body, r.body);
  const stale = get('/openapi/v3/apis/batch/v1?hash=ABC');
  assert.equal(stale.status, 301);
  assert.equal(stale.headers!.location, url);
  assert.equal(get(url, { 'if-none-match': `"${hash}"` }).status, 304);
  const rootEtag = get('/openapi/v3').headers!.etag!;
  assert.equal(get('/openapi/v3', { 'if-none-match': rootEtag }).status, 304);
});

test('errors: v2 and unknown documents are 404 Status, protobuf-only Accept is 406, writes 405', () => {
  const v2 = thrown(() => openapi.serve(req('/openapi/v2?timeout=32s', { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' })));
  assert.equal(v2.httpCode, 404);
  assert.equal(v2.message, 'the server could not find the requested resource');
  assert.equal(thrown(() => openapi.serve(req('/openapi/v3/apis/nope/v1'))).httpCode, 404);
  assert.equal(thrown(() => openapi.serve(req('/openapi/v3/api/v1', { accept: 'application/com.github.proto-openapi.spec.v3.v1.0+protobuf' }))).httpCode, 406);
  assert.equal(get('/openapi/v3/api/v1', { accept: 'application/json, */*' }).status, 200);
  assert.equal(thrown(() => openapi.serve(req('/openapi/v3', {}, 'POST'))).httpCode, 405);
  assert.equal(openapi.serve(req('/api/v1/pods')), undefined);
  assert.equal(openapi.serve(req('/openapix')), undefined);
});

test('documents are built once', () => {
  const o = new OpenApi(RESOURCES);
  assert.equal(o.documents(), o.documents());
});
