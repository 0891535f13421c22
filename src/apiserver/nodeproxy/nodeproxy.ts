// pods/log, pods/exec, pods/attach and pods/portforward: answered by the agent of the pod's
// node, as the kube-apiserver proxies them to the kubelet. The pod is looked up (404), the
// container validated (400, upstream's wording), the Node's address (InternalIP, then Hostname,
// then ExternalIP) and port (status.daemonEndpoints.kubeletEndpoint.Port, default 10250) read,
// and the request sent over TLS with the apiserver's client certificate:
// - log: the agent's text body is streamed back (errors from the agent become Status errors);
//   a container that is not running yet answers the kubelet's "is waiting to start" 400 here;
// - exec/attach/portforward: the upgrade request goes to the agent as is; after its 101 both
//   raw sockets are spliced (WebSocket passthrough), a non-101 answer becomes a Status error.

import * as https from 'node:https';
import type * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { ApiError, apiErrors } from '../../base/errors.ts';
import type { Logger } from '../../base/log.ts';
import type { KubeObject } from '../../api/types.ts';
import type { ApiRequest, ApiResponse } from '../request.ts';
import type { ResourceStore } from '../registry/store.ts';
import { type UpgradeResponse, wantsUpgrade } from './upgrade.ts';

/** TLS material the apiserver uses towards agents: the CA that signed their serving certificates and our client certificate. */
export interface NodeClientTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface NodeProxyOptions {
  tls: NodeClientTls;
  /** The nodes store (read at request time). */
  nodes: () => ResourceStore | undefined;
  log: Logger;
}

export type NodeStream = 'log' | 'exec' | 'attach' | 'portforward';

const DEFAULT_KUBELET_PORT = 10250;
const LOG_PARAMS = ['follow', 'previous', 'timestamps', 'sinceSeconds', 'sinceTime', 'tailLines', 'limitBytes', 'stream'];
const STREAM_PARAMS = ['command', 'stdin', 'stdout', 'stderr', 'tty', 'ports', 'port'];

interface ContainerLike {
  name: string;
}

function allContainers(pod: KubeObject): ContainerLike[] {
  const s = pod.spec ?? {};
  return [...(s.initContainers ?? []), ...(s.containers ?? []), ...(s.ephemeralContainers ?? [])] as ContainerLike[];
}

/** Pure: the container a request is for (upstream's validateContainer), or a 400. */
export function validateContainer(pod: KubeObject, requested: string | null): string {
  const name = pod.metadata.name;
  if (!requested) {
    const containers = (pod.spec?.containers ?? []) as ContainerLike[];
    if (containers.length === 1) return containers[0]!.name;
    if (containers.length === 0) throw apiErrors.badRequest(`a container name must be specified for pod ${name}`);
    throw apiErrors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${allContainers(pod).map((c) => c.name).join(' ')}]`);
  }
  if (!allContainers(pod).some((c) => c.name === requested)) throw apiErrors.badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

interface ContainerStatusLike {
  name: string;
  containerID?: string;
  state?: { waiting?: { reason?: string }; running?: unknown; terminated?: { containerID?: string } };
  lastState?: { terminated?: { containerID?: string } };
}

/**
 * Pure: the kubelet's check before reading logs (validateContainerLogStatus), from the pod's
 * reported status. undefined when logs can be read; otherwise the message of the 400.
 */
export function logStatusError(pod: KubeObject, container: string, previous: boolean): string | undefined {
  const podName = pod.metadata.name;
  const st = pod.status ?? {};
  const statuses = [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? []), ...(st.ephemeralContainerStatuses ?? [])] as ContainerStatusLike[];
  const cs = statuses.find((s) => s.name === container);
  const prefix = `container "${container}" in pod "${podName}"`;
  if (!cs) return `${prefix} is waiting to start: ContainerCreating`;
  const last = cs.lastState?.terminated;
  if (previous) return last?.containerID ? undefined : `previous terminated container "${container}" in pod "${podName}" not found`;
  if (cs.state?.running) return undefined;
  if (cs.state?.terminated) return cs.state.terminated.containerID || last?.containerID ? undefined : `${prefix} is terminated`;
  if (last) return last.containerID ? undefined : `${prefix} is terminated`;
  const waiting = cs.state?.waiting;
  if (waiting) {
    if (waiting.reason === 'ErrImagePull') return `${prefix} is waiting to start: image can't be pulled`;
    if (waiting.reason === 'ImagePullBackOff') return `${prefix} is waiting to start: trying and failing to pull image`;
    return `${prefix} is waiting to start: ${waiting.reason ?? ''}`;
  }
  return `${prefix} is waiting to start - no logs yet`;
}

