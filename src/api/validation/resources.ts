// Validation of resource names and quantities: container resource requirements (requests ≤
// limits, non-overcommittable resources), ResourceLists of quotas, PVCs and limit ranges.

import { Quantity, QUANTITY_FORMAT_ERROR, QuantityParseError } from '../quantity.ts';
import { type ErrorList, GoValue, forbidden, invalid, key, required, child } from './field.ts';
import { isQualifiedName } from './names.ts';
import { IS_NEGATIVE_ERROR_MSG } from './meta.ts';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const STANDARD_RESOURCES = new Set([
  'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods', 'services', 'replicationcontrollers',
  'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims', 'requests.storage',
  'services.nodeports', 'services.loadbalancers', 'storage',
]);

export const isHugePages = (name: string): boolean => name.startsWith('hugepages-');
const isNative = (name: string): boolean => !name.includes('/') || name.includes('kubernetes.io/');
/** Requests may be below limits only for native, non-hugepage resources. */
export const isOvercommitAllowed = (name: string): boolean => isNative(name) && !isHugePages(name);
const isStandardResource = (name: string): boolean =>
  STANDARD_RESOURCES.has(name) || isHugePages(name) || name.startsWith('requests.hugepages-') || name.startsWith('limits.hugepages-');

export function validateResourceName(name: string, path: string): ErrorList {
  const errs = isQualifiedName(name).map((m) => invalid(path, name, m));
  if (errs.length) return errs;
  if (!name.includes('/') && !isStandardResource(name)) {
    return [invalid(path, name, 'must be a standard resource type or fully qualified')];
  }
  return [];
}

function validateContainerResourceName(name: string, path: string): ErrorList {
  const errs = validateResourceName(name, path);
  if (errs.length) return errs;
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePages(name)) {
      return [invalid(path, name, 'must be a standard resource for containers')];
    }
  } else if (!isNative(name)) {
    if (name.startsWith('requests.') || isQualifiedName(`requests.${name}`).length) {
      return [invalid(path, name, "doesn't follow extended resource name standard")];
    }
  }
  return [];
}

/** Parse a quantity field, reporting a bad one as upstream's decoder would. */
export function parseQuantityField(value: unknown, path: string, errs: ErrorList): Quantity | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') {
    errs.push(invalid(path, value ?? null, QUANTITY_FORMAT_ERROR));
    return undefined;
  }
  try {
    return Quantity.parse(value);
  } catch (e) {
    errs.push(invalid(path, value, e instanceof QuantityParseError ? e.message : QUANTITY_FORMAT_ERROR));
    return undefined;
  }
}

/** ValidateResourceQuantityValue: non-negative, and whole numbers for extended resources. */
function validateQuantityValue(name: string, q: Quantity, path: string): ErrorList {
  const errs: ErrorList = [];
  if (q.sign() < 0) errs.push(invalid(path, q.toString(), IS_NEGATIVE_ERROR_MSG));
  if (!isNative(name) && q.milliValue() % 1000 !== 0) errs.push(invalid(path, new GoValue(q.toString()), 'must be an integer'));
  return errs;
}

/** A ResourceList of a quota, PVC or limit range: valid names and non-negative quantities. */
export function validateResourceList(list: unknown, path: string): ErrorList {
  if (!isObj(list)) return [];
  const errs: ErrorList = [];
  for (const [name, v] of Object.entries(list)) {
    const p = key(path, name);
    errs.push(...validateResourceName(name, p));
    const q = parseQuantityField(v, p, errs);
    if (q) errs.push(...validateQuantityValue(name, q, p));
  }
  return errs;
}

/** Container (or pod overhead) resource requirements. */
export function validateResourceRequirements(req: unknown, path: string): ErrorList {
  if (!isObj(req)) return [];
  const errs: ErrorList = [];
  const limPath = child(path, 'limits');
  const reqPath = child(path, 'requests');
  const limits = new Map<string, Quantity>();
  let limCpuMem = false;
  let reqCpuMem = false;
  let hugePages = false;
  for (const [name, v] of Object.entries(isObj(req.limits) ? req.limits : {})) {
    const p = key(limPath, name);
    errs.push(...validateContainerResourceName(name, p));
    const q = parseQuantityField(v, p, errs);
    if (!q) continue;
    errs.push(...validateQuantityValue(name, q, p));
    limits.set(name, q);
    if (isHugePages(name)) hugePages = true;
    if (name === 'cpu' || name === 'memory') limCpuMem = true;
  }
  for (const [name, v] of Object.entries(isObj(req.requests) ? req.requests : {})) {
    const p = key(reqPath, name);
    errs.push(...validateContainerResourceName(name, p));
    const q = parseQuantityField(v, p, errs);
    if (!q) continue;
    errs.push(...validateQuantityValue(name, q, p));
    const lim = limits.get(name);
    if (lim) {
      if (q.cmp(lim) !== 0 && !isOvercommitAllowed(name)) {
        errs.push(invalid(reqPath, q.toString(), `must be equal to ${name} limit of ${lim.toString()}`));
      } else if (q.cmp(lim) > 0) {
        errs.push(invalid(reqPath, q.toString(), `must be less than or equal to ${name} limit of ${lim.toString()}`));
      }
    } else if (!isOvercommitAllowed(name)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
    if (isHugePages(name)) hugePages = true;
    if (name === 'cpu' || name === 'memory') reqCpuMem = true;
  }
  if (hugePages && !limCpuMem && !reqCpuMem) errs.push(forbidden(path, 'HugePages require cpu or memory'));
  return errs;
}
