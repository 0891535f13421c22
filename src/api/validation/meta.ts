// ObjectMeta validation (create and update), labels, annotations, label selectors and the
// small shared checks (non-negative numbers, immutable fields) every kind's validator uses.
//
// Deliberate differences from upstream, because in skiff the apiserver owns these fields and
// fills them after validation: metadata.resourceVersion is not required on update (the
// apiserver enforces preconditions) and metadata.generation is not compared (the apiserver sets
// it). uid/creationTimestamp/deletionTimestamp/deletionGracePeriodSeconds are compared only when
// the update carries them (the apiserver copies them from the stored object, as upstream's
// BeforeUpdate does).

import type { ObjectMeta } from '../types.ts';
import {
  type ErrorList,
  child,
  forbidden,
  index,
  invalid,
  required,
  tooLong,
  GoValue,
} from './field.ts';
import { type NameValidator, isQualifiedName, isValidLabelValue, nameIsDNSLabel } from './names.ts';
import { semanticEqual } from './equality.ts';

export const IS_NEGATIVE_ERROR_MSG = 'must be greater than or equal to 0';
export const FIELD_IMMUTABLE_ERROR_MSG = 'field is immutable';
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function validateNonnegative(value: unknown, path: string): ErrorList {
  return typeof value === 'number' && value < 0 ? [invalid(path, value, IS_NEGATIVE_ERROR_MSG)] : [];
}

export function validateImmutable(newVal: unknown, oldVal: unknown, path: string, shown: unknown = newVal): ErrorList {
  return semanticEqual(newVal, oldVal) ? [] : [invalid(path, shown, FIELD_IMMUTABLE_ERROR_MSG)];
}

export function validateLabelName(name: string, path: string): ErrorList {
  return isQualifiedName(name).map((m) => invalid(path, name, m));
}

/** Keys are qualified names, values valid label values; errors point at the map, as upstream. */
export function validateLabels(labels: unknown, path: string): ErrorList {
  if (!isObj(labels)) return [];
  const errs: ErrorList = [];
  for (const [k, v] of Object.entries(labels)) {
    errs.push(...validateLabelName(k, path));
    for (const m of isValidLabelValue(String(v ?? ''))) errs.push(invalid(path, String(v ?? ''), m));
  }
  return errs;
}

export function validateAnnotations(annotations: unknown, path: string): ErrorList {
  if (!isObj(annotations)) return [];
  const errs: ErrorList = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, m));
    size += Buffer.byteLength(k) + Buffer.byteLength(String(v ?? ''));
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

