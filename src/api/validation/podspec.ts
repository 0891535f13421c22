// Validation of a PodSpec (ValidatePodSpec) and of pod templates (ValidatePodTemplateSpec):
// volumes, containers, policies, DNS, tolerations, host networking, scheduling fields.
// Node affinity and pod (anti-)affinity terms are checked only for their label selectors.

import { type ErrorList, child, duplicate, forbidden, index, invalid, notSupported, required } from './field.ts';
import {
  inclusiveRangeError,
  isDNS1123Label,
  isQualifiedName,
  isValidIP,
  isValidLabelValue,
  nameIsDNSSubdomain,
  isDNS1123Subdomain,
} from './names.ts';
import { validateAnnotations, validateLabelName, validateLabelSelectorObject, validateLabels } from './meta.ts';
import { validateContainers, validateInitContainers } from './container.ts';
import { validateVolumes } from './volumes.ts';
import { validateResourceRequirements } from './resources.ts';

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map((x) => (isObj(x) ? x : {})) : []);
const set = (v: unknown): boolean => v !== undefined && v !== null;
const MAX_INT32 = 2147483647;

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];

export interface PodSpecOptions {
  /** True for a Pod (stricter host-network port checks); false for templates. */
  isPod: boolean;
  /** Extra volume names mounts may refer to (a StatefulSet's volumeClaimTemplates). */
  extraVolumes?: string[];
}

export function validateRestartPolicy(policy: unknown, path: string): ErrorList {
  if (!policy) return [required(path)];
  if (!RESTART_POLICIES.includes(policy as string)) return [notSupported(path, policy, RESTART_POLICIES)];
  return [];
}

function validateDNSPolicy(policy: unknown, path: string): ErrorList {
  if (!policy) return [required(path)];
  if (!DNS_POLICIES.includes(policy as string)) return [notSupported(path, policy, DNS_POLICIES)];
  return [];
}

