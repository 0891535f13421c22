// The scheduler's writes to the API, behind one small interface: bind a pod, patch a pod's
// status (the PodScheduled/DisruptionTarget conditions and nominatedNodeName), delete a
// preemption victim, and record an event. The scheduling loop and preemption call only this,
// so tests substitute a recording fake; clientApi() implements it over the REST client.

import type { KubeObject } from '../api/types.ts';
import type { ApiClient } from '../client/client.ts';
import type { Clock } from '../client/clock.ts';
import { rfc3339Micro } from '../client/clock.ts';
import type { Logger } from '../base/log.ts';

export interface PodCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastProbeTime?: string | null;
}

/** A status change: conditions are merged by type; nominatedNodeName null/'' clears it. */
export interface PodStatusPatch {
  conditions?: PodCondition[];
  nominatedNodeName?: string | null;
}

export interface SchedulerEvent {
  regarding: KubeObject;
  related?: KubeObject;
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
}

/**
 * Contract: every method may be called concurrently. bind/patch/delete reject with the API
 * error (deletePod and patchPodStatus treat NotFound as done); recordEvent never throws and
 * never blocks (events are best effort).
 */
export interface SchedulerApi {
  bind(pod: KubeObject, nodeName: string): Promise<void>;
  patchPodStatus(pod: KubeObject, patch: PodStatusPatch): Promise<void>;
  deletePod(pod: KubeObject): Promise<void>;
  recordEvent(e: SchedulerEvent): void;
}

function isNotFound(e: unknown): boolean {
  return (e as { httpCode?: number })?.httpCode === 404;
}

export interface ClientApiOptions {
  client: ApiClient;
  clock: Clock;
  log: Logger;
  /** reportingController of events (the profile's scheduler name). */
  component?: string;
  /** reportingInstance (the scheduler's identity). */
  instance?: string;
}

/** SchedulerApi over the REST client: pods/binding, strategic-merge status patches, events.k8s.io/v1 events. */
export function clientApi(opts: ClientApiOptions): SchedulerApi {
  const pods = opts.client.resource('', 'v1', 'pods');
  const events = opts.client.resource('events.k8s.io', 'v1', 'events');
  const component = opts.component ?? 'default-scheduler';
  const instance = opts.instance ?? component;
  let seq = 0;
  return {
    async bind(pod, nodeName) {
      await pods.bind(pod.metadata.namespace ?? 'default', pod.metadata.name ?? '', nodeName);
    },
    async patchPodStatus(pod, patch) {
      const status: Record<string, unknown> = {};
      if (patch.conditions) status.conditions = patch.conditions;
      if (patch.nominatedNodeName !== undefined) status.nominatedNodeName = patch.nominatedNodeName || null;
      const body: Record<string, unknown> = { status };
      if (pod.metadata.uid) body.metadata = { uid: pod.metadata.uid };
      try {
        await pods.patch(pod.metadata.namespace ?? 'default', pod.metadata.name ?? '', 'strategic', body, { subresource: 'status' });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },
    async deletePod(pod) {
      try {
        await pods.delete(pod.metadata.namespace ?? 'default', pod.metadata.name ?? '', pod.metadata.uid ? { preconditions: { uid: pod.metadata.uid } } : {});
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },
    recordEvent(e) {
      const now = opts.clock.now();
      const ns = e.regarding.metadata.namespace || 'default';
      const ref = (o: KubeObject) => ({ apiVersion: o.apiVersion ?? 'v1', kind: o.kind ?? 'Pod', namespace: o.metadata.namespace, name: o.metadata.name, uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion });
      const ev = {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name: `${e.regarding.metadata.name}.${now.toString(16)}${(++seq).toString(16)}`, namespace: ns },
        eventTime: rfc3339Micro(now),
        reportingController: component,
        reportingInstance: instance,
        action: e.action,
        reason: e.reason,
        regarding: ref(e.regarding),
        ...(e.related ? { related: ref(e.related) } : {}),
        note: e.note,
        type: e.type,
      };
      events.create(ns, ev).catch((err: Error) => opts.log.debug('event not recorded', { reason: e.reason, error: err.message }));
    },
  };
}