/** Pure: where a Node's agent listens. */
export function nodeEndpoint(node: KubeObject): { host: string; port: number } | undefined {
  const addresses = (node.status?.addresses ?? []) as { type: string; address: string }[];
  let host: string | undefined;
  for (const type of ['InternalIP', 'Hostname', 'ExternalIP']) {
    host = addresses.find((a) => a.type === type && a.address)?.address;
    if (host) break;
  }
  if (!host) return undefined;
  const port = Number(node.status?.daemonEndpoints?.kubeletEndpoint?.Port) || DEFAULT_KUBELET_PORT;
  return { host, port };
}

const REASONS: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 409: 'Conflict', 429: 'TooManyRequests', 503: 'ServiceUnavailable' };

/** An agent's non-success answer as the API error the client sees. */
export function agentError(status: number, body: string): ApiError {
  try {
    const s = JSON.parse(body) as { kind?: string; message?: string; reason?: string };
    if (s.kind === 'Status' && s.message) return new ApiError(status, s.reason || REASONS[status] || 'InternalError', s.message);
  } catch {
    // plain text, as the kubelet writes most errors
  }
  return new ApiError(status, REASONS[status] ?? 'InternalError', body.trim() || `the node agent answered ${status}`);
}

function query(req: ApiRequest, keep: string[]): string {
  const q = new URLSearchParams();
  for (const [k, v] of req.query) if (keep.includes(k)) q.append(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => (body += d.length + body.length < 64 * 1024 ? d : ''));
    res.on('end', () => resolve(body));
    res.on('error', () => resolve(body));
  });
}

export class NodeProxy {
  private readonly opts: NodeProxyOptions;

  constructor(opts: NodeProxyOptions) {
    this.opts = opts;
  }

