// Validation of Pods (create and update) and PodTemplates. A pod's spec is immutable after
// creation except container images, activeDeadlineSeconds (only shortened), added
// tolerations, removed scheduling gates, a negative grace period raised to 1, and an unset
// spec.nodeName being set (the binding subresource writes through the same validation here).

import type { KubeObject, ValidationCause } from '../types.ts';
import { type ErrorList, child, forbidden, index, invalid, required } from './field.ts';
import { inclusiveRangeError, nameIsDNSSubdomain } from './names.ts';
import { validateMeta, validateObjectMeta } from './meta.ts';
import { validatePodSpec, validatePodTemplateSpec, validateTolerations } from './podspec.ts';
import { semanticDiff, semanticEqual } from './equality.ts';
import { formatValue } from './field.ts';

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map((x) => (isObj(x) ? x : {})) : []);
const MAX_INT32 = 2147483647;

const UPDATABLE_POD_SPEC_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

const META_OPTS = { nameFn: nameIsDNSSubdomain, namespaced: true };

function validatePodMetadataAndSpec(pod: KubeObject): ErrorList {
  const errs = validateObjectMeta(pod.metadata, META_OPTS);
  const spec: Obj = isObj(pod.spec) ? pod.spec : {};
  errs.push(...validatePodSpec(spec, 'spec', { isPod: true }));
  if (!spec.serviceAccountName) {
    list(spec.volumes).forEach((v, vi) => {
      if (!isObj(v.projected)) return;
      list(v.projected.sources).forEach((s, si) => {
        if (isObj(s.serviceAccountToken)) {
          const p = child(index(child(index(child('spec', 'volumes'), vi), 'projected', 'sources'), si), 'serviceAccountToken');
          errs.push(forbidden(p, 'must not be specified when serviceAccountName is not set'));
        }
      });
    });
  }
  return errs;
}

function validatePodCreate(pod: KubeObject): ErrorList {
  const errs = validatePodMetadataAndSpec(pod);
  const spec: Obj = isObj(pod.spec) ? pod.spec : {};
  if (Array.isArray(spec.ephemeralContainers) && spec.ephemeralContainers.length > 0) {
    errs.push(forbidden(child('spec', 'ephemeralContainers'), 'cannot be set on create'));
  }
  if (spec.nodeName && Array.isArray(spec.schedulingGates) && spec.schedulingGates.length > 0) {
    errs.push(forbidden(child('spec', 'nodeName'), 'cannot be set until all schedulingGates have been cleared'));
  }
  return errs;
}

function containerUpdates(next: Obj[], prev: Obj[], path: string): { errs: ErrorList; stop: boolean } {
  if (next.length !== prev.length) return { errs: [forbidden(path, 'pod updates may not add or remove containers')], stop: true };
  const errs: ErrorList = [];
  next.forEach((c, i) => {
    const image = String(c.image ?? '');
    if (!image) errs.push(required(child(index(path, i), 'image')));
    if (image.trim().length !== image.length) errs.push(invalid(child(index(path, i), 'image'), image, 'must not have leading or trailing whitespace'));
  });
  return { errs, stop: false };
}

