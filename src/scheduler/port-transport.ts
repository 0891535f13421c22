// The client Transport across a MessagePort, so that a component can run in a worker thread of
// the process that holds the API server (the scheduler in a worker: worker.ts). Two halves:
//
//   worker side  PortTransport implements Transport: each call is posted as a message and
//                answered by messages with the same id;
//   server side  servePort(port, transport) answers them with an ordinary Transport (an
//                InProcessTransport to the ApiServer), so API semantics are exactly those of
//                the in-process transport: same handler, same user, same bodies.
//
// A postMessage costs far more than the little objects in it, so each side posts what it has
// to say as one array per turn of its event loop (Outbox), and watch lines travel as batches
// (one entry per stream per turn). There is no flow control across the port: a worker that
// falls behind buffers lines, as a slow in-process reader would.
//
// Entries (worker → server): do | stream {id, req}, abort {id}.
//         (server → worker): res {id, status, headers, body (UTF-8 text)} | err {id, name, message}
//                            | head {id, status, headers} | lines {id, lines} | end {id, error?}.

import { AsyncQueue } from '../client/asyncqueue.ts';
import { abortError, type Transport, type TransportRequest, type TransportResponse, type TransportStream } from '../client/transport.ts';

/** The parts of a MessagePort both halves use (worker_threads MessagePort, or parentPort). */
export interface PortLike {
  postMessage(value: unknown, transferList?: readonly ArrayBuffer[]): void;
  on(event: 'message', listener: (value: any) => void): unknown;
  off(event: 'message', listener: (value: any) => void): unknown;
}

type WireRequest = Omit<TransportRequest, 'signal'>;

function wire(req: TransportRequest): WireRequest {
  const { signal: _signal, ...rest } = req;
  return rest;
}

/** Queues entries and posts them as one array per event-loop turn. */
class Outbox {
  private readonly port: PortLike;
  private items: unknown[] = [];
  private scheduled = false;
  /** Called after each post (streams start a new batch of lines). */
  readonly afterFlush = new Set<() => void>();

  constructor(port: PortLike) {
    this.port = port;
  }

  send(entry: unknown): void {
    this.items.push(entry);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  readonly flush = (): void => {
    this.scheduled = false;
    if (this.items.length === 0) return;
    const batch = this.items;
    this.items = [];
    this.port.postMessage(batch);
    for (const f of this.afterFlush) f();
  };
}

/** Run `handle` on every entry of a posted batch. */
function entries(handle: (m: any) => void): (batch: unknown) => void {
  return (batch) => {
    if (!Array.isArray(batch)) return;
    for (const m of batch) handle(m);
  };
}

interface PendingDo {
  resolve(r: TransportResponse): void;
  reject(e: Error): void;
}

interface PendingStream {
  resolve(s: TransportStream): void;
  reject(e: Error): void;
  queue: AsyncQueue<string>;
  opened: boolean;
}

/** A Transport whose calls are answered by servePort() on the other end of `port`. */
export class PortTransport implements Transport {
  private readonly out: Outbox;
  private nextId = 1;
  private readonly dos = new Map<number, PendingDo>();
  private readonly streams = new Map<number, PendingStream>();

  constructor(port: PortLike) {
    this.out = new Outbox(port);
    port.on('message', entries((m) => this.onMessage(m)));
  }

