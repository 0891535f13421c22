// Validation of the remaining groups: autoscaling HPAs (v1 and v2), policy PodDisruptionBudgets,
// RBAC roles and bindings, coordination Leases, scheduling PriorityClasses, storage
// StorageClasses, discovery EndpointSlices and events.k8s.io Events.

import type { KubeObject, ValidationCause } from '../types.ts';
import { type ErrorList, GoValue, child, duplicate, forbidden, index, invalid, notSupported, required, tooMany } from './field.ts';
import {
  isDNS1123Label,
  isIPv4,
  isIPv6,
  isQualifiedName,
  isValidPercent,
  isValidPortNum,
  nameIsDNSSubdomain,
  nameIsPathSegment,
} from './names.ts';
import { validateImmutable, validateLabelSelectorObject, validateMeta, validateNonnegative } from './meta.ts';
import { SUPPORTED_PORT_PROTOCOLS } from './container.ts';
import { semanticEqual } from './equality.ts';

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map((x) => (isObj(x) ? x : {})) : []);
const set = (v: unknown): boolean => v !== undefined && v !== null;
const specOf = (o: KubeObject | undefined): Obj => (o && isObj(o.spec) ? o.spec : {});
const SUBDOMAIN = { nameFn: nameIsDNSSubdomain, namespaced: true };
const RBAC_GROUP = 'rbac.authorization.k8s.io';

// ---- autoscaling ----

