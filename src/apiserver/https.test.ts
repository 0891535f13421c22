import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:https';
import { connect } from 'node:tls';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../base/log.ts';
import { UnionAuthenticator, X509Authenticator } from './authn/authenticator.ts';
import { ensurePki, type Pki } from './authn/pki.ts';
import { tlsServerOptions } from './authn/pki.ts';
import { listen, parseTarget, type Handler, type RunningServer } from './https.ts';
import { jsonResponse, type ApiRequest } from './request.ts';

interface Reply {
  status: number;
  body: string;
}

function send(port: number, pki: Pki, agent: Agent, path: string, method = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent, ca: pki.caCertPem, cert: pki.adminCertPem, key: pki.adminKeyPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function withServer(handler: Handler, fn: (port: number, pki: Pki) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'skiff-https-'));
  let server: RunningServer | undefined;
  try {
    const pki = await ensurePki(join(root, 'pki'), { hosts: [] });
    server = await listen(handler, {
      host: '127.0.0.1',
      port: 0,
      tls: tlsServerOptions(pki),
      authenticator: new UnionAuthenticator([new X509Authenticator()]),
      log: silentLogger,
    });
    await fn(server.port, pki);
  } finally {
    await server?.close();
    await rm(root, { recursive: true, force: true });
  }
}

test('https: every request on a keep-alive connection is authenticated; a finished request is not aborted', { timeout: 20_000 }, async () => {
  const seen: ApiRequest[] = [];
  const handler: Handler = {
    async handle(req) {
      seen.push(req);
      return jsonResponse(200, { user: req.user?.name, groups: req.user?.groups, body: req.body?.toString('utf8') ?? null });
    },
  };
  await withServer(handler, async (port, pki) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const a = await send(port, pki, agent, '/a');
      const b = await send(port, pki, agent, '/b', 'POST', '{"x":1}');
      assert.equal(a.status, 200);
      assert.deepEqual(JSON.parse(a.body), { user: 'admin', groups: ['system:masters', 'system:authenticated'], body: null });
      assert.deepEqual(JSON.parse(b.body), { user: 'admin', groups: ['system:masters', 'system:authenticated'], body: '{"x":1}' });
      // the second request ran on the same connection, after the first one had closed
      assert.equal(seen.length, 2);
      assert.equal(seen[0]!.signal.aborted, false);
    } finally {
      agent.destroy();
    }
  });
});

test('https: a request whose client goes away is aborted', { timeout: 20_000 }, async () => {
  let entered!: () => void;
  const inHandler = new Promise<void>((resolve) => (entered = resolve));
  let aborted!: () => void;
  const abortSeen = new Promise<void>((resolve) => (aborted = resolve));
  const handler: Handler = {
    async handle(req) {
      req.signal.addEventListener('abort', () => aborted());
      entered();
      await abortSeen;
      return jsonResponse(200, {});
    },
  };
  await withServer(handler, async (port, pki) => {
    const agent = new Agent({ keepAlive: false });
    const req = request({ host: '127.0.0.1', port, path: '/hang', agent, ca: pki.caCertPem, cert: pki.adminCertPem, key: pki.adminKeyPem });
    req.on('error', () => {});
    req.end();
    await inHandler;
    req.destroy();
    await abortSeen;
    agent.destroy();
  });
});

test('https: TLS renegotiation is refused (the client certificate is read once per connection)', { timeout: 20_000 }, async (t) => {
  const handler: Handler = { handle: async () => jsonResponse(200, {}) };
  await withServer(handler, async (port, pki) => {
    const socket = connect({ host: '127.0.0.1', port, ca: pki.caCertPem, cert: pki.adminCertPem, key: pki.adminKeyPem, maxVersion: 'TLSv1.2', servername: 'localhost' });
    try {
      socket.on('error', () => {});
      socket.resume(); // read to the end, so the server's close is seen
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      await new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', () => resolve());
        socket.once('error', reject);
      });
      assert.equal(socket.getProtocol(), 'TLSv1.2');
      socket.renegotiate({ rejectUnauthorized: false }, () => {});
      // the server drops the connection instead of running a second handshake (on timeout the
      // test's signal ends the wait, so the server and the temp dir are still cleaned up)
      const cancelled = new Promise<never>((_, reject) => t.signal.addEventListener('abort', () => reject(new Error('connection still open'))));
      await Promise.race([closed, cancelled]);
    } finally {
      socket.destroy();
    }
  });
});