/** metav1.LabelSelector content (ValidateLabelSelector). */
export function validateLabelSelectorObject(sel: unknown, path: string): ErrorList {
  if (!isObj(sel)) return [];
  const errs = validateLabels(sel.matchLabels, child(path, 'matchLabels'));
  const exprs: unknown[] = Array.isArray(sel.matchExpressions) ? sel.matchExpressions : [];
  exprs.forEach((e, i) => {
    const p = index(child(path, 'matchExpressions'), i);
    const expr = isObj(e) ? e : {};
    const values: unknown[] = Array.isArray(expr.values) ? expr.values : [];
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errs.push(forbidden(child(p, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errs.push(invalid(child(p, 'operator'), expr.operator ?? '', 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(String(expr.key ?? ''), child(p, 'key')));
    values.forEach((v, vi) => {
      for (const m of isValidLabelValue(String(v))) errs.push(invalid(index(child(p, 'values'), vi), String(v), m));
    });
  });
  return errs;
}

function validateOwnerReferences(refs: unknown, path: string): ErrorList {
  if (!Array.isArray(refs)) return [];
  const errs: ErrorList = [];
  let firstController = '';
  for (const r of refs) {
    const ref = isObj(r) ? r : {};
    const apiVersion = String(ref.apiVersion ?? '');
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    if (!version) errs.push(invalid(child(path, 'apiVersion'), apiVersion, 'version must not be empty'));
    if (!ref.kind) errs.push(invalid(child(path, 'kind'), String(ref.kind ?? ''), 'kind must not be empty'));
    if (!ref.name) errs.push(invalid(child(path, 'name'), String(ref.name ?? ''), 'name must not be empty'));
    if (!ref.uid) errs.push(invalid(child(path, 'uid'), String(ref.uid ?? ''), 'uid must not be empty'));
    if (group === '' && version === 'v1' && ref.kind === 'Event') {
      errs.push(invalid(path, JSON.stringify(ref), '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (ref.controller === true) {
      const name = `${ref.kind}/${ref.name}`;
      if (firstController) {
        errs.push(
          invalid(path, refs, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${name}`),
        );
      } else firstController = name;
    }
  }
  return errs;
}

function validateFinalizers(finalizers: unknown, path: string): ErrorList {
  if (!Array.isArray(finalizers)) return [];
  const errs: ErrorList = [];
  for (const f of finalizers) for (const m of isQualifiedName(String(f))) errs.push(invalid(path, String(f), m));
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    errs.push(invalid(path, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  finalizers.forEach((f, i) => errs.push(...validateKubeFinalizerName(String(f), index(path, i))));
  return errs;
}

/** Finalizers without a domain must be one of the standard ones. */
export function validateKubeFinalizerName(f: string, path: string): ErrorList {
  if (!f.includes('/') && !STANDARD_FINALIZERS.has(f)) {
    return [invalid(path, f, 'name is neither a standard finalizer name nor is it fully qualified')];
  }
  return [];
}

export interface MetaOptions {
  /** Validate the name with this function (default: DNS-1123 subdomain rules). */
  nameFn: NameValidator;
  /** Namespaced kinds need metadata.namespace; cluster-scoped ones must not have it. */
  namespaced: boolean;
}

/** ValidateObjectMeta on create. */
export function validateObjectMeta(meta: ObjectMeta | undefined, opts: MetaOptions, path = 'metadata'): ErrorList {
  const m: ObjectMeta = meta ?? {};
  const errs: ErrorList = [];
  if (m.generateName) {
    for (const msg of opts.nameFn(m.generateName, true)) errs.push(invalid(child(path, 'generateName'), m.generateName, msg));
  }
  if (!m.name) errs.push(required(child(path, 'name'), 'name or generateName is required'));
  else for (const msg of opts.nameFn(m.name, false)) errs.push(invalid(child(path, 'name'), m.name, msg));
  if (opts.namespaced) {
    if (!m.namespace) errs.push(required(child(path, 'namespace')));
    else for (const msg of nameIsDNSLabel(m.namespace, false)) errs.push(invalid(child(path, 'namespace'), m.namespace, msg));
  } else if (m.namespace) {
    errs.push(forbidden(child(path, 'namespace'), 'not allowed on this type'));
  }
  errs.push(...validateNonnegative(m.generation, child(path, 'generation')));
  errs.push(...validateLabels(m.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(m.annotations, child(path, 'annotations')));
  errs.push(...validateOwnerReferences(m.ownerReferences, child(path, 'ownerReferences')));
  errs.push(...validateFinalizers(m.finalizers, child(path, 'finalizers')));
  return errs;
}

/** ValidateObjectMetaUpdate (see the module header for what is left to the apiserver). */
export function validateObjectMetaUpdate(meta: ObjectMeta | undefined, old: ObjectMeta | undefined, path = 'metadata'): ErrorList {
  const m: ObjectMeta = meta ?? {};
  const o: ObjectMeta = old ?? {};
  const errs: ErrorList = [];
  if (o.deletionTimestamp) {
    const oldSet = new Set(o.finalizers ?? []);
    const extra = [...new Set((m.finalizers ?? []).filter((f) => !oldSet.has(f)))].sort();
    if (extra.length) {
      const list = `[]string{${extra.map((f) => JSON.stringify(f)).join(', ')}}`;
      errs.push(forbidden(child(path, 'finalizers'), `no new finalizers can be added if the object is being deleted, found new finalizers ${list}`));
    }
  }
  errs.push(...validateImmutable(m.name ?? '', o.name ?? '', child(path, 'name')));
  errs.push(...validateImmutable(m.namespace ?? '', o.namespace ?? '', child(path, 'namespace')));
  const ifPresent = (field: 'uid' | 'creationTimestamp' | 'deletionTimestamp' | 'deletionGracePeriodSeconds'): void => {
    if (m[field] === undefined || m[field] === null) return;
    errs.push(...validateImmutable(m[field], o[field], child(path, field), m[field] ?? new GoValue('null')));
  };
  ifPresent('uid');
  ifPresent('creationTimestamp');
  ifPresent('deletionTimestamp');
  ifPresent('deletionGracePeriodSeconds');
  errs.push(...validateLabels(m.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(m.annotations, child(path, 'annotations')));
  errs.push(...validateOwnerReferences(m.ownerReferences, child(path, 'ownerReferences')));
  (m.finalizers ?? []).forEach((f, i) => errs.push(...validateKubeFinalizerName(String(f), index(child(path, 'finalizers'), i))));
  return errs;
}

/** Metadata of a create (old undefined) or an update. */
export function validateMeta(meta: ObjectMeta | undefined, old: ObjectMeta | undefined, opts: MetaOptions, path = 'metadata'): ErrorList {
  return old === undefined ? validateObjectMeta(meta, opts, path) : validateObjectMetaUpdate(meta, old, path);
}
