// DefaultBinder: binds the pod to the chosen node through the pods/binding subresource (the
// injected bind() performs the API call). A failed call is an Error status, so the framework
// un-assumes the pod and retries it.

import type { KubeObject } from '../../api/types.ts';
import type { BindPlugin, CycleState, PodInfo } from '../framework/types.ts';
import { Status } from '../framework/types.ts';

export const DEFAULT_BINDER = 'DefaultBinder';

export interface DefaultBinderDeps {
  /** POST pods/<name>/binding with target node `nodeName`; rejects on failure. */
  bind(pod: KubeObject, nodeName: string): Promise<void>;
}

/** The v1.Binding object upstream posts for a pod. */
export function bindingFor(pod: KubeObject, nodeName: string): KubeObject {
  const metadata: Record<string, unknown> = { name: pod.metadata.name, namespace: pod.metadata.namespace };
  if (pod.metadata.uid) metadata.uid = pod.metadata.uid;
  return { apiVersion: 'v1', kind: 'Binding', metadata: metadata as KubeObject['metadata'], target: { kind: 'Node', name: nodeName } };
}

export class DefaultBinder implements BindPlugin {
  readonly name = DEFAULT_BINDER;
  private readonly deps: DefaultBinderDeps;

  constructor(deps: DefaultBinderDeps) {
    this.deps = deps;
  }

  async bind(_state: CycleState, pod: PodInfo, nodeName: string): Promise<Status> {
    try {
      await this.deps.bind(pod.pod, nodeName);
      return Status.success();
    } catch (err) {
      return Status.error(err instanceof Error ? err : String(err));
    }
  }
}

export function newDefaultBinder(deps: DefaultBinderDeps): DefaultBinder {
  return new DefaultBinder(deps);
}
