// Defaulting of the remaining groups: autoscaling (HPA v1/v2), scheduling.k8s.io PriorityClass,
// storage.k8s.io StorageClass, rbac.authorization.k8s.io bindings, discovery.k8s.io EndpointSlice.

import type { KubeObject } from '../types.ts';

type Obj = Record<string, any>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const unset = (v: unknown): boolean => v === undefined || v === null;

export function defaultHPAv1(obj: KubeObject): void {
  if (!isObj(obj.spec)) obj.spec = {};
  if (unset(obj.spec.minReplicas)) obj.spec.minReplicas = 1;
}

const DEFAULT_SCALE_UP = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};
const DEFAULT_SCALE_DOWN = {
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

function defaultRules(rules: unknown, defaults: typeof DEFAULT_SCALE_UP): Obj {
  const r: Obj = isObj(rules) ? rules : {};
  if (unset(r.stabilizationWindowSeconds)) r.stabilizationWindowSeconds = defaults.stabilizationWindowSeconds;
  if (!r.selectPolicy) r.selectPolicy = defaults.selectPolicy;
  if (!Array.isArray(r.policies) || r.policies.length === 0) r.policies = defaults.policies.map((p) => ({ ...p }));
  return r;
}

/** autoscaling/v2 SetDefaults_HorizontalPodAutoscaler: minReplicas 1, CPU at 80% when no
 *  metrics are given, and behavior rules completed when a behavior is given. */
export function defaultHPAv2(obj: KubeObject): void {
  if (!isObj(obj.spec)) obj.spec = {};
  const s = obj.spec;
  if (unset(s.minReplicas)) s.minReplicas = 1;
  if (!Array.isArray(s.metrics) || s.metrics.length === 0) {
    s.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  }
  if (isObj(s.behavior)) {
    s.behavior.scaleUp = defaultRules(s.behavior.scaleUp, DEFAULT_SCALE_UP);
    s.behavior.scaleDown = defaultRules(s.behavior.scaleDown, DEFAULT_SCALE_DOWN);
  }
}

export function defaultPriorityClass(obj: KubeObject): void {
  if (!obj.preemptionPolicy) obj.preemptionPolicy = 'PreemptLowerPriority';
}

export function defaultStorageClass(obj: KubeObject): void {
  if (!obj.reclaimPolicy) obj.reclaimPolicy = 'Delete';
  if (!obj.volumeBindingMode) obj.volumeBindingMode = 'Immediate';
}

/** SetDefaults_Subject: apiGroup '' for ServiceAccounts, rbac.authorization.k8s.io for users and groups. */
export function defaultRoleBinding(obj: KubeObject): void {
  if (!Array.isArray(obj.subjects)) return;
  for (const s of obj.subjects) {
    if (!isObj(s) || s.apiGroup) continue;
    // ServiceAccounts default to the core group '', which serializes as absent.
    if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = 'rbac.authorization.k8s.io';
  }
}

export function defaultEndpointSlice(obj: KubeObject): void {
  if (!Array.isArray(obj.ports)) return;
  for (const p of obj.ports) {
    if (!isObj(p)) continue;
    if (unset(p.name)) p.name = '';
    if (unset(p.protocol)) p.protocol = 'TCP';
  }
}
