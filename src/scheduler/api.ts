// The scheduler's writes to the API, behind one small interface: bind a pod, patch a pod's
// status (the PodScheduled/DisruptionTarget conditions and nominatedNodeName), delete a
// preemption victim, and record an event. The scheduling loop and preemption call only this,
// so tests substitute a recording fake; clientApi() implements it over the REST client.

import type { KubeObject } from '../api/types.ts';
import type { ApiClient } from '../client/client.ts';
import type { Logger } from '../base/log.ts';
import type { Clock } from '../client/clock.ts';
import { EventRecorder, type ObjectReference } from '../client/events.ts';

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
  /** Resolves when the events recorded so far are written (shutdown, tests). */
  flush?(): Promise<void>;
}

function isNotFound(e: unknown): boolean {
  return (e as { httpCode?: number })?.httpCode === 404;
}

export interface ClientApiOptions {
  client: ApiClient;
  clock: Clock;
  log: Logger;
  /** The component events are reported by (the profile's scheduler name). */
  component?: string;
  /** The scheduler's identity (source.host / reportingInstance). */
  instance?: string;
  /** Use this recorder instead of making one. */
  recorder?: EventRecorder;
}

/** A pod reference for events (informer objects may lack apiVersion/kind). */
function podRef(pod: KubeObject): ObjectReference {
  const ref: ObjectReference = { apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name };
  if (pod.metadata.uid) ref.uid = pod.metadata.uid;
  if (pod.metadata.resourceVersion) ref.resourceVersion = pod.metadata.resourceVersion;
  return ref;
}

/**
 * SchedulerApi over the REST client: pods/binding, strategic-merge status patches, and
 * core/v1 Events through the client's aggregating EventRecorder (repeats of one
 * FailedScheduling message become a count, as `kubectl describe` shows them).
 */
export function clientApi(opts: ClientApiOptions): SchedulerApi & { flush(): Promise<void> } {
  const pods = opts.client.resource('', 'v1', 'pods');
  const recorder =
    opts.recorder ??
    new EventRecorder({ client: opts.client, component: opts.component ?? 'default-scheduler', ...(opts.instance ? { host: opts.instance } : {}), clock: opts.clock, log: opts.log });
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
      recorder.event(podRef(e.regarding), e.type, e.reason, e.note);
    },
    flush: () => recorder.flush(),
  };
}
