// The agent's HTTPS API in the kubelet's shape (its port 10250 API), served to the apiserver:
//   GET /healthz                                         (no client certificate needed)
//   GET /containerLogs/{ns}/{pod}/{container}?follow&previous&tailLines&sinceSeconds&sinceTime&timestamps&limitBytes&stream
//   GET /exec/{ns}/{pod}/{container}?command=..&stdin&stdout&stderr&tty    (WebSocket, channel protocols)
//   GET /attach/{ns}/{pod}/{container}?stdin&stdout&stderr&tty             (WebSocket)
//   GET /portForward/{ns}/{pod}?ports=..   (WebSocket: channel protocol, or SPDY/3.1+portforward.k8s.io)
//   GET /stats/summary                                   (the kubelet's summary API, JSON)
// Every other request needs a client certificate signed by the cluster CA (like the kubelet
// with --client-ca-file). Names resolve through the Runtime: the newest sandbox with that
// pod name/namespace; the container of that pod with the highest attempt (`previous`: the one
// before it). Errors are metav1.Status JSON bodies.

import * as https from 'node:https';
import type * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { WebSocketServer } from 'ws';
import type { Logger } from '../../base/log.ts';
import type { ContainerInfo, Runtime, SandboxInfo } from '../runtime/types.ts';
import { readCriLog, type LogReadOptions } from './crilog.ts';
import { PORT_FORWARD_CHANNEL_PROTOCOLS, REMOTE_COMMAND_PROTOCOLS, SPDY_PORT_FORWARD_PROTOCOL, chooseProtocol, offeredProtocols } from './channel.ts';
import { remoteCommandOptions } from './remotecommand.ts';
import { parsePorts } from './portforward.ts';
import { statsSummary, type StatsCache } from './stats.ts';

export interface StreamingServerOptions {
  runtime: Runtime;
  /** PEMs: our serving certificate and key, and the CA whose client certificates we accept. */
  tls: { cert: string; key: string; ca: string };
  /** Node name reported by /stats/summary. */
  nodeName: string;
  log: Logger;
  /** Poll interval of `logs -f` when the file has no new data (default 100 ms). */
  followPollMs?: number;
}

export interface StreamingServerAddress {
  host: string;
  port: number;
}

class HttpError extends Error {
  readonly code: number;
  readonly reason: string;
  constructor(code: number, reason: string, message: string) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

const notFound = (msg: string) => new HttpError(404, 'NotFound', msg);
const badRequest = (msg: string) => new HttpError(400, 'BadRequest', msg);

function statusBody(e: HttpError): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e.message, reason: e.reason, code: e.code });
}

function toHttpError(e: unknown): HttpError {
  return e instanceof HttpError ? e : new HttpError(500, 'InternalError', (e as Error)?.message ?? String(e));
}

/** Pure: the newest sandbox of a pod (by creation time, then attempt). */
export function latestSandbox(sandboxes: SandboxInfo[], namespace: string, name: string): SandboxInfo | undefined {
  let best: SandboxInfo | undefined;
  for (const s of sandboxes) {
    if (s.namespace !== namespace || s.name !== name) continue;
    if (!best || s.createdAt > best.createdAt || (s.createdAt === best.createdAt && s.attempt > best.attempt)) best = s;
  }
  return best;
}

/** Pure: the current instance of a container of a pod (highest attempt), or the one before it. */
export function pickContainer(containers: ContainerInfo[], podUid: string, name: string, previous: boolean): ContainerInfo | undefined {
  const mine = containers.filter((c) => c.podUid === podUid && c.name === name).sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
  if (!previous) return mine[0];
  const current = mine[0];
  if (!current) return undefined;
  return mine.find((c) => c.attempt === current.attempt - 1);
}

/** Log options from a containerLogs query; throws 400 for malformed numbers. */
export function logOptions(q: URLSearchParams, nowMs: number): LogReadOptions {
  const int = (name: string): number | undefined => {
    const v = q.get(name);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw badRequest(`invalid ${name} value "${v}"`);
    return n;
  };
  const flag = (name: string) => q.get(name) === 'true' || q.get(name) === '1';
  const opts: LogReadOptions = { follow: flag('follow'), timestamps: flag('timestamps') };
  const tail = int('tailLines');
  if (tail !== undefined && tail >= 0) opts.tailLines = tail;
  const limit = int('limitBytes');
  if (limit !== undefined && limit > 0) opts.limitBytes = limit;
  const sinceSeconds = int('sinceSeconds');
  const sinceTime = q.get('sinceTime');
  if (sinceSeconds !== undefined) opts.sinceTimeMs = nowMs - sinceSeconds * 1000;
  else if (sinceTime) {
    const t = Date.parse(sinceTime);
    if (Number.isNaN(t)) throw badRequest(`invalid sinceTime value "${sinceTime}"`);
    opts.sinceTimeMs = t;
  }
  const stream = q.get('stream');
  if (stream === 'Stdout' || stream === 'Stderr' || stream === 'All') opts.stream = stream;
  return opts;
}