function validateHPACommon(s: Obj): ErrorList {
  const errs: ErrorList = [];
  const ref: Obj = isObj(s.scaleTargetRef) ? s.scaleTargetRef : {};
  if (!ref.kind) errs.push(required('spec.scaleTargetRef.kind'));
  else for (const m of nameIsPathSegment(String(ref.kind), false)) errs.push(invalid('spec.scaleTargetRef.kind', ref.kind, m));
  if (!ref.name) errs.push(required('spec.scaleTargetRef.name'));
  else for (const m of nameIsPathSegment(String(ref.name), false)) errs.push(invalid('spec.scaleTargetRef.name', ref.name, m));
  if (set(s.minReplicas) && s.minReplicas < 1) errs.push(invalid('spec.minReplicas', s.minReplicas, 'must be greater than or equal to 1'));
  const max = s.maxReplicas ?? 0;
  if (max < 1) errs.push(invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (set(s.minReplicas) && max < s.minReplicas) errs.push(invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  return errs;
}

export function validateHPAv1(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const s = specOf(obj);
  const errs = validateMeta(obj.metadata, old?.metadata, SUBDOMAIN);
  errs.push(...validateHPACommon(s));
  if (set(s.targetCPUUtilizationPercentage) && s.targetCPUUtilizationPercentage < 1) {
    errs.push(invalid('spec.targetCPUUtilizationPercentage', s.targetCPUUtilizationPercentage, 'must be greater than 0'));
  }
  return errs;
}

const METRIC_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const METRIC_FIELD: Record<string, string> = { ContainerResource: 'containerResource', External: 'external', Object: 'object', Pods: 'pods', Resource: 'resource' };

function validateMetricTarget(t: unknown, path: string): ErrorList {
  const target: Obj = isObj(t) ? t : {};
  const errs: ErrorList = [];
  if (!target.type) errs.push(required(child(path, 'type'), 'must specify a metric target type'));
  else if (!['AverageValue', 'Utilization', 'Value'].includes(target.type)) {
    errs.push(notSupported(child(path, 'type'), target.type, ['Utilization', 'Value', 'AverageValue']));
  }
  if (set(target.averageUtilization) && target.averageUtilization < 1) {
    errs.push(invalid(child(path, 'averageUtilization'), target.averageUtilization, 'must be greater than 0'));
  }
  if (!set(target.value) && !set(target.averageValue) && !set(target.averageUtilization)) {
    errs.push(required(path, 'must set either a target value, average value, or average utilization'));
  }
  return errs;
}

export function validateHPAv2(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const s = specOf(obj);
  const errs = validateMeta(obj.metadata, old?.metadata, SUBDOMAIN);
  errs.push(...validateHPACommon(s));
  list(s.metrics).forEach((m, i) => {
    const mp = index('spec.metrics', i);
    if (!m.type) return void errs.push(required(child(mp, 'type'), 'must specify a metric source type'));
    if (!METRIC_TYPES.includes(m.type)) return void errs.push(notSupported(child(mp, 'type'), m.type, METRIC_TYPES));
    const f = METRIC_FIELD[m.type]!;
    if (!isObj(m[f])) return void errs.push(required(child(mp, f), `must populate information for the given metric source`));
    const src = m[f];
    if (f === 'resource' || f === 'containerResource') {
      if (!src.name) errs.push(required(child(mp, f, 'name')));
      if (f === 'containerResource' && !src.container) errs.push(required(child(mp, f, 'container')));
    } else if (!isObj(src.metric) || !src.metric.name) errs.push(required(child(mp, f, 'metric', 'name'), 'must specify a metric name'));
    errs.push(...validateMetricTarget(src.target, child(mp, f, 'target')));
  });
  for (const dir of ['scaleUp', 'scaleDown']) {
    const rules = s.behavior?.[dir];
    if (!isObj(rules)) continue;
    const rp = child('spec.behavior', dir);
    if (set(rules.stabilizationWindowSeconds) && (rules.stabilizationWindowSeconds < 0 || rules.stabilizationWindowSeconds > 3600)) {
      errs.push(invalid(child(rp, 'stabilizationWindowSeconds'), rules.stabilizationWindowSeconds, 'must be less than or equal to 3600'));
    }
    if (set(rules.selectPolicy) && !['Disabled', 'Max', 'Min'].includes(rules.selectPolicy)) {
      errs.push(notSupported(child(rp, 'selectPolicy'), rules.selectPolicy, ['Disabled', 'Max', 'Min']));
    }
    list(rules.policies).forEach((p, i) => {
      const pp = index(child(rp, 'policies'), i);
      if (p.type !== 'Pods' && p.type !== 'Percent') errs.push(notSupported(child(pp, 'type'), p.type ?? '', ['Percent', 'Pods']));
      if (!(p.value > 0)) errs.push(invalid(child(pp, 'value'), p.value ?? 0, 'must be greater than zero'));
      if (!(p.periodSeconds > 0 && p.periodSeconds <= 1800)) {
        errs.push(invalid(child(pp, 'periodSeconds'), p.periodSeconds ?? 0, p.periodSeconds > 0 ? 'must be less than or equal to 1800' : 'must be greater than zero'));
      }
    });
  }
  return errs;
}

// ---- policy ----

function goIntOrString(v: unknown): GoValue {
  if (typeof v === 'number') return new GoValue(`intstr.IntOrString{Type:0, IntVal:${v}, StrVal:""}`);
  return new GoValue(`intstr.IntOrString{Type:1, IntVal:0, StrVal:${JSON.stringify(String(v ?? ''))}}`);
}

function intOrPercent(v: unknown, path: string): ErrorList {
  if (!set(v)) return [];
  if (typeof v === 'number') return validateNonnegative(v, path);
  const errs = isValidPercent(String(v)).map((m) => invalid(path, goIntOrString(v), m));
  if (!errs.length && Number.parseInt(String(v), 10) > 100) errs.push(invalid(path, goIntOrString(v), 'must not be greater than 100%'));
  return errs;
}

export function validatePodDisruptionBudget(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const s = specOf(obj);
  const errs = validateMeta(obj.metadata, old?.metadata, SUBDOMAIN);
  if (set(s.minAvailable) && set(s.maxUnavailable)) errs.push(invalid('spec', s, 'minAvailable and maxUnavailable cannot be both set'));
  errs.push(...intOrPercent(s.minAvailable, 'spec.minAvailable'));
  errs.push(...intOrPercent(s.maxUnavailable, 'spec.maxUnavailable'));
  errs.push(...validateLabelSelectorObject(s.selector, 'spec.selector'));
  if (set(s.unhealthyPodEvictionPolicy) && !['AlwaysAllow', 'IfHealthyBudget'].includes(s.unhealthyPodEvictionPolicy)) {
    errs.push(notSupported('spec.unhealthyPodEvictionPolicy', s.unhealthyPodEvictionPolicy, ['AlwaysAllow', 'IfHealthyBudget']));
  }
  return errs;
}

// ---- rbac ----

function validatePolicyRules(rules: unknown, namespaced: boolean, path: string): ErrorList {
  const errs: ErrorList = [];
  list(rules).forEach((r, i) => {
    const rp = index(path, i);
    const len = (f: string): number => (Array.isArray(r[f]) ? r[f].length : 0);
    if (len('verbs') === 0) errs.push(required(child(rp, 'verbs'), 'verbs must contain at least one value'));
    if (len('nonResourceURLs') > 0) {
      if (namespaced) errs.push(invalid(child(rp, 'nonResourceURLs'), r.nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
      if (len('apiGroups') > 0 || len('resources') > 0 || len('resourceNames') > 0) {
        errs.push(invalid(child(rp, 'nonResourceURLs'), r.nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
      }
      return;
    }
    if (len('apiGroups') === 0) errs.push(required(child(rp, 'apiGroups'), 'resource rules must supply at least one api group'));
    if (len('resources') === 0) errs.push(required(child(rp, 'resources'), 'resource rules must supply at least one resource'));
  });
  return errs;
}

export function validateRole(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const errs = validateMeta(obj.metadata, old?.metadata, { nameFn: nameIsPathSegment, namespaced: true });
  errs.push(...validatePolicyRules(obj.rules, true, 'rules'));
  return errs;
}

export function validateClusterRole(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const errs = validateMeta(obj.metadata, old?.metadata, { nameFn: nameIsPathSegment, namespaced: false });
  errs.push(...validatePolicyRules(obj.rules, false, 'rules'));
  if (isObj(obj.aggregationRule)) {
    const sels = list(obj.aggregationRule.clusterRoleSelectors);
    if (sels.length === 0) {
      errs.push(required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    }
    sels.forEach((sel, i) => errs.push(...validateLabelSelectorObject(sel, index('aggregationRule.clusterRoleSelectors', i))));
  }
  return errs;
}

function validateSubjects(subjects: unknown, namespaced: boolean): ErrorList {
  const errs: ErrorList = [];
  list(subjects).forEach((s, i) => {
    const sp = index('subjects', i);
    if (!s.name) errs.push(required(child(sp, 'name')));
    switch (s.kind) {
      case 'ServiceAccount':
        if (s.name) for (const m of nameIsDNSSubdomain(String(s.name), false)) errs.push(invalid(child(sp, 'name'), s.name, m));
        if (s.apiGroup) errs.push(notSupported(child(sp, 'apiGroup'), s.apiGroup, ['']));
        if (!namespaced && !s.namespace) errs.push(required(child(sp, 'namespace')));
        break;
      case 'User':
      case 'Group':
        if (s.apiGroup !== RBAC_GROUP) errs.push(notSupported(child(sp, 'apiGroup'), s.apiGroup ?? '', [RBAC_GROUP]));
        break;
      default:
        errs.push(notSupported(child(sp, 'kind'), s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
    }
  });
  return errs;
}

function validateBinding(obj: KubeObject, old: KubeObject | undefined, namespaced: boolean): ValidationCause[] {
  const errs = validateMeta(obj.metadata, old?.metadata, { nameFn: nameIsPathSegment, namespaced });
  const ref: Obj = isObj(obj.roleRef) ? obj.roleRef : {};
  if (ref.apiGroup !== RBAC_GROUP) errs.push(notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) errs.push(notSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!ref.name) errs.push(required('roleRef.name'));
  else for (const m of nameIsPathSegment(String(ref.name), false)) errs.push(invalid('roleRef.name', ref.name, m));
  errs.push(...validateSubjects(obj.subjects, namespaced));
  if (old && !semanticEqual(obj.roleRef, old.roleRef)) errs.push(invalid('roleRef', obj.roleRef ?? null, 'cannot change roleRef'));
  return errs;
}

export const validateRoleBinding = (obj: KubeObject, old?: KubeObject): ValidationCause[] => validateBinding(obj, old, true);
export const validateClusterRoleBinding = (obj: KubeObject, old?: KubeObject): ValidationCause[] => validateBinding(obj, old, false);

// ---- coordination, scheduling, storage ----

export function validateLease(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const s = specOf(obj);
  const errs = validateMeta(obj.metadata, old?.metadata, SUBDOMAIN);
  if (set(s.leaseDurationSeconds) && s.leaseDurationSeconds <= 0) errs.push(invalid('spec.leaseDurationSeconds', s.leaseDurationSeconds, 'must be greater than 0'));
  errs.push(...validateNonnegative(s.leaseTransitions, 'spec.leaseTransitions'));
  return errs;
}

const SYSTEM_PRIORITY_CLASSES: Record<string, number> = { 'system-cluster-critical': 2000000000, 'system-node-critical': 2000001000 };

export function validatePriorityClass(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const errs = validateMeta(obj.metadata, old?.metadata, { nameFn: nameIsDNSSubdomain, namespaced: false });
  const name = obj.metadata.name ?? '';
  const value = typeof obj.value === 'number' ? obj.value : 0;
  if (name.startsWith('system-')) {
    const want = SYSTEM_PRIORITY_CLASSES[name];
    const err = want === undefined ? `name ${name} is not a known system priority class` : want !== value ? `value of ${name} PriorityClass must be ${want}` : '';
    if (err) errs.push(forbidden('metadata.name', `priority class names with 'system-' prefix are reserved for system use only. error: ${err}`));
  } else if (value > 1000000000) {
    errs.push(forbidden('value', 'maximum allowed value of a user defined priority is 1000000000'));
  }
  if (set(obj.preemptionPolicy) && !['PreemptLowerPriority', 'Never'].includes(obj.preemptionPolicy)) {
    errs.push(notSupported('preemptionPolicy', obj.preemptionPolicy, ['PreemptLowerPriority', 'Never']));
  }
  if (old) {
    if ((old.value ?? 0) !== value) errs.push(forbidden('value', 'may not be changed in an update.'));
    errs.push(...validateImmutable(obj.preemptionPolicy, old.preemptionPolicy, 'preemptionPolicy', obj.preemptionPolicy ?? null));
  }
  return errs;
}

export function validateStorageClass(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const errs = validateMeta(obj.metadata, old?.metadata, { nameFn: nameIsDNSSubdomain, namespaced: false });
  const prov = String(obj.provisioner ?? '');
  if (!prov) errs.push(required('provisioner'));
  else for (const m of isQualifiedName(prov.toLowerCase())) errs.push(invalid('provisioner', prov.toLowerCase(), m));
  if (set(obj.reclaimPolicy) && !['Delete', 'Retain'].includes(obj.reclaimPolicy)) errs.push(notSupported('reclaimPolicy', obj.reclaimPolicy, ['Delete', 'Retain']));
  if (set(obj.volumeBindingMode) && !['Immediate', 'WaitForFirstConsumer'].includes(obj.volumeBindingMode)) {
    errs.push(notSupported('volumeBindingMode', obj.volumeBindingMode, ['Immediate', 'WaitForFirstConsumer']));
  }
  if (old) {
    if (!semanticEqual(obj.parameters, old.parameters)) errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
    if (obj.provisioner !== old.provisioner) errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
    if (obj.reclaimPolicy !== old.reclaimPolicy) errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
    errs.push(...validateImmutable(obj.volumeBindingMode, old.volumeBindingMode, 'volumeBindingMode', obj.volumeBindingMode ?? null));
  }
  return errs;
}

// ---- discovery ----

export function validateEndpointSlice(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const errs = validateMeta(obj.metadata, old?.metadata, SUBDOMAIN);
  const types = ['FQDN', 'IPv4', 'IPv6'];
  if (!obj.addressType) errs.push(required('addressType'));
  else if (!types.includes(obj.addressType)) errs.push(notSupported('addressType', obj.addressType, types));
  list(obj.endpoints).forEach((ep, i) => {
    const epp = index('endpoints', i);
    const addrs: unknown[] = Array.isArray(ep.addresses) ? ep.addresses : [];
    if (addrs.length === 0) errs.push(required(child(epp, 'addresses'), 'must contain at least 1 address'));
    else if (addrs.length > 100) errs.push(tooMany(child(epp, 'addresses'), addrs.length, 100));
    addrs.forEach((a, j) => {
      const ap = index(child(epp, 'addresses'), j);
      const v = String(a);
      if (obj.addressType === 'IPv4' && !isIPv4(v)) errs.push(invalid(ap, v, 'must be a valid IPv4 address'));
      if (obj.addressType === 'IPv6' && !isIPv6(v)) errs.push(invalid(ap, v, 'must be a valid IPv6 address'));
    });
    if (ep.hostname) for (const m of isDNS1123Label(String(ep.hostname))) errs.push(invalid(child(epp, 'hostname'), ep.hostname, m));
  });
  const names = new Set<string>();
  list(obj.ports).forEach((p, i) => {
    const pp = index('ports', i);
    const name = String(p.name ?? '');
    if (name) for (const m of isDNS1123Label(name)) errs.push(invalid(child(pp, 'name'), name, m));
    if (names.has(name)) errs.push(duplicate(child(pp, 'name'), name));
    names.add(name);
    if (!p.protocol) errs.push(required(child(pp, 'protocol')));
    else if (!SUPPORTED_PORT_PROTOCOLS.includes(p.protocol)) errs.push(notSupported(child(pp, 'protocol'), p.protocol, SUPPORTED_PORT_PROTOCOLS));
    if (set(p.port)) for (const m of isValidPortNum(p.port)) errs.push(invalid(child(pp, 'port'), p.port, m));
  });
  if (old) errs.push(...validateImmutable(obj.addressType, old.addressType, 'addressType', obj.addressType ?? null));
  return errs;
}

// ---- events.k8s.io ----

/** events.k8s.io/v1 Events get upstream's strict validation (the v1 API's, not core's legacy one). */
export function validateEventsV1(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const errs = validateMeta(obj.metadata, old?.metadata, SUBDOMAIN);
  if (!obj.eventTime) errs.push(required('eventTime'));
  if (obj.type !== 'Normal' && obj.type !== 'Warning') errs.push(invalid('type', '', `has invalid value: ${obj.type ?? ''}`));
  const ns = obj.metadata.namespace ?? '';
  const rns = String(obj.regarding?.namespace ?? '');
  if (!rns && ns !== 'default' && ns !== 'kube-system') errs.push(invalid('regarding.namespace', rns, 'does not match event.namespace'));
  if (rns && rns !== ns) errs.push(invalid('regarding.namespace', rns, 'does not match event.namespace'));
  if (!obj.reportingController) errs.push(required('reportingController'));
  else for (const m of isQualifiedName(String(obj.reportingController))) errs.push(invalid('reportingController', obj.reportingController, m));
  const limits: Array<[string, number]> = [
    ['reportingInstance', 128],
    ['action', 128],
    ['reason', 128],
  ];
  for (const [f, max] of limits) {
    const v = String(obj[f] ?? '');
    if (!v) errs.push(required(f));
    else if (v.length > max) errs.push(invalid(f, '', `can have at most ${max} characters`));
  }
  if (String(obj.note ?? '').length > 1024) errs.push(invalid('note', '', 'can have at most 1024 characters'));
  if (set(obj.series)) {
    if (!(obj.series.count >= 2)) errs.push(invalid('series.count', '', 'should be at least 2'));
    if (!obj.series.lastObservedTime) errs.push(required('series.lastObservedTime'));
  }
  return errs;
}
