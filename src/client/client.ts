// The REST client: typed-by-convention access to one resource (get, list, create, update,
// updateStatus, patch, delete, watch, pods/binding) over any Transport. JSON in and out; a
// non-2xx answer throws ApiError rebuilt from the server's Status (errors.ts).

import type { KubeObject } from '../api/types.ts';
import { ApiError } from '../base/errors.ts';
import { apiErrorFrom, isExpired, type Status } from './errors.ts';
import { resourcePath } from './paths.ts';
import type { Transport, TransportRequest } from './transport.ts';

export interface ListMeta {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface ObjectList<T> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

export interface GetOptions {
  resourceVersion?: string;
  signal?: AbortSignal;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  signal?: AbortSignal;
}

export interface WatchOptions {
  /** Start after this version ('' or omitted: the current state as ADDED events, then changes). */
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  allowWatchBookmarks?: boolean;
  /** The server ends the stream after this many seconds. */
  timeoutSeconds?: number;
  sendInitialEvents?: boolean;
  /** Aborting ends the iteration (normally, without an error). */
  signal?: AbortSignal;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  signal?: AbortSignal;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface PatchOptions extends WriteOptions {
  subresource?: string;
  /** Server-side apply only: take ownership of conflicting fields. */
  force?: boolean;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
  signal?: AbortSignal;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One watch event. ERROR events carry a Status (410 Expired: relist) instead of an object. */
export type WatchEvent<T = KubeObject> = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T } | { type: 'ERROR'; object: Status };

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

const JSON_TYPE = 'application/json';

/** The entry point: one per process (or component), shared by everything that talks to the API. */
export class ApiClient {
  readonly transport: Transport;

  constructor(opts: { transport: Transport }) {
    this.transport = opts.transport;
  }

  /** A client for one resource, e.g. resource('apps', 'v1', 'deployments'); '' is the core group. */
  resource<T extends KubeObject = KubeObject>(group: string, version: string, plural: string): ResourceClient<T> {
    return new ResourceClient<T>(this, group, version, plural);
  }

  /** Send a request and decode the JSON answer (undefined for an empty body); non-2xx throws ApiError. */
  async request<R = unknown>(req: TransportRequest): Promise<R> {
    const res = await this.transport.do(req);
    if (res.status < 200 || res.status >= 300) throw apiErrorFrom(res.status, res.body);
    if (res.body.length === 0) return undefined as R;
    try {
      return JSON.parse(res.body.toString('utf8')) as R;
    } catch (e) {
      throw new ApiError(500, 'InternalError', `malformed JSON in the answer to ${req.method} ${req.path}: ${(e as Error).message}`);
    }
  }
}

/**
 * Verbs on one resource. `ns` is the namespace; pass undefined (or '') for cluster-scoped
 * resources, and to list or watch across all namespaces. Every call may throw ApiError (the
 * server's answer) or a transport error (no answer: connection failure, AbortError).
 */
export class ResourceClient<T extends KubeObject = KubeObject> {
  private readonly api: ApiClient;
  readonly group: string;
  readonly version: string;
  readonly plural: string;

  constructor(api: ApiClient, group: string, version: string, plural: string) {
    this.api = api;
    this.group = group;
    this.version = version;
    this.plural = plural;
  }

  /** The path of the collection, an object, or a subresource. */
  path(ns: string | undefined, name?: string, subresource?: string): string {
    return resourcePath({ group: this.group, version: this.version, plural: this.plural, namespace: ns, name, subresource });
  }

  get(ns: string | undefined, name: string, opts: GetOptions = {}): Promise<T> {
    return this.api.request<T>({ method: 'GET', path: this.path(ns, name), query: { resourceVersion: opts.resourceVersion }, signal: opts.signal });
  }

  /**
   * One page (or the whole list without `limit`). Items carry apiVersion and kind: when the
   * server omits them on list items (kube-apiserver does), they are filled in from the list's.
   */
  async list(ns: string | undefined, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const list = await this.api.request<ObjectList<T>>({
      method: 'GET',
      path: this.path(ns),
      query: {
        labelSelector: opts.labelSelector || undefined,
        fieldSelector: opts.fieldSelector || undefined,
        limit: opts.limit ? String(opts.limit) : undefined,
        continue: opts.continue || undefined,
        resourceVersion: opts.resourceVersion,
        resourceVersionMatch: opts.resourceVersionMatch,
      },
      signal: opts.signal,
    });
    list.items ??= [];
    const kind = list.kind?.endsWith('List') ? list.kind.slice(0, -4) : undefined;
    if (kind && list.apiVersion) {
      for (const item of list.items) {
        if (!item.kind) item.kind = kind;
        if (!item.apiVersion) item.apiVersion = list.apiVersion;
      }
    }
    return list;
  }

