// Validation of pod volumes: unique DNS-label names, exactly one source each, and the common
// sources (emptyDir, hostPath, secret, configMap, persistentVolumeClaim, downwardAPI,
// projected, nfs, csi, ephemeral, image) checked as upstream does. Exotic cloud sources are only
// counted, not inspected.

import { type ErrorList, child, duplicate, forbidden, index, invalid, notSupported, required } from './field.ts';
import { isDNS1123Label } from './names.ts';
import { Quantity } from '../quantity.ts';
import { VOLUME_SOURCE_FIELDS } from '../defaults/pod.ts';
import { validateObjectFieldSelector } from './container.ts';
import type { VolumeMap } from './container.ts';

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map((x) => (isObj(x) ? x : {})) : []);

const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';
const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
const DOWNWARD_VOLUME_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];

function noBacksteps(p: string, path: string): ErrorList {
  return p.split('/').includes('..') ? [invalid(path, p, "must not contain '..'")] : [];
}

/** ValidateLocalNonReservedPath: relative, no `..` element, not starting with `..`. */
function localNonReservedPath(p: string, path: string): ErrorList {
  const errs: ErrorList = [];
  if (p.startsWith('/')) errs.push(invalid(path, p, 'must be a relative path'));
  errs.push(...noBacksteps(p, path));
  if (p.startsWith('..')) errs.push(invalid(path, p, "must not start with '..'"));
  return errs;
}

function mode(v: unknown, path: string): ErrorList {
  return typeof v === 'number' && (v < 0 || v > 0o777) ? [invalid(path, v, FILE_MODE_ERROR)] : [];
}

function keyToPaths(items: unknown, path: string): ErrorList {
  const errs: ErrorList = [];
  list(items).forEach((kp, i) => {
    const ip = index(path, i);
    if (!kp.key) errs.push(required(child(ip, 'key')));
    if (!kp.path) errs.push(required(child(ip, 'path')));
    errs.push(...localNonReservedPath(String(kp.path ?? ''), child(ip, 'path')));
    errs.push(...mode(kp.mode, child(ip, 'mode')));
  });
  return errs;
}

