// The API server core: builds one ResourceStore per served resource (sharing one WatchCache per
// storage prefix), then answers ApiRequests: health, version, discovery, and the REST verbs.
// Transport-free: https.ts puts it on a socket, tests call handle() directly.
//
// Request path: authn (by the transport) → 401 unless authenticated → route → discovery or
// resource handler → errors mapped to Status in exactly one place (toApiError/statusOf).

import type { Backend } from '../store/backend.ts';
import type { KubeObject, ResourceDef } from '../api/types.ts';
import { RESOURCES, storagePrefix } from '../api/resources.ts';
import { apiErrors, ApiError } from '../base/errors.ts';
import type { Logger } from '../base/log.ts';
import { type ApiRequest, type ApiResponse, type StreamingResponse, boolParam, isStreaming, JSON_TYPE, jsonResponse } from './request.ts';
import { jsonToYaml, notAcceptable, outputType } from './negotiate.ts';
import { impersonatedUser } from './authn/impersonation.ts';
import { parseApiPath } from './router.ts';
import { Discovery } from './discovery.ts';
import { ResourceStore, type Clock, type NamespaceGate } from './registry/store.ts';
import { handleResource, type RestContext } from './rest.ts';
import { handleSubresource } from './subresources.ts';
import { statusOf, toApiError } from './status.ts';
import { WatchCache } from './watchcache/cache.ts';
import { AllowAll, type Authorizer } from './authz/authorizer.ts';
import { handleReview, type TokenAuthenticator } from './reviews.ts';
import { decodeObjectBody } from './request.ts';
import { warningHeader } from './fieldvalidation.ts';
import { OpenApi } from './openapi/documents.ts';
import { AdmissionChain, type AdmissionLookup, type AdmissionPlugin } from './admission/admission.ts';
import { DEFAULT_ADMISSION, SYSTEM_PRIORITY_CLASSES } from './admission/pods.ts';
import { storageKey } from '../api/resources.ts';
import { NodeProxy, type NodeClientTls } from './nodeproxy/nodeproxy.ts';

export interface ApiServerOptions {
  backend: Backend;
  clock?: Clock;
  log: Logger;
  /** Events kept per resource for watch replay (default 10000). */
  watchCacheSize?: number;
  resources?: readonly ResourceDef[];
  /** Decides every request (default: allow every authenticated user everything). */
  authorizer?: Authorizer;
  /** Validates bearer tokens for TokenReview (default: none is valid). */
  authenticateToken?: TokenAuthenticator;
  /** Mutating create admission (default: ServiceAccount, Priority, DefaultTolerationSeconds). */
  admission?: AdmissionPlugin[];
  /**
   * TLS towards node agents (CA of their serving certificates, our client certificate). With it,
   * pods/log, exec, attach and portforward are proxied to the agent of the pod's node; without
   * it they answer 503.
   */
  nodeClient?: NodeClientTls;
}

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-skiff',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-11-22T00:00:00Z',
  goVersion: 'n/a (skiff on Node.js)',
  compiler: 'skiff',
  platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

/** Namespaces that always exist, created at first start. */
const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz']);

/** Subresources that answer in their own media types (streams, upgrades, proxied bytes), whatever the Accept header says. */
const UNNEGOTIATED_SUBRESOURCES = new Set(['log', 'exec', 'attach', 'portforward', 'proxy']);

/** The bytes a (finite) streaming response writes. */
function gather(res: StreamingResponse): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    res.stream({
      write(chunk) {
        parts.push(Buffer.from(chunk)); // a copy: the writer may reuse a Buffer chunk after drain
        return 0;
      },
      end() {
        resolve(Buffer.concat(parts));
      },
    });
  });
}

/** Requests whose Accept header chose YAML: their JSON answers (objects, lists, Status errors) are sent as YAML. */
const yamlRequests = new WeakSet<ApiRequest>();

export class ApiServer {
  private readonly stores = new Map<string, ResourceStore>();
  private readonly reviews = new Map<string, ResourceDef>();
  private readonly authorizer: Authorizer;
  private readonly authenticateToken: TokenAuthenticator;
  private readonly caches: WatchCache[] = [];
  private readonly discovery: Discovery;
  private readonly openapi: OpenApi;
  private readonly ctx: RestContext;
  private readonly nodeProxy: NodeProxy | undefined;
  private readonly log: Logger;
  private readonly backend: Backend;
  private readonly abort = new AbortController();
  private ready = false;
  private extraReadyCheck: () => boolean = () => true;

