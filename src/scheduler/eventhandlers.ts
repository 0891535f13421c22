// Informer events → the scheduler's cache and queue (upstream eventhandlers.go):
//
//   assigned, non-terminal pods ──► cache (add/update/remove) + AssignedPod events to the queue
//   pending pods of our profiles ──► queue (add/update/delete)
//   nodes ──► cache + NodeAdd / UpdateNode* / NodeDelete events
//   namespaces ──► cache (labels for namespaceSelector) + Namespace events
//   PVCs, PVs, StorageClasses ──► their Add/Update events (VolumeBinding)
//
// A pod moving from pending to bound leaves the queue and enters the cache; a pod turning
// Succeeded/Failed leaves the cache (its resources are free). Pods get their priority resolved
// (PriorityClass) before they go anywhere.

import type { KubeObject } from '../api/types.ts';
import type { EventHandlers } from '../client/informer.ts';
import type { SchedulerCache } from './framework/cache.ts';
import { AssignedPodAdd, AssignedPodDelete, NodeAdd, NodeDelete, NamespaceAdd, nodeSchedulingPropertiesChange, podSchedulingPropertiesChange } from './framework/events.ts';
import { newPodInfo } from './framework/podinfo.ts';
import type { PriorityResolver } from './framework/priority.ts';
import type { SchedulingQueue } from './framework/queue.ts';
import type { Framework } from './framework/runtime.ts';
import type { ClusterEvent, EventResource, PodInfo } from './framework/types.ts';

/** Something informers can deliver events to. */
export interface HandlerTarget {
  addEventHandler(h: EventHandlers<KubeObject>): () => void;
}

export interface EventHandlerDeps {
  cache: SchedulerCache;
  queue: SchedulingQueue;
  profiles: ReadonlyMap<string, Framework>;
  resolver: PriorityResolver;
}

function assigned(pod: KubeObject): boolean {
  return !!pod.spec?.nodeName;
}

function terminal(pod: KubeObject): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** The pod's PodInfo with its priority resolved. */
export function podInfoFor(resolver: PriorityResolver, pod: KubeObject): PodInfo {
  return newPodInfo(resolver.resolve(pod));
}

/** Handlers for the pod informer. */
export function podEventHandlers(d: EventHandlerDeps): EventHandlers<KubeObject> {
  const { cache, queue, profiles, resolver } = d;
  const ours = (pod: KubeObject) => profiles.has(pod.spec?.schedulerName ?? 'default-scheduler');
  const inCache = (pod: KubeObject) => assigned(pod) && !terminal(pod);
  const inQueue = (pod: KubeObject) => !assigned(pod) && !terminal(pod) && ours(pod);

  const cacheAdd = (pod: KubeObject) => {
    const r = resolver.resolve(pod);
    cache.addPod(r, newPodInfo(r));
    queue.moveAllToActiveOrBackoff(AssignedPodAdd, undefined, r);
  };
  const cacheRemove = (pod: KubeObject) => {
    cache.removePod(pod);
    queue.moveAllToActiveOrBackoff(AssignedPodDelete, pod, undefined);
  };

  return {
    onAdd(pod) {
      if (inCache(pod)) cacheAdd(pod);
      else if (inQueue(pod)) queue.add(podInfoFor(resolver, pod));
    },
    onUpdate(oldPod, newPod) {
      const wasCached = inCache(oldPod);
      const isCached = inCache(newPod);
      if (wasCached && isCached) {
        const r = resolver.resolve(newPod);
        cache.updatePod(oldPod, r, newPodInfo(r));
        for (const ev of podSchedulingPropertiesChange(r, oldPod)) queue.moveAllToActiveOrBackoff(ev, oldPod, r);
      } else if (wasCached) cacheRemove(oldPod);
      else if (isCached) cacheAdd(newPod);

      const wasQueued = inQueue(oldPod);
      const isQueued = inQueue(newPod);
      if (wasQueued && isQueued) {
        if (oldPod.metadata.resourceVersion === newPod.metadata.resourceVersion) return;
        queue.update(oldPod, podInfoFor(resolver, newPod));
      } else if (wasQueued) queue.delete(oldPod);
      else if (isQueued) queue.add(podInfoFor(resolver, newPod));
    },
    onDelete(pod) {
      if (inCache(pod)) cacheRemove(pod);
      else if (assigned(pod)) cache.removePod(pod);
      else if (ours(pod)) {
        queue.delete(pod);
        for (const fw of profiles.values()) fw.rejectWaitingPod(pod.metadata.uid ?? '', '', 'pod deleted');
        // An assumed pod that was waiting (Permit) or binding is forgotten by its binding cycle.
      }
    },
  };
}

/** Handlers for the node informer. */
export function nodeEventHandlers(d: Pick<EventHandlerDeps, 'cache' | 'queue'>): EventHandlers<KubeObject> {
  const { cache, queue } = d;
  return {
    onAdd(node) {
      cache.addNode(node);
      queue.moveAllToActiveOrBackoff(NodeAdd, undefined, node);
    },
    onUpdate(oldNode, newNode) {
      cache.updateNode(oldNode, newNode);
      for (const ev of nodeSchedulingPropertiesChange(newNode, oldNode)) queue.moveAllToActiveOrBackoff(ev, oldNode, newNode);
    },
    onDelete(node) {
      cache.removeNode(node);
      queue.moveAllToActiveOrBackoff(NodeDelete, node, undefined);
    },
  };
}

/** Handlers for the namespace informer. */
export function namespaceEventHandlers(d: Pick<EventHandlerDeps, 'cache' | 'queue'>): EventHandlers<KubeObject> {
  const { cache, queue } = d;
  return {
    onAdd(ns) {
      cache.setNamespace(ns);
      queue.moveAllToActiveOrBackoff(NamespaceAdd, undefined, ns);
    },
    onUpdate(oldNs, newNs) {
      cache.setNamespace(newNs);
      if (JSON.stringify(oldNs.metadata.labels ?? {}) !== JSON.stringify(newNs.metadata.labels ?? {})) {
        queue.moveAllToActiveOrBackoff({ resource: 'Namespace', action: 'Update', label: 'NamespaceUpdate' }, oldNs, newNs);
      }
    },
    onDelete(ns) {
      cache.removeNamespace(ns);
    },
  };
}

/**
 * Handlers that only turn changes of another resource into queue events (PersistentVolumeClaim,
 * PersistentVolume, StorageClass: VolumeBinding waits on them).
 */
export function resourceEventHandlers(queue: SchedulingQueue, resource: EventResource): EventHandlers<KubeObject> {
  const add: ClusterEvent = { resource, action: 'Add', label: `${resource}Add` };
  const update: ClusterEvent = { resource, action: 'Update', label: `${resource}Update` };
  return {
    onAdd: (obj) => queue.moveAllToActiveOrBackoff(add, undefined, obj),
    onUpdate: (oldObj, newObj) => queue.moveAllToActiveOrBackoff(update, oldObj, newObj),
  };
}
