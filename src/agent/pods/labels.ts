// The metadata the agent stamps on sandboxes and containers (as the kubelet's
// io.kubernetes.* labels) and reads back after a relist or an agent restart: which pod and
// container an instance belongs to and the hash of the container spec it was created from.

import { createHash } from 'node:crypto';
import type { KubeObject } from '../../api/types.ts';

export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
export const LABEL_CONTAINER_HASH = 'io.kubernetes.container.hash';
/** 'init' or 'regular' */
export const LABEL_CONTAINER_TYPE = 'io.kubernetes.container.type';
export const ANNOTATION_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const ANNOTATION_TERMINATION_MESSAGE_PATH = 'io.kubernetes.container.terminationMessagePath';
export const ANNOTATION_TERMINATION_MESSAGE_POLICY = 'io.kubernetes.container.terminationMessagePolicy';

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const keys = Object.keys(v as object).filter((k) => (v as any)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((v as any)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * Hash of a container spec: a change of it means the running instance must be replaced.
 * Resources are left out (as upstream, which resizes in place rather than restarting).
 */
export function containerHash(container: Record<string, unknown>): string {
  const { resources: _r, ...rest } = container as any;
  return createHash('sha256').update(canonical(rest)).digest('hex').slice(0, 16);
}

/** "name_namespace(uid)" — the pod as kubelet messages name it. */
export function podDescription(pod: KubeObject): string {
  return `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
}

/** Key of a container's restart back-off (pod, container and spec hash, as the kubelet's stable key). */
export function containerBackoffKey(pod: KubeObject, container: Record<string, unknown>): string {
  return `${pod.metadata.uid}/${pod.metadata.name}_${pod.metadata.namespace}_${String(container.name)}_${containerHash(container)}`;
}
