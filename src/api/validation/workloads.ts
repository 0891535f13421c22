// Validation of replicated workloads: apps/v1 Deployment, ReplicaSet, StatefulSet, DaemonSet,
// ControllerRevision and core/v1 ReplicationController, including the update rules (apps/v1
// selectors are immutable; a StatefulSet's spec is mostly immutable).

import type { KubeObject, ValidationCause } from '../types.ts';
import {
  type ErrorList,
  GoValue,
  child,
  forbidden,
  goLabelSelector,
  goStringMap,
  invalid,
  notSupported,
  required,
} from './field.ts';
import { isValidPercent, nameIsDNSLabel, nameIsDNSSubdomain } from './names.ts';
import { validateImmutable, validateLabelSelectorObject, validateMeta, validateNonnegative } from './meta.ts';
import { validatePodTemplateSpec } from './podspec.ts';
import { fromLabelSelectorObject, fromSet, type LabelSelector } from '../selectors/labels.ts';
import { semanticEqual } from './equality.ts';
import { validateAnnotations, validateLabels } from './meta.ts';

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const set = (v: unknown): boolean => v !== undefined && v !== null;
const specOf = (o: KubeObject | undefined): Obj => (o && isObj(o.spec) ? o.spec : {});

const SUBDOMAIN = { nameFn: nameIsDNSSubdomain, namespaced: true };

/** Go's %#v of an intstr.IntOrString, as upstream prints a bad maxSurge/maxUnavailable. */
function goIntOrString(v: unknown): GoValue {
  if (typeof v === 'number') return new GoValue(`intstr.IntOrString{Type:0, IntVal:${v}, StrVal:""}`);
  return new GoValue(`intstr.IntOrString{Type:1, IntVal:0, StrVal:${JSON.stringify(String(v ?? ''))}}`);
}

function percentValue(v: unknown): number | undefined {
  if (typeof v !== 'string' || isValidPercent(v).length) return undefined;
  return Number.parseInt(v.slice(0, -1), 10);
}

function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  return percentValue(v) ?? (/^-?[0-9]+$/.test(String(v)) ? Number(v) : 0);
}

function validatePositiveIntOrPercent(v: unknown, path: string): ErrorList {
  if (typeof v === 'string') return isValidPercent(v).map((m) => invalid(path, goIntOrString(v), m));
  if (typeof v === 'number') return validateNonnegative(v, path);
  return [invalid(path, goIntOrString(v), "must be an integer or percentage (e.g '5%%')")];
}

function notMoreThan100Percent(v: unknown, path: string): ErrorList {
  const p = percentValue(v);
  return p !== undefined && p > 100 ? [invalid(path, goIntOrString(v), 'must not be greater than 100%')] : [];
}

/** Convert spec.selector; a conversion failure is reported as upstream does. */
function selectorOf(sel: unknown, path: string, errs: ErrorList, detail: string): LabelSelector | undefined {
  try {
    return fromLabelSelectorObject(isObj(sel) ? sel : sel === undefined || sel === null ? null : {});
  } catch {
    errs.push(invalid(path, goLabelSelector(sel), detail));
    return undefined;
  }
}

function validateRequiredSelector(sel: unknown, path: string, kindWord: string): ErrorList {
  if (!isObj(sel)) return [required(path)];
  const errs = validateLabelSelectorObject(sel, path);
  const n = Object.keys(sel.matchLabels ?? {}).length + (Array.isArray(sel.matchExpressions) ? sel.matchExpressions.length : 0);
  if (n === 0) errs.push(invalid(path, goLabelSelector(sel), `empty selector is invalid for ${kindWord}`));
  return errs;
}

function templateLabels(t: unknown): Record<string, string> | undefined {
  return isObj(t) && isObj(t.metadata) && isObj(t.metadata.labels) ? t.metadata.labels : undefined;
}

function selectorMatchesTemplate(selector: LabelSelector, template: unknown, path: string): ErrorList {
  if (selector.empty()) return [];
  const labels = templateLabels(template);
  if (selector.matches(labels)) return [];
  return [invalid(child(path, 'metadata', 'labels'), goStringMap(labels), '`selector` does not match template `labels`')];
}

