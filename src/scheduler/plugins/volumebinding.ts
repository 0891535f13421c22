// VolumeBinding (placeholder until the storage issue brings full binding): the hook points of
// upstream's plugin — PreFilter, Filter, Reserve/Unreserve, PreBind — wired so that pods without
// PersistentVolumeClaims pass untouched (PreFilter says Skip) and pods whose claims are missing,
// being deleted or not yet bound are held with upstream's messages. Bound claims pass; there is
// no node-affinity check of the bound volumes and no dynamic provisioning yet.

import type { KubeObject } from '../../api/types.ts';
import type {
  ClusterEventWithHint,
  CycleState,
  EnqueueExtensions,
  FilterPlugin,
  NodeInfo,
  PodInfo,
  PreBindPlugin,
  PreFilterPlugin,
  PreFilterResult,
  ReservePlugin,
  Snapshot,
} from '../framework/types.ts';
import { Status } from '../framework/types.ts';
import { events } from './helpers.ts';

export const VOLUME_BINDING = 'VolumeBinding';
export const ERR_REASON_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';

export interface VolumeBindingDeps {
  /** A PersistentVolumeClaim from the informer cache, or undefined. */
  getPVC?(namespace: string, name: string): KubeObject | undefined;
}

/** The claim names a pod's volumes refer to (generic ephemeral volumes are "<pod>-<volume>"),
 *  with whether each is an ephemeral volume's claim. */
export function podClaimNames(pod: KubeObject): { name: string; ephemeral: boolean }[] {
  const out: { name: string; ephemeral: boolean }[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    if (v?.persistentVolumeClaim?.claimName) out.push({ name: String(v.persistentVolumeClaim.claimName), ephemeral: false });
    else if (v?.ephemeral) out.push({ name: `${pod.metadata.name}-${v.name}`, ephemeral: true });
  }
  return out;
}

/** Why the pod's claims keep it from scheduling now, or undefined when they are all bound. */
export function claimsProblem(pod: KubeObject, getPVC: (ns: string, name: string) => KubeObject | undefined): Status | undefined {
  const ns = pod.metadata.namespace ?? 'default';
  let unbound = false;
  for (const c of podClaimNames(pod)) {
    const pvc = getPVC(ns, c.name);
    if (!pvc) {
      return Status.unresolvable(
        c.ephemeral ? `waiting for ephemeral volume controller to create the persistentvolumeclaim "${c.name}"` : `persistentvolumeclaim "${c.name}" not found`,
      );
    }
    if (pvc.metadata.deletionTimestamp) return Status.unresolvable(`persistentvolumeclaim "${c.name}" is being deleted`);
    if (c.ephemeral && !(pvc.metadata.ownerReferences ?? []).some((r: any) => r?.controller === true && r?.uid === pod.metadata.uid)) {
      return Status.unresolvable(`PVC ${ns}/${c.name} was not created for pod ${ns}/${pod.metadata.name} (pod is not owner)`);
    }
    if (!pvc.spec?.volumeName) unbound = true;
  }
  return unbound ? Status.unresolvable(ERR_REASON_UNBOUND_IMMEDIATE) : undefined;
}

export class VolumeBinding implements PreFilterPlugin, FilterPlugin, ReservePlugin, PreBindPlugin, EnqueueExtensions {
  readonly name = VOLUME_BINDING;
  private readonly deps: VolumeBindingDeps;

  constructor(deps: VolumeBindingDeps = {}) {
    this.deps = deps;
  }

  preFilter(_state: CycleState, pod: PodInfo, _snapshot: Snapshot): { result?: PreFilterResult; status: Status } {
    if (podClaimNames(pod.pod).length === 0) return { status: Status.skip() };
    const problem = claimsProblem(pod.pod, (ns, name) => this.deps.getPVC?.(ns, name));
    return { status: problem ?? Status.success() };
  }

  filter(_state: CycleState, _pod: PodInfo, _node: NodeInfo): Status {
    // Bound claims fit every node until volume node affinity arrives with the storage issue.
    return Status.success();
  }

  reserve(_state: CycleState, _pod: PodInfo, _nodeName: string): Status {
    return Status.success();
  }

  unreserve(_state: CycleState, _pod: PodInfo, _nodeName: string): void {}

  async preBind(_state: CycleState, _pod: PodInfo, _nodeName: string): Promise<Status> {
    return Status.success();
  }

  eventsToRegister(): ClusterEventWithHint[] {
    return [
      ...events('PersistentVolumeClaim', ['Add', 'Update']),
      ...events('PersistentVolume', ['Add', 'Update']),
      ...events('StorageClass', ['Add', 'Update']),
      ...events('Node', ['Add', 'UpdateNodeLabel', 'UpdateNodeTaint']),
    ];
  }
}

export function newVolumeBinding(deps: VolumeBindingDeps = {}): VolumeBinding {
  return new VolumeBinding(deps);
}
