// The bench client's request path: a pool of keep-alive TLS connections, each carrying one
// HTTP/1.1 request at a time, written as one preframed message (one TLS record for a pod), and
// a small incremental response parser (status line, headers, then a Content-Length, chunked or
// read-until-close body). It exists because node:https's client costs the bench process about
// as much CPU per request as a bare Node https server spends answering it (bench/creates.ts's
// HTTPS floor), and on these two cores every cycle the load generator spends is taken from the
// server it measures. It is a client for our own benchmarks, not a general one: no pipelining,
// no 100-continue, no proxies, no redirects.

import type { IncomingHttpHeaders } from 'node:http';
import * as tls from 'node:tls';
import type { Credentials, Response } from './client.ts';

const CRLFCRLF = Buffer.from('\r\n\r\n');

interface Pending {
  noBody: boolean;
  t0: number;
  deadline: number;
  what: string;
  resolve: (r: Response) => void;
  reject: (err: Error) => void;
}

type BodyMode = { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' };

/** Parses one response at a time from the bytes of a connection. */
class ResponseParser {
  private buf: Buffer | undefined;
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private ttfbMs = 0;
  private mode: BodyMode | undefined; // undefined: reading the head
  private parts: Buffer[] = [];
  /** In chunked mode: bytes of the current chunk still to come (-1: at a size line). */
  private chunkLeft = -1;
  private trailers = false;
  /** Whether the connection stays open after the last complete response (set by its head). */
  keepAlive = true;

  private reset(): void {
    this.buf = undefined;
    this.mode = undefined;
    this.parts = [];
    this.chunkLeft = -1;
    this.trailers = false;
    this.headers = {};
  }

  /** Feed bytes; returns the response once complete. Throws on a malformed response. */
  push(chunk: Buffer, p: Pending): Response | undefined {
    let buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    this.buf = undefined;
    if (!this.mode) {
      const end = buf.indexOf(CRLFCRLF);
      if (end < 0) {
        if (buf.length > 64 << 10) throw new Error('response head over 64 KiB');
        this.buf = buf;
        return undefined;
      }
      this.ttfbMs = performance.now() - p.t0;
      this.parseHead(buf.toString('latin1', 0, end), p.noBody);
      buf = buf.subarray(end + 4);
      if (this.mode === undefined) return this.done(); // no body
    }
    return this.body(buf);
  }

  /** The connection ended: completes a read-until-close body, else the response is cut short. */
  end(): Response | undefined {
    if (this.mode?.kind === 'close') return this.done();
    return undefined;
  }

  private parseHead(head: string, noBody: boolean): void {
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
    if (!m) throw new Error(`malformed status line: ${JSON.stringify(lines[0]!.slice(0, 80))}`);
    this.status = Number(m[1]);
    const headers: IncomingHttpHeaders = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`malformed header line: ${JSON.stringify(line.slice(0, 80))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      const prev = headers[name];
      headers[name] = prev === undefined ? value : `${String(prev)}, ${value}`;
    }
    this.headers = headers;
    this.keepAlive = !/(^|,)\s*close\s*(,|$)/i.test(String(headers['connection'] ?? ''));
    if (noBody || this.status === 204 || this.status === 304 || this.status < 200) this.mode = undefined;
    else if (/chunked/i.test(String(headers['transfer-encoding'] ?? ''))) this.mode = { kind: 'chunked' };
    else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (!Number.isInteger(n) || n < 0) throw new Error(`bad content-length ${String(headers['content-length'])}`);
      this.mode = n === 0 ? undefined : { kind: 'length', left: n };
    } else {
      this.mode = { kind: 'close' };
      this.keepAlive = false;
    }
  }

  private body(buf: Buffer): Response | undefined {
    const mode = this.mode!;
    if (mode.kind === 'close') {
      if (buf.length) this.parts.push(buf);
      return undefined;
    }
    if (mode.kind === 'length') {
      if (buf.length >= mode.left) {
        if (buf.length > mode.left) throw new Error('bytes after the response (no request was pipelined)');
        this.parts.push(buf);
        return this.done();
      }
      if (buf.length) this.parts.push(buf);
      mode.left -= buf.length;
      return undefined;
    }
    // chunked
    let at = 0;
    while (at < buf.length) {
      if (this.trailers) {
        // Trailer lines end with an empty line; we keep none of them.
        const nl = buf.indexOf('\r\n', at);
        if (nl < 0) break;
        if (nl === at) {
          if (nl + 2 !== buf.length) throw new Error('bytes after the response (no request was pipelined)');
          return this.done();
        }
        at = nl + 2;
        continue;
      }
      if (this.chunkLeft < 0) {
        const nl = buf.indexOf('\r\n', at);
        if (nl < 0) break;
        const size = parseInt(buf.toString('latin1', at, nl).split(';')[0]!, 16);
        if (!Number.isFinite(size) || size < 0) throw new Error('malformed chunk size');
        at = nl + 2;
        if (size === 0) this.trailers = true;
        else this.chunkLeft = size + 2; // data and its CRLF
        continue;
      }
      const take = Math.min(this.chunkLeft, buf.length - at);
      const dataLeft = this.chunkLeft - 2; // data bytes still to come in this chunk
      if (dataLeft > 0) this.parts.push(buf.subarray(at, at + Math.min(take, dataLeft)));
      this.chunkLeft -= take;
      at += take;
      if (this.chunkLeft === 0) this.chunkLeft = -1;
    }
    if (at < buf.length) this.buf = buf.subarray(at);
    return undefined;
  }

  private done(): Response {
    const parts = this.parts;
    const r: Response = {
      status: this.status,
      headers: this.headers,
      body: parts.length === 1 ? parts[0]! : Buffer.concat(parts),
      ttfbMs: this.ttfbMs,
    };
    this.reset();
    return r;
  }
}

class Connection {
  readonly socket: tls.TLSSocket;
  pending: Pending | undefined;
  private readonly parser = new ResponseParser();
  closed = false;

  constructor(creds: Credentials, onGone: (c: Connection) => void) {
    this.socket = tls.connect({ host: creds.host, port: creds.port, ca: creds.ca, cert: creds.cert, key: creds.key });
    this.socket.setNoDelay(true);
    const gone = (err?: Error) => {
      if (this.closed) return;
      this.closed = true;
      const p = this.pending;
      this.pending = undefined;
      onGone(this);
      if (!p) return;
      const r = err ? undefined : this.parser.end();
      if (r) p.resolve(r);
      else p.reject(err ?? new Error(`${p.what}: the connection closed before the response was complete`));
    };
    this.socket.on('data', (chunk: Buffer) => {
      const p = this.pending;
      if (!p) {
        this.socket.destroy();
        gone(new Error('the server sent bytes while no request was waiting'));
        return;
      }
      let r: Response | undefined;
      try {
        r = this.parser.push(chunk, p);
      } catch (err) {
        this.socket.destroy();
        gone(new Error(`${p.what}: ${(err as Error).message}`));
        return;
      }
      if (!r) return;
      this.pending = undefined;
      if (!this.parser.keepAlive) {
        this.closed = true;
        this.socket.end();
        onGone(this);
      }
      p.resolve(r);
    });
    this.socket.on('error', (err) => gone(err));
    this.socket.on('close', () => gone());
  }

  send(message: string | Buffer, p: Pending): void {
    this.pending = p;
    this.socket.write(message);
  }
}

/** Up to `max` keep-alive connections; a request waits for a free one when all are busy. */
export class ConnectionPool {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private readonly waiters: (() => void)[] = [];
  private readonly hostHeader: string;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private readonly creds: Credentials;
  private readonly max: number;
  private readonly timeoutMs: number;

  constructor(creds: Credentials, max: number, timeoutMs: number) {
    this.creds = creds;
    this.max = max;
    this.timeoutMs = timeoutMs;
    this.hostHeader = creds.host.includes(':') ? `[${creds.host}]:${creds.port}` : `${creds.host}:${creds.port}`;
    // One timer for all requests: a request still unanswered past its deadline fails.
    this.timer = setInterval(() => {
      const now = performance.now();
      for (const c of this.all) {
        const p = c.pending;
        if (p && now > p.deadline) c.socket.destroy(new Error(`${p.what}: no answer within ${this.timeoutMs} ms`));
      }
    }, 1000).unref();
  }

  request(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Response> {
    if (this.closed) return Promise.reject(new Error('the client is closed'));
    const conn = this.idle.pop() ?? (this.all.size < this.max ? this.open() : undefined);
    if (!conn) return new Promise<void>((resolve) => this.waiters.push(resolve)).then(() => this.request(method, path, body, headers));
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\n`;
    if (headers['accept'] === undefined) head += 'accept: application/json\r\n';
    for (const k in headers) head += `${k}: ${headers[k]}\r\n`;
    if (body !== undefined) {
      if (headers['content-type'] === undefined) head += 'content-type: application/json\r\n';
      head += `content-length: ${Buffer.byteLength(body)}\r\n`;
    }
    head += '\r\n';
    const message = body === undefined ? head : typeof body === 'string' ? head + body : Buffer.concat([Buffer.from(head, 'latin1'), body]);
    return new Promise<Response>((resolve, reject) => {
      const t0 = performance.now();
      conn.send(message, {
        noBody: method === 'HEAD',
        t0,
        deadline: t0 + this.timeoutMs,
        what: `${method} ${path}`,
        resolve: (r) => {
          this.release(conn);
          resolve(r);
        },
        reject: (err) => {
          this.release(conn);
          reject(err);
        },
      });
    });
  }

  /** Close every connection; requests still waiting fail. */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    for (const c of this.all) c.socket.destroy();
    this.all.clear();
    this.idle.length = 0;
    for (const w of this.waiters.splice(0)) w();
  }

  private open(): Connection {
    const c = new Connection(this.creds, (gone) => {
      this.all.delete(gone);
      const i = this.idle.indexOf(gone);
      if (i >= 0) this.idle.splice(i, 1);
      this.waiters.shift()?.(); // a new connection may be opened in its place
    });
    this.all.add(c);
    return c;
  }

  private release(c: Connection): void {
    if (c.closed || this.closed) return;
    this.idle.push(c);
    this.waiters.shift()?.();
  }
}