  do(req: TransportRequest): Promise<TransportResponse> {
    if (req.signal?.aborted) return Promise.reject(abortError(req.signal));
    const id = this.nextId++;
    return new Promise<TransportResponse>((resolve, reject) => {
      const signal = req.signal;
      const onAbort = () => {
        this.dos.delete(id);
        this.out.send({ t: 'abort', id });
        reject(abortError(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.dos.set(id, {
        resolve: (r) => (signal?.removeEventListener('abort', onAbort), resolve(r)),
        reject: (e) => (signal?.removeEventListener('abort', onAbort), reject(e)),
      });
      this.out.send({ t: 'do', id, req: wire(req) });
    });
  }

  stream(req: TransportRequest): Promise<TransportStream> {
    if (req.signal?.aborted) return Promise.reject(abortError(req.signal));
    const id = this.nextId++;
    return new Promise<TransportStream>((resolve, reject) => {
      const signal = req.signal;
      const close = () => {
        signal?.removeEventListener('abort', close);
        if (!this.streams.has(id)) return;
        const s = this.streams.get(id)!;
        this.streams.delete(id);
        this.out.send({ t: 'abort', id });
        if (!s.opened) reject(abortError(signal));
        s.queue.end();
      };
      const queue = new AsyncQueue<string>({ sizeOf: (l) => l.length + 1, onReturn: close });
      signal?.addEventListener('abort', close, { once: true });
      this.streams.set(id, {
        queue,
        opened: false,
        resolve: (s) => resolve({ ...s, close }),
        reject: (e) => (signal?.removeEventListener('abort', close), reject(e)),
      });
      this.out.send({ t: 'stream', id, req: wire(req) });
    });
  }

  private onMessage(m: any): void {
    switch (m?.t) {
      case 'res': {
        const p = this.dos.get(m.id);
        if (!p) return;
        this.dos.delete(m.id);
        p.resolve({ status: m.status, headers: m.headers, body: Buffer.from(m.body as string, 'utf8') });
        return;
      }
      case 'err': {
        const e = Object.assign(new Error(m.message), { name: m.name });
        const p = this.dos.get(m.id);
        if (p) {
          this.dos.delete(m.id);
          p.reject(e);
          return;
        }
        const s = this.streams.get(m.id);
        if (s) {
          this.streams.delete(m.id);
          s.reject(e);
        }
        return;
      }
      case 'head': {
        const s = this.streams.get(m.id);
        if (!s) return;
        s.opened = true;
        s.resolve({ status: m.status, headers: m.headers, lines: s.queue, close: () => {} });
        return;
      }
      case 'lines': {
        const s = this.streams.get(m.id);
        if (!s) return;
        for (const line of m.lines as string[]) s.queue.push(line);
        return;
      }
      case 'end': {
        const s = this.streams.get(m.id);
        if (!s) return;
        this.streams.delete(m.id);
        if (m.error) s.queue.end(new Error(m.error));
        else s.queue.end();
        return;
      }
    }
  }
}

/**
 * Answer a PortTransport's calls on `port` with `transport`. Returns a function that stops
 * serving and closes the streams still open.
 */
export function servePort(port: PortLike, transport: Transport): () => void {
  const aborts = new Map<number, AbortController>();
  const out = new Outbox(port);
  const onMessage = entries((m: any) => {
    switch (m?.t) {
      case 'do':
        void answerDo(m.id, m.req as WireRequest);
        return;
      case 'stream':
        void answerStream(m.id, m.req as WireRequest);
        return;
      case 'abort':
        aborts.get(m.id)?.abort();
        aborts.delete(m.id);
        return;
    }
  });
  const request = (id: number, req: WireRequest): TransportRequest => {
    const ac = new AbortController();
    aborts.set(id, ac);
    const body = req.body as unknown;
    return { ...req, body: body instanceof Uint8Array && !Buffer.isBuffer(body) ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : req.body, signal: ac.signal };
  };
  const fail = (id: number, e: unknown) => {
    const err = e as Error;
    out.send({ t: 'err', id, name: err?.name ?? 'Error', message: err?.message ?? String(e) });
  };
  async function answerDo(id: number, req: WireRequest): Promise<void> {
    try {
      const r = await transport.do(request(id, req));
      out.send({ t: 'res', id, status: r.status, headers: r.headers, body: r.body.toString('utf8') });
    } catch (e) {
      fail(id, e);
    } finally {
      aborts.delete(id);
    }
  }
  async function answerStream(id: number, req: WireRequest): Promise<void> {
    let s: TransportStream;
    try {
      s = await transport.stream(request(id, req));
    } catch (e) {
      aborts.delete(id);
      fail(id, e);
      return;
    }
    aborts.get(id)?.signal.addEventListener('abort', () => s.close(), { once: true });
    out.send({ t: 'head', id, status: s.status, headers: s.headers });
    // The lines of this turn join one entry, already queued in the outbox.
    let batch: string[] | undefined;
    const newBatch = () => (batch = undefined);
    out.afterFlush.add(newBatch);
    let error: string | undefined;
    try {
      for await (const line of s.lines) {
        if (!batch) {
          batch = [];
          out.send({ t: 'lines', id, lines: batch });
        }
        batch.push(line);
      }
    } catch (e) {
      error = (e as Error)?.message ?? String(e);
    } finally {
      aborts.delete(id);
      out.afterFlush.delete(newBatch);
    }
    out.send(error ? { t: 'end', id, error } : { t: 'end', id });
  }
  port.on('message', onMessage);
  return () => {
    port.off('message', onMessage);
    for (const ac of aborts.values()) ac.abort();
    aborts.clear();
  };
}
