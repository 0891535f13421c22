// A lean HTTPS client for the benchmarks, with the admin client certificate from the
// kubeconfig the server wrote. It deliberately does as little as possible per request so that
// the bench process, which shares the two cores with the server, takes as little CPU from it as
// it can: request() writes each request as one preframed HTTP/1.1 message on its own keep-alive
// TLS connection and reads the answer with a small response parser (lib/http1.ts) instead of
// node:https's client machinery, and parses no JSON unless asked. Streams (watches) use
// node:https.

import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { ConnectionPool } from './http1.ts';
import { parse as parseYaml } from 'yaml';

export interface Credentials {
  host: string;
  port: number;
  ca: string;
  cert: string;
  key: string;
}

/** The server address, CA and admin client certificate of the kubeconfig's current context. */
export function credentialsFromKubeconfig(path: string): Credentials {
  const cfg = parseYaml(readFileSync(path, 'utf8')) as {
    'current-context'?: string;
    contexts?: { name: string; context: { cluster: string; user: string } }[];
    clusters: { name: string; cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { name: string; user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  };
  const ctx = cfg.contexts?.find((c) => c.name === cfg['current-context'])?.context;
  const cluster = (ctx ? cfg.clusters.find((c) => c.name === ctx.cluster) : cfg.clusters[0])?.cluster;
  const user = (ctx ? cfg.users.find((u) => u.name === ctx.user) : cfg.users[0])?.user;
  if (!cluster || !user) throw new Error(`${path}: no cluster or user for the current context`);
  const url = new URL(cluster.server);
  const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || 443),
    ca: b64(cluster['certificate-authority-data']),
    cert: b64(user['client-certificate-data']),
    key: b64(user['client-key-data']),
  };
}

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Request start → response headers received, ms. */
  ttfbMs: number;
}

/** Requests that take longer than this fail (keeps every bench loop bounded). */
const REQUEST_TIMEOUT_MS = 60_000;

export class KubeClient {
  private readonly creds: Credentials;
  private readonly agent: https.Agent;
  private readonly pool: ConnectionPool;

  /** maxSockets: connections kept open to the server (one per concurrent client). */
  constructor(creds: Credentials, opts: { maxSockets: number }) {
    this.creds = creds;
    this.pool = new ConnectionPool(creds, opts.maxSockets, REQUEST_TIMEOUT_MS);
    this.agent = new https.Agent({
      keepAlive: true,
      maxSockets: opts.maxSockets,
      maxFreeSockets: opts.maxSockets,
      ca: creds.ca,
      cert: creds.cert,
      key: creds.key,
    });
  }

  /** One request on a keep-alive connection of this client's pool; the body is read whole. */
  request(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Response> {
    return this.pool.request(method, path, body, headers);
  }

  /** A request that must answer 2xx; returns the parsed JSON body. */
  async json<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body === undefined ? undefined : JSON.stringify(body));
    if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${res.body.toString('utf8').slice(0, 500)}`);
    return JSON.parse(res.body.toString('utf8')) as T;
  }

  /**
   * Opens a streaming GET (a watch). Resolves with the status once the response headers
   * arrived; afterwards every complete line of the body is passed to onLine with the time
   * (performance.now()) its chunk was received. Aborting the signal closes the connection.
   */
  stream(path: string, onLine: (line: string, receivedAt: number) => void, signal: AbortSignal): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        { host: this.creds.host, port: this.creds.port, method: 'GET', path, headers: { accept: 'application/json' }, agent: this.agent, signal },
        (res) => {
          let buffered = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            const at = performance.now();
            buffered += chunk;
            let nl = buffered.indexOf('\n');
            while (nl >= 0) {
              const line = buffered.slice(0, nl);
              buffered = buffered.slice(nl + 1);
              if (line.trim()) onLine(line, at);
              nl = buffered.indexOf('\n');
            }
          });
          res.on('error', () => {});
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', (err) => {
        if (!signal.aborted) reject(err);
      });
      req.end();
    });
  }

  /** Close every connection of this client. */
  close(): void {
    this.pool.close();
    this.agent.destroy();
  }
}
