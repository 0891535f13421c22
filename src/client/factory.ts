// SharedInformerFactory: one informer per (resource, namespace, selectors), shared by every
// controller that asks for it, so a process lists and watches each resource once. Controllers
// ask for their informers (and register handlers) while they are built; the factory then
// starts them all and waits for their caches.

import type { KubeObject } from '../api/types.ts';
import type { Logger } from '../base/log.ts';
import type { ApiClient } from './client.ts';
import type { Clock } from './clock.ts';
import { SharedInformer } from './informer.ts';
import { listWatchFor } from './reflector.ts';

export interface InformerFactoryOptions {
  client: ApiClient;
  log: Logger;
  clock?: Clock;
  /** Default resync period for informers this factory makes (0: none). */
  resyncMs?: number;
  /** Deep-freeze cached objects (tests). */
  freeze?: boolean;
  /** Applied to every object entering any of this factory's informers (client-go's WithTransform), e.g. stripManagedFields. */
  transform?: (obj: KubeObject) => KubeObject;
  pageSize?: number;
}

/** A transform that drops metadata.managedFields, which only server-side apply reads (client-go's TransformStripManagedFields). */
export function stripManagedFields(obj: KubeObject): KubeObject {
  if (obj.metadata?.managedFields === undefined) return obj;
  // A fresh metadata object rather than `delete`: deleting a property turns an object into a
  // slow dictionary, and plugins read metadata (labels, namespace) in their inner loops.
  const { managedFields: _dropped, ...metadata } = obj.metadata;
  obj.metadata = metadata;
  return obj;
}

export interface InformerScope {
  /** One namespace; all namespaces when omitted. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * Contract: informer() returns the same instance for the same resource and scope. start()
 * runs every informer not yet running (call it again after asking for more); they stop when
 * start's signal aborts. shutdown() resolves once every started informer has stopped.
 */
export class SharedInformerFactory {
  private readonly opts: InformerFactoryOptions;
  private readonly informers = new Map<string, SharedInformer<KubeObject>>();
  private readonly runs = new Map<string, Promise<void>>();

  constructor(opts: InformerFactoryOptions) {
    this.opts = opts;
  }

  informer<T extends KubeObject = KubeObject>(group: string, version: string, plural: string, scope: InformerScope = {}): SharedInformer<T> {
    const key = JSON.stringify([group, version, plural, scope.namespace ?? '', scope.labelSelector ?? '', scope.fieldSelector ?? '']);
    let inf = this.informers.get(key);
    if (!inf) {
      const name = group ? `${plural}.${group}` : plural;
      inf = new SharedInformer<KubeObject>({
        name,
        listWatch: listWatchFor(this.opts.client.resource(group, version, plural), scope),
        log: this.opts.log.child(`informer/${name}`),
        clock: this.opts.clock,
        resyncMs: this.opts.resyncMs,
        freeze: this.opts.freeze,
        transform: this.opts.transform,
        pageSize: this.opts.pageSize,
      });
      this.informers.set(key, inf);
    }
    return inf as unknown as SharedInformer<T>;
  }

  /** Run every informer not started yet, until `signal` aborts. */
  start(signal: AbortSignal): void {
    for (const [key, inf] of this.informers) {
      if (this.runs.has(key)) continue;
      this.runs.set(
        key,
        inf.run(signal).catch((e) => this.opts.log.error('informer stopped with an error', { informer: inf.name, error: String(e) })),
      );
    }
  }

  /** Resolves true when every started informer has synced, false if `signal` aborts first. */
  async waitForCacheSync(signal?: AbortSignal): Promise<boolean> {
    const started = [...this.informers].filter(([k]) => this.runs.has(k)).map(([, inf]) => inf);
    const results = await Promise.all(started.map((inf) => inf.whenSynced(signal)));
    return results.every(Boolean);
  }

  /** Wait for every started informer to stop (abort start's signal first). */
  async shutdown(): Promise<void> {
    await Promise.all(this.runs.values());
  }
}
