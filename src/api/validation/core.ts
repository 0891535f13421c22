// Validation of the remaining core/v1 kinds: Namespace, ConfigMap, Secret, ServiceAccount,
// Endpoints, Event, PersistentVolume(Claim), ResourceQuota, LimitRange, Node.

import type { KubeObject, ValidationCause } from '../types.ts';
import { type ErrorList, GoValue, child, forbidden, index, invalid, key, notSupported, required, tooLong } from './field.ts';
import {
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isIPv4,
  isQualifiedName,
  isValidIP,
  isValidLabelValue,
  isValidPortNum,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  nameIsPathSegment,
} from './names.ts';
import { validateImmutable, validateKubeFinalizerName, validateLabelSelectorObject, validateMeta } from './meta.ts';
import { parseQuantityField, validateResourceList } from './resources.ts';
import { SUPPORTED_PORT_PROTOCOLS } from './container.ts';
import { semanticEqual } from './equality.ts';

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map((x) => (isObj(x) ? x : {})) : []);
const set = (v: unknown): boolean => v !== undefined && v !== null;
const specOf = (o: KubeObject | undefined): Obj => (o && isObj(o.spec) ? o.spec : {});

const MAX_SECRET_SIZE = 1024 * 1024;
const SUBDOMAIN = { nameFn: nameIsDNSSubdomain, namespaced: true };
const IMMUTABLE_SET = 'field is immutable when `immutable` is set';

export function validateNamespace(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const errs = validateMeta(obj.metadata, old?.metadata, { nameFn: nameIsDNSLabel, namespaced: false });
  if (!old) {
    for (const f of Array.isArray(obj.spec?.finalizers) ? obj.spec.finalizers : []) {
      const s = String(f);
      for (const m of isQualifiedName(s)) errs.push(invalid('spec.finalizers', s, m));
      errs.push(...validateKubeFinalizerName(s, 'spec.finalizers'));
    }
  }
  return errs;
}

function decodedLength(b64: unknown): number {
  return Buffer.from(String(b64 ?? ''), 'base64').length;
}

export function validateConfigMap(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const errs = validateMeta(obj.metadata, old?.metadata, SUBDOMAIN);
  const data: Obj = isObj(obj.data) ? obj.data : {};
  const binary: Obj = isObj(obj.binaryData) ? obj.binaryData : {};
  if (old && old.immutable === true) {
    if (obj.immutable !== true) errs.push(forbidden('immutable', IMMUTABLE_SET));
    if (!semanticEqual(obj.data, old.data)) errs.push(forbidden('data', IMMUTABLE_SET));
    if (!semanticEqual(obj.binaryData, old.binaryData)) errs.push(forbidden('binaryData', IMMUTABLE_SET));
  }
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('data', k), k, m));
    if (k in binary) errs.push(invalid(key('data', k), k, 'duplicate of key present in binaryData'));
    size += Buffer.byteLength(String(v ?? ''));
  }
  for (const [k, v] of Object.entries(binary)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('binaryData', k), k, m));
    size += decodedLength(v);
  }
  if (size > MAX_SECRET_SIZE) errs.push(tooLong('', MAX_SECRET_SIZE));
  return errs;
}

export function validateSecret(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const errs = validateMeta(obj.metadata, old?.metadata, SUBDOMAIN);
  const data: Obj = isObj(obj.data) ? obj.data : {};
  if (old) {
    errs.push(...validateImmutable(obj.type ?? '', old.type ?? '', 'type'));
    if (old.immutable === true) {
      if (obj.immutable !== true) errs.push(forbidden('immutable', IMMUTABLE_SET));
      if (!semanticEqual(obj.data, old.data)) errs.push(forbidden('data', IMMUTABLE_SET));
    }
  }
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('data', k), k, m));
    size += decodedLength(v);
  }
  if (size > MAX_SECRET_SIZE) errs.push(tooLong('data', MAX_SECRET_SIZE));
  const need = (k: string): void => {
    if (!(k in data)) errs.push(required(key('data', k)));
  };
  const jsonKey = (k: string): void => {
    if (!(k in data)) return void errs.push(required(key('data', k)));
    try {
      const parsed: unknown = JSON.parse(Buffer.from(String(data[k]), 'base64').toString('utf8'));
      if (!isObj(parsed)) throw new Error('json: cannot unmarshal into Go value of type map[string]interface {}');
    } catch (e) {
      errs.push(invalid(key('data', k), '<secret contents redacted>', (e as Error).message));
    }
  };
  switch (obj.type ?? '') {
    case 'kubernetes.io/service-account-token':
      if (!obj.metadata.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(required(key('metadata.annotations', 'kubernetes.io/service-account.name')));
      }
      break;
    case 'kubernetes.io/dockercfg':
      jsonKey('.dockercfg');
      break;
    case 'kubernetes.io/dockerconfigjson':
      jsonKey('.dockerconfigjson');
      break;
    case 'kubernetes.io/basic-auth':
      if (!('username' in data) && !('password' in data)) {
        need('username');
        need('password');
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (!data['ssh-privatekey']) errs.push(required(key('data', 'ssh-privatekey')));
      break;
    case 'kubernetes.io/tls':
      need('tls.crt');
      need('tls.key');
      break;
  }
  return errs;
}

