// The EventRecorder: what controllers, the scheduler and the agent use to leave core/v1 Events
// on objects (`kubectl describe` shows them). Like client-go's recorder, repeats of the same
// event (same object, type, reason and message from the same source) are folded into the
// existing Event by PATCHing count and lastTimestamp, here within a 10-minute window.
//
// Recording never blocks or throws: event() queues the write and returns; failures are logged
// (events are best effort). Writes for one event key are serialized so repeats count correctly.
// flush() awaits the writes queued so far (tests, shutdown).

import type { KubeObject } from '../api/types.ts';
import type { Logger } from '../base/log.ts';
import type { ApiClient, ResourceClient } from './client.ts';
import { type Clock, realClock, rfc3339 } from './clock.ts';
import { isNotFound } from './errors.ts';

export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  client: ApiClient;
  /** source.component and reportingComponent, e.g. `default-scheduler`, `replicaset-controller`, `kubelet`. */
  component: string;
  /** source.host and reportingInstance (the node name for the agent). */
  host?: string;
  clock?: Clock;
  log: Logger;
  /** Repeats within this window patch the existing Event (default 10 minutes). */
  aggregateWindowMs?: number;
  /** Event keys remembered (least recently used dropped first; default 4096, as client-go). */
  cacheSize?: number;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
  lastSeen: number;
}

const MAX_MESSAGE = 1024;

export class EventRecorder {
  private readonly o: EventRecorderOptions;
  private readonly clock: Clock;
  private readonly events: ResourceClient<KubeObject>;
  private readonly seen = new Map<string, Seen>();
  /** The tail of the write chain per event key. */
  private readonly chains = new Map<string, Promise<void>>();
  private seq = 0;

  constructor(opts: EventRecorderOptions) {
    this.o = opts;
    this.clock = opts.clock ?? realClock;
    this.events = opts.client.resource('', 'v1', 'events');
  }

  /** Record an event about `involved` (an object, or a reference with an optional fieldPath). */
  event(involved: KubeObject | ObjectReference, type: EventType, reason: string, message: string): void {
    const ref = referenceOf(involved);
    if (!ref.name) {
      this.o.log.warn('event about an object without a name dropped', { reason, message });
      return;
    }
    if (message.length > MAX_MESSAGE) message = message.slice(0, MAX_MESSAGE - 3) + '...';
    const key = JSON.stringify([this.o.component, this.o.host ?? '', ref.kind, ref.namespace ?? '', ref.name, ref.uid ?? '', ref.apiVersion ?? '', ref.fieldPath ?? '', type, reason, message]);
    const now = this.clock.now();
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev.then(() => this.write(key, ref, type, reason, message, now));
    this.chains.set(key, next);
    void next.finally(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
  }

  /** Resolves when every event recorded so far has been written (or has failed). */
  async flush(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private async write(key: string, ref: ObjectReference, type: EventType, reason: string, message: string, now: number): Promise<void> {
    const stamp = rfc3339(now);
    const seen = this.seen.get(key);
    try {
      if (seen && now - seen.lastSeen <= (this.o.aggregateWindowMs ?? 10 * 60_000)) {
        const count = seen.count + 1;
        try {
          await this.events.patch(seen.namespace, seen.name, 'merge', { count, lastTimestamp: stamp });
        } catch (e) {
          if (!isNotFound(e)) throw e;
          // The Event expired on the server (events have a TTL): write it again.
          await this.events.create(seen.namespace, this.build(seen.name, seen.namespace, ref, type, reason, message, seen.firstTimestamp, stamp, count));
        }
        this.remember(key, { ...seen, count, lastSeen: now });
        return;
      }
      const namespace = ref.namespace || 'default';
      const name = `${ref.name}.${this.uniqueSuffix(now)}`;
      await this.events.create(namespace, this.build(name, namespace, ref, type, reason, message, stamp, stamp, 1));
      this.remember(key, { name, namespace, count: 1, firstTimestamp: stamp, lastSeen: now });
    } catch (e) {
      this.o.log.warn('could not write event', { object: `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`, reason, error: String((e as Error)?.message ?? e) });
    }
  }

  private build(name: string, namespace: string, ref: ObjectReference, type: EventType, reason: string, message: string, first: string, last: string, count: number): KubeObject {
    const source: Record<string, string> = { component: this.o.component };
    if (this.o.host) source.host = this.o.host;
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: ref,
      reason,
      message,
      type,
      source,
      firstTimestamp: first,
      lastTimestamp: last,
      count,
      reportingComponent: this.o.component,
      reportingInstance: this.o.host ?? '',
    };
  }

  private remember(key: string, s: Seen): void {
    this.seen.delete(key);
    this.seen.set(key, s);
    const max = this.o.cacheSize ?? 4096;
    while (this.seen.size > max) this.seen.delete(this.seen.keys().next().value!);
  }

  /** Hex nanoseconds, as client-go names events (`<object>.<hex unix nanos>`), unique per recorder. */
  private uniqueSuffix(now: number): string {
    this.seq = (this.seq + 1) % 1_000_000;
    return (BigInt(now) * 1_000_000n + BigInt(this.seq)).toString(16);
  }
}

/** An ObjectReference to `obj` (or `obj` itself when it already is one). */
export function referenceOf(obj: KubeObject | ObjectReference): ObjectReference {
  if (!('metadata' in obj) || !obj.metadata) return { ...(obj as ObjectReference) };
  const o = obj as KubeObject;
  const ref: ObjectReference = { kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name, uid: o.metadata.uid, apiVersion: o.apiVersion, resourceVersion: o.metadata.resourceVersion };
  for (const k of Object.keys(ref) as (keyof ObjectReference)[]) if (ref[k] === undefined) delete ref[k];
  return ref;
}
