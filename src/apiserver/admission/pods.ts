// Pod admission plugins as upstream enables them by default:
// - Priority: spec.priority and preemptionPolicy from spec.priorityClassName, or from the
//   globalDefault PriorityClass when none is named, else priority 0 and PreemptLowerPriority.
// - DefaultTolerationSeconds: tolerate node not-ready/unreachable NoExecute taints for 300 s.
// - ServiceAccount: spec.serviceAccountName defaults to "default" (token volumes come later).

import { ApiError } from '../../base/errors.ts';
import type { KubeObject, ResourceDef } from '../../api/types.ts';
import type { AdmissionLookup, AdmissionPlugin } from './admission.ts';

const isPod = (def: ResourceDef) => def.group === '' && def.kind === 'Pod';

function forbidden(pod: KubeObject, why: string): ApiError {
  return new ApiError(403, 'Forbidden', `pods "${pod.metadata.name ?? ''}" is forbidden: ${why}`, { name: pod.metadata.name, kind: 'pods' });
}

/** The PriorityClasses every cluster has (created at first start). */
export const SYSTEM_PRIORITY_CLASSES = [
  { name: 'system-node-critical', value: 2000001000, description: 'Used for system critical pods that must not be moved from their current node.' },
  { name: 'system-cluster-critical', value: 2000000000, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
];

export const priorityAdmission: AdmissionPlugin = {
  name: 'Priority',
  handles: isPod,
  async admitCreate(pod: KubeObject, lookup: AdmissionLookup): Promise<void> {
    const spec = (pod.spec ??= {});
    const className: string | undefined = spec.priorityClassName || undefined;
    let pc: KubeObject | undefined;
    if (className) {
      pc = lookup.get('scheduling.k8s.io', 'priorityclasses', undefined, className);
      if (!pc) throw forbidden(pod, `no PriorityClass with name ${className} was found`);
    } else {
      pc = (await lookup.list('scheduling.k8s.io', 'priorityclasses')).find((c) => c.globalDefault === true);
      if (pc) spec.priorityClassName = pc.metadata.name;
    }
    const value = pc ? (pc.value as number) : 0; // no class and no default class: 0
    if (spec.priority !== undefined && spec.priority !== null && spec.priority !== value) {
      throw forbidden(pod, `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`);
    }
    spec.priority = value;
    spec.preemptionPolicy = pc?.preemptionPolicy ?? spec.preemptionPolicy ?? 'PreemptLowerPriority';
  },
};

const NOT_READY = 'node.kubernetes.io/not-ready';
const UNREACHABLE = 'node.kubernetes.io/unreachable';

export const defaultTolerationSecondsAdmission: AdmissionPlugin = {
  name: 'DefaultTolerationSeconds',
  handles: isPod,
  admitCreate(pod: KubeObject): void {
    const spec = (pod.spec ??= {});
    const tolerations: any[] = Array.isArray(spec.tolerations) ? spec.tolerations : [];
    const tolerates = (key: string) =>
      tolerations.some((t) => (t.operator === 'Exists' && !t.key) || (t.key === key && (t.effect === 'NoExecute' || !t.effect)));
    const add: any[] = [];
    for (const key of [NOT_READY, UNREACHABLE]) {
      if (!tolerates(key)) add.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
    }
    if (add.length) spec.tolerations = [...tolerations, ...add];
  },
};

export const serviceAccountAdmission: AdmissionPlugin = {
  name: 'ServiceAccount',
  handles: isPod,
  admitCreate(pod: KubeObject): void {
    const spec = (pod.spec ??= {});
    if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
    spec.serviceAccount = spec.serviceAccountName;
  },
};

export const DEFAULT_ADMISSION: AdmissionPlugin[] = [serviceAccountAdmission, priorityAdmission, defaultTolerationSecondsAdmission];