/** ValidatePodTemplateSpecForReplicaSet (and for RCs, with their kind word). */
function validateReplicatedTemplate(template: unknown, selector: LabelSelector, path: string, kindWord: string): ErrorList {
  if (!isObj(template)) return [required(path)];
  const errs = selectorMatchesTemplate(selector, template, path);
  errs.push(...validatePodTemplateSpec(template, path));
  const spec: Obj = isObj(template.spec) ? template.spec : {};
  if (spec.restartPolicy !== 'Always') errs.push(notSupported(child(path, 'spec', 'restartPolicy'), spec.restartPolicy ?? '', ['Always']));
  if (set(spec.activeDeadlineSeconds)) {
    errs.push(forbidden(child(path, 'spec', 'activeDeadlineSeconds'), `activeDeadlineSeconds in ${kindWord} is not Supported`));
  }
  return errs;
}

function validateReplicaSetLikeSpec(s: Obj): ErrorList {
  const errs = validateNonnegative(s.replicas, 'spec.replicas');
  errs.push(...validateRequiredSelector(s.selector, 'spec.selector', 'deployment'));
  const sel = selectorOf(s.selector, 'spec.selector', errs, 'invalid label selector');
  if (sel) errs.push(...validateReplicatedTemplate(s.template, sel, 'spec.template', 'ReplicaSet'));
  return errs;
}

