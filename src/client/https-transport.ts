// A Transport over HTTPS (or plain HTTP, for tests): HTTP/1.1 with a keep-alive connection
// pool, the cluster CA, and a client certificate or bearer token, configured from a kubeconfig
// file or explicitly. Watches hold one pooled connection each for as long as they stream.

import * as http from 'node:http';
import * as https from 'node:https';
import { loadKubeconfig, type ConnectionConfig } from './kubeconfig.ts';
import { LineSplitter } from './lines.ts';
import { abortError, encodeQuery, lowerCaseHeaders, type Transport, type TransportRequest, type TransportResponse, type TransportStream } from './transport.ts';

export interface HttpsTransportOptions extends ConnectionConfig {
  /**
   * Connections to the server at most (default 100). Every open watch holds one, so this
   * must exceed the number of informers; requests beyond it wait for a free connection.
   */
  maxSockets?: number;
  /** Idle connections kept for reuse (default 25, like client-go's MaxIdleConnsPerHost). */
  maxFreeSockets?: number;
  /** User-Agent header (default `skiff`). */
  userAgent?: string;
}

const DEFAULT_MAX_SOCKETS = 100;
const DEFAULT_MAX_FREE_SOCKETS = 25;

export class HttpsTransport implements Transport {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly lib: typeof http | typeof https;
  private readonly fixedHeaders: Record<string, string>;

  /** A transport for the current (or named) context of a kubeconfig file. */
  static async fromKubeconfig(path: string, opts: { context?: string } & Omit<HttpsTransportOptions, keyof ConnectionConfig> = {}): Promise<HttpsTransport> {
    const { context, ...rest } = opts;
    return new HttpsTransport({ ...(await loadKubeconfig(path, { context })), ...rest });
  }

  constructor(opts: HttpsTransportOptions) {
    this.base = new URL(opts.server);
    if (this.base.protocol !== 'https:' && this.base.protocol !== 'http:') throw new Error(`unsupported server URL ${opts.server}`);
    const pool = {
      keepAlive: true,
      maxSockets: opts.maxSockets ?? DEFAULT_MAX_SOCKETS,
      maxFreeSockets: opts.maxFreeSockets ?? DEFAULT_MAX_FREE_SOCKETS,
      scheduling: 'lifo' as const,
    };
    if (this.base.protocol === 'https:') {
      this.lib = https;
      this.agent = new https.Agent({
        ...pool,
        ca: opts.caPem,
        cert: opts.certPem,
        key: opts.keyPem,
        rejectUnauthorized: !opts.insecureSkipTlsVerify,
        servername: opts.tlsServerName,
      });
    } else {
      this.lib = http;
      this.agent = new http.Agent(pool);
    }
    this.fixedHeaders = { 'user-agent': opts.userAgent ?? 'skiff', accept: 'application/json' };
    if (opts.token) this.fixedHeaders.authorization = `Bearer ${opts.token}`;
  }

  async do(req: TransportRequest): Promise<TransportResponse> {
    const idempotent = req.method === 'GET' || req.method === 'HEAD';
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.open(req);
        const chunks: Buffer[] = [];
        try {
          for await (const c of res) chunks.push(c as Buffer);
        } catch (e) {
          throw req.signal?.aborted ? abortError(req.signal) : e;
        }
        return { status: res.statusCode ?? 0, headers: lowerCaseHeaders(res.headers), body: Buffer.concat(chunks) };
      } catch (e) {
        if (idempotent && attempt === 0 && isStaleConnection(e)) continue;
        throw e;
      }
    }
  }

  async stream(req: TransportRequest): Promise<TransportStream> {
    let res: http.IncomingMessage;
    try {
      res = await this.open(req);
    } catch (e) {
      if (!isStaleConnection(e)) throw e;
      res = await this.open(req);
    }
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      req.signal?.removeEventListener('abort', close);
      res.destroy();
    };
    req.signal?.addEventListener('abort', close, { once: true });
    res.setEncoding('utf8');
    async function* lines(): AsyncGenerator<string> {
      const splitter = new LineSplitter();
      try {
        for await (const chunk of res) for (const l of splitter.push(chunk as string)) yield l;
        if (!closed) for (const l of splitter.end()) yield l;
      } catch (e) {
        if (!closed) throw e;
      } finally {
        req.signal?.removeEventListener('abort', close);
        if (!res.complete) close();
      }
    }
    return { status: res.statusCode ?? 0, headers: lowerCaseHeaders(res.headers), lines: lines(), close };
  }

  /** Drop every pooled connection (open watches end). The transport is unusable afterwards. */
  close(): void {
    this.agent.destroy();
  }

  /** Send the request; resolve with the response once its headers arrived. */
  private open(req: TransportRequest): Promise<http.IncomingMessage> {
    if (req.signal?.aborted) return Promise.reject(abortError(req.signal));
    const prefix = this.base.pathname.replace(/\/+$/, '');
    const q = encodeQuery(req.query);
    const url = new URL(prefix + req.path + (q ? `?${q}` : ''), this.base);
    const headers: Record<string, string> = { ...this.fixedHeaders, ...lowerCaseHeaders(req.headers) };
    const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
    if (body) headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const r = this.lib.request(url, { method: req.method, headers, agent: this.agent, signal: req.signal }, resolve);
      r.on('error', (e) => {
        if (req.signal?.aborted) return reject(abortError(req.signal));
        if (r.reusedSocket) (e as { [REUSED]?: boolean })[REUSED] = true;
        reject(e);
      });
      r.end(body);
    });
  }
}

const REUSED = Symbol('reusedSocket');

/** A pooled connection the server closed just as we reused it: safe to retry idempotent requests. */
function isStaleConnection(e: unknown): boolean {
  const err = e as { code?: string; [REUSED]?: boolean } | null;
  return err?.[REUSED] === true && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
}