export function validateServiceAccount(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  return validateMeta(obj.metadata, old?.metadata, SUBDOMAIN);
}

/** ValidateNonSpecialIP for IPv4 endpoint addresses. */
function nonSpecialIP(ip: string, path: string): ErrorList {
  if (!isIPv4(ip)) return ip === '::' ? [invalid(path, ip, 'may not be unspecified (::)')] : ip === '::1' ? [invalid(path, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)')] : [];
  const [a, b, c] = ip.split('.').map(Number) as [number, number, number];
  if (ip === '0.0.0.0') return [invalid(path, ip, 'may not be unspecified (0.0.0.0)')];
  if (a === 127) return [invalid(path, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)')];
  if (a === 169 && b === 254) return [invalid(path, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)')];
  if (a === 224 && b === 0 && c === 0) return [invalid(path, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)')];
  return [];
}

export function validateEndpoints(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const errs = validateMeta(obj.metadata, old?.metadata, SUBDOMAIN);
  list(obj.subsets).forEach((ss, i) => {
    const sp = index('subsets', i);
    if (list(ss.addresses).length === 0 && list(ss.notReadyAddresses).length === 0) {
      errs.push(required(sp, 'must specify `addresses` or `notReadyAddresses`'));
    }
    for (const which of ['addresses', 'notReadyAddresses']) {
      list(ss[which]).forEach((a, j) => {
        const ap = index(child(sp, which), j);
        const ip = String(a.ip ?? '');
        if (!isValidIP(ip)) errs.push(invalid(child(ap, 'ip'), ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
        if (a.hostname) for (const m of isDNS1123Label(String(a.hostname))) errs.push(invalid(child(ap, 'hostname'), a.hostname, m));
        if (set(a.nodeName)) for (const m of nameIsDNSSubdomain(String(a.nodeName), false)) errs.push(invalid(child(ap, 'nodeName'), a.nodeName, m));
        errs.push(...nonSpecialIP(ip, child(ap, 'ip')));
      });
    }
    const ports = list(ss.ports);
    ports.forEach((p, j) => {
      const pp = index(child(sp, 'ports'), j);
      if (ports.length > 1 && !p.name) errs.push(required(child(pp, 'name')));
      else if (p.name) for (const m of isDNS1123Label(String(p.name))) errs.push(invalid(child(pp, 'name'), p.name, m));
      for (const m of isValidPortNum(p.port)) errs.push(invalid(child(pp, 'port'), p.port ?? 0, m));
      if (!p.protocol) errs.push(required(child(pp, 'protocol')));
      else if (!SUPPORTED_PORT_PROTOCOLS.includes(p.protocol)) errs.push(notSupported(child(pp, 'protocol'), p.protocol, SUPPORTED_PORT_PROTOCOLS));
    });
  });
  return errs;
}

/** Core v1 Events get only the legacy checks (upstream validates no name format for them). */
export function validateEvent(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const errs = validateMeta(obj.metadata, old?.metadata, { nameFn: nameIsPathSegment, namespaced: true });
  const ns = obj.metadata.namespace ?? '';
  const ioNs = String(obj.involvedObject?.namespace ?? '');
  if (!obj.eventTime) {
    if (!ioNs ? ns !== '' && ns !== 'default' : ns !== ioNs) errs.push(invalid('involvedObject.namespace', ioNs, 'does not match event.namespace'));
  } else {
    if (!ioNs && ns !== 'default' && ns !== 'kube-system') errs.push(invalid('involvedObject.namespace', ioNs, 'does not match event.namespace'));
    if (!obj.reportingComponent) errs.push(required('reportingComponent'));
    else for (const m of isQualifiedName(String(obj.reportingComponent))) errs.push(invalid('reportingComponent', obj.reportingComponent, m));
    if (!obj.reportingInstance) errs.push(required('reportingInstance'));
    if (!obj.action) errs.push(required('action'));
    if (!obj.reason) errs.push(required('reason'));
  }
  if (String(obj.message ?? '').length > 1024) errs.push(invalid('message', '', 'can have at most 1024 characters'));
  return errs;
}

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const PV_SOURCES = [
  'gcePersistentDisk', 'awsElasticBlockStore', 'hostPath', 'glusterfs', 'nfs', 'rbd', 'iscsi', 'cinder', 'cephfs', 'fc',
  'flocker', 'flexVolume', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume',
  'scaleIO', 'local', 'storageos', 'csi',
];

function validateAccessModes(modes: unknown, path: string, requiredMsg: string): ErrorList {
  const ms: unknown[] = Array.isArray(modes) ? modes : [];
  if (ms.length === 0) return [required(path, requiredMsg)];
  return ms.filter((m) => !ACCESS_MODES.includes(String(m))).map((m) => notSupported(path, m, ACCESS_MODES));
}

export function validatePersistentVolume(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const errs = validateMeta(obj.metadata, old?.metadata, { nameFn: nameIsPathSegment, namespaced: false });
  const s = specOf(obj);
  errs.push(...validateAccessModes(s.accessModes, 'spec.accessModes', 'must specify at least 1 access mode'));
  const cap: Obj = isObj(s.capacity) ? s.capacity : {};
  if (Object.keys(cap).length === 0) errs.push(required('spec.capacity'));
  else if (!('storage' in cap) || Object.keys(cap).length > 1) errs.push(notSupported('spec.capacity', cap, ['storage']));
  errs.push(...validateResourceList(cap, 'spec.capacity'));
  if (s.persistentVolumeReclaimPolicy && !['Delete', 'Recycle', 'Retain'].includes(s.persistentVolumeReclaimPolicy)) {
    errs.push(notSupported('spec.persistentVolumeReclaimPolicy', s.persistentVolumeReclaimPolicy, ['Delete', 'Recycle', 'Retain']));
  }
  if (set(s.volumeMode) && !['Block', 'Filesystem'].includes(s.volumeMode)) errs.push(notSupported('spec.volumeMode', s.volumeMode, ['Block', 'Filesystem']));
  const sources = PV_SOURCES.filter((k) => set(s[k]));
  if (sources.length === 0) errs.push(required('spec', 'must specify a volume type'));
  for (const extra of sources.slice(1)) errs.push(forbidden(child('spec', extra), 'may not specify more than 1 volume type'));
  if (isObj(s.hostPath)) {
    if (!s.hostPath.path) errs.push(required('spec.hostPath.path'));
    else if (String(s.hostPath.path).split('/').includes('..')) errs.push(invalid('spec.hostPath.path', s.hostPath.path, "must not contain '..'"));
  }
  if (isObj(s.local) && !String(s.local.path ?? '').startsWith('/')) {
    errs.push(s.local.path ? invalid('spec.local.path', s.local.path, 'must be an absolute path') : required('spec.local.path'));
  }
  if (s.storageClassName) for (const m of isDNS1123Subdomain(String(s.storageClassName))) errs.push(invalid('spec.storageClassName', s.storageClassName, m));
  if (old) {
    const src = (x: Obj): Obj => Object.fromEntries(PV_SOURCES.filter((k) => set(x[k])).map((k) => [k, x[k]]));
    if (!semanticEqual(src(s), src(specOf(old)))) errs.push(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
    errs.push(...validateImmutable(s.volumeMode, specOf(old).volumeMode, 'spec.volumeMode', s.volumeMode ?? null));
  }
  return errs;
}

export function validatePersistentVolumeClaim(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const errs = validateMeta(obj.metadata, old?.metadata, { nameFn: nameIsPathSegment, namespaced: true });
  const s = specOf(obj);
  errs.push(...validateAccessModes(s.accessModes, 'spec.accessModes', 'at least 1 access mode is required'));
  if (isObj(s.selector)) errs.push(...validateLabelSelectorObject(s.selector, 'spec.selector'));
  const reqs: Obj = isObj(s.resources?.requests) ? s.resources.requests : {};
  const sp = key('spec.resources', 'storage');
  if (!('storage' in reqs)) errs.push(required(sp));
  else {
    const q = parseQuantityField(reqs.storage, sp, errs);
    if (q && q.sign() <= 0) errs.push(invalid(sp, q.toString(), 'must be greater than zero'));
  }
  if (s.storageClassName) for (const m of nameIsDNSSubdomain(String(s.storageClassName), false)) errs.push(invalid('spec.storageClassName', s.storageClassName, m));
  if (set(s.volumeMode) && !['Block', 'Filesystem'].includes(s.volumeMode)) errs.push(notSupported('spec.volumeMode', s.volumeMode, ['Block', 'Filesystem']));
  if (old) {
    const os = specOf(old);
    const strip = (x: Obj): Obj => {
      const c: Obj = structuredClone(x);
      if (isObj(c.resources)) delete c.resources.requests;
      delete c.volumeAttributesClassName;
      if (!os.volumeName) delete c.volumeName;
      return c;
    };
    if (!semanticEqual(strip(s), strip(os))) {
      errs.push(forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
    }
  }
  return errs;
}

export function validateResourceQuota(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const errs = validateMeta(obj.metadata, old?.metadata, SUBDOMAIN);
  errs.push(...validateResourceList(obj.spec?.hard, 'spec.hard'));
  const scopes = ['BestEffort', 'CrossNamespacePodAffinity', 'NotBestEffort', 'NotTerminating', 'PriorityClass', 'Terminating'];
  (Array.isArray(obj.spec?.scopes) ? obj.spec.scopes : []).forEach((sc: unknown) => {
    if (!scopes.includes(String(sc))) errs.push(notSupported('spec.scopes', sc, scopes));
  });
  return errs;
}

export function validateLimitRange(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const errs = validateMeta(obj.metadata, old?.metadata, SUBDOMAIN);
  list(obj.spec?.limits).forEach((item, i) => {
    const ip = index('spec.limits', i);
    const type = String(item.type ?? '');
    for (const m of isQualifiedName(type)) errs.push(invalid(child(ip, 'type'), type, m));
    if (!type.includes('/') && !['Pod', 'Container', 'PersistentVolumeClaim'].includes(type)) {
      errs.push(invalid(child(ip, 'type'), type, 'must be a standard limit type or fully qualified'));
    }
    for (const f of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) errs.push(...validateResourceList(item[f], child(ip, f)));
    const q = (f: string, k: string) => (isObj(item[f]) && k in item[f] ? parseQuantityField(item[f][k], key(child(ip, f), k), []) : undefined);
    const names = new Set<string>(['max', 'min', 'default', 'defaultRequest'].flatMap((f) => (isObj(item[f]) ? Object.keys(item[f]) : [])));
    for (const k of names) {
      const [max, min, def, defReq] = [q('max', k), q('min', k), q('default', k), q('defaultRequest', k)];
      const g = (x: { toString(): string }): GoValue => new GoValue(x.toString());
      if (min && max && min.cmp(max) > 0) errs.push(invalid(key(child(ip, 'min'), k), g(min), `min value ${min} is greater than max value ${max}`));
      if (defReq && min && min.cmp(defReq) > 0) errs.push(invalid(key(child(ip, 'defaultRequest'), k), g(defReq), `min value ${min} is greater than default request value ${defReq}`));
      if (defReq && max && defReq.cmp(max) > 0) errs.push(invalid(key(child(ip, 'defaultRequest'), k), g(defReq), `default request value ${defReq} is greater than max value ${max}`));
      if (defReq && def && defReq.cmp(def) > 0) errs.push(invalid(key(child(ip, 'defaultRequest'), k), g(defReq), `default request value ${defReq} is greater than default limit value ${def}`));
      if (def && min && min.cmp(def) > 0) errs.push(invalid(key(child(ip, 'default'), k), g(min), `min value ${min} is greater than default value ${def}`));
      if (def && max && def.cmp(max) > 0) errs.push(invalid(key(child(ip, 'default'), k), g(max), `default value ${def} is greater than max value ${max}`));
    }
  });
  return errs;
}

export function validateNode(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const errs = validateMeta(obj.metadata, old?.metadata, { nameFn: nameIsDNSSubdomain, namespaced: false });
  const s = specOf(obj);
  list(s.taints).forEach((t, i) => {
    const tp = index('spec.taints', i);
    for (const m of isQualifiedName(String(t.key ?? ''))) errs.push(invalid(child(tp, 'key'), String(t.key ?? ''), m));
    for (const m of isValidLabelValue(String(t.value ?? ''))) errs.push(invalid(child(tp, 'value'), String(t.value ?? ''), m));
    if (!t.effect) errs.push(required(child(tp, 'effect')));
    else if (!['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)) {
      errs.push(notSupported(child(tp, 'effect'), t.effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']));
    }
  });
  if (old) {
    const os = specOf(old);
    if (os.podCIDR && s.podCIDR !== os.podCIDR) errs.push(forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
    if (os.providerID && s.providerID !== os.providerID) errs.push(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  return errs;
}
