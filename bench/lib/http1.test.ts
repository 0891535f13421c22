// The bench client's HTTP/1.1 layer against real TLS servers on loopback: node:https answering
// in every body framing it uses, and a raw TLS server that writes hand-made responses byte by
// byte, so the parser meets every split of a response across reads.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ensurePki, tlsServerOptions, type Pki } from '../../src/apiserver/authn/pki.ts';
import { ConnectionPool } from './http1.ts';

let pkiRoot: string | undefined;
let pkiMade: Promise<Pki> | undefined;

/** One PKI for the file (made on first use, removed after the last test). */
function pki(): Promise<Pki> {
  pkiMade ??= (async () => {
    pkiRoot = await mkdtemp(join(tmpdir(), 'skiff-http1-'));
    return ensurePki(join(pkiRoot, 'pki'), { hosts: [] });
  })();
  return pkiMade;
}

test.after(async () => {
  if (pkiRoot) await rm(pkiRoot, { recursive: true, force: true });
});

/** Run `fn` with a pool (at most `max` connections) against `server`, which counts its connections. */
async function withPool(
  server: tls.Server,
  max: number,
  fn: (pool: ConnectionPool, connections: () => number) => Promise<void>,
  timeoutMs = 10_000,
): Promise<void> {
  const p = await pki();
  let count = 0;
  server.on('secureConnection', () => count++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const pool = new ConnectionPool({ host: '127.0.0.1', port, ca: p.caCertPem, cert: p.adminCertPem, key: p.adminKeyPem }, max, timeoutMs);
  try {
    await fn(pool, () => count);
  } finally {
    pool.close();
    server.close();
    (server as https.Server).closeAllConnections?.();
  }
}

async function httpsServer(handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void): Promise<https.Server> {
  return https.createServer({ ...tlsServerOptions(await pki()), keepAlive: true }, handler);
}

/** A TLS server answering each request (one per connection) with `response`, written one byte per write. */
async function rawServer(response: string): Promise<tls.Server> {
  const server = tls.createServer(tlsServerOptions(await pki()), (socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    let head = '';
    socket.on('data', async (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const bytes = Buffer.from(response, 'latin1');
      for (let i = 0; i < bytes.length; i++) {
        if (socket.destroyed) return;
        socket.write(bytes.subarray(i, i + 1));
        if (i % 8 === 0) await new Promise((r) => setImmediate(r)); // let some bytes go out alone
      }
      if (/\r\nconnection: close\r\n/i.test(response)) socket.end();
    });
  });
  return server;
}

test('content-length bodies: status, headers and body arrive; sequential requests share one keep-alive connection', async () => {
  const server = await httpsServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({ method: req.method, url: req.url, got: Buffer.concat(chunks).toString('utf8'), accept: req.headers['accept'] });
      res.writeHead(201, { 'content-type': 'application/json', 'x-test': 'yes' });
      res.end(body);
    });
  });
  await withPool(server, 4, async (pool, connections) => {
    for (let i = 0; i < 5; i++) {
      const r = await pool.request('POST', `/things?i=${i}`, JSON.stringify({ n: i, text: 'héllo' }));
      assert.equal(r.status, 201);
      assert.equal(r.headers['x-test'], 'yes');
      assert.deepEqual(JSON.parse(r.body.toString('utf8')), { method: 'POST', url: `/things?i=${i}`, got: JSON.stringify({ n: i, text: 'héllo' }), accept: 'application/json' });
      assert.ok(r.ttfbMs >= 0);
    }
    assert.equal(connections(), 1);
  });
});

test('chunked bodies, large and in many writes, are reassembled', async () => {
  const big = 'x'.repeat(700_000) + 'end';
  const server = await httpsServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    if (req.url === '/big') {
      for (let at = 0; at < big.length; at += 65_536) res.write(big.slice(at, at + 65_536));
    } else {
      for (const w of ['a', 'bc', 'def']) res.write(w);
    }
    res.end();
  });
  await withPool(server, 2, async (pool, connections) => {
    const small = await pool.request('GET', '/small');
    assert.equal(small.headers['transfer-encoding'], 'chunked');
    assert.equal(small.body.toString(), 'abcdef');
    const r = await pool.request('GET', '/big');
    assert.equal(r.body.length, big.length);
    assert.equal(r.body.toString(), big);
    assert.equal(connections(), 1);
  });
});

test('concurrent requests open at most `max` connections and all complete', async () => {
  const server = await httpsServer((req, res) => {
    setTimeout(() => res.end(req.url), 20);
  });
  await withPool(server, 2, async (pool, connections) => {
    const rs = await Promise.all(Array.from({ length: 7 }, (_, i) => pool.request('GET', `/r${i}`)));
    assert.deepEqual(rs.map((r) => r.body.toString()), Array.from({ length: 7 }, (_, i) => `/r${i}`));
    assert.equal(connections(), 2);
  });
});

test('HEAD and 204 answers have no body even with a content-length', async () => {
  const server = await httpsServer((req, res) => {
    if (req.url === '/none') {
      res.writeHead(204);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-length': '12', 'content-type': 'text/plain' });
    res.end(req.method === 'HEAD' ? undefined : 'twelve bytes');
  });
  await withPool(server, 1, async (pool) => {
    const head = await pool.request('HEAD', '/x');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '12');
    assert.equal(head.body.length, 0);
    const none = await pool.request('GET', '/none');
    assert.equal(none.status, 204);
    assert.equal(none.body.length, 0);
    const get = await pool.request('GET', '/x'); // the connection is still in step
    assert.equal(get.body.toString(), 'twelve bytes');
  });
});

test('a response written one byte at a time: chunk extensions and trailers, then a close-delimited body', async () => {
  const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Multi: a\r\nX-Multi: b\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n';
  await withPool(await rawServer(chunked), 1, async (pool) => {
    const r = await pool.request('GET', '/');
    assert.equal(r.body.toString(), 'hello world');
    assert.equal(r.headers['x-multi'], 'a, b');
  });
  const untilClose = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nall of it until the end';
  await withPool(await rawServer(untilClose), 1, async (pool, connections) => {
    const r = await pool.request('GET', '/');
    assert.equal(r.body.toString(), 'all of it until the end');
    const again = await pool.request('GET', '/'); // the closed connection is not reused
    assert.equal(again.body.toString(), 'all of it until the end');
    assert.equal(connections(), 2);
  });
});

test('a malformed response, a response cut short and a silent server each fail the request with a reason', async () => {
  await withPool(await rawServer('HTTP/1.1 OK\r\n\r\n'), 1, async (pool) => {
    await assert.rejects(pool.request('GET', '/bad'), /GET \/bad: malformed status line/);
  });
  await withPool(await rawServer('HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nshort'), 1, async (pool) => {
    await assert.rejects(pool.request('GET', '/short'), /GET \/short: the connection closed before the response was complete/);
  });
  const silent = tls.createServer(tlsServerOptions(await pki()), (socket) => socket.on('error', () => {}));
  await withPool(
    silent,
    1,
    async (pool) => {
      await assert.rejects(pool.request('GET', '/wait'), /GET \/wait: no answer within 200 ms/);
    },
    200,
  );
});