function downwardAPIItems(items: unknown, path: string): ErrorList {
  const errs: ErrorList = [];
  list(items).forEach((f, i) => {
    const ip = index(path, i);
    if (!f.path) errs.push(required(child(ip, 'path')));
    errs.push(...localNonReservedPath(String(f.path ?? ''), child(ip, 'path')));
    errs.push(...mode(f.mode, child(ip, 'mode')));
    const hasField = isObj(f.fieldRef);
    const hasResource = isObj(f.resourceFieldRef);
    if (hasField) errs.push(...validateObjectFieldSelector(f.fieldRef, DOWNWARD_VOLUME_PATHS, child(ip, 'fieldRef')));
    if (hasField && hasResource) errs.push(invalid(ip, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
    if (hasResource && !f.resourceFieldRef.containerName) errs.push(required(child(ip, 'resourceFieldRef', 'containerName')));
  });
  return errs;
}

function sourceChecks(name: string, src: Obj, path: string): ErrorList {
  switch (name) {
    case 'emptyDir': {
      const q = src.sizeLimit === undefined ? undefined : Quantity.tryParse(src.sizeLimit);
      if (src.sizeLimit !== undefined && (!q || q.sign() < 0)) {
        return [forbidden(child(path, 'sizeLimit'), 'SizeLimit field must be a valid resource quantity')];
      }
      return [];
    }
    case 'hostPath': {
      if (!src.path) return [required(child(path, 'path'))];
      const errs = noBacksteps(String(src.path), child(path, 'path'));
      if (src.type !== undefined && src.type !== null && !HOST_PATH_TYPES.includes(src.type)) {
        errs.push(notSupported(child(path, 'type'), src.type, HOST_PATH_TYPES));
      }
      return errs;
    }
    case 'secret': {
      const errs: ErrorList = src.secretName ? [] : [required(child(path, 'secretName'))];
      return [...errs, ...mode(src.defaultMode, child(path, 'defaultMode')), ...keyToPaths(src.items, child(path, 'items'))];
    }
    case 'configMap': {
      const errs: ErrorList = src.name ? [] : [required(child(path, 'name'))];
      return [...errs, ...mode(src.defaultMode, child(path, 'defaultMode')), ...keyToPaths(src.items, child(path, 'items'))];
    }
    case 'persistentVolumeClaim':
      return src.claimName ? [] : [required(child(path, 'claimName'))];
    case 'downwardAPI':
      return [...mode(src.defaultMode, child(path, 'defaultMode')), ...downwardAPIItems(src.items, child(path, 'items'))];
    case 'projected': {
      const errs = mode(src.defaultMode, child(path, 'defaultMode'));
      list(src.sources).forEach((s, i) => {
        const sp = index(child(path, 'sources'), i);
        const kinds = ['secret', 'configMap', 'downwardAPI', 'serviceAccountToken', 'clusterTrustBundle'].filter((k) => isObj(s[k]));
        if (kinds.length > 1) errs.push(forbidden(sp, 'may not specify more than 1 volume type per source'));
        if (isObj(s.secret) || isObj(s.configMap)) {
          const which = isObj(s.secret) ? 'secret' : 'configMap';
          if (!s[which].name) errs.push(required(child(sp, which, 'name')));
          errs.push(...keyToPaths(s[which].items, child(sp, which, 'items')));
        }
        if (isObj(s.downwardAPI)) errs.push(...downwardAPIItems(s.downwardAPI.items, child(sp, 'downwardAPI', 'items')));
        if (isObj(s.serviceAccountToken)) {
          const t = s.serviceAccountToken;
          if (typeof t.expirationSeconds === 'number' && t.expirationSeconds < 600) {
            errs.push(invalid(child(sp, 'serviceAccountToken', 'expirationSeconds'), t.expirationSeconds, 'may not specify a duration less than 10 minutes'));
          }
          if (!t.path) errs.push(required(child(sp, 'serviceAccountToken', 'path')));
        }
      });
      return errs;
    }
    case 'nfs': {
      const errs: ErrorList = [];
      if (!src.server) errs.push(required(child(path, 'server')));
      if (!src.path) errs.push(required(child(path, 'path')));
      else if (!String(src.path).startsWith('/')) errs.push(invalid(child(path, 'path'), src.path, 'must be an absolute path'));
      return errs;
    }
    case 'csi':
      return src.driver ? [] : [required(child(path, 'driver'))];
    case 'ephemeral':
      return isObj(src.volumeClaimTemplate) ? [] : [required(child(path, 'volumeClaimTemplate'))];
    case 'image':
      return src.reference ? [] : [required(child(path, 'reference'))];
    default:
      return [];
  }
}

/** Validate `spec.volumes`; returns the valid volumes by name (container mounts must refer to one). */
export function validateVolumes(volumes: unknown, path: string): { volumes: VolumeMap; errs: ErrorList } {
  const out: VolumeMap = new Map();
  const errs: ErrorList = [];
  list(volumes).forEach((vol, i) => {
    const ip = index(path, i);
    const el: ErrorList = [];
    let count = 0;
    for (const s of VOLUME_SOURCE_FIELDS) {
      if (vol[s] === undefined || vol[s] === null) continue;
      if (count > 0) {
        el.push(forbidden(child(ip, s), 'may not specify more than 1 volume type'));
        continue;
      }
      count++;
      el.push(...sourceChecks(s, isObj(vol[s]) ? vol[s] : {}, child(ip, s)));
    }
    if (count === 0) el.push(required(ip, 'must specify a volume type'));
    const name = String(vol.name ?? '');
    if (!name) el.push(required(child(ip, 'name')));
    else for (const m of isDNS1123Label(name)) el.push(invalid(child(ip, 'name'), name, m));
    if (name && out.has(name)) el.push(duplicate(child(ip, 'name'), name));
    if (el.length === 0) out.set(name, vol);
    else errs.push(...el);
  });
  return { volumes: out, errs };
}