  private constructor(opts: ApiServerOptions) {
    const clock = opts.clock ?? { now: () => new Date() };
    this.log = opts.log;
    this.backend = opts.backend;
    this.ctx = { now: () => clock.now() };
    this.nodeProxy = opts.nodeClient ? new NodeProxy({ tls: opts.nodeClient, nodes: () => this.store('', 'v1', 'nodes'), log: opts.log.child('nodeproxy') }) : undefined;
    const resources = opts.resources ?? RESOURCES;
    this.discovery = new Discovery(resources);
    this.openapi = new OpenApi(resources, { clock: { now: () => clock.now() } });
    const cacheByPrefix = new Map<string, WatchCache>();
    this.authorizer = opts.authorizer ?? new AllowAll();
    this.authenticateToken = opts.authenticateToken ?? (() => null);
    const gate: NamespaceGate = { checkWritable: (ns) => this.checkNamespace(ns) };
    const byGroupPlural = new Map<string, { def: ResourceDef; cache: () => WatchCache | undefined }>();
    const lookup: AdmissionLookup = {
      get: (group, plural, ns, name) => {
        const e = byGroupPlural.get(`${group}/${plural}`);
        return e?.cache()?.get(storageKey(e.def, ns, name));
      },
      list: async (group, plural) => (await byGroupPlural.get(`${group}/${plural}`)?.cache()?.list({ resourceVersion: '0' }))?.items ?? [],
    };
    const admission = new AdmissionChain(opts.admission ?? DEFAULT_ADMISSION, lookup);
    for (const def of resources) {
      if (def.virtual) {
        this.reviews.set(`${def.group}/${def.version}/${def.plural}`, def);
        continue;
      }
      const prefix = storagePrefix(def);
      let cache = cacheByPrefix.get(prefix);
      if (!cache) {
        cache = new WatchCache({ backend: opts.backend, prefix, historySize: opts.watchCacheSize, log: opts.log.child('watchcache') });
        cacheByPrefix.set(prefix, cache);
        this.caches.push(cache);
      }
      const c = cache;
      if (!byGroupPlural.has(`${def.group}/${def.plural}`)) byGroupPlural.set(`${def.group}/${def.plural}`, { def, cache: () => c });
      this.stores.set(
        `${def.group}/${def.version}/${def.plural}`,
        new ResourceStore({ def, backend: opts.backend, cache, clock, namespaces: gate, admit: admission.forResource(def) }),
      );
    }
  }

  /** Build the server, fill every watch cache and create the system namespaces. */
  static async start(opts: ApiServerOptions): Promise<ApiServer> {
    const s = new ApiServer(opts);
    await Promise.all(s.caches.map((c) => c.start(s.abort.signal)));
    await s.bootstrap();
    return s;
  }

  /** Serve serviceaccounts/token with this issuer (created after start: it reads the caches). */
  setTokenIssuer(tokens: NonNullable<RestContext['tokens']>): void {
    this.ctx.tokens = tokens;
  }

  /** Readiness also waits for the caller's own condition (e.g. the kubeconfig is written). */
  setReady(extra: () => boolean = () => true): void {
    this.extraReadyCheck = extra;
    this.ready = true;
  }

  store(group: string, version: string, plural: string): ResourceStore | undefined {
    return this.stores.get(`${group}/${version}/${plural}`);
  }