  /** Every matching object at one resourceVersion, `pageSize` (default 500) at a time; see listAllPages. */
  listAll(ns: string | undefined, opts: Omit<ListOptions, 'limit' | 'continue'> & { pageSize?: number } = {}): Promise<{ items: T[]; resourceVersion: string }> {
    const { pageSize, ...rest } = opts;
    const base = { labelSelector: rest.labelSelector, fieldSelector: rest.fieldSelector, signal: rest.signal };
    return listAllPages((page) => this.list(ns, { ...base, ...page }), { pageSize, resourceVersion: rest.resourceVersion, resourceVersionMatch: rest.resourceVersionMatch });
  }

  create(ns: string | undefined, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.write('POST', this.path(ns), obj, opts);
  }

  /** PUT the whole object (its metadata.resourceVersion, if set, is the precondition: 409 on mismatch). */
  update(ns: string | undefined, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.write('PUT', this.path(ns, nameOf(obj)), obj, opts);
  }

  /** PUT to the status subresource: only .status changes. */
  updateStatus(ns: string | undefined, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.write('PUT', this.path(ns, nameOf(obj), 'status'), obj, opts);
  }

  /** PATCH with the given patch type; `body` is an object/array (sent as JSON) or ready text. */
  patch(ns: string | undefined, name: string, type: PatchType, body: unknown, opts: PatchOptions = {}): Promise<T> {
    return this.api.request<T>({
      method: 'PATCH',
      path: this.path(ns, name, opts.subresource),
      query: { ...writeQuery(opts), force: opts.force ? 'true' : undefined },
      headers: { 'content-type': PATCH_CONTENT_TYPES[type] },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal: opts.signal,
    });
  }

  /** DELETE; answers the object (still present while finalizers or grace run) or a Success Status. */
  delete(ns: string | undefined, name: string, opts: DeleteOptions = {}): Promise<T | Status> {
    return this.api.request<T | Status>({
      method: 'DELETE',
      path: this.path(ns, name),
      headers: { 'content-type': JSON_TYPE },
      body: JSON.stringify(deleteOptionsBody(opts)),
      signal: opts.signal,
    });
  }

  /** DELETE the collection (matching the selectors); answers the list of deleted objects. */
  deleteCollection(ns: string | undefined, opts: DeleteOptions & { labelSelector?: string; fieldSelector?: string } = {}): Promise<ObjectList<T>> {
    return this.api.request<ObjectList<T>>({
      method: 'DELETE',
      path: this.path(ns),
      query: { labelSelector: opts.labelSelector || undefined, fieldSelector: opts.fieldSelector || undefined },
      headers: { 'content-type': JSON_TYPE },
      body: JSON.stringify(deleteOptionsBody(opts)),
      signal: opts.signal,
    });
  }

  /** POST a body to a subresource (binding, eviction, ...); answers what the server answers. */
  createSubresource<R = unknown>(ns: string | undefined, name: string, subresource: string, body: unknown, opts: WriteOptions = {}): Promise<R> {
    return this.api.request<R>({
      method: 'POST',
      path: this.path(ns, name, subresource),
      query: writeQuery(opts),
      headers: { 'content-type': JSON_TYPE },
      body: JSON.stringify(body),
      signal: opts.signal,
    });
  }

