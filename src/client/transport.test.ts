// One behaviour suite run against both transports (in-process, and HTTP through the real
// socket adapter src/apiserver/https.ts), so the two keep the same semantics.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../base/log.ts';
import type { ApiRequest, ApiResponse, ResponseSink } from '../apiserver/request.ts';
import { listen } from '../apiserver/https.ts';
import { HttpsTransport } from './https-transport.ts';
import { InProcessTransport } from './inprocess-transport.ts';
import type { Transport } from './transport.ts';

/** A handler that echoes requests and serves a stream the test controls. */
function testHandler() {
  let streamAborted!: () => void;
  const aborted = new Promise<void>((r) => (streamAborted = r));
  const shared: ResponseSink[] = [];
  const handler = {
    /** Sinks of the open /shared streams: a test writes one chunk to all, as the watch cache does. */
    shared,
    async handle(req: ApiRequest): Promise<ApiResponse> {
      if (req.path === '/shared') return { status: 200, headers: { 'content-type': 'application/json' }, stream: (sink) => void shared.push(sink) };
      if (req.path === '/stream') {
        req.signal.addEventListener('abort', () => streamAborted(), { once: true });
        return {
          status: 200,
          headers: { 'Content-Type': 'application/json' },
          stream(sink) {
            const chunks = ['{"n":1}\n{"n"', ':2}\n', '\n{"n":3,"s":"é', '"}\n', '{"n":4}'];
            for (const c of chunks) sink.write(c);
            if (req.query.get('end') === 'true') sink.end();
            else req.signal.addEventListener('abort', () => sink.end(), { once: true });
          },
        };
      }
      if (req.path === '/hang') return new Promise(() => {});
      if (req.path === '/fail') return { status: 409, headers: { 'content-type': 'application/json' }, body: '{"kind":"Status","code":409}' };
      const echo = {
        method: req.method,
        path: req.path,
        query: [...req.query.entries()],
        contentType: req.headers['content-type'] ?? null,
        body: req.body?.toString('utf8') ?? null,
        user: req.user?.name ?? null,
      };
      return { status: 200, headers: { 'content-type': 'application/json', 'X-Extra': 'yes' }, body: JSON.stringify(echo) };
    },
  };
  return { handler, aborted };
}

type Setup = { transport: Transport; aborted: Promise<void>; shared: ResponseSink[]; close(): Promise<void> };

const transports: Record<string, () => Promise<Setup>> = {
  'in-process': async () => {
    const { handler, aborted } = testHandler();
    return { transport: new InProcessTransport({ handler, user: { name: 'alice', groups: ['devs'] } }), aborted, shared: handler.shared, close: async () => {} };
  },
  http: async () => {
    const { handler, aborted } = testHandler();
    const server = await listen(handler, { host: '127.0.0.1', port: 0, authenticator: { authenticate: () => ({ name: 'alice', groups: ['devs'] }) }, log: silentLogger });
    const transport = new HttpsTransport({ server: `http://127.0.0.1:${server.port}` });
    return {
      transport,
      aborted,
      shared: handler.shared,
      close: async () => {
        transport.close();
        await server.close();
      },
    };
  },
};