function validateDeploymentStrategy(st: unknown, path: string): ErrorList {
  const s: Obj = isObj(st) ? st : {};
  switch (s.type) {
    case 'Recreate':
      return set(s.rollingUpdate) ? [forbidden(child(path, 'rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'")] : [];
    case 'RollingUpdate': {
      if (!isObj(s.rollingUpdate)) return [required(child(path, 'rollingUpdate'), 'this should be defaulted and never be nil')];
      const ru = s.rollingUpdate;
      const rp = child(path, 'rollingUpdate');
      const errs = [
        ...validatePositiveIntOrPercent(ru.maxUnavailable, child(rp, 'maxUnavailable')),
        ...validatePositiveIntOrPercent(ru.maxSurge, child(rp, 'maxSurge')),
      ];
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push(invalid(child(rp, 'maxUnavailable'), goIntOrString(ru.maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
      }
      errs.push(...notMoreThan100Percent(ru.maxUnavailable, child(rp, 'maxUnavailable')));
      return errs;
    }
    default: {
      const ru = set(s.rollingUpdate) ? JSON.stringify(s.rollingUpdate) : '(*apps.RollingUpdateDeployment)(nil)';
      return [notSupported(path, new GoValue(`apps.DeploymentStrategy{Type:${JSON.stringify(String(s.type ?? ''))}, RollingUpdate:${ru}}`), ['Recreate', 'RollingUpdate'])];
    }
  }
}

export function validateDeployment(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const s = specOf(obj);
  const errs = validateMeta(obj.metadata, old?.metadata, SUBDOMAIN);
  errs.push(...validateReplicaSetLikeSpec(s));
  errs.push(...validateDeploymentStrategy(s.strategy, 'spec.strategy'));
  errs.push(...validateNonnegative(s.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateNonnegative(s.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (isObj(s.rollbackTo)) errs.push(...validateNonnegative(s.rollbackTo.revision, 'spec.rollback.version'));
  if (set(s.progressDeadlineSeconds)) {
    errs.push(...validateNonnegative(s.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
    if (s.progressDeadlineSeconds <= (s.minReadySeconds ?? 0)) {
      errs.push(invalid('spec.progressDeadlineSeconds', s.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  if (old) errs.push(...validateImmutable(s.selector, specOf(old).selector, 'spec.selector', goLabelSelector(s.selector)));
  return errs;
}

export function validateReplicaSet(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const s = specOf(obj);
  const errs = validateMeta(obj.metadata, old?.metadata, SUBDOMAIN);
  errs.push(...validateNonnegative(s.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateReplicaSetLikeSpec(s));
  if (old) errs.push(...validateImmutable(s.selector, specOf(old).selector, 'spec.selector', goLabelSelector(s.selector)));
  return errs;
}

function validateStatefulSetSpec(s: Obj): ErrorList {
  const errs: ErrorList = [];
  const pmp = s.podManagementPolicy;
  if (!pmp) errs.push(required('spec.podManagementPolicy'));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel') errs.push(invalid('spec.podManagementPolicy', pmp, "must be 'OrderedReady' or 'Parallel'"));
  const us: Obj = isObj(s.updateStrategy) ? s.updateStrategy : {};
  switch (us.type ?? '') {
    case '':
      errs.push(required('spec.updateStrategy'));
      break;
    case 'OnDelete':
      if (set(us.rollingUpdate)) errs.push(invalid('spec.updateStrategy.rollingUpdate', us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
      break;
    case 'RollingUpdate':
      if (isObj(us.rollingUpdate)) {
        const rp = 'spec.updateStrategy.rollingUpdate';
        errs.push(...validateNonnegative(us.rollingUpdate.partition, child(rp, 'partition')));
        if (set(us.rollingUpdate.maxUnavailable)) {
          const mu = us.rollingUpdate.maxUnavailable;
          errs.push(...validatePositiveIntOrPercent(mu, child(rp, 'maxUnavailable')));
          if (intOrPercentValue(mu) === 0) errs.push(invalid(child(rp, 'maxUnavailable'), goIntOrString(mu), 'cannot be 0'));
          errs.push(...notMoreThan100Percent(mu, child(rp, 'maxUnavailable')));
        }
      }
      break;
    default:
      errs.push(invalid('spec.updateStrategy', us, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  if (isObj(s.persistentVolumeClaimRetentionPolicy)) {
    for (const f of ['whenDeleted', 'whenScaled']) {
      const v = s.persistentVolumeClaimRetentionPolicy[f];
      if (v !== 'Retain' && v !== 'Delete') errs.push(notSupported(`spec.persistentVolumeClaimRetentionPolicy.${f}`, v ?? '', ['Retain', 'Delete']));
    }
  }
  errs.push(...validateNonnegative(s.replicas, 'spec.replicas'));
  errs.push(...validateNonnegative(s.minReadySeconds, 'spec.minReadySeconds'));
  if (isObj(s.ordinals)) errs.push(...validateNonnegative(s.ordinals.start, 'spec.ordinals.start'));
  errs.push(...validateRequiredSelector(s.selector, 'spec.selector', 'statefulset'));
  const sel = selectorOf(s.selector, 'spec.selector', errs, '');
  if (sel) {
    // Upstream checks only labels and annotations of a StatefulSet's template (not its pod spec).
    if (!isObj(s.template)) errs.push(required('spec.template'));
    else {
      errs.push(...selectorMatchesTemplate(sel, s.template, 'spec.template'));
      errs.push(...validateLabels(templateLabels(s.template), 'spec.template.labels'));
      errs.push(...validateAnnotations(s.template.metadata?.annotations, 'spec.template.annotations'));
    }
  }
  const tspec: Obj = isObj(s.template) && isObj(s.template.spec) ? s.template.spec : {};
  if (tspec.restartPolicy !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', tspec.restartPolicy ?? '', ['Always']));
  if (set(tspec.activeDeadlineSeconds)) {
    errs.push(forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in StatefulSet is not Supported'));
  }
  return errs;
}

const STS_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

export function validateStatefulSet(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const s = specOf(obj);
  const errs = validateMeta(obj.metadata, old?.metadata, { nameFn: nameIsDNSLabel, namespaced: true });
  errs.push(...validateStatefulSetSpec(s));
  if (old) {
    const strip = (spec: Obj): Obj => Object.fromEntries(Object.entries(spec).filter(([k]) => !STS_MUTABLE.includes(k)));
    if (!semanticEqual(strip(s), strip(specOf(old)))) {
      errs.push(
        forbidden(
          'spec',
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      );
    }
  }
  return errs;
}

function validateDaemonSetUpdateStrategy(st: unknown, path: string): ErrorList {
  const s: Obj = isObj(st) ? st : {};
  if (s.type === 'OnDelete') return [];
  if (s.type !== 'RollingUpdate') return [notSupported(path, s, ['RollingUpdate', 'OnDelete'])];
  if (!isObj(s.rollingUpdate)) return [required(child(path, 'rollingUpdate'))];
  const rp = child(path, 'rollingUpdate');
  const ru = s.rollingUpdate;
  const errs = [
    ...validatePositiveIntOrPercent(ru.maxUnavailable, child(rp, 'maxUnavailable')),
    ...validatePositiveIntOrPercent(ru.maxSurge, child(rp, 'maxSurge')),
    ...notMoreThan100Percent(ru.maxUnavailable, child(rp, 'maxUnavailable')),
    ...notMoreThan100Percent(ru.maxSurge, child(rp, 'maxSurge')),
  ];
  const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
  const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
  if (hasUnavailable && hasSurge) errs.push(invalid(child(rp, 'maxSurge'), goIntOrString(ru.maxSurge), 'may not be set when maxUnavailable is non-zero'));
  if (!hasUnavailable && !hasSurge) errs.push(required(child(rp, 'maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
  return errs;
}

export function validateDaemonSet(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const s = specOf(obj);
  const errs = validateMeta(obj.metadata, old?.metadata, SUBDOMAIN);
  errs.push(...validateLabelSelectorObject(s.selector, 'spec.selector'));
  let sel: LabelSelector | undefined;
  try {
    sel = fromLabelSelectorObject(isObj(s.selector) ? s.selector : null);
  } catch {
    sel = undefined;
  }
  if (sel && !sel.matches(templateLabels(s.template))) {
    errs.push(invalid('spec.template.metadata.labels', goStringMap(templateLabels(s.template)), '`selector` does not match template `labels`'));
  }
  if (isObj(s.selector) && Object.keys(s.selector.matchLabels ?? {}).length + (s.selector.matchExpressions?.length ?? 0) === 0) {
    errs.push(invalid('spec.selector', goLabelSelector(s.selector), 'empty selector is invalid for daemonset'));
  }
  errs.push(...validatePodTemplateSpec(s.template, 'spec.template'));
  const tspec: Obj = isObj(s.template) && isObj(s.template.spec) ? s.template.spec : {};
  if (tspec.restartPolicy !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', tspec.restartPolicy ?? '', ['Always']));
  if (set(tspec.activeDeadlineSeconds)) {
    errs.push(forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in DaemonSet is not Supported'));
  }
  errs.push(...validateNonnegative(s.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateDaemonSetUpdateStrategy(s.updateStrategy, 'spec.updateStrategy'));
  errs.push(...validateNonnegative(s.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (old) errs.push(...validateImmutable(s.selector, specOf(old).selector, 'spec.selector', goLabelSelector(s.selector)));
  return errs;
}

export function validateControllerRevision(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const errs = validateMeta(obj.metadata, old?.metadata, SUBDOMAIN);
  if (obj.data === undefined || obj.data === null) errs.push(required('data', 'data is mandatory'));
  errs.push(...validateNonnegative(obj.revision, 'revision'));
  if (old) errs.push(...validateImmutable(obj.data, old.data, 'data'));
  return errs;
}

export function validateReplicationController(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const s = specOf(obj);
  const errs = validateMeta(obj.metadata, old?.metadata, SUBDOMAIN);
  errs.push(...validateNonnegative(s.minReadySeconds, 'spec.minReadySeconds'));
  const selector = fromSet(isObj(s.selector) ? s.selector : undefined);
  if (selector.empty()) errs.push(required('spec.selector'));
  errs.push(...validateNonnegative(s.replicas, 'spec.replicas'));
  errs.push(...validateReplicatedTemplate(s.template, selector, 'spec.template', 'ReplicationController'));
  return errs;
}
