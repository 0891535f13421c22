// Cluster events as the scheduling queue sees them: the well-known events the scheduler
// emits, how an emitted event matches a plugin's registration, and the pure functions that
// turn a Node or Pod update into the specific action types (UpdateNodeLabel, UpdatePodLabel,
// ...) so that only the plugins that could care are asked whether to requeue.

import { compareQuantities } from '../../api/quantity.ts';
import type { KubeObject } from '../../api/types.ts';
import type { ActionType, ClusterEvent, EventResource } from './types.ts';

export const NodeAdd: ClusterEvent = { resource: 'Node', action: 'Add', label: 'NodeAdd' };
export const NodeDelete: ClusterEvent = { resource: 'Node', action: 'Delete', label: 'NodeDelete' };
export const AssignedPodAdd: ClusterEvent = { resource: 'AssignedPod', action: 'Add', label: 'AssignedPodAdd' };
export const AssignedPodDelete: ClusterEvent = { resource: 'AssignedPod', action: 'Delete', label: 'AssignedPodDelete' };
export const UnscheduledPodDelete: ClusterEvent = { resource: 'UnscheduledPod', action: 'Delete', label: 'UnscheduledPodDelete' };
export const NamespaceAdd: ClusterEvent = { resource: 'Namespace', action: 'Add', label: 'NamespaceAdd' };
/** Pods that sat in the unschedulable pool for too long (5 minutes) are retried. */
export const UnschedulableTimeout: ClusterEvent = { resource: 'WildCard', action: 'All', label: 'UnschedulableTimeout' };
/** Pods moved to activeQ by request (plugins' Activate, a failed preemption). */
export const ForceActivate: ClusterEvent = { resource: 'WildCard', action: 'All', label: 'ForceActivate' };

/** The event matches everything (registrations and pods alike). */
export function isWildCard(ev: ClusterEvent): boolean {
  return ev.resource === 'WildCard' && ev.action === 'All';
}

function resourceMatches(registered: EventResource, emitted: EventResource): boolean {
  if (registered === 'WildCard' || registered === emitted) return true;
  // A registration for Pod covers assigned and unscheduled pods alike.
  return registered === 'Pod' && (emitted === 'AssignedPod' || emitted === 'UnscheduledPod');
}

function actionMatches(registered: ActionType, emitted: ActionType): boolean {
  if (registered === 'All' || emitted === 'All' || registered === emitted) return true;
  // `Update` registers for every kind of update; an emitted generic `Update` ("some other
  // field changed") only matches such broad registrations.
  return registered === 'Update' && emitted.startsWith('Update');
}

/** True when a plugin that registered `registered` is interested in the emitted `event`. */
export function eventMatches(registered: ClusterEvent, event: ClusterEvent): boolean {
  if (isWildCard(event) || isWildCard(registered)) return true;
  return resourceMatches(registered.resource, event.resource) && actionMatches(registered.action, event.action);
}

function ev(resource: EventResource, action: ActionType): ClusterEvent {
  return { resource, action, label: `${resource}${action === 'Update' ? 'OtherUpdate' : action}` };
}

// ---- Node updates ---------------------------------------------------------------------------

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function sameStringMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (a === b) return true;
  const ak = a ? Object.keys(a) : [];
  const bk = b ? Object.keys(b) : [];
  if (ak.length !== bk.length) return false;
  for (const k of ak) if (a![k] !== b?.[k]) return false;
  return true;
}

function conditionStatuses(node: KubeObject): string {
  const conds: Array<{ type?: string; status?: string }> = node.status?.conditions ?? [];
  return conds
    .map((c) => `${c.type}=${c.status}`)
    .sort()
    .join(',');
}

/**
 * The scheduling-relevant changes between two versions of a Node, as one event each (in
 * upstream's order). A change to heartbeat times only yields nothing.
 */
