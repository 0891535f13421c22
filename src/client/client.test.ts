import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../base/errors.ts';
import { ApiClient, type WatchEvent } from './client.ts';
import { isAlreadyExists, isConflict, isNotFound } from './errors.ts';
import { FakeTransport, statusReply } from './fake-transport.ts';
import { resourcePath } from './paths.ts';

test('paths: core and group resources, namespaced or not, subresources, encoding', () => {
  assert.equal(resourcePath({ group: '', version: 'v1', plural: 'pods' }), '/api/v1/pods');
  assert.equal(resourcePath({ group: '', version: 'v1', plural: 'pods', namespace: 'default', name: 'web', subresource: 'binding' }), '/api/v1/namespaces/default/pods/web/binding');
  assert.equal(resourcePath({ group: 'apps', version: 'v1', plural: 'deployments', namespace: 'ns' }), '/apis/apps/v1/namespaces/ns/deployments');
  assert.equal(resourcePath({ group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', name: 'system:admin' }), '/apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Aadmin');
  assert.throws(() => resourcePath({ group: '', version: 'v1', plural: 'pods', name: '' }));
  assert.throws(() => resourcePath({ group: '', version: 'v1', plural: 'pods', subresource: 'status' }));
});

test('client: verbs send the right method, path, query, content type and body', async () => {
  const fake = new FakeTransport((req) => ({ status: req.method === 'POST' ? 201 : 200, body: typeof req.body === 'object' ? req.body : { kind: 'Pod', metadata: { name: 'web' } } }));
  const pods = new ApiClient({ transport: fake }).resource('', 'v1', 'pods');
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'd' }, spec: { containers: [] } };

  assert.deepEqual(await pods.create('d', pod, { dryRun: true, fieldManager: 'me' }), pod);
  await pods.get('d', 'web');
  await pods.update('d', pod);
  await pods.updateStatus('d', pod);
  await pods.patch('d', 'web', 'merge', { metadata: { labels: { a: 'b' } } });
  await pods.patch('d', 'web', 'apply', 'apiVersion: v1\nkind: Pod\n', { subresource: 'status', fieldManager: 'me', force: true });
  await pods.list(undefined, { labelSelector: 'app=web', limit: 10 });
  await pods.delete('d', 'web', { gracePeriodSeconds: 0, propagationPolicy: 'Foreground', preconditions: { uid: 'u1' } });
  await pods.bind('d', 'web', 'node-1');

  assert.deepEqual(fake.actions(), [
    'POST /api/v1/namespaces/d/pods',
    'GET /api/v1/namespaces/d/pods/web',
    'PUT /api/v1/namespaces/d/pods/web',
    'PUT /api/v1/namespaces/d/pods/web/status',
    'PATCH /api/v1/namespaces/d/pods/web',
    'PATCH /api/v1/namespaces/d/pods/web/status',
    'GET /api/v1/pods',
    'DELETE /api/v1/namespaces/d/pods/web',
    'POST /api/v1/namespaces/d/pods/web/binding',
  ]);
  const [create, , , , merge, apply, list, del, bind] = fake.requests;
  assert.deepEqual(create!.query, { dryRun: 'All', fieldManager: 'me' });
  assert.equal(create!.headers['content-type'], 'application/json');
  assert.equal(merge!.headers['content-type'], 'application/merge-patch+json');
  assert.deepEqual(merge!.body, { metadata: { labels: { a: 'b' } } });
  assert.equal(apply!.headers['content-type'], 'application/apply-patch+yaml');
  assert.equal(apply!.body, 'apiVersion: v1\nkind: Pod\n');
  assert.deepEqual(apply!.query, { fieldManager: 'me', force: 'true' });
  assert.deepEqual(list!.query, { labelSelector: 'app=web', limit: '10' });
  assert.deepEqual(del!.body, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, propagationPolicy: 'Foreground', preconditions: { uid: 'u1' } });
  assert.deepEqual(bind!.body, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'web', namespace: 'd' }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' } });
});

test('client: non-2xx answers throw ApiError rebuilt from the Status', async () => {
  const fake = new FakeTransport((req) => {
    if (req.method === 'POST') return { status: 409, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'AlreadyExists', message: 'pods "web" already exists', code: 409, details: { name: 'web', kind: 'pods' } } };
    if (req.method === 'PUT') return statusReply(409, 'Conflict', 'the object has been modified');
    if (req.method === 'PATCH') return { status: 502, body: 'Bad Gateway\n', headers: { 'content-type': 'text/plain' } };
    return undefined; // 404
  });
  const pods = new ApiClient({ transport: fake }).resource('', 'v1', 'pods');
  const pod = { metadata: { name: 'web' } };
  const e1 = await pods.create('d', pod).catch((e) => e);
  assert.ok(e1 instanceof ApiError);
  assert.equal(e1.httpCode, 409);
  assert.equal(e1.reason, 'AlreadyExists');
  assert.equal(e1.message, 'pods "web" already exists');
  assert.deepEqual(e1.details, { name: 'web', kind: 'pods' });
  assert.ok(isAlreadyExists(e1) && !isConflict(e1));
  const e2 = await pods.update('d', pod).catch((e) => e);
  assert.ok(isConflict(e2));
  assert.ok(isNotFound(await pods.get('d', 'web').catch((e) => e)));
  const e3 = await pods.patch('d', 'web', 'json', []).catch((e) => e);
  assert.equal(e3.httpCode, 502);
  assert.equal(e3.reason, 'Unknown');
  assert.equal(e3.message, 'Bad Gateway');
});

