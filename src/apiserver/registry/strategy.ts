// Per-kind write rules of the generic registry (upstream's RESTCreateStrategy/RESTUpdateStrategy):
// what a create resets, what an update may change, when generation moves, and how long a
// delete waits. Pure functions over plain objects; the registry (store.ts) executes them.

import type { KubeObject, ResourceDef } from '../../api/types.ts';
import { preserveServiceAllocations } from '../../api/defaults/core.ts';

/** Kinds whose metadata.generation tracks spec changes (the others carry no generation). */
const GENERATION_KINDS = new Set([
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'ReplicationController',
  'Job',
  'CronJob',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
]);

/** Kinds whose status the client may set on create (the node agent registers Nodes with status). */
const STATUS_KEPT_ON_CREATE = new Set(['Node', 'Event']);

export function tracksGeneration(def: ResourceDef): boolean {
  return GENERATION_KINDS.has(def.kind);
}

/** Everything of an object except metadata and status: what a generation bump compares. */
function specPart(obj: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return JSON.stringify(rest);
}

export function specChanged(a: KubeObject, b: KubeObject): boolean {
  return specPart(a) !== specPart(b);
}

/** The Pod QoS class (Guaranteed / Burstable / BestEffort) from container requests and limits. */
export function podQosClass(pod: KubeObject): string {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      if (req[r] !== undefined || lim[r] !== undefined) any = true;
      const request = req[r] ?? lim[r];
      if (lim[r] === undefined || String(request) !== String(lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** Reset what a create may not set (status, mostly) and start the generation. */
export function prepareForCreate(def: ResourceDef, obj: KubeObject): void {
  if (tracksGeneration(def)) obj.metadata.generation = 1;
  else delete obj.metadata.generation;
  if (!def.hasStatus || STATUS_KEPT_ON_CREATE.has(def.kind)) return;
  switch (def.kind) {
    case 'Pod':
      obj.status = { phase: 'Pending', qosClass: podQosClass(obj) };
      if ((obj.spec?.schedulingGates ?? []).length > 0) {
        obj.status.conditions = [
          { type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates', lastProbeTime: null, lastTransitionTime: obj.metadata.creationTimestamp ?? null },
        ];
      }
      break;
    case 'Namespace':
      obj.status = { phase: 'Active' };
      break;
    case 'Service':
      obj.status = { loadBalancer: {} };
      break;
    case 'PersistentVolumeClaim':
    case 'PersistentVolume':
      obj.status = { phase: 'Pending' };
      break;
    default:
      obj.status = {};
  }
}

/**
 * Merge an incoming update with the stored object.
 * - main resource: status and immutable metadata come from `old`; generation bumps on spec change.
 * - status subresource: only status comes from `next`.
 */
export function prepareForUpdate(def: ResourceDef, next: KubeObject, old: KubeObject, subresource?: string): KubeObject {
  let out: KubeObject;
  if (subresource === 'status') {
    out = { ...old, status: next.status };
    out.metadata = { ...old.metadata };
    // a status apply carries its managedFields result; other status writes start from old's
    if (next.metadata?.managedFields !== undefined) out.metadata.managedFields = next.metadata.managedFields;
  } else if (subresource === 'binding') {
    // The binding subresource sets spec.nodeName and the PodScheduled condition only.
    out = { ...old, spec: { ...old.spec, nodeName: next.spec?.nodeName }, status: next.status };
    out.metadata = { ...old.metadata };
  } else if (subresource === 'finalize') {
    // namespaces/<ns>/finalize changes only spec.finalizers.
    out = { ...old, spec: { ...old.spec, finalizers: next.spec?.finalizers ?? [] } };
    out.metadata = { ...old.metadata };
  } else {
    out = { ...next };
    if (def.hasStatus && old.status !== undefined) out.status = old.status;
    else if (def.hasStatus) delete out.status;
    out.metadata = { ...next.metadata };
  }
  if (def.kind === 'Service' && def.group === '' && subresource === undefined) preserveServiceAllocations(out, old);
  const m = out.metadata;
  m.uid = old.metadata.uid;
  m.creationTimestamp = old.metadata.creationTimestamp;
  m.name = old.metadata.name;
  if (old.metadata.namespace !== undefined) m.namespace = old.metadata.namespace;
  else delete m.namespace;
  if (old.metadata.deletionTimestamp !== undefined) {
    m.deletionTimestamp = old.metadata.deletionTimestamp;
    m.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
  } else {
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
  }
  if (old.metadata.generateName !== undefined && m.generateName === undefined) m.generateName = old.metadata.generateName;
  if (tracksGeneration(def)) {
    const gen = old.metadata.generation ?? 1;
    m.generation = subresource === undefined && specChanged(out, old) ? gen + 1 : gen;
  } else {
    delete m.generation;
  }
  return out;
}

/**
 * Grace period of a delete, in seconds (0 = remove now). Only pods wait for their node:
 * an unscheduled or finished pod goes at once; otherwise DeleteOptions, then the pod's own.
 */
export function deleteGracePeriod(def: ResourceDef, obj: KubeObject, requested: number | undefined): number {
  if (def.kind !== 'Pod' || def.group !== '') return 0;
  if (!obj.spec?.nodeName) return 0;
  const phase = obj.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return 0;
  const g = requested ?? obj.spec?.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, g);
}
