// LIST encoding from the cache's memoized bytes: Content-Length, slices copied into a reused
// buffer only after the sink drained it, objects larger than a slice, small lists in one body.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBackend } from '../store/memory.ts';
import { silentLogger } from '../base/log.ts';
import { ApiServer } from './server.ts';
import { type ApiRequest, type ApiResponse, isStreaming, type ResponseSink } from './request.ts';

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

function request(method: string, url: string, body?: unknown): ApiRequest {
  const u = new URL(url, 'http://x');
  return {
    method,
    path: u.pathname,
    query: u.searchParams,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
    signal: new AbortController().signal,
    user: { name: 'admin', groups: ['system:masters'] },
  };
}

async function call(method: string, url: string, body?: unknown): Promise<ApiResponse> {
  return api.handle(request(method, url, body));
}

/** Streams a response into a sink; `copy` false keeps the chunks as given (no drain then). */
async function drain(out: ApiResponse, copy: boolean): Promise<{ body: Buffer; writes: number }> {
  assert.ok(isStreaming(out));
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => {
    const sink: ResponseSink = {
      write: (c) => {
        const b = typeof c === 'string' ? Buffer.from(c) : c;
        chunks.push(copy ? Buffer.from(b) : b);
        return b.length;
      },
      end: resolve,
    };
    if (copy) sink.drain = (resume) => setImmediate(resume);
    out.stream(sink);
  });
  return { body: Buffer.concat(chunks), writes: chunks.length };
}

test('a large list: Content-Length is the body length, slices reuse one buffer only after drain, big objects pass whole', async () => {
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'biglist' } };
  assert.equal((await call('POST', '/api/v1/namespaces', ns)).status, 201);
  const value = 'v'.repeat(900) + '\u00e9\ud83d\ude00';
  for (let i = 0; i < 600; i++) {
    const data = i === 300 ? { big: 'b'.repeat(300 << 10) } : { v: value };
    const r = await call('POST', '/api/v1/namespaces/biglist/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${String(i).padStart(3, '0')}` }, data });
    assert.equal(r.status, 201);
  }
  for (const copy of [true, false]) {
    const out = await call('GET', '/api/v1/namespaces/biglist/configmaps');
    assert.equal(out.status, 200);
    const { body, writes } = await drain(out, copy);
    assert.ok(writes > 3, `${writes} writes`);
    assert.equal(String(body.length), out.headers?.['content-length']);
    const list = JSON.parse(body.toString('utf8'));
    assert.equal(list.items.length, 600);
    assert.deepEqual(list.items.slice(0, 2).map((x: any) => x.metadata.name), ['c000', 'c001']);
    assert.equal(list.items[300].data.big.length, 300 << 10);
    assert.ok(list.items.every((x: any, i: number) => i === 300 || x.data.v === value));
  }
});

test('a small list is one body; an empty list is well-formed', async () => {
  const out = await call('GET', '/api/v1/namespaces/none/configmaps');
  assert.ok(!isStreaming(out));
  const list = JSON.parse(String(out.body));
  assert.equal(list.kind, 'ConfigMapList');
  assert.deepEqual(list.items, []);
  const some = await call('GET', '/api/v1/namespaces/biglist/configmaps?limit=3');
  assert.ok(!isStreaming(some));
  assert.deepEqual(JSON.parse(String(some.body)).items.map((x: any) => x.metadata.name), ['c000', 'c001', 'c002']);
});