for (const [name, setup] of Object.entries(transports)) {
  test(`transport (${name}): request and response as the API core sees them`, async () => {
    const s = await setup();
    try {
      const res = await s.transport.do({
        method: 'POST',
        path: '/api/v1/namespaces/a%3Ab/configmaps',
        query: { dryRun: ['All', 'All'], fieldManager: 'me', skipped: undefined },
        headers: { 'Content-Type': 'application/json' },
        body: '{"x":"é"}',
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-extra'], 'yes');
      assert.deepEqual(JSON.parse(res.body.toString('utf8')), {
        method: 'POST',
        path: '/api/v1/namespaces/a:b/configmaps',
        query: [['dryRun', 'All'], ['dryRun', 'All'], ['fieldManager', 'me']],
        contentType: 'application/json',
        body: '{"x":"é"}',
        user: 'alice',
      });
      const get = JSON.parse((await s.transport.do({ method: 'GET', path: '/x', body: 'ignored' })).body.toString('utf8'));
      assert.equal(get.body, null, 'GET carries no body');
      const failed = await s.transport.do({ method: 'GET', path: '/fail' });
      assert.equal(failed.status, 409, 'non-2xx answers resolve; errors are for the client');
      assert.equal(failed.body.toString(), '{"kind":"Status","code":409}');
      const big = await s.transport.do({ method: 'PUT', path: '/x', body: Buffer.alloc(3 * 1024 * 1024 + 1, 32) });
      assert.equal(big.status, 413);
    } finally {
      await s.close();
    }
  });

  test(`transport (${name}): streams come out line by line across chunk boundaries`, async () => {
    const s = await setup();
    try {
      const st = await s.transport.stream({ method: 'GET', path: '/stream', query: { end: 'true' } });
      assert.equal(st.status, 200);
      const lines: string[] = [];
      for await (const l of st.lines) lines.push(l);
      assert.deepEqual(lines, ['{"n":1}', '{"n":2}', '{"n":3,"s":"é"}', '{"n":4}']);
    } finally {
      await s.close();
    }
  });

  test(`transport (${name}): streams written the same chunks each get every line`, async () => {
    const s = await setup();
    try {
      const streams = [await s.transport.stream({ method: 'GET', path: '/shared' }), await s.transport.stream({ method: 'GET', path: '/shared' })];
      // Both transports resolve stream() once the handler's stream(sink) has run.
      assert.equal(s.shared.length, 2);
      const chunks = ['{"n":1,"s":"é"}\n', '{"n":2}\n{"n"', ':3}\n', '{"n":4}\n'].map((c) => Buffer.from(c));
      for (const c of [...chunks, chunks[3]!]) for (const sink of s.shared) sink.write(c);
      for (const sink of s.shared) sink.end();
      for (const st of streams) {
        const lines: string[] = [];
        for await (const l of st.lines) lines.push(l);
        assert.deepEqual(lines, ['{"n":1,"s":"é"}', '{"n":2}', '{"n":3}', '{"n":4}', '{"n":4}']);
      }
    } finally {
      await s.close();
    }
  });

  test(`transport (${name}): closing a stream (or aborting its signal) ends it on both sides`, async () => {
    const s = await setup();
    try {
      const ac = new AbortController();
      const st = await s.transport.stream({ method: 'GET', path: '/stream', signal: ac.signal });
      const lines: string[] = [];
      for await (const l of st.lines) {
        lines.push(l);
        if (lines.length === 2) ac.abort();
      }
      assert.ok(lines.length >= 2);
      await s.aborted; // the server saw the client go away
      st.close(); // idempotent

      const st2 = await s.transport.stream({ method: 'GET', path: '/stream' });
      for await (const _ of st2.lines) break; // breaking out closes
      st2.close();
    } finally {
      await s.close();
    }
  });

  test(`transport (${name}): an aborted request rejects with AbortError`, async () => {
    const s = await setup();
    try {
      const ac = new AbortController();
      const p = s.transport.do({ method: 'GET', path: '/hang', signal: ac.signal });
      setImmediate(() => ac.abort());
      await assert.rejects(p, (e: Error) => e.name === 'AbortError');
      await assert.rejects(s.transport.do({ method: 'GET', path: '/x', signal: ac.signal }), (e: Error) => e.name === 'AbortError');
    } finally {
      await s.close();
    }
  });
}

test('transport (in-process): without a user the request is unauthenticated', async () => {
  let seen: unknown = 'unset';
  const t = new InProcessTransport({ handler: { handle: async (req) => ((seen = req.user), { status: 401, body: '' }) }, user: null });
  assert.equal((await t.do({ method: 'GET', path: '/api' })).status, 401);
  assert.equal(seen, undefined);
});

test('transport (http): a server URL with a path prefix keeps it', async () => {
  const { handler } = testHandler();
  const server = await listen(handler, { host: '127.0.0.1', port: 0, authenticator: { authenticate: () => null }, log: silentLogger });
  const t = new HttpsTransport({ server: `http://127.0.0.1:${server.port}/k8s/clusters/c1/`, userAgent: 'skiff-test' });
  try {
    const echo = JSON.parse((await t.do({ method: 'GET', path: '/api/v1/pods' })).body.toString('utf8'));
    assert.equal(echo.path, '/k8s/clusters/c1/api/v1/pods');
    assert.equal(echo.user, null);
  } finally {
    t.close();
    await server.close();
  }
});