  /** Pods only: assign the pod to a node (POST pods/{name}/binding); 409 if already bound. */
  bind(ns: string, name: string, nodeName: string, opts: WriteOptions = {}): Promise<Status> {
    const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace: ns }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } };
    return this.createSubresource<Status>(ns, name, 'binding', binding, opts);
  }

  /**
   * Watch changes. The request is sent when iteration starts; a non-2xx answer throws ApiError
   * from the first next(). Events come in server order; the iteration completes when the server
   * ends the stream (timeoutSeconds, shutdown) or opts.signal aborts, and throws if the
   * connection breaks. Breaking out of the loop closes the stream.
   */
  watch(ns: string | undefined, opts: WatchOptions = {}): AsyncIterable<WatchEvent<T>> {
    const req: TransportRequest = {
      method: 'GET',
      path: this.path(ns),
      query: {
        watch: 'true',
        resourceVersion: opts.resourceVersion || undefined,
        labelSelector: opts.labelSelector || undefined,
        fieldSelector: opts.fieldSelector || undefined,
        allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
        timeoutSeconds: opts.timeoutSeconds !== undefined ? String(opts.timeoutSeconds) : undefined,
        sendInitialEvents: opts.sendInitialEvents !== undefined ? String(opts.sendInitialEvents) : undefined,
      },
      signal: opts.signal,
    };
    const transport = this.api.transport;
    return {
      async *[Symbol.asyncIterator]() {
        if (req.signal?.aborted) return;
        let stream;
        try {
          stream = await transport.stream(req);
        } catch (e) {
          if (req.signal?.aborted) return;
          throw e;
        }
        try {
          if (stream.status < 200 || stream.status >= 300) {
            const lines: string[] = [];
            for await (const l of stream.lines) lines.push(l);
            throw apiErrorFrom(stream.status, lines.join('\n'));
          }
          for await (const line of stream.lines) {
            if (req.signal?.aborted) return;
            let ev: WatchEvent<T>;
            try {
              ev = JSON.parse(line) as WatchEvent<T>;
            } catch {
              throw new ApiError(500, 'InternalError', `malformed watch event: ${line.slice(0, 200)}`);
            }
            yield ev;
          }
        } finally {
          stream.close();
        }
      },
    };
  }

  private write(method: string, path: string, obj: T, opts: WriteOptions): Promise<T> {
    return this.api.request<T>({
      method,
      path,
      query: writeQuery(opts),
      headers: { 'content-type': JSON_TYPE },
      body: JSON.stringify(obj),
      signal: opts.signal,
    });
  }
}

/** One page request: the paging parameters a pager sets on each call. */
export type PageRequest = Pick<ListOptions, 'limit' | 'continue' | 'resourceVersion' | 'resourceVersionMatch'>;

/**
 * Every object of a paged list at one resourceVersion, fetched `pageSize` (default 500) at a
 * time by calling `list` with limit/continue. If a continue token expires mid-way (410), the
 * list restarts once without paging, as client-go's pager does.
 */
export async function listAllPages<T>(
  list: (page: PageRequest) => Promise<ObjectList<T>>,
  opts: { pageSize?: number; resourceVersion?: string; resourceVersionMatch?: ListOptions['resourceVersionMatch'] } = {},
): Promise<{ items: T[]; resourceVersion: string }> {
  const limit = opts.pageSize ?? 500;
  const items: T[] = [];
  let cont: string | undefined;
  for (;;) {
    let page: ObjectList<T>;
    try {
      // The continue token carries the list's resourceVersion; sending both is refused.
      page = await list(cont ? { limit, continue: cont } : { limit, resourceVersion: opts.resourceVersion, resourceVersionMatch: opts.resourceVersionMatch });
    } catch (e) {
      if (!cont || !isExpired(e)) throw e;
      const whole = await list({ resourceVersion: opts.resourceVersion, resourceVersionMatch: opts.resourceVersionMatch });
      return { items: whole.items ?? [], resourceVersion: whole.metadata.resourceVersion };
    }
    for (const item of page.items ?? []) items.push(item);
    cont = page.metadata.continue;
    if (!cont) return { items, resourceVersion: page.metadata.resourceVersion };
  }
}

function nameOf(obj: KubeObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error('update needs metadata.name');
  return name;
}

function writeQuery(opts: WriteOptions): Record<string, string | undefined> {
  return {
    dryRun: opts.dryRun ? 'All' : undefined,
    fieldManager: opts.fieldManager,
    fieldValidation: opts.fieldValidation,
  };
}

function deleteOptionsBody(opts: DeleteOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
  if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
  if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
  if (opts.preconditions) body.preconditions = opts.preconditions;
  if (opts.dryRun) body.dryRun = ['All'];
  return body;
}
