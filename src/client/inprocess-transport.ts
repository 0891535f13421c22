// A Transport that calls an API server object in the same process (the ApiServer's handle()),
// with no socket: what `skiff server` uses between its own components. It does what the
// socket adapter (src/apiserver/https.ts) does and nothing more: decode the path, parse the
// query, lower-case headers, enforce the body limit, attach the authenticated user, and
// stream watch responses from the StreamingResponse's sink. API semantics are untouched.
//
// The client sits below the apiserver (DESIGN.md): only types are imported from it.

import type { ApiRequest, ApiResponse, StreamingResponse } from '../apiserver/request.ts';
import { AsyncQueue } from './asyncqueue.ts';
import { LineSplitter } from './lines.ts';
import { abortError, encodeQuery, lowerCaseHeaders, type Transport, type TransportRequest, type TransportResponse, type TransportStream } from './transport.ts';

/** What the transport calls: the ApiServer satisfies it. handle() answers every request. */
export interface ApiHandler {
  handle(req: ApiRequest): Promise<ApiResponse>;
}

/** The identity every request carries, as an authenticator would have produced it. */
export interface InProcessUser {
  name: string;
  uid?: string;
  groups: string[];
}

export interface InProcessTransportOptions {
  handler: ApiHandler;
  /** null sends requests unauthenticated (the server answers 401 except for health paths). */
  user: InProcessUser | null;
}

/** The socket adapter's request body limit (src/apiserver/request.ts MAX_BODY_BYTES). */
const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** The chunk decodeShared decoded last, and its text (a one-entry memo). */
let lastChunk: Buffer | undefined;
let lastText = '';

/**
 * A chunk's text. The API server hands every watcher of one change the same read-only line
 * buffer, one watcher after another (apiserver/watch.ts), so in-process watchers of one change
 * decode it once between them. A buffer is never written once it was handed out (the sink
 * contract lets a writer reuse a chunk only after drain(), which this sink does not offer).
 */
function decodeShared(chunk: Buffer): string {
  if (chunk !== lastChunk) {
    lastText = chunk.toString('utf8');
    lastChunk = chunk;
  }
  return lastText;
}

function isStreaming(r: ApiResponse): r is StreamingResponse {
  return typeof (r as StreamingResponse).stream === 'function';
}

function tooLarge(): TransportResponse {
  const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `Request entity too large: limit is ${MAX_BODY_BYTES}`, reason: 'RequestEntityTooLarge', code: 413 };
  return { status: 413, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(status)) };
}

export class InProcessTransport implements Transport {
  private readonly handler: ApiHandler;
  private readonly user: InProcessUser | null;

  constructor(opts: InProcessTransportOptions) {
    this.handler = opts.handler;
    this.user = opts.user;
  }

  async do(req: TransportRequest): Promise<TransportResponse> {
    if (req.signal?.aborted) throw abortError(req.signal);
    const body = toBuffer(req);
    if (body && body.length > MAX_BODY_BYTES) return tooLarge();
    const ac = new AbortController();
    const onAbort = () => ac.abort(req.signal?.reason);
    req.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await untilAborted(this.handler.handle(this.apiRequest(req, body, ac.signal)), req.signal);
      const headers = lowerCaseHeaders(res.headers);
      if (!isStreaming(res)) {
        const b = res.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(res.body) ? res.body : Buffer.from(res.body);
        return { status: res.status, headers, body: req.method === 'HEAD' ? Buffer.alloc(0) : b };
      }
      // A streamed answer read whole (e.g. a watch with timeoutSeconds called through do()).
      const chunks: Buffer[] = [];
      await untilAborted(
        new Promise<void>((resolve) =>
          res.stream({
            write: (c) => (chunks.push(typeof c === 'string' ? Buffer.from(c) : c), 0), // no drain(): Buffers are never reused
            end: () => resolve(),
          }),
        ),
        req.signal,
      );
      return { status: res.status, headers, body: Buffer.concat(chunks) };
    } finally {
      req.signal?.removeEventListener('abort', onAbort);
    }
  }

  async stream(req: TransportRequest): Promise<TransportStream> {
    if (req.signal?.aborted) throw abortError(req.signal);
    const body = toBuffer(req);
    if (body && body.length > MAX_BODY_BYTES) return bufferedStream(tooLarge());
    const ac = new AbortController();
    const close = () => {
      req.signal?.removeEventListener('abort', close);
      ac.abort();
      queue.end();
    };
    const queue = new AsyncQueue<string>({ sizeOf: (l) => l.length + 1, onReturn: close });
    req.signal?.addEventListener('abort', close, { once: true });
    let res: ApiResponse;
    try {
      res = await untilAborted(this.handler.handle(this.apiRequest(req, body, ac.signal)), req.signal);
    } catch (e) {
      close();
      throw e;
    }
    const headers = lowerCaseHeaders(res.headers);
    if (!isStreaming(res)) {
      req.signal?.removeEventListener('abort', close);
      return bufferedStream({ status: res.status, headers, body: Buffer.isBuffer(res.body) ? res.body : Buffer.from(res.body ?? '') });
    }
    const splitter = new LineSplitter();
    res.stream({
      write(chunk) {
        if (queue.isEnded) return 0;
        // (Buffer chunks, from large lists, always end on a whole item: valid UTF-8 alone.)
        for (const line of splitter.push(typeof chunk === 'string' ? chunk : decodeShared(chunk))) queue.push(line);
        return queue.weight;
      },
      end() {
        if (!queue.isEnded) for (const line of splitter.end()) queue.push(line);
        req.signal?.removeEventListener('abort', close);
        queue.end();
      },
    });
    return { status: res.status, headers, lines: queue, close };
  }

  private apiRequest(req: TransportRequest, body: Buffer | undefined, signal: AbortSignal): ApiRequest {
    let path: string;
    try {
      path = decodeURIComponent(req.path);
    } catch {
      path = req.path;
    }
    const method = req.method.toUpperCase();
    const apiReq: ApiRequest = {
      method,
      path,
      query: new URLSearchParams(encodeQuery(req.query)),
      headers: lowerCaseHeaders(req.headers),
      body: method === 'GET' || method === 'HEAD' ? undefined : body,
      signal,
    };
    if (this.user) apiReq.user = { name: this.user.name, uid: this.user.uid, groups: [...this.user.groups] };
    return apiReq;
  }
}

function toBuffer(req: TransportRequest): Buffer | undefined {
  if (req.body === undefined) return undefined;
  return Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
}

/** A TransportStream over an already complete body. */
function bufferedStream(res: TransportResponse): TransportStream {
  const queue = new AsyncQueue<string>();
  const splitter = new LineSplitter();
  for (const line of [...splitter.push(res.body.toString('utf8')), ...splitter.end()]) queue.push(line);
  queue.end();
  return { status: res.status, headers: res.headers, lines: queue, close: () => queue.end() };
}

/** `p`, or an AbortError as soon as `signal` aborts (p keeps running; its result is dropped). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