type Route =
  | { kind: 'healthz' }
  | { kind: 'stats' }
  | { kind: 'logs' | 'exec' | 'attach'; namespace: string; pod: string; container: string }
  | { kind: 'portForward'; namespace: string; pod: string };

/** Pure: the route of a request path. */
export function routeOf(pathname: string): Route | undefined {
  if (pathname === '/healthz') return { kind: 'healthz' };
  if (pathname === '/stats/summary' || pathname === '/stats/summary/') return { kind: 'stats' };
  const parts = pathname.split('/').slice(1).map((p) => decodeURIComponent(p));
  const [head, ns, pod, container] = parts;
  if (!ns || !pod) return undefined;
  if (head === 'portForward' && parts.length === 3) return { kind: 'portForward', namespace: ns, pod };
  if (parts.length !== 4 || !container) return undefined;
  if (head === 'containerLogs') return { kind: 'logs', namespace: ns, pod, container };
  if (head === 'exec' || head === 'attach') return { kind: head, namespace: ns, pod, container };
  return undefined;
}

export class StreamingServer {
  private readonly opts: StreamingServerOptions;
  private readonly server: https.Server;
  /** Made on the first upgrade: ws, the stream protocols and SPDY load only when a stream is asked for. */
  private wss: Promise<WebSocketServer> | undefined;
  /** The subprotocol we chose for an upgrading request (added to its 101 by the 'headers' hook). */
  private readonly chosen = new WeakMap<http.IncomingMessage, string>();
  private readonly statsCache: StatsCache = new Map();
  private readonly abort = new AbortController();

  constructor(opts: StreamingServerOptions) {
    this.opts = opts;
    this.server = https.createServer({ cert: opts.tls.cert, key: opts.tls.key, ca: opts.tls.ca, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      void this.serveHttp(req, res);
    });
    this.server.on('upgrade', (req, socket, head) => {
      void this.serveUpgrade(req, socket, head);
    });
    this.server.on('tlsClientError', () => {});
    this.server.requestTimeout = 0;
  }

