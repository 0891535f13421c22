// The Reflector keeps a local copy of one resource in step with the API server, as client-go's
// does: list (paged, at one resourceVersion), replace the copy, then watch from the list's
// resourceVersion with bookmarks, applying each event in order.
//
//   list ──► sink.replace(items, rv) ──► watch from rv ──► sink.apply(event) ...
//
// How a watch ends decides what comes next:
//   - the stream ended normally (timeoutSeconds, server shutdown)  → re-watch from the last rv
//   - an ERROR 410 Expired event, or a 410 answer to the watch     → relist at once
//   - any other ERROR event                                        → back off, then relist
//   - the request failed or the connection broke                   → back off, then re-watch
//                                                                    from the last rv
// Back-off: 1 s doubling to 30 s, jittered; reset by a successful list, or by a watch that
// delivered something. A watch that ends within 1 s having delivered nothing also backs off.
//
// The last seen resourceVersion advances with every event and bookmark, so a re-watch resumes
// exactly where the previous stream stopped; a relist's replace() reports the deletes the
// watch missed.

import type { KubeObject } from '../api/types.ts';
import type { Logger } from '../base/log.ts';
import { Backoff } from './backoff.ts';
import { type Clock, delay, realClock } from './clock.ts';
import { listAllPages, type ObjectList, type PageRequest, type ResourceClient, type WatchEvent } from './client.ts';
import { isExpired, statusToApiError } from './errors.ts';

/** The two calls a reflector needs, already bound to a namespace and selectors. */
export interface ListerWatcher<T> {
  list(page: PageRequest & { signal: AbortSignal }): Promise<ObjectList<T>>;
  watch(opts: { resourceVersion: string; allowWatchBookmarks: boolean; timeoutSeconds: number; signal: AbortSignal }): AsyncIterable<WatchEvent<T>>;
}

/** A ListerWatcher over a ResourceClient, for one namespace (all when omitted) and selectors. */
export function listWatchFor<T extends KubeObject>(
  rc: ResourceClient<T>,
  opts: { namespace?: string; labelSelector?: string; fieldSelector?: string } = {},
): ListerWatcher<T> {
  const sel = { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };
  return {
    list: (page) => rc.list(opts.namespace, { ...sel, ...page }),
    watch: (w) => rc.watch(opts.namespace, { ...sel, ...w }),
  };
}

/** Where a reflector delivers. Calls are synchronous and strictly ordered. */
export interface ReflectorSink<T> {
  /** The complete current state at `resourceVersion` (first list and every relist). */
  replace(items: T[], resourceVersion: string): void;
  /** One watch event, in server order. */
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): void;
}

export interface ReflectorOptions<T> {
  name: string;
  listWatch: ListerWatcher<T>;
  sink: ReflectorSink<T>;
  clock?: Clock;
  log: Logger;
  /** Objects per list page (default 500). */
  pageSize?: number;
  /** Back-off between failed attempts; default 1 s → 30 s with jitter. */
  backoff?: Backoff;
  /** Uniform in [0, 1): picks each watch's timeout in [5, 10) minutes, as client-go. */
  random?: () => number;
}

/** A watch that ends this soon after opening, having delivered nothing, counts as a failure. */
const MIN_HEALTHY_WATCH_MS = 1000;
const MIN_WATCH_TIMEOUT_S = 300;

export class Reflector<T extends KubeObject = KubeObject> {
  private readonly opts: ReflectorOptions<T>;
  private readonly clock: Clock;
  private readonly backoff: Backoff;
  private readonly random: () => number;
  private rv = '';
  private running = false;

  constructor(opts: ReflectorOptions<T>) {
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
    this.backoff = opts.backoff ?? new Backoff({ random: opts.random });
    this.random = opts.random ?? Math.random;
  }

  /** The resourceVersion of the last list, event or bookmark seen ('' before the first list). */
  lastSyncResourceVersion(): string {
    return this.rv;
  }

  /**
   * List and watch until `signal` aborts; resolves then (never rejects: every failure is
   * logged and retried). At most one run at a time.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.running) throw new Error(`reflector ${this.opts.name} is already running`);
    this.running = true;
    const { log, sink, listWatch, name } = this.opts;
    let needList = true;
    let expiredInARow = 0;
    try {
      while (!signal.aborted) {
        if (needList) {
          try {
            const { items, resourceVersion } = await listAllPages((page) => listWatch.list({ ...page, signal }), { pageSize: this.opts.pageSize });
            if (signal.aborted) break;
            sink.replace(items, resourceVersion);
            this.rv = resourceVersion;
            needList = false;
            this.backoff.reset();
            log.debug('listed', { resource: name, items: items.length, resourceVersion });
          } catch (e) {
            if (signal.aborted) break;
            const wait = this.backoff.next();
            log.warn('list failed; retrying', { resource: name, error: String((e as Error)?.message ?? e), retryInMs: wait });
            await delay(this.clock, wait, signal);
            continue;
          }
        }

        const opened = this.clock.now();
        let delivered = 0;
        let streamError: Error | undefined;
        try {
          const timeoutSeconds = Math.floor(MIN_WATCH_TIMEOUT_S * (1 + this.random()));
          for await (const ev of listWatch.watch({ resourceVersion: this.rv, allowWatchBookmarks: true, timeoutSeconds, signal })) {
            if (signal.aborted) break;
            if (ev.type === 'ERROR') {
              streamError = statusToApiError(ev.object);
              break;
            }
            delivered++;
            expiredInARow = 0;
            if (ev.type !== 'BOOKMARK') sink.apply(ev.type, ev.object);
            const rv = ev.object?.metadata?.resourceVersion;
            if (rv) this.rv = rv;
          }
          if (signal.aborted) break;
          if (streamError) throw streamError;
          if (delivered === 0 && this.clock.now() - opened < MIN_HEALTHY_WATCH_MS) {
            await delay(this.clock, this.backoff.next(), signal);
          } else {
            this.backoff.reset();
          }
        } catch (e) {
          if (signal.aborted) break;
          if (isExpired(e)) {
            // The server's history no longer reaches our resourceVersion: start over.
            log.info('watch expired; relisting', { resource: name, resourceVersion: this.rv, error: (e as Error).message });
            needList = true;
            if (++expiredInARow > 1) await delay(this.clock, this.backoff.next(), signal);
            continue;
          }
          // An ERROR event means the server gave up on this stream for its own reasons: what it
          // sent may be incomplete, so start over from a list (as client-go). A failed request
          // or a broken connection lost nothing: resume from the last resourceVersion.
          if (e === streamError) needList = true;
          const wait = this.backoff.next();
          log.warn(needList ? 'watch error event; relisting' : 'watch failed; re-watching', { resource: name, resourceVersion: this.rv, error: String((e as Error)?.message ?? e), retryInMs: wait });
          await delay(this.clock, wait, signal);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
