// The watch verb over HTTP: one JSON event per line ({"type":…,"object":…}\n), headers flushed
// at once by the transport, objects from the WatchCache (or one-row Tables for kubectl get -w),
// BOOKMARKs when asked, the stream closed at timeoutSeconds, and a 410 Expired ERROR event
// followed by close when the requested resourceVersion is older than the history kept.
//
// A client that cannot keep up (more than MAX_BUFFERED bytes unsent) is disconnected; it
// re-watches from its last resourceVersion, as upstream's cacher does to slow watchers.

import { apiErrors } from '../base/errors.ts';
import type { KubeObject } from '../api/types.ts';
import { apiVersionOf } from '../api/types.ts';
import { type ApiRequest, type StreamingResponse, boolParam, intParam, wantsTable } from './request.ts';
import type { ResourceStore } from './registry/store.ts';
import type { RestContext } from './rest.ts';
import { objectFilter } from './filters.ts';
import { statusOf, toApiError } from './status.ts';
import { asPartialObject, metadataTarget } from './negotiate.ts';
import { buildTable } from './tables/table.ts';
import { TooOldResourceVersionError } from './watchcache/cache.ts';
import type { CacheEvent } from './watchcache/types.ts';

const MAX_BUFFERED = 16 * 1024 * 1024;
/** Without timeoutSeconds a watch lasts between 30 and 60 minutes, as upstream's min-request-timeout. */
const DEFAULT_MIN_TIMEOUT_S = 1800;

/** The event most recently encoded by eventLine, and its line (a one-entry memo). */
let lastEvent: CacheEvent | undefined;
let lastLine: Buffer = Buffer.alloc(0);

/**
 * `{"type":…,"object":…}\n` of a cache event, as bytes. The cache delivers one change to every
 * watcher synchronously, one after another, so a one-entry memo lets all of them write the
 * same buffer (no per-watcher string building or UTF-8 encoding of the object). Events are
 * immutable, so the memo is of a pure function; the buffer is read-only.
 */
function eventLine(e: CacheEvent): Buffer {
  if (e === lastEvent) return lastLine;
  const head = EVENT_HEADS[e.type];
  const obj = e.objectBytes();
  const line = Buffer.allocUnsafeSlow(head.length + obj.length + EVENT_TAIL.length);
  head.copy(line, 0);
  obj.copy(line, head.length);
  EVENT_TAIL.copy(line, head.length + obj.length);
  lastEvent = e;
  lastLine = line;
  return line;
}

const EVENT_HEADS: Record<CacheEvent['type'], Buffer> = {
  ADDED: Buffer.from('{"type":"ADDED","object":'),
  MODIFIED: Buffer.from('{"type":"MODIFIED","object":'),
  DELETED: Buffer.from('{"type":"DELETED","object":'),
};
const EVENT_TAIL = Buffer.from('}\n');

export function serveWatch(
  req: ApiRequest,
  store: ResourceStore,
  ns: string | undefined,
  name: string | undefined,
  ctx: RestContext,
): StreamingResponse {
  const def = store.def;
  const selFilter = objectFilter(def, req.query.get('labelSelector'), req.query.get('fieldSelector'));
  const filter =
    name === undefined
      ? selFilter
      : (o: KubeObject) => o.metadata.name === name && (selFilter ? selFilter(o) : true);
  const timeoutParam = intParam(req, 'timeoutSeconds');
  if (timeoutParam !== undefined && timeoutParam < 0) throw apiErrors.badRequest('timeoutSeconds must not be negative');
  const timeoutS = timeoutParam || DEFAULT_MIN_TIMEOUT_S * (1 + Math.random());
  const allowBookmarks = boolParam(req, 'allowWatchBookmarks');
  const sendInitialParam = req.query.get('sendInitialEvents');
  const sendInitialEvents = sendInitialParam === null ? undefined : sendInitialParam === 'true';
  const resourceVersion = req.query.get('resourceVersion') ?? '';
  const table = wantsTable(req);
  // Metadata-only watches (client-go metadata informers) get each object as PartialObjectMetadata
  // (a watch asking for the list form gets whole objects, as upstream's failed conversion falls back).
  const target = metadataTarget(req.headers['accept']);
  const partial = target?.kind === 'PartialObjectMetadata' ? target : undefined;
  const kind = def.kind;
  const apiVersion = apiVersionOf(def);

  return {
    status: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-cache, private' },
    stream(sink) {
      const ac = new AbortController();
      let ended = false;
      let headerSent = false;
      const finish = () => {
        if (ended) return;
        ended = true;
        clearTimeout(timer);
        req.signal.removeEventListener('abort', onAbort);
        ac.abort();
        sink.end();
      };
      const onAbort = () => finish();
      req.signal.addEventListener('abort', onAbort);
      const timer = setTimeout(() => {
        if (allowBookmarks) sendBookmark(String(store.cache.revision), false);
        finish();
      }, timeoutS * 1000);
      timer.unref?.();

      const write = (line: string | Buffer) => {
        if (ended) return;
        if (sink.write(line) > MAX_BUFFERED) finish();
      };
      const encodeTable = (obj: KubeObject): string => {
        const t = buildTable(def, [obj], { now: ctx.now(), includeObject: 'Metadata', noHeaders: headerSent });
        headerSent = true;
        return JSON.stringify(t);
      };
      const sendBookmark = (rv: string, initialEnd: boolean) => {
        const metadata: Record<string, unknown> = { resourceVersion: rv };
        if (initialEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
        const object = partial ? asPartialObject({ metadata }, partial) : { kind, apiVersion, metadata };
        write(`{"type":"BOOKMARK","object":${JSON.stringify(object)}}\n`);
      };
      const sendError = (err: unknown) => {
        const status = statusOf(err instanceof TooOldResourceVersionError ? apiErrors.expired(err.message) : toApiError(err));
        write(`{"type":"ERROR","object":${JSON.stringify(status)}}\n`);
      };

      try {
        store.watch({
          namespace: ns,
          filter,
          resourceVersion,
          sendInitialEvents,
          allowBookmarks,
          signal: ac.signal,
          onEvent(e) {
            if (e.type === 'BOOKMARK') {
              if (allowBookmarks) sendBookmark(String(e.revision), (e as { initialEventsEnd?: boolean }).initialEventsEnd === true);
              return;
            }
            const obj = e.object.apiVersion === apiVersion ? e.object : store.view(e.object);
            if (!table && !partial && obj === e.object) return write(eventLine(e));
            const json = table ? encodeTable(obj) : JSON.stringify(partial ? asPartialObject(obj, partial) : obj);
            write(`{"type":"${e.type}","object":${json}}\n`);
          },
          onClose(err) {
            if (err) sendError(err);
            finish();
          },
        });
      } catch (e) {
        sendError(e);
        finish();
      }
    },
  };
}