function validateDNSConfig(cfg: unknown, policy: unknown, path: string): ErrorList {
  if (policy === 'None') {
    if (!isObj(cfg)) return [required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (!Array.isArray(cfg.nameservers) || cfg.nameservers.length === 0) {
      return [required(child(path, 'nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
    }
  }
  if (!isObj(cfg)) return [];
  const errs: ErrorList = [];
  const ns: unknown[] = Array.isArray(cfg.nameservers) ? cfg.nameservers : [];
  if (ns.length > 3) errs.push(invalid(child(path, 'nameservers'), ns, 'must not have more than 3 nameservers'));
  ns.forEach((n, i) => {
    if (!isValidIP(String(n))) errs.push(invalid(index(child(path, 'nameservers'), i), n, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
  });
  const searches: unknown[] = Array.isArray(cfg.searches) ? cfg.searches : [];
  if (searches.length > 32) errs.push(invalid(child(path, 'searches'), searches, 'must not have more than 32 search paths'));
  if (searches.join(' ').length > 2048) {
    errs.push(invalid(child(path, 'searches'), searches, 'must not have more than 2048 characters (including spaces) in the search list'));
  }
  searches.forEach((s, i) => {
    const v = String(s).replace(/\.$/, '');
    for (const m of isDNS1123Subdomain(v)) errs.push(invalid(index(child(path, 'searches'), i), v, m));
  });
  list(cfg.options).forEach((o, i) => {
    if (!o.name) errs.push(required(index(child(path, 'options'), i), 'must not be empty'));
  });
  return errs;
}

export function validateTolerations(tolerations: unknown, path: string): ErrorList {
  const errs: ErrorList = [];
  list(tolerations).forEach((t, i) => {
    const ip = index(path, i);
    if (t.key) errs.push(...validateLabelName(String(t.key), child(ip, 'key')));
    if (!t.key && t.operator !== 'Exists') {
      errs.push(invalid(child(ip, 'operator'), t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (set(t.tolerationSeconds) && t.effect !== 'NoExecute') {
      errs.push(invalid(child(ip, 'effect'), t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (t.operator ?? '') {
      case 'Equal':
      case '': {
        const ve = isValidLabelValue(String(t.value ?? ''));
        if (ve.length) errs.push(invalid(child(ip, 'operator'), String(t.value ?? ''), ve.join(';')));
        break;
      }
      case 'Exists':
        if (t.value) errs.push(invalid(child(ip, 'operator'), t.value, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(notSupported(child(ip, 'operator'), t.operator, ['Equal', 'Exists']));
    }
    if (t.effect && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)) {
      errs.push(notSupported(child(ip, 'effect'), t.effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']));
    }
  });
  return errs;
}

function validateTopologySpread(constraints: unknown, path: string): ErrorList {
  const errs: ErrorList = [];
  const cs = list(constraints);
  cs.forEach((c, i) => {
    const ip = index(path, i);
    if (!(typeof c.maxSkew === 'number' && c.maxSkew > 0)) errs.push(invalid(child(ip, 'maxSkew'), c.maxSkew ?? 0, 'must be greater than zero'));
    if (!c.topologyKey) errs.push(required(child(ip, 'topologyKey'), 'can not be empty'));
    if (!['DoNotSchedule', 'ScheduleAnyway'].includes(c.whenUnsatisfiable)) {
      errs.push(notSupported(child(ip, 'whenUnsatisfiable'), c.whenUnsatisfiable ?? '', ['DoNotSchedule', 'ScheduleAnyway']));
    }
    const dup = cs.slice(i + 1).some((o) => o.topologyKey === c.topologyKey && o.whenUnsatisfiable === c.whenUnsatisfiable);
    if (dup) errs.push(duplicate(child(ip, '{topologyKey, whenUnsatisfiable}'), `{${c.topologyKey}, ${c.whenUnsatisfiable}}`));
    if (set(c.minDomains)) {
      if (!(c.minDomains > 0)) errs.push(invalid(child(ip, 'minDomains'), c.minDomains, 'must be greater than zero'));
      if (c.whenUnsatisfiable !== 'DoNotSchedule') {
        errs.push(invalid(child(ip, 'minDomains'), c.minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${c.whenUnsatisfiable}`));
      }
    }
    errs.push(...validateLabelSelectorObject(c.labelSelector, child(ip, 'labelSelector')));
  });
  return errs;
}

function validateAffinitySelectors(affinity: unknown, path: string): ErrorList {
  if (!isObj(affinity)) return [];
  const errs: ErrorList = [];
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const a = affinity[kind];
    if (!isObj(a)) continue;
    list(a.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      const p = index(child(path, kind, 'requiredDuringSchedulingIgnoredDuringExecution'), i);
      errs.push(...validateLabelSelectorObject(t.labelSelector, child(p, 'labelSelector')));
      if (!t.topologyKey) errs.push(required(child(p, 'topologyKey'), 'can not be empty'));
    });
    list(a.preferredDuringSchedulingIgnoredDuringExecution).forEach((w, i) => {
      const p = index(child(path, kind, 'preferredDuringSchedulingIgnoredDuringExecution'), i);
      if (!(w.weight >= 1 && w.weight <= 100)) errs.push(invalid(child(p, 'weight'), w.weight ?? 0, inclusiveRangeError(1, 100)));
      const term = isObj(w.podAffinityTerm) ? w.podAffinityTerm : {};
      errs.push(...validateLabelSelectorObject(term.labelSelector, child(p, 'podAffinityTerm', 'labelSelector')));
      if (!term.topologyKey) errs.push(required(child(p, 'podAffinityTerm', 'topologyKey'), 'can not be empty'));
    });
  }
  return errs;
}

function validatePodSecurityContext(sc: unknown, path: string): ErrorList {
  if (!isObj(sc)) return [];
  const errs: ErrorList = [];
  for (const f of ['runAsUser', 'runAsGroup', 'fsGroup']) {
    const v = sc[f];
    if (typeof v === 'number' && (v < 0 || v > MAX_INT32)) errs.push(invalid(child(path, f), v, inclusiveRangeError(0, MAX_INT32)));
  }
  (Array.isArray(sc.supplementalGroups) ? sc.supplementalGroups : []).forEach((g: unknown, i: number) => {
    if (typeof g === 'number' && (g < 0 || g > MAX_INT32)) errs.push(invalid(index(child(path, 'supplementalGroups'), i), g, inclusiveRangeError(0, MAX_INT32)));
  });
  if (set(sc.fsGroupChangePolicy) && !['Always', 'OnRootMismatch'].includes(sc.fsGroupChangePolicy)) {
    errs.push(notSupported(child(path, 'fsGroupChangePolicy'), sc.fsGroupChangePolicy, ['Always', 'OnRootMismatch']));
  }
  return errs;
}

function hostNetworkDeps(spec: Obj, path: string, isPod: boolean): ErrorList {
  if (spec.hostNetwork !== true) return [];
  const errs: ErrorList = [];
  list(spec.containers).forEach((c, i) => {
    list(c.ports).forEach((p, j) => {
      const hp = p.hostPort ?? 0;
      if ((isPod || hp !== 0) && hp !== p.containerPort) {
        errs.push(invalid(child(index(child(index(child(path, 'containers'), i), 'ports'), j), 'hostPort'), hp, 'must match `containerPort` when `hostNetwork` is true'));
      }
    });
  });
  return errs;
}

function nameCheck(value: unknown, path: string, fn: (s: string) => string[]): ErrorList {
  if (!value) return [];
  return fn(String(value)).map((m) => invalid(path, value, m));
}

/** ValidatePodSpec. `path` is where the spec sits (`spec`, `spec.template.spec`, ...). */
export function validatePodSpec(spec: unknown, path: string, opts: PodSpecOptions): ErrorList {
  const s: Obj = isObj(spec) ? spec : {};
  const errs: ErrorList = [];
  if (!set(s.terminationGracePeriodSeconds)) errs.push(required(child(path, 'terminationGracePeriodSeconds')));
  const grace = s.terminationGracePeriodSeconds;
  const { volumes, errs: volErrs } = validateVolumes(s.volumes, child(path, 'volumes'));
  errs.push(...volErrs);
  for (const extra of opts.extraVolumes ?? []) if (!volumes.has(extra)) volumes.set(extra, { persistentVolumeClaim: { claimName: extra } });
  errs.push(...validateContainers(s.containers, volumes, grace, child(path, 'containers')));
  errs.push(...validateInitContainers(s.initContainers, s.containers, volumes, grace, child(path, 'initContainers')));
  errs.push(...hostNetworkDeps(s, path, opts.isPod));
  errs.push(...validateRestartPolicy(s.restartPolicy, child(path, 'restartPolicy')));
  errs.push(...validateDNSPolicy(s.dnsPolicy, child(path, 'dnsPolicy')));
  errs.push(...validateLabels(s.nodeSelector, child(path, 'nodeSelector')));
  errs.push(...validatePodSecurityContext(s.securityContext, child(path, 'securityContext')));
  errs.push(...validateAffinitySelectors(s.affinity, child(path, 'affinity')));
  errs.push(...validateDNSConfig(s.dnsConfig, s.dnsPolicy, child(path, 'dnsConfig')));
  list(s.readinessGates).forEach((g, i) => {
    for (const m of isQualifiedName(String(g.conditionType ?? ''))) {
      errs.push(invalid(child(index(child(path, 'readinessGates'), i), 'conditionType'), String(g.conditionType ?? ''), m));
    }
  });
  const gateNames = new Set<string>();
  list(s.schedulingGates).forEach((g, i) => {
    const gp = index(child(path, 'schedulingGates'), i);
    for (const m of isQualifiedName(String(g.name ?? ''))) errs.push(invalid(gp, String(g.name ?? ''), m));
    if (gateNames.has(g.name)) errs.push(duplicate(gp, g.name));
    gateNames.add(g.name);
  });
  errs.push(...validateTopologySpread(s.topologySpreadConstraints, child(path, 'topologySpreadConstraints')));
  errs.push(...nameCheck(s.serviceAccountName, child(path, 'serviceAccountName'), (v) => nameIsDNSSubdomain(v, false)));
  errs.push(...nameCheck(s.nodeName, child(path, 'nodeName'), (v) => nameIsDNSSubdomain(v, false)));
  if (set(s.activeDeadlineSeconds) && !(s.activeDeadlineSeconds >= 1 && s.activeDeadlineSeconds <= MAX_INT32)) {
    errs.push(invalid(child(path, 'activeDeadlineSeconds'), s.activeDeadlineSeconds, inclusiveRangeError(1, MAX_INT32)));
  }
  errs.push(...nameCheck(s.hostname, child(path, 'hostname'), isDNS1123Label));
  errs.push(...nameCheck(s.subdomain, child(path, 'subdomain'), isDNS1123Label));
  errs.push(...validateTolerations(s.tolerations, child(path, 'tolerations')));
  list(s.hostAliases).forEach((h, i) => {
    const hp = index(child(path, 'hostAliases'), i);
    if (!isValidIP(String(h.ip ?? ''))) errs.push(invalid(child(hp, 'ip'), String(h.ip ?? ''), 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
    (Array.isArray(h.hostnames) ? h.hostnames : []).forEach((n: unknown, j: number) => {
      for (const m of isDNS1123Subdomain(String(n))) errs.push(invalid(index(child(hp, 'hostnames'), j), String(n), m));
    });
  });
  errs.push(...nameCheck(s.priorityClassName, child(path, 'priorityClassName'), (v) => nameIsDNSSubdomain(v, false)));
  if (set(s.runtimeClassName)) {
    for (const m of nameIsDNSSubdomain(String(s.runtimeClassName), false)) errs.push(invalid(child(path, 'runtimeClassName'), s.runtimeClassName, m));
  }
  if (set(s.preemptionPolicy)) {
    if (!s.preemptionPolicy) errs.push(required(child(path, 'preemptionPolicy')));
    else if (!['PreemptLowerPriority', 'Never'].includes(s.preemptionPolicy)) {
      errs.push(notSupported(child(path, 'preemptionPolicy'), s.preemptionPolicy, ['PreemptLowerPriority', 'Never']));
    }
  }
  if (isObj(s.overhead)) errs.push(...validateResourceRequirements({ limits: s.overhead }, child(path, 'overhead')));
  if (isObj(s.os)) {
    if (!s.os.name) errs.push(required(child(path, 'os', 'name'), 'cannot be empty'));
    else if (!['linux', 'windows'].includes(s.os.name)) errs.push(notSupported(child(path, 'os'), s.os.name, ['linux', 'windows']));
  }
  return errs;
}

/** ValidatePodTemplateSpec (labels and annotations are reported at `<path>.labels`, as upstream). */
export function validatePodTemplateSpec(template: unknown, path: string, extraVolumes?: string[]): ErrorList {
  const t: Obj = isObj(template) ? template : {};
  const meta: Obj = isObj(t.metadata) ? t.metadata : {};
  const errs: ErrorList = [];
  errs.push(...validateLabels(meta.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(meta.annotations, child(path, 'annotations')));
  const opts: PodSpecOptions = { isPod: false };
  if (extraVolumes) opts.extraVolumes = extraVolumes;
  errs.push(...validatePodSpec(t.spec, child(path, 'spec'), opts));
  if (Array.isArray(t.spec?.ephemeralContainers) && t.spec.ephemeralContainers.length > 0) {
    errs.push(forbidden(child(path, 'spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}