  private async bootstrap(): Promise<void> {
    const classes = this.store('scheduling.k8s.io', 'v1', 'priorityclasses')!;
    for (const pc of SYSTEM_PRIORITY_CLASSES) {
      if (classes.cache.get(classes.key(undefined, pc.name))) continue;
      try {
        await classes.create(undefined, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: pc.name }, value: pc.value, description: pc.description, preemptionPolicy: 'PreemptLowerPriority' });
      } catch (e) {
        if (toApiError(e).httpCode !== 409) throw e;
      }
    }
    const namespaces = this.store('', 'v1', 'namespaces')!;
    for (const name of SYSTEM_NAMESPACES) {
      if (namespaces.cache.get(namespaces.key(undefined, name))) continue;
      try {
        await namespaces.create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
        this.log.info('created namespace', { name });
      } catch (e) {
        if (toApiError(e).httpCode !== 409) throw e;
      }
    }
  }

  private async checkNamespace(ns: string): Promise<void> {
    const namespaces = this.store('', 'v1', 'namespaces')!;
    let obj: KubeObject | undefined = namespaces.cache.get(namespaces.key(undefined, ns));
    if (!obj) {
      try {
        obj = await namespaces.get(undefined, ns);
      } catch {
        throw apiErrors.notFound('', 'namespaces', ns);
      }
    }
    if (obj.metadata.deletionTimestamp || obj.status?.phase === 'Terminating') {
      throw apiErrors.forbidden(`unable to create new content in namespace ${ns} because it is being terminated`);
    }
  }

  /** Answer one request. Never throws: failures become Status responses. */
  async handle(req: ApiRequest): Promise<ApiResponse> {
    let res: ApiResponse;
    try {
      res = await this.route(req);
      if (req.warnings?.length) res.headers = { ...res.headers, warning: warningHeader(req.warnings) };
    } catch (e) {
      const err = toApiError(e);
      if (err.httpCode >= 500) this.log.error('request failed', { method: req.method, path: req.path, error: String((e as Error)?.stack ?? e) });
      const headers: Record<string, string> = {};
      if (err.details?.retryAfterSeconds) headers['retry-after'] = String(err.details.retryAfterSeconds);
      else if (err.httpCode === 429 || err.httpCode === 503) headers['retry-after'] = '1';
      res = jsonResponse(err.httpCode, statusOf(err), headers);
    }
    if (yamlRequests.has(req) && res.headers?.['content-type'] === JSON_TYPE) {
      // A large list is streamed as JSON: gathered here first, as YAML is made from the whole.
      const body = isStreaming(res) ? await gather(res) : res.body;
      if (body !== undefined) {
        const { 'content-length': _, ...headers } = res.headers;
        return { status: res.status, headers: { ...headers, 'content-type': 'application/yaml' }, body: jsonToYaml(body) };
      }
    }
    return res;
  }

  private async route(req: ApiRequest): Promise<ApiResponse> {
    const path = req.path;
    if (PUBLIC_PATHS.has(path)) return this.health(path);
    if (!req.user) throw apiErrors.unauthorized();
    if (req.impersonation) req.user = impersonatedUser(req.user, req.impersonation, this.authorizer);
    if (path === '/version' || path === '/version/') return jsonResponse(200, VERSION_INFO);
    const disc = this.discovery.serve(req);
    if (disc) return disc;
    const oa = this.openapi.serve(req);
    if (oa) return oa;
    const p = parseApiPath(path);
    if (p.type !== 'resource') throw apiErrors.notFound('', '', path);
    const info = p.info;
    if (!info.subresource || !UNNEGOTIATED_SUBRESOURCES.has(info.subresource)) {
      const watch = info.legacyWatch || boolParam(req, 'watch');
      const type = outputType(req.headers['accept'], watch);
      if (type === null) throw notAcceptable(watch);
      if (type === 'yaml') yamlRequests.add(req);
    }
    const review = this.reviews.get(`${info.group}/${info.version}/${info.resource}`);
    if (review) {
      return handleReview(req, info, review, {
        authorizer: this.authorizer,
        authenticateToken: this.authenticateToken,
        decode: (r) => decodeObjectBody(r),
      });
    }
    const store = this.store(info.group, info.version, info.resource);
    if (!store) {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    if (info.subresource) return handleSubresource(req, info, store, this.ctx, this.nodeProxy);
    return handleResource(req, info, store, this.ctx);
  }

  private health(path: string): ApiResponse {
    if (path === '/readyz' && !(this.ready && this.extraReadyCheck())) {
      return { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '[-]skiff-ready failed: not ready yet\nreadyz check failed' };
    }
    return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'ok' };
  }

  /** Stop caches and watches. The caller closes the backend. */
  async close(): Promise<void> {
    this.ready = false;
    this.abort.abort();
  }
}
