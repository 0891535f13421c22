// ApiPodInputSource against a fake transport: the requests it makes and how it maps answers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient } from '../../client/client.ts';
import { FakeTransport, statusReply } from '../../client/testing.ts';
import { ApiPodInputSource } from './apisource.ts';

test('configmaps and secrets by name, 404 → undefined, other errors thrown', async () => {
  const t = new FakeTransport((req) => {
    if (req.path === '/api/v1/namespaces/ns/configmaps/cfg') return { body: { kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'ns' }, data: { a: '1' } } };
    if (req.path === '/api/v1/namespaces/ns/secrets/boom') return statusReply(403, 'Forbidden', 'secrets "boom" is forbidden');
    return undefined;
  });
  const src = new ApiPodInputSource({ client: new ApiClient({ transport: t }) });
  assert.deepEqual((await src.getConfigMap('ns', 'cfg'))?.data, { a: '1' });
  assert.equal(await src.getConfigMap('ns', 'nope'), undefined);
  assert.equal(await src.getSecret('ns', 'nope'), undefined);
  await assert.rejects(src.getSecret('ns', 'boom'), /forbidden/);
  assert.deepEqual(t.actions(), [
    'GET /api/v1/namespaces/ns/configmaps/cfg',
    'GET /api/v1/namespaces/ns/configmaps/nope',
    'GET /api/v1/namespaces/ns/secrets/nope',
    'GET /api/v1/namespaces/ns/secrets/boom',
  ]);
});

test('services listed per namespace; TokenRequest bound to the pod', async () => {
  const t = new FakeTransport((req) => {
    if (req.path === '/api/v1/namespaces/ns/services') return { body: { kind: 'ServiceList', metadata: { resourceVersion: '5' }, items: [{ metadata: { name: 's', namespace: 'ns' }, spec: { clusterIP: '10.0.0.1' } }] } };
    if (req.method === 'POST' && req.path === '/api/v1/namespaces/ns/serviceaccounts/sa/token') {
      return { status: 201, body: { ...(req.body as object), status: { token: 'jwt', expirationTimestamp: '2030-01-01T00:00:00Z' } } };
    }
    return undefined;
  });
  const src = new ApiPodInputSource({ client: new ApiClient({ transport: t }) });
  const svcs = await src.listServices('ns');
  assert.deepEqual(svcs.map((s) => s.metadata.name), ['s']);
  const tok = await src.requestServiceAccountToken('ns', 'sa', { audiences: ['api'], expirationSeconds: 3607, pod: { name: 'p', uid: 'u' } });
  assert.deepEqual(tok, { token: 'jwt', expirationTimestamp: '2030-01-01T00:00:00Z' });
  const post = t.requests.find((r) => r.method === 'POST')!;
  assert.deepEqual((post.body as any).spec, { audiences: ['api'], expirationSeconds: 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u' } });
  assert.equal((post.body as any).kind, 'TokenRequest');
});

test('services come from the Service informer once it has synced, from a LIST before', async () => {
  const t = new FakeTransport((req) => {
    if (req.path === '/api/v1/namespaces/ns/services') return { body: { kind: 'ServiceList', metadata: { resourceVersion: '5' }, items: [{ metadata: { name: 'listed', namespace: 'ns' } }] } };
    return undefined;
  });
  let synced = false;
  const cached = [{ metadata: { name: 'cached', namespace: 'ns' } }];
  const services = { hasSynced: () => synced, lister: { list: (ns?: string) => (ns === 'ns' ? cached : []) } };
  const src = new ApiPodInputSource({ client: new ApiClient({ transport: t }), services });
  assert.deepEqual((await src.listServices('ns')).map((s) => s.metadata.name), ['listed']);
  synced = true;
  assert.deepEqual((await src.listServices('ns')).map((s) => s.metadata.name), ['cached']);
  assert.deepEqual(t.actions(), ['GET /api/v1/namespaces/ns/services']);
});