function onlyAddedTolerations(next: unknown, prev: unknown, path: string): ErrorList {
  const n = list(next);
  for (const old of list(prev)) {
    const found = n.some((t) => semanticEqual({ ...old, tolerationSeconds: t.tolerationSeconds }, t));
    if (!found) return [forbidden(path, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(next, path);
}

function onlyDeletedSchedulingGates(next: unknown, prev: unknown, path: string): ErrorList {
  const oldNames = new Set(list(prev).map((g) => g.name));
  if (list(next).some((g) => !oldNames.has(g.name))) return [forbidden(path, 'only deletion is allowed, but found new scheduling gate')];
  return [];
}

/** The readable part of upstream's "pod updates may not change fields" message: one -/+ pair per changed field. */
function specDiff(oldSpec: Obj, newSpec: Obj): string {
  const lines = semanticDiff(oldSpec, newSpec).map((p) => {
    const get = (o: unknown): unknown => p.split(/\.|\[(\d+)\]/).filter(Boolean).reduce((acc: any, k) => (acc == null ? undefined : acc[k]), o);
    return `- \t${p}: ${formatValue(get(oldSpec))}\n+ \t${p}: ${formatValue(get(newSpec))}`;
  });
  return `  core.PodSpec{\n${lines.join('\n')}\n  }\n`;
}

function validatePodUpdate(pod: KubeObject, old: KubeObject): ErrorList {
  const errs = validateMeta(pod.metadata, old.metadata, META_OPTS);
  errs.push(...validatePodMetadataAndSpec(pod));
  const spec: Obj = isObj(pod.spec) ? pod.spec : {};
  const oldSpec: Obj = isObj(old.spec) ? old.spec : {};
  const c = containerUpdates(list(spec.containers), list(oldSpec.containers), child('spec', 'containers'));
  errs.push(...c.errs);
  if (c.stop) return errs;
  const ic = containerUpdates(list(spec.initContainers), list(oldSpec.initContainers), child('spec', 'initContainers'));
  errs.push(...ic.errs);
  if (ic.stop) return errs;

  const adsPath = child('spec', 'activeDeadlineSeconds');
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    const v = spec.activeDeadlineSeconds;
    if (v < 0 || v > MAX_INT32) {
      errs.push(invalid(adsPath, v, inclusiveRangeError(0, MAX_INT32)));
      return errs;
    }
    if (typeof oldSpec.activeDeadlineSeconds === 'number' && oldSpec.activeDeadlineSeconds < v) {
      errs.push(invalid(adsPath, v, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (oldSpec.activeDeadlineSeconds !== undefined && oldSpec.activeDeadlineSeconds !== null) {
    errs.push(invalid(adsPath, null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...onlyAddedTolerations(spec.tolerations, oldSpec.tolerations, child('spec', 'tolerations')));
  errs.push(...onlyDeletedSchedulingGates(spec.schedulingGates, oldSpec.schedulingGates, child('spec', 'schedulingGates')));
  if (semanticEqual(spec, oldSpec)) return errs;

  const munged: Obj = structuredClone(spec);
  list(munged.containers).forEach((ctr, i) => (ctr.image = oldSpec.containers[i].image));
  list(munged.initContainers).forEach((ctr, i) => (ctr.image = oldSpec.initContainers[i].image));
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.schedulingGates = oldSpec.schedulingGates;
  munged.tolerations = oldSpec.tolerations;
  // Binding sets spec.nodeName once, from empty. Upstream's binding path skips update validation;
  // skiff's registry validates every write, so an unset nodeName may be set here.
  if (!oldSpec.nodeName && munged.nodeName) munged.nodeName = oldSpec.nodeName;
  if (typeof oldSpec.terminationGracePeriodSeconds === 'number' && oldSpec.terminationGracePeriodSeconds < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  }
  if (Array.isArray(oldSpec.schedulingGates) && oldSpec.schedulingGates.length > 0) {
    // A gated pod may still gain node selector entries and node affinity (validated by the scheduler side).
    munged.nodeSelector = oldSpec.nodeSelector;
    if (isObj(munged.affinity)) munged.affinity.nodeAffinity = oldSpec.affinity?.nodeAffinity;
  }
  if (!semanticEqual(munged, oldSpec)) {
    errs.push(forbidden('spec', `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(',')}\n${specDiff(oldSpec, munged)}`));
  }
  return errs;
}

/** Pod create (old undefined) or update. */
export function validatePod(pod: KubeObject, old?: KubeObject): ValidationCause[] {
  return old === undefined ? validatePodCreate(pod) : validatePodUpdate(pod, old);
}

export function validatePodTemplate(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const errs = validateMeta(obj.metadata, old?.metadata, META_OPTS);
  errs.push(...validatePodTemplateSpec(obj.template, 'template'));
  return errs;
}