  async serve(req: ApiRequest, sub: NodeStream, pods: ResourceStore, namespace: string, name: string): Promise<ApiResponse> {
    const pod = await pods.get(namespace, name);
    if (sub === 'log') {
      if (req.method !== 'GET') throw apiErrors.methodNotAllowed(`method ${req.method} is not supported on pods/log`);
      const container = validateContainer(pod, req.query.get('container'));
      const nodeName = pod.spec?.nodeName as string | undefined;
      if (!nodeName) return { status: 200, headers: { 'content-type': 'text/plain' }, body: '' }; // upstream: no location, no logs
      const previous = req.query.get('previous') === 'true';
      const waiting = logStatusError(pod, container, previous);
      if (waiting) throw apiErrors.badRequest(waiting);
      const target = await this.endpoint(nodeName);
      return this.proxyLog(req, target, `/containerLogs/${enc(namespace)}/${enc(name)}/${enc(container)}${query(req, LOG_PARAMS)}`);
    }
    if (req.method !== 'GET' && req.method !== 'POST') throw apiErrors.methodNotAllowed(`method ${req.method} is not supported on pods/${sub}`);
    const container = sub === 'portforward' ? '' : validateContainer(pod, req.query.get('container'));
    const nodeName = pod.spec?.nodeName as string | undefined;
    if (!nodeName) throw apiErrors.badRequest(`pod ${name} does not have a host assigned`);
    if (!wantsUpgrade(req.headers)) throw apiErrors.badRequest('Upgrade request required');
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      throw apiErrors.badRequest(`unable to upgrade connection: the ${req.headers.upgrade} protocol is not supported, use WebSocket`);
    }
    const target = await this.endpoint(nodeName);
    const path =
      sub === 'portforward'
        ? `/portForward/${enc(namespace)}/${enc(name)}${query(req, STREAM_PARAMS)}`
        : `/${sub}/${enc(namespace)}/${enc(name)}/${enc(container)}${query(req, STREAM_PARAMS)}`;
    return this.proxyUpgrade(req, target, path);
  }

  private async endpoint(nodeName: string): Promise<{ host: string; port: number }> {
    const nodes = this.opts.nodes();
    if (!nodes) throw apiErrors.notFound('', 'nodes', nodeName);
    const node = await nodes.get(undefined, nodeName);
    const ep = nodeEndpoint(node);
    if (!ep) throw apiErrors.internal(`node ${nodeName} has no address the apiserver can reach its agent on`);
    return ep;
  }

  private request(target: { host: string; port: number }, path: string, method: string, headers: Record<string, string>): http.ClientRequest {
    const t = this.opts.tls;
    return https.request({ host: target.host, port: target.port, path, method, headers, ca: t.caPem, cert: t.certPem, key: t.keyPem, agent: false });
  }

  private unreachable(target: { host: string; port: number }, path: string, e: Error): ApiError {
    return apiErrors.internal(`error dialing backend: ${e.message} (https://${target.host}:${target.port}${path.split('?')[0]})`);
  }

  private proxyLog(req: ApiRequest, target: { host: string; port: number }, path: string): Promise<ApiResponse> {
    return new Promise((resolve, reject) => {
      const out = this.request(target, path, 'GET', { accept: 'text/plain, */*' });
      const onAbort = () => out.destroy();
      req.signal.addEventListener('abort', onAbort, { once: true });
      out.on('error', (e) => {
        req.signal.removeEventListener('abort', onAbort);
        reject(this.unreachable(target, path, e));
      });
      out.on('response', (res) => {
        const status = res.statusCode ?? 500;
        if (status !== 200) {
          void readBody(res).then((body) => reject(agentError(status, body)));
          return;
        }
        resolve({
          status: 200,
          headers: { 'content-type': 'text/plain' },
          stream: (sink) => {
            const decoder = new StringDecoder('utf8');
            let ended = false;
            const end = () => {
              if (ended) return;
              ended = true;
              req.signal.removeEventListener('abort', onAbort);
              const rest = decoder.end();
              if (rest) sink.write(rest);
              sink.end();
            };
            res.on('data', (chunk: Buffer) => {
              const buffered = sink.write(decoder.write(chunk));
              if (buffered > 256 * 1024 && sink.drain) {
                res.pause();
                sink.drain(() => res.resume());
              }
            });
            res.on('end', end);
            res.on('close', end);
            res.on('error', end);
          },
        });
      });
      out.end();
    });
  }

  private proxyUpgrade(req: ApiRequest, target: { host: string; port: number }, path: string): Promise<ApiResponse> {
    const headers: Record<string, string> = { connection: 'Upgrade', upgrade: req.headers.upgrade ?? 'websocket' };
    for (const h of ['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions']) {
      const v = req.headers[h];
      if (v !== undefined) headers[h] = v;
    }
    return new Promise((resolve, reject) => {
      const out = this.request(target, path, 'GET', headers);
      out.on('error', (e) => reject(this.unreachable(target, path, e)));
      out.on('response', (res) => {
        const status = res.statusCode ?? 500;
        void readBody(res).then((body) => reject(agentError(status === 101 ? 500 : status, body)));
      });
      out.on('upgrade', (res, agentSocket: Duplex, agentHead: Buffer) => {
        let spliced = false;
        const onAbort = () => {
          if (!spliced) agentSocket.destroy();
        };
        req.signal.addEventListener('abort', onAbort, { once: true });
        const replyHeaders: Record<string, string> = {};
        for (const h of ['upgrade', 'connection', 'sec-websocket-accept', 'sec-websocket-protocol', 'sec-websocket-extensions']) {
          const v = res.headers[h];
          if (v !== undefined) replyHeaders[h] = Array.isArray(v) ? v.join(', ') : v;
        }
        const response: UpgradeResponse = {
          status: 101,
          headers: replyHeaders,
          upgrade: (client, clientHead) => {
            spliced = true;
            req.signal.removeEventListener('abort', onAbort);
            splice(client, clientHead, agentSocket, agentHead);
          },
        };
        resolve(response);
      });
      out.end();
    });
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

/** Pipe two upgraded sockets both ways; either side closing or failing ends both. */
function splice(client: Duplex, clientHead: Buffer, agent: Duplex, agentHead: Buffer): void {
  const destroyBoth = () => {
    client.destroy();
    agent.destroy();
  };
  client.on('error', destroyBoth);
  agent.on('error', destroyBoth);
  client.on('close', () => agent.destroy());
  agent.on('close', () => client.destroy());
  (client as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
  (agent as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
  if (agentHead.length) client.write(agentHead);
  if (clientHead.length) agent.write(clientHead);
  agent.pipe(client);
  client.pipe(agent);
}