test('https: large bodies arrive whole — a buffered string sent in slices, a stream paced by drain', { timeout: 20_000 }, async () => {
  // a surrogate pair straddles every 1024th code unit, so every slice boundary would split one
  const big = 'x' + ('x'.repeat(1022) + '\ud83d\ude00').repeat(3000);
  const handler: Handler = {
    async handle(req) {
      if (req.path === '/buffered') return { status: 200, headers: { 'content-type': 'text/plain' }, body: big };
      return {
        status: 200,
        headers: { 'content-type': 'text/plain' },
        stream(sink) {
          let sent = 0;
          const pump = (): void => {
            while (sent < 40) {
              const buffered = sink.write(`${String(sent++).padStart(4, '0')}${'y'.repeat(256 * 1024)}\n`);
              if (buffered > 0 && sink.drain) return sink.drain(pump);
            }
            sink.end();
          };
          pump();
        },
      };
    },
  };
  await withServer(handler, async (port, pki) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const buffered = await send(port, pki, agent, '/buffered');
      assert.equal(buffered.status, 200);
      assert.equal(buffered.body.length, big.length);
      assert.ok(buffered.body === big);
      const streamed = await send(port, pki, agent, '/streamed');
      const lines = streamed.body.split('\n').filter(Boolean);
      assert.equal(lines.length, 40);
      assert.deepEqual(lines.map((l) => l.slice(0, 4)), Array.from({ length: 40 }, (_, i) => String(i).padStart(4, '0')));
      assert.ok(lines.every((l) => l.length === 4 + 256 * 1024));
    } finally {
      agent.destroy();
    }
  });
});

test('https: parseTarget splits plain targets by hand exactly as the URL parser would, and still normalizes the rest', () => {
  const viaUrl = (t: string) => {
    const u = new URL(t, 'http://x');
    let path = u.pathname;
    try {
      path = decodeURIComponent(u.pathname);
    } catch {}
    return { path, query: [...u.searchParams] };
  };
  const targets = [
    '/api/v1/namespaces/default/pods',
    '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb%2Ctier+in+(a,b)&limit=500',
    '/api/v1/namespaces/default/pods/web.1?fieldManager=kubectl-client-side-apply&fieldValidation=Strict',
    '/api/v1/pods?a=b c&x=%zz&y',
    '/apis/apps/v1/namespaces/a/deployments/b/scale?',
    '/api/v1/namespaces/default/pods/../secrets',
    '/api/v1/./namespaces',
    '/api/v1/namespaces/%64efault/pods',
    '/api/v1/namespaces/%E0%A4%A/pods',
    '/api\\v1\\pods',
    '//api/v1/pods',
    '/api/v1/pods#frag',
    '/api/v1/pods?watch=1#frag',
    '*',
  ];
  for (const t of targets) {
    const got = parseTarget(t);
    assert.deepEqual({ path: got.path, query: [...got.query] }, viaUrl(t), t);
  }
  // dot segments are resolved, escapes decoded, fragments dropped
  assert.equal(parseTarget('/api/v1/namespaces/default/pods/../secrets').path, '/api/v1/namespaces/default/secrets');
  assert.equal(parseTarget('/api/v1/namespaces/%64efault/pods').path, '/api/v1/namespaces/default/pods');
  assert.deepEqual([...parseTarget('/api/v1/pods?watch=1#frag').query], [['watch', '1']]);
});

test('https: a request target the URL parser refuses gets 400 and the server goes on serving', { timeout: 20_000 }, async () => {
  const handler: Handler = { handle: async (req) => jsonResponse(200, { path: req.path, q: req.query.get('q') }) };
  await withServer(handler, async (port, pki) => {
    // Absolute-form with a bad port: Node's HTTP parser passes it on; new URL() throws on it.
    const raw = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, ca: pki.caCertPem, cert: pki.adminCertPem, key: pki.adminKeyPem }, () => {
        s.write('GET http://a:b:c/ HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
      });
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString('latin1')));
      s.on('end', () => resolve(got));
      s.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.1 400 /);
    assert.match(raw, /malformed request target/);
    const agent = new Agent({ keepAlive: false });
    try {
      const ok = await send(port, pki, agent, '/x/y?q=1');
      assert.equal(ok.status, 200);
      assert.deepEqual(JSON.parse(ok.body), { path: '/x/y', q: '1' });
    } finally {
      agent.destroy();
    }
  });
});