export function nodeSchedulingPropertiesChange(newNode: KubeObject, oldNode: KubeObject): ClusterEvent[] {
  const out: ClusterEvent[] = [];
  const newUnsched = !!newNode.spec?.unschedulable;
  if (newUnsched !== !!oldNode.spec?.unschedulable && !newUnsched) out.push({ resource: 'Node', action: 'UpdateNodeTaint', label: 'NodeSpecUnschedulableChange' });
  if (!sameJson(newNode.status?.allocatable, oldNode.status?.allocatable)) out.push({ resource: 'Node', action: 'UpdateNodeAllocatable', label: 'NodeAllocatableChange' });
  if (!sameStringMap(newNode.metadata.labels, oldNode.metadata.labels)) out.push({ resource: 'Node', action: 'UpdateNodeLabel', label: 'NodeLabelChange' });
  if (!sameJson(newNode.spec?.taints, oldNode.spec?.taints)) out.push({ resource: 'Node', action: 'UpdateNodeTaint', label: 'NodeTaintChange' });
  if (conditionStatuses(newNode) !== conditionStatuses(oldNode)) out.push({ resource: 'Node', action: 'UpdateNodeCondition', label: 'NodeConditionChange' });
  if (!sameStringMap(newNode.metadata.annotations, oldNode.metadata.annotations)) out.push({ resource: 'Node', action: 'UpdateNodeAnnotation', label: 'NodeAnnotationChange' });
  return out;
}

// ---- Pod updates ----------------------------------------------------------------------------

function requestsDecreased(newPod: KubeObject, oldPod: KubeObject): boolean {
  const oldContainers: Array<{ name: string; resources?: { requests?: Record<string, string> } }> = oldPod.spec?.containers ?? [];
  const newByName = new Map<string, Record<string, string> | undefined>();
  for (const c of newPod.spec?.containers ?? []) newByName.set(c.name, c.resources?.requests);
  for (const c of oldContainers) {
    const oldReq = c.resources?.requests;
    if (!oldReq) continue;
    const newReq = newByName.get(c.name) ?? {};
    for (const [res, q] of Object.entries(oldReq)) {
      try {
        if (newReq[res] === undefined || compareQuantities(newReq[res]!, q) < 0) return true;
      } catch {
        // malformed quantities never reach a stored pod; ignore
      }
    }
  }
  return false;
}

function tolerationsAdded(newPod: KubeObject, oldPod: KubeObject): boolean {
  return !sameJson(newPod.spec?.tolerations, oldPod.spec?.tolerations);
}

/**
 * The scheduling-relevant changes between two versions of a Pod. The resource is AssignedPod
 * when the new pod is bound, UnscheduledPod otherwise. When nothing specific changed, one
 * generic `Update` event is returned (it only matches broad `Update` registrations).
 */
export function podSchedulingPropertiesChange(newPod: KubeObject, oldPod: KubeObject): ClusterEvent[] {
  const resource: EventResource = newPod.spec?.nodeName ? 'AssignedPod' : 'UnscheduledPod';
  const out: ClusterEvent[] = [];
  if (!sameStringMap(newPod.metadata.labels, oldPod.metadata.labels)) out.push(ev(resource, 'UpdatePodLabel'));
  if (requestsDecreased(newPod, oldPod)) out.push(ev(resource, 'UpdatePodScaleDown'));
  const newGates = newPod.spec?.schedulingGates?.length ?? 0;
  const oldGates = oldPod.spec?.schedulingGates?.length ?? 0;
  if (newGates === 0 && oldGates > 0) out.push(ev(resource, 'UpdatePodSchedulingGatesEliminated'));
  if (tolerationsAdded(newPod, oldPod)) out.push(ev(resource, 'UpdatePodTolerations'));
  if (out.length === 0) out.push(ev(resource, 'Update'));
  return out;
}

/**
 * True when an update to a pending pod is more than a status or bookkeeping change (what
 * upstream's isPodUpdated compares): metadata other than resourceVersion/generation/
 * managedFields, or the spec.
 */
export function isPodUpdated(oldPod: KubeObject, newPod: KubeObject): boolean {
  const strip = (p: KubeObject) => {
    const { resourceVersion: _rv, generation: _g, managedFields: _mf, ...meta } = p.metadata;
    return JSON.stringify([meta, p.spec]);
  };
  return strip(oldPod) !== strip(newPod);
}
