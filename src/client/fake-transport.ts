// A Transport for unit tests: every request is recorded (so a test can assert the API actions
// a controller took), answered by a responder function the test supplies, and every watch is a
// FakeWatch the test drives by hand (send events, bookmarks, ERRORs, end the stream).

import { AsyncQueue } from './asyncqueue.ts';
import type { Status } from './errors.ts';
import type { Transport, TransportRequest, TransportResponse, TransportStream } from './transport.ts';
import { abortError, lowerCaseHeaders } from './transport.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  /** The body parsed as JSON when it is JSON, else the text; undefined when there is none. */
  body?: unknown;
  /** True for requests made through stream() (watches). */
  stream: boolean;
}

export interface FakeReply {
  status?: number;
  /** Sent as JSON unless a string or Buffer. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** Answers a request; undefined means: 404 for do(), an open FakeWatch for stream(). */
export type FakeResponder = (req: RecordedRequest) => FakeReply | undefined | Promise<FakeReply | undefined>;

/** A metav1.Status failure reply. */
export function statusReply(code: number, reason: string, message = reason): FakeReply {
  return { status: code, body: statusObject(code, reason, message) };
}

export function statusObject(code: number, reason: string, message = reason): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

export class FakeWatch {
  readonly request: RecordedRequest;
  private readonly queue: AsyncQueue<string>;
  private closedFlag = false;
  private readonly onClosed: Promise<void>;
  private resolveClosed!: () => void;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = () => this.close();

  constructor(request: RecordedRequest, signal: AbortSignal | undefined) {
    this.request = request;
    this.signal = signal;
    this.onClosed = new Promise((r) => (this.resolveClosed = r));
    this.queue = new AsyncQueue<string>({ onReturn: () => this.markClosed() });
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** The stream as the transport hands it out. */
  get stream(): TransportStream {
    return { status: 200, headers: { 'content-type': 'application/json' }, lines: this.queue, close: () => this.close() };
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  /** Resolves when the client closed the stream or the test ended it. */
  closed(): Promise<void> {
    return this.onClosed;
  }

  send(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: unknown): void {
    this.queue.push(JSON.stringify({ type, object }));
  }

  bookmark(resourceVersion: string): void {
    this.queue.push(JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion } } }));
  }

  /** An ERROR event (e.g. error(410, 'Expired')); the stream stays open, as the server closes it right after. */
  error(code: number, reason: string, message = reason): void {
    this.queue.push(JSON.stringify({ type: 'ERROR', object: statusObject(code, reason, message) }));
  }

  /** A raw line (to test malformed input). */
  raw(line: string): void {
    this.queue.push(line);
  }

  /** The server ends the response normally. */
  end(): void {
    this.queue.end();
    this.markClosed();
  }

  /** The connection breaks: the reader's next() throws `err`. */
  fail(err: Error = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })): void {
    this.queue.end(err);
    this.markClosed();
  }

  private close(): void {
    this.queue.end();
    this.markClosed();
  }

  private markClosed(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.resolveClosed();
  }
}

export class FakeTransport implements Transport {
  readonly requests: RecordedRequest[] = [];
  readonly watches: FakeWatch[] = [];
  responder: FakeResponder;
  private readonly watchWaiters: { index: number; resolve(w: FakeWatch): void }[] = [];
  private watchesTaken = 0;

  constructor(responder: FakeResponder = () => undefined) {
    this.responder = responder;
  }

  /** `METHOD path` of every request so far, e.g. `POST /api/v1/namespaces/default/pods`. */
  actions(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  /** Resolves with the next watch the client opens (each watch is handed out once, in order). */
  nextWatch(): Promise<FakeWatch> {
    const index = this.watchesTaken++;
    const w = this.watches[index];
    if (w) return Promise.resolve(w);
    return new Promise((resolve) => this.watchWaiters.push({ index, resolve }));
  }

  async do(req: TransportRequest): Promise<TransportResponse> {
    if (req.signal?.aborted) throw abortError(req.signal);
    const rec = record(req, false);
    this.requests.push(rec);
    const reply = (await this.responder(rec)) ?? statusReply(404, 'NotFound', `${req.method} ${req.path}: not found`);
    return toResponse(reply);
  }

  async stream(req: TransportRequest): Promise<TransportStream> {
    if (req.signal?.aborted) throw abortError(req.signal);
    const rec = record(req, true);
    this.requests.push(rec);
    const reply = await this.responder(rec);
    if (reply) {
      const res = toResponse(reply);
      const queue = new AsyncQueue<string>();
      for (const line of res.body.toString('utf8').split('\n')) if (line) queue.push(line);
      queue.end();
      return { status: res.status, headers: res.headers, lines: queue, close: () => queue.end() };
    }
    const w = new FakeWatch(rec, req.signal);
    this.watches.push(w);
    const index = this.watches.length - 1;
    const waiter = this.watchWaiters.find((x) => x.index === index);
    if (waiter) {
      this.watchWaiters.splice(this.watchWaiters.indexOf(waiter), 1);
      waiter.resolve(w);
    }
    return w.stream;
  }
}

function record(req: TransportRequest, stream: boolean): RecordedRequest {
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) query[k] = v;
  let body: unknown;
  if (req.body !== undefined) {
    const text = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : req.body;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { method: req.method, path: req.path, query, headers: lowerCaseHeaders(req.headers), body, stream };
}

function toResponse(reply: FakeReply): TransportResponse {
  const b = reply.body;
  const body = b === undefined ? Buffer.alloc(0) : Buffer.isBuffer(b) ? b : Buffer.from(typeof b === 'string' ? b : JSON.stringify(b));
  return { status: reply.status ?? 200, headers: { 'content-type': 'application/json', ...lowerCaseHeaders(reply.headers) }, body };
}