test('client: listAll pages with limit/continue and falls back to one full list when the token expired', async () => {
  const all = Array.from({ length: 5 }, (_, i) => ({ metadata: { name: `p${i}`, namespace: 'd' } }));
  let expire = false;
  const fake = new FakeTransport((req) => {
    const limit = Number(req.query.limit ?? 0);
    const start = req.query.continue ? Number(req.query.continue) : 0;
    if (req.query.continue && expire) return statusReply(410, 'Expired', 'continue too old');
    assert.equal(req.query.continue && req.query.resourceVersion, undefined, 'never both continue and resourceVersion');
    const end = limit ? start + limit : all.length;
    const metadata: Record<string, unknown> = { resourceVersion: '42' };
    if (end < all.length) metadata.continue = String(end);
    return { body: { kind: 'PodList', metadata, items: all.slice(start, end) } };
  });
  const pods = new ApiClient({ transport: fake }).resource('', 'v1', 'pods');
  const r = await pods.listAll('d', { pageSize: 2, labelSelector: 'a=b', resourceVersion: '' });
  assert.deepEqual(r.items.map((o) => o.metadata.name), ['p0', 'p1', 'p2', 'p3', 'p4']);
  assert.equal(r.resourceVersion, '42');
  assert.equal(fake.requests.length, 3);
  assert.ok(fake.requests.every((q) => q.query.labelSelector === 'a=b'));

  expire = true;
  fake.requests.length = 0;
  const r2 = await pods.listAll('d', { pageSize: 2 });
  assert.equal(r2.items.length, 5);
  assert.deepEqual(fake.requests.map((q) => q.query.limit ?? 'none'), ['2', '2', 'none']);
});

test('client: watch streams parsed events, sends watch parameters, ends on abort', async () => {
  const fake = new FakeTransport();
  const pods = new ApiClient({ transport: fake }).resource('', 'v1', 'pods');
  const ac = new AbortController();
  const seen: WatchEvent[] = [];
  const reading = (async () => {
    for await (const ev of pods.watch('d', { resourceVersion: '7', allowWatchBookmarks: true, timeoutSeconds: 30, labelSelector: 'a=b', signal: ac.signal })) {
      seen.push(ev);
      if (seen.length === 3) ac.abort();
    }
  })();
  const w = await fake.nextWatch();
  assert.deepEqual(w.request.query, { watch: 'true', resourceVersion: '7', labelSelector: 'a=b', allowWatchBookmarks: 'true', timeoutSeconds: '30' });
  w.send('ADDED', { metadata: { name: 'a', resourceVersion: '8' } });
  w.bookmark('9');
  w.error(410, 'Expired', 'too old resource version');
  w.send('ADDED', { metadata: { name: 'never' } });
  await reading;
  assert.deepEqual(seen.map((e) => e.type), ['ADDED', 'BOOKMARK', 'ERROR']);
  assert.equal((seen[2]!.object as { code: number }).code, 410);
  assert.equal(w.isClosed, true);
});

test('client: a watch answered with an error status throws it; a broken stream throws; breaking out closes', async () => {
  const fake = new FakeTransport((req) => (req.query.resourceVersion === 'bad' ? statusReply(400, 'BadRequest', 'bad rv') : undefined));
  const pods = new ApiClient({ transport: fake }).resource('', 'v1', 'pods');
  await assert.rejects(
    (async () => {
      for await (const _ of pods.watch('d', { resourceVersion: 'bad' })) void _;
    })(),
    (e: ApiError) => e.httpCode === 400 && e.message === 'bad rv',
  );
  const broken = (async () => {
    for await (const _ of pods.watch('d', {})) void _;
  })();
  (await fake.nextWatch()).fail();
  await assert.rejects(broken, /socket hang up/);

  const reading = (async () => {
    for await (const _ of pods.watch('d', {})) break;
  })();
  const w = await fake.nextWatch();
  w.send('ADDED', { metadata: { name: 'x' } });
  await reading;
  await w.closed();
  assert.equal(w.isClosed, true);
});

test('client: list items get apiVersion and kind from the list when the server omits them', async () => {
  const fake = new FakeTransport(() => ({ body: { kind: 'DeploymentList', apiVersion: 'apps/v1', metadata: { resourceVersion: '3' }, items: [{ metadata: { name: 'a' } }, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'b' } }] } }));
  const list = await new ApiClient({ transport: fake }).resource('apps', 'v1', 'deployments').list('d');
  assert.deepEqual(list.items.map((i) => [i.apiVersion, i.kind, i.metadata.name]), [['apps/v1', 'Deployment', 'a'], ['apps/v1', 'Deployment', 'b']]);
});
