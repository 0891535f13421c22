import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { test } from 'node:test';
import { AsyncQueue } from '../client/asyncqueue.ts';
import type { Transport, TransportRequest, TransportResponse, TransportStream } from '../client/transport.ts';
import { type PortLike, PortTransport, servePort } from './port-transport.ts';

/** A Transport the test scripts: answers do() with `reply`, and hands out streams it controls. */
class ScriptedTransport implements Transport {
  requests: TransportRequest[] = [];
  reply: (req: TransportRequest) => Promise<TransportResponse> = async () => ({ status: 200, headers: {}, body: Buffer.alloc(0) });
  readonly streams: { queue: AsyncQueue<string>; closed: boolean; signal: AbortSignal | undefined }[] = [];

  do(req: TransportRequest): Promise<TransportResponse> {
    this.requests.push(req);
    return this.reply(req);
  }

  async stream(req: TransportRequest): Promise<TransportStream> {
    this.requests.push(req);
    const s = { queue: new AsyncQueue<string>(), closed: false, signal: req.signal };
    this.streams.push(s);
    return { status: 200, headers: { 'content-type': 'application/json' }, lines: s.queue, close: () => ((s.closed = true), s.queue.end()) };
  }
}

function pair(): { client: PortTransport; server: ScriptedTransport; stop: () => void; close: () => void } {
  const { port1, port2 } = new MessageChannel();
  const server = new ScriptedTransport();
  const stop = servePort(port1 as unknown as PortLike, server);
  const client = new PortTransport(port2 as unknown as PortLike);
  return { client, server, stop, close: () => (stop(), port1.close(), port2.close()) };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

test('do: the request arrives whole, the answer comes back byte for byte', async () => {
  const p = pair();
  try {
    p.server.reply = async (req) => ({ status: 201, headers: { 'x-echo': req.path }, body: Buffer.from(`{"got":${JSON.stringify(String(req.body))},"é":"ü"}`) });
    const r = await p.client.do({ method: 'POST', path: '/api/v1/namespaces/a/pods', query: { dryRun: ['All'] }, headers: { 'content-type': 'application/json' }, body: '{"x":"ĳ"}' });
    assert.equal(r.status, 201);
    assert.equal(r.headers['x-echo'], '/api/v1/namespaces/a/pods');
    assert.deepEqual(JSON.parse(r.body.toString('utf8')), { got: '{"x":"ĳ"}', é: 'ü' });
    const seen = p.server.requests[0]!;
    assert.equal(seen.method, 'POST');
    assert.deepEqual(seen.query, { dryRun: ['All'] });
    // Concurrent calls are answered to their own callers.
    p.server.reply = async (req) => ({ status: 200, headers: {}, body: Buffer.from(req.path) });
    const many = await Promise.all(Array.from({ length: 50 }, (_, i) => p.client.do({ method: 'GET', path: `/p/${i}` })));
    assert.deepEqual(
      many.map((x) => x.body.toString()),
      Array.from({ length: 50 }, (_, i) => `/p/${i}`),
    );
  } finally {
    p.close();
  }
});

test('do: a failed call rejects with its message; an aborted one rejects at once and aborts the server side', async () => {
  const p = pair();
  try {
    p.server.reply = async () => {
      throw new Error('connection refused');
    };
    await assert.rejects(p.client.do({ method: 'GET', path: '/x' }), /connection refused/);
    let serverSignal: AbortSignal | undefined;
    p.server.reply = (req) => {
      serverSignal = req.signal;
      return new Promise(() => {});
    };
    const ac = new AbortController();
    const pending = p.client.do({ method: 'GET', path: '/slow', signal: ac.signal });
    await until(() => serverSignal !== undefined, 'the request to reach the server');
    ac.abort();
    await assert.rejects(pending, (e: Error) => e.name === 'AbortError');
    await until(() => serverSignal!.aborted, 'the server-side signal to abort');
  } finally {
    p.close();
  }
});

test('stream: lines arrive in order in batches, the end ends the iteration, an error fails it', async () => {
  const p = pair();
  try {
    const s = await p.client.stream({ method: 'GET', path: '/watch' });
    assert.equal(s.status, 200);
    assert.equal(s.headers['content-type'], 'application/json');
    const server = p.server.streams[0]!;
    for (let i = 0; i < 1000; i++) server.queue.push(`{"n":${i}}`);
    server.queue.end();
    const got: string[] = [];
    for await (const line of s.lines) got.push(line);
    assert.equal(got.length, 1000);
    assert.equal(got[999], '{"n":999}');

    const t = await p.client.stream({ method: 'GET', path: '/watch2' });
    const server2 = p.server.streams[1]!;
    server2.queue.push('one');
    server2.queue.end(new Error('connection reset'));
    const lines: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const line of t.lines) lines.push(line);
      })(),
      /connection reset/,
    );
    assert.deepEqual(lines, ['one']);
  } finally {
    p.close();
  }
});

test('stream: close() (or breaking out) closes the server-side stream', async () => {
  const p = pair();
  try {
    const s = await p.client.stream({ method: 'GET', path: '/watch' });
    const server = p.server.streams[0]!;
    server.queue.push('a');
    for await (const line of s.lines) {
      assert.equal(line, 'a');
      break;
    }
    await until(() => server.closed, 'the server-side stream to close');
    const ac = new AbortController();
    const t = await p.client.stream({ method: 'GET', path: '/watch2', signal: ac.signal });
    ac.abort();
    await until(() => p.server.streams[1]!.closed, 'the aborted stream to close');
    const rest: string[] = [];
    for await (const line of t.lines) rest.push(line);
    assert.deepEqual(rest, []);
  } finally {
    p.close();
  }
});