  async listen(port: number, host: string): Promise<StreamingServerAddress> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const a = this.server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  /** Stop listening, end follows and streams. */
  async close(): Promise<void> {
    this.abort.abort();
    if (this.wss) for (const ws of (await this.wss).clients) ws.terminate();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private authorized(req: http.IncomingMessage): boolean {
    return (req.socket as TLSSocket).authorized === true;
  }

  private async serveHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://agent');
    const fail = (e: HttpError) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(e.code, { 'content-type': 'application/json' });
      res.end(statusBody(e));
    };
    try {
      const route = routeOf(url.pathname);
      if (route?.kind === 'healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
        return;
      }
      if (!this.authorized(req)) throw new HttpError(401, 'Unauthorized', 'Unauthorized');
      if (!route) throw notFound(`no handler for ${url.pathname}`);
      if (req.method !== 'GET' && req.method !== 'HEAD' && !(route.kind !== 'logs' && route.kind !== 'stats' && req.method === 'POST')) {
        throw new HttpError(405, 'MethodNotAllowed', `method ${req.method} is not allowed`);
      }
      switch (route.kind) {
        case 'stats': {
          const body = JSON.stringify(await statsSummary(this.opts.runtime, this.opts.nodeName, this.statsCache));
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(body);
          return;
        }
        case 'logs':
          await this.serveLogs(route.namespace, route.pod, route.container, url.searchParams, req, res);
          return;
        default:
          // exec/attach/portForward without an Upgrade: the SPDY (POST) protocol is not served.
          throw badRequest('Upgrade request required');
      }
    } catch (e) {
      fail(toHttpError(e));
    }
  }

  private async resolvePod(namespace: string, pod: string): Promise<SandboxInfo> {
    const sandbox = latestSandbox(await this.opts.runtime.listPodSandboxes(), namespace, pod);
    if (!sandbox) throw notFound(`pod "${pod}" does not exist`);
    return sandbox;
  }

  private async resolveContainer(namespace: string, pod: string, container: string, previous: boolean): Promise<{ sandbox: SandboxInfo; container: ContainerInfo }> {
    const sandbox = await this.resolvePod(namespace, pod);
    const c = pickContainer(await this.opts.runtime.listContainers(), sandbox.podUid, container, previous);
    if (!c) {
      if (previous) throw badRequest(`previous terminated container "${container}" in pod "${pod}" not found`);
      throw notFound(`container "${container}" in pod "${pod}" is not available`);
    }
    return { sandbox, container: c };
  }

  private async serveLogs(namespace: string, pod: string, container: string, q: URLSearchParams, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const previous = q.get('previous') === 'true' || q.get('previous') === '1';
    const opts = logOptions(q, Date.now());
    const { container: c } = await this.resolveContainer(namespace, pod, container, previous);
    if (previous) opts.follow = false;
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    this.abort.signal.addEventListener('abort', onAbort, { once: true });
    res.on('close', onAbort);
    res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    try {
      await readCriLog(
        c.logPath,
        opts,
        {
          write: (chunk) =>
            new Promise<void>((resolve) => {
              if (res.destroyed || res.writableEnded) return resolve();
              if (res.write(chunk)) resolve();
              else {
                const go = () => {
                  res.off('drain', go);
                  res.off('close', go);
                  resolve();
                };
                res.on('drain', go);
                res.on('close', go);
              }
            }),
        },
        {
          signal: ac.signal,
          pollMs: this.opts.followPollMs,
          isRunning: async () => (await this.opts.runtime.containerStatus(c.id))?.state === 'running',
        },
      );
    } catch (e) {
      if ((e as NodeJS.ErrnoException)?.code !== 'ENOENT') this.opts.log.warn('reading container log failed', { container: c.id, error: String(e) });
    } finally {
      this.abort.signal.removeEventListener('abort', onAbort);
      if (!res.writableEnded) res.end();
    }
  }

  private rejectUpgrade(socket: Duplex, e: HttpError): void {
    const body = statusBody(e);
    socket.end(
      `HTTP/1.1 ${e.code} ${e.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }

  private async serveUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => {});
    const url = new URL(req.url ?? '/', 'https://agent');
    try {
      if (!this.authorized(req)) throw new HttpError(401, 'Unauthorized', 'Unauthorized');
      if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') throw badRequest(`unsupported upgrade ${req.headers.upgrade}: only WebSocket is served`);
      const route = routeOf(url.pathname);
      if (!route || route.kind === 'healthz' || route.kind === 'stats' || route.kind === 'logs') throw notFound(`no handler for ${url.pathname}`);
      const offered = offeredProtocols(req.headers['sec-websocket-protocol']);
      if (route.kind === 'portForward') {
        const sandbox = await this.resolvePod(route.namespace, route.pod);
        const protocol = offered.includes(SPDY_PORT_FORWARD_PROTOCOL) ? SPDY_PORT_FORWARD_PROTOCOL : chooseProtocol(offered, PORT_FORWARD_CHANNEL_PROTOCOLS);
        if (protocol === undefined) throw badRequest(`unable to negotiate a port-forward protocol: client supports ${JSON.stringify(offered)}`);
        let ports: number[] = [];
        if (protocol !== SPDY_PORT_FORWARD_PROTOCOL) {
          try {
            ports = parsePorts([...url.searchParams.getAll('ports'), ...url.searchParams.getAll('port')]);
          } catch (e) {
            throw badRequest((e as Error).message);
          }
          if (ports.length === 0) throw badRequest('query parameter "port" is required');
        }
        const ws = await this.upgrade(req, socket, head, protocol);
        const target = {
          podFullName: `${route.pod}_${route.namespace}`,
          podUid: sandbox.podUid,
          connect: (port: number) => this.opts.runtime.portForward(sandbox.id, port),
          log: this.opts.log,
        };
        const { servePortForwardChannels, servePortForwardSpdy } = await import('./portforward.ts');
        if (protocol === SPDY_PORT_FORWARD_PROTOCOL) servePortForwardSpdy(ws, target);
        else servePortForwardChannels(ws, protocol, ports, target);
        return;
      }
      const opts = remoteCommandOptions(url.searchParams);
      if (route.kind === 'exec' && opts.command.length === 0) throw badRequest('you must specify at least one command for the container');
      if (!opts.stdin && !opts.stdout && !opts.stderr) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
      const protocol = chooseProtocol(offered, REMOTE_COMMAND_PROTOCOLS);
      if (protocol === undefined) throw badRequest(`unable to negotiate a remote command protocol: client supports ${JSON.stringify(offered)}`);
      const { container } = await this.resolveContainer(route.namespace, route.pod, route.container, false);
      const ws = await this.upgrade(req, socket, head, protocol);
      const { serveRemoteCommand } = await import('./remotecommand.ts');
      await serveRemoteCommand(ws, protocol || 'channel.k8s.io', route.kind, opts, this.opts.runtime, container.id, this.opts.log);
    } catch (e) {
      if (socket.writable) this.rejectUpgrade(socket, toHttpError(e));
    }
  }

  private async upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, protocol: string): Promise<import('ws').WebSocket> {
    // We negotiate the subprotocol ourselves: ws rejects kubectl's "SPDY/3.1+portforward.k8s.io"
    // ('/' is not an RFC 7230 token character), so it never sees the header.
    delete req.headers['sec-websocket-protocol'];
    if (protocol) this.chosen.set(req, protocol);
    this.wss ??= import('ws').then(({ WebSocketServer }) => {
      const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: true });
      wss.on('headers', (headers, r) => {
        const p = this.chosen.get(r);
        if (p) headers.push(`Sec-WebSocket-Protocol: ${p}`);
      });
      return wss;
    });
    const wss = await this.wss;
    return new Promise((resolve) => wss.handleUpgrade(req, socket, head, (ws) => resolve(ws)));
  }
}
