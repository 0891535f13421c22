// Validation of containers (regular and init): names, images, ports, env, envFrom, volume
// mounts, probes, lifecycle handlers, pull policy, resources and the basic security context,
// with upstream's field paths and messages.

import {
  type ErrorList,
  child,
  duplicate,
  forbidden,
  index,
  invalid,
  notFound,
  notSupported,
  required,
} from './field.ts';
import {
  inclusiveRangeError,
  isConfigMapKey,
  isDNS1123Label,
  isHTTPHeaderName,
  isQualifiedName,
  isRelaxedEnvVarName,
  isValidPortName,
  isValidPortNum,
  nameIsDNSSubdomain,
} from './names.ts';
import { validateNonnegative } from './meta.ts';
import { validateResourceRequirements } from './resources.ts';

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map((x) => (isObj(x) ? x : {})) : []);
const set = (v: unknown): boolean => v !== undefined && v !== null;

export const SUPPORTED_PORT_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

/** A volume name → source map of the pod's valid volumes (mounts must refer to one). */
export type VolumeMap = Map<string, Obj>;

function validateContainerPorts(ports: unknown, path: string): ErrorList {
  const errs: ErrorList = [];
  const names = new Set<string>();
  list(ports).forEach((p, i) => {
    const ip = index(path, i);
    if (p.name) {
      const msgs = isValidPortName(String(p.name));
      if (msgs.length) for (const m of msgs) errs.push(invalid(child(ip, 'name'), p.name, m));
      else if (names.has(p.name)) errs.push(duplicate(child(ip, 'name'), p.name));
      else names.add(p.name);
    }
    if (!p.containerPort) errs.push(required(child(ip, 'containerPort')));
    else for (const m of isValidPortNum(p.containerPort)) errs.push(invalid(child(ip, 'containerPort'), p.containerPort, m));
    if (p.hostPort) for (const m of isValidPortNum(p.hostPort)) errs.push(invalid(child(ip, 'hostPort'), p.hostPort, m));
    if (!p.protocol) errs.push(required(child(ip, 'protocol')));
    else if (!SUPPORTED_PORT_PROTOCOLS.includes(p.protocol)) errs.push(notSupported(child(ip, 'protocol'), p.protocol, SUPPORTED_PORT_PROTOCOLS));
  });
  return errs;
}

const ENV_FIELD_PATHS = [
  'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName',
  'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
].sort();
/** Field paths the v1 downward API knows at all (others fail conversion). */
const DOWNWARD_V1_PATHS = new Set([
  'metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid',
  'spec.nodeName', 'spec.restartPolicy', 'spec.serviceAccountName', 'spec.schedulerName', 'status.phase',
  'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
]);
const RESOURCE_FIELD_PATHS = [
  'limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory',
];

/** ObjectFieldSelector of env vars and downward API volumes. */
export function validateObjectFieldSelector(fs: Obj, expressions: readonly string[], path: string): ErrorList {
  if (!fs.apiVersion) return [required(child(path, 'apiVersion'))];
  if (!fs.fieldPath) return [required(child(path, 'fieldPath'))];
  const fp = String(fs.fieldPath);
  const m = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/.exec(fp);
  const base = m ? m[1]! : fp;
  let conversionError = '';
  if (fs.apiVersion !== 'v1') conversionError = `unsupported pod version: ${fs.apiVersion}`;
  else if (!DOWNWARD_V1_PATHS.has(base)) conversionError = `field label not supported: ${fp}`;
  if (conversionError) return [invalid(child(path, 'fieldPath'), fp, `error converting fieldPath: ${conversionError}`)];
  if (m) {
    const sub = base === 'metadata.annotations' ? m[2]!.toLowerCase() : m[2]!;
    return isQualifiedName(sub).map((msg) => invalid(path, sub, msg));
  }
  if (!expressions.includes(fp)) return [notSupported(child(path, 'fieldPath'), fp, expressions)];
  return [];
}

function validateResourceFieldRef(ref: Obj, path: string, requireContainerName: boolean): ErrorList {
  const errs: ErrorList = [];
  if (requireContainerName && !ref.containerName) errs.push(required(child(path, 'containerName')));
  const r = String(ref.resource ?? '');
  if (!r) errs.push(required(child(path, 'resource')));
  else if (!RESOURCE_FIELD_PATHS.includes(r) && !/^(requests|limits)\.hugepages-/.test(r)) {
    errs.push(notSupported(child(path, 'resource'), r, RESOURCE_FIELD_PATHS));
  }
  if (set(ref.divisor) && r) {
    const d = String(ref.divisor);
    const mem = ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'];
    if (r.endsWith('.cpu') && !['1m', '1'].includes(d)) {
      errs.push(invalid(child(path, 'divisor'), r, "only divisor's values 1m and 1 are supported with the cpu resource"));
    } else if (r.endsWith('.memory') && !mem.includes(d)) {
      errs.push(invalid(child(path, 'divisor'), r, `only divisor's values ${mem.join(', ')} are supported with the memory resource`));
    }
  }
  return errs;
}

function validateKeySelector(s: Obj, path: string): ErrorList {
  const errs: ErrorList = nameIsDNSSubdomain(String(s.name ?? ''), false).map((m) => invalid(child(path, 'name'), String(s.name ?? ''), m));
  if (!s.key) errs.push(required(child(path, 'key')));
  else for (const m of isConfigMapKey(String(s.key))) errs.push(invalid(child(path, 'key'), s.key, m));
  return errs;
}

function validateEnv(env: unknown, path: string): ErrorList {
  const errs: ErrorList = [];
  list(env).forEach((ev, i) => {
    const ip = index(path, i);
    if (!ev.name) errs.push(required(child(ip, 'name')));
    else for (const m of isRelaxedEnvVarName(String(ev.name))) errs.push(invalid(child(ip, 'name'), ev.name, m));
    if (!isObj(ev.valueFrom)) return;
    const vp = child(ip, 'valueFrom');
    const vf = ev.valueFrom;
    let sources = 0;
    if (isObj(vf.fieldRef)) {
      sources++;
      errs.push(...validateObjectFieldSelector(vf.fieldRef, ENV_FIELD_PATHS, child(vp, 'fieldRef')));
    }
    if (isObj(vf.resourceFieldRef)) {
      sources++;
      errs.push(...validateResourceFieldRef(vf.resourceFieldRef, child(vp, 'resourceFieldRef'), false));
    }
    if (isObj(vf.configMapKeyRef)) {
      sources++;
      errs.push(...validateKeySelector(vf.configMapKeyRef, child(vp, 'configMapKeyRef')));
    }
    if (isObj(vf.secretKeyRef)) {
      sources++;
      errs.push(...validateKeySelector(vf.secretKeyRef, child(vp, 'secretKeyRef')));
    }
    if (sources === 0) errs.push(invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (ev.value) errs.push(invalid(vp, '', 'may not be specified when `value` is not empty'));
    else if (sources > 1) errs.push(invalid(vp, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateEnvFrom(envFrom: unknown, path: string): ErrorList {
  const errs: ErrorList = [];
  list(envFrom).forEach((ev, i) => {
    const ip = index(path, i);
    if (ev.prefix) for (const m of isRelaxedEnvVarName(String(ev.prefix))) errs.push(invalid(child(ip, 'prefix'), ev.prefix, m));
    let sources = 0;
    for (const which of ['configMapRef', 'secretRef']) {
      const ref = ev[which];
      if (!isObj(ref)) continue;
      sources++;
      const np = child(ip, which, 'name');
      if (!ref.name) errs.push(required(np));
      else for (const m of nameIsDNSSubdomain(String(ref.name), false)) errs.push(invalid(np, ref.name, m));
    }
    if (sources === 0) errs.push(invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (sources > 1) errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

function validateSubPath(p: string, path: string): ErrorList {
  const errs: ErrorList = [];
  if (p.startsWith('/')) errs.push(invalid(path, p, 'must be a relative path'));
  if (p.split('/').includes('..')) errs.push(invalid(path, p, "must not contain '..'"));
  return errs;
}

function validateVolumeMounts(mounts: unknown, volumes: VolumeMap, ctr: Obj, path: string): ErrorList {
  const errs: ErrorList = [];
  const mountPoints = new Set<string>();
  const devices = new Map(list(ctr.volumeDevices).map((d) => [String(d.name ?? ''), String(d.devicePath ?? '')]));
  const privileged = ctr.securityContext?.privileged === true;
  list(mounts).forEach((m, i) => {
    const ip = index(path, i);
    const name = String(m.name ?? '');
    if (!name) errs.push(required(child(ip, 'name')));
    if (!volumes.has(name)) errs.push(notFound(child(ip, 'name'), name));
    if (!m.mountPath) errs.push(required(child(ip, 'mountPath')));
    if (mountPoints.has(m.mountPath)) errs.push(invalid(child(ip, 'mountPath'), m.mountPath, 'must be unique'));
    mountPoints.add(m.mountPath);
    if (devices.has(name)) errs.push(invalid(child(ip, 'name'), name, 'must not already exist in volumeDevices'));
    if ([...devices.values()].includes(m.mountPath)) {
      errs.push(invalid(child(ip, 'mountPath'), m.mountPath, 'must not already exist as a path in volumeDevices'));
    }
    if (m.subPath) errs.push(...validateSubPath(String(m.subPath), child(path, 'subPath')));
    if (m.subPathExpr) {
      if (m.subPath) errs.push(invalid(child(ip, 'subPathExpr'), m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...validateSubPath(String(m.subPathExpr), child(path, 'subPathExpr')));
    }
    if (set(m.mountPropagation)) {
      const mp = child(path, 'mountPropagation');
      const supported = ['Bidirectional', 'HostToContainer', 'None'];
      if (!supported.includes(m.mountPropagation)) errs.push(notSupported(mp, m.mountPropagation, supported));
      if (m.mountPropagation === 'Bidirectional' && !privileged) {
        errs.push(forbidden(mp, 'Bidirectional mount propagation is available only to privileged containers'));
      }
    }
  });
  return errs;
}

function validatePortNumOrName(port: unknown, path: string): ErrorList {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => invalid(path, port, m));
  if (typeof port === 'string') return isValidPortName(port).map((m) => invalid(path, port, m));
  return isValidPortNum(0).map((m) => invalid(path, 0, m));
}

function validateHandler(h: Obj, gracePeriod: unknown, path: string, allowSleep: boolean): ErrorList {
  const errs: ErrorList = [];
  let n = 0;
  const one = (name: string, check: () => ErrorList): void => {
    if (!isObj(h[name])) return;
    if (n > 0) errs.push(forbidden(child(path, name), 'may not specify more than 1 handler type'));
    else {
      n++;
      errs.push(...check());
    }
  };
  one('exec', () => (Array.isArray(h.exec.command) && h.exec.command.length ? [] : [required(child(path, 'exec', 'command'))]));
  one('httpGet', () => {
    const g = h.httpGet;
    const p = child(path, 'httpGet');
    const out: ErrorList = [];
    if (!g.path) out.push(required(child(p, 'path')));
    out.push(...validatePortNumOrName(g.port, child(p, 'port')));
    if (!['HTTP', 'HTTPS'].includes(g.scheme)) out.push(notSupported(child(p, 'scheme'), g.scheme ?? '', ['HTTP', 'HTTPS']));
    for (const hd of list(g.httpHeaders)) {
      for (const m of isHTTPHeaderName(String(hd.name ?? ''))) out.push(invalid(child(p, 'httpHeaders'), String(hd.name ?? ''), m));
    }
    return out;
  });
  one('tcpSocket', () => validatePortNumOrName(h.tcpSocket.port, child(path, 'tcpSocket', 'port')));
  one('grpc', () => validatePortNumOrName(typeof h.grpc.port === 'number' ? h.grpc.port : 0, child(path, 'grpc', 'port')));
  if (allowSleep) {
    one('sleep', () => {
      const s = Number(h.sleep.seconds ?? 0);
      if (typeof gracePeriod !== 'number' || (s > 0 && s <= gracePeriod)) return [];
      return [
        invalid(
          child(path, 'sleep'),
          s,
          `must be greater than 0 and less than terminationGracePeriodSeconds (${gracePeriod}). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.`,
        ),
      ];
    });
  }
  if (n === 0) errs.push(required(path, 'must specify a handler type'));
  return errs;
}

function validateProbe(probe: unknown, kind: 'liveness' | 'readiness' | 'startup', gracePeriod: unknown, path: string): ErrorList {
  if (!isObj(probe)) return [];
  const errs = validateHandler(probe, gracePeriod, path, false);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errs.push(...validateNonnegative(probe[f], child(path, f)));
  }
  if (set(probe.terminationGracePeriodSeconds) && probe.terminationGracePeriodSeconds <= 0) {
    errs.push(invalid(child(path, 'terminationGracePeriodSeconds'), probe.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  if (kind !== 'readiness' && probe.successThreshold !== 1) {
    errs.push(invalid(child(path, 'successThreshold'), probe.successThreshold ?? 0, 'must be 1'));
  }
  if (kind === 'readiness' && set(probe.terminationGracePeriodSeconds)) {
    errs.push(invalid(child(path, 'terminationGracePeriodSeconds'), probe.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
  }
  return errs;
}

function validateLifecycle(lc: unknown, gracePeriod: unknown, path: string): ErrorList {
  if (!isObj(lc)) return [];
  const errs: ErrorList = [];
  if (isObj(lc.postStart)) errs.push(...validateHandler(lc.postStart, gracePeriod, child(path, 'postStart'), true));
  if (isObj(lc.preStop)) errs.push(...validateHandler(lc.preStop, gracePeriod, child(path, 'preStop'), true));
  return errs;
}

function validateSecurityContext(sc: unknown, path: string): ErrorList {
  if (!isObj(sc)) return [];
  const errs: ErrorList = [];
  for (const f of ['runAsUser', 'runAsGroup']) {
    const v = sc[f];
    if (typeof v === 'number' && (v < 0 || v > 2147483647)) errs.push(invalid(child(path, f), v, inclusiveRangeError(0, 2147483647)));
  }
  if (sc.allowPrivilegeEscalation === false && sc.privileged === true) {
    errs.push(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
  }
  const add: unknown[] = Array.isArray(sc.capabilities?.add) ? sc.capabilities.add : [];
  if (sc.allowPrivilegeEscalation === false && add.includes('SYS_ADMIN')) {
    errs.push(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
  }
  if (set(sc.procMount) && !['Default', 'Unmasked'].includes(sc.procMount)) {
    errs.push(notSupported(child(path, 'procMount'), sc.procMount, ['Default', 'Unmasked']));
  }
  return errs;
}

function validateContainerCommon(ctr: Obj, volumes: VolumeMap, path: string): ErrorList {
  const errs: ErrorList = [];
  const np = child(path, 'name');
  if (!ctr.name) errs.push(required(np));
  else for (const m of isDNS1123Label(String(ctr.name))) errs.push(invalid(np, ctr.name, m));
  if (!ctr.image) errs.push(required(child(path, 'image')));
  const tmp = ctr.terminationMessagePolicy;
  if (!tmp) errs.push(required(child(path, 'terminationMessagePolicy')));
  else if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError') {
    errs.push(notSupported(child(path, 'terminationMessagePolicy'), tmp, ['File', 'FallbackToLogsOnError']));
  }
  errs.push(...validateContainerPorts(ctr.ports, child(path, 'ports')));
  errs.push(...validateEnv(ctr.env, child(path, 'env')));
  errs.push(...validateEnvFrom(ctr.envFrom, child(path, 'envFrom')));
  errs.push(...validateVolumeMounts(ctr.volumeMounts, volumes, ctr, child(path, 'volumeMounts')));
  const pp = ctr.imagePullPolicy;
  if (!pp) errs.push(required(child(path, 'imagePullPolicy')));
  else if (!['Always', 'IfNotPresent', 'Never'].includes(pp)) {
    errs.push(notSupported(child(path, 'imagePullPolicy'), pp, ['Always', 'IfNotPresent', 'Never']));
  }
  errs.push(...validateResourceRequirements(ctr.resources, child(path, 'resources')));
  errs.push(...validateSecurityContext(ctr.securityContext, child(path, 'securityContext')));
  return errs;
}

function checkHostPortConflicts(containers: Obj[], path: string, seen = new Set<string>()): ErrorList {
  const errs: ErrorList = [];
  containers.forEach((c, ci) => {
    list(c.ports).forEach((p, pi) => {
      if (!p.hostPort) return;
      const k = `${p.protocol ?? ''}/${p.hostIP ?? ''}/${p.hostPort}`;
      if (seen.has(k)) errs.push(duplicate(child(index(child(index(path, ci), 'ports'), pi), 'hostPort'), k));
      else seen.add(k);
    });
  });
  return errs;
}

/** The regular containers of a pod spec. */
export function validateContainers(containers: unknown, volumes: VolumeMap, gracePeriod: unknown, path: string): ErrorList {
  const ctrs = list(containers);
  if (ctrs.length === 0) return [required(path)];
  const errs: ErrorList = [];
  const names = new Set<string>();
  ctrs.forEach((c, i) => {
    const ip = index(path, i);
    errs.push(...validateContainerCommon(c, volumes, ip));
    if (names.has(c.name)) errs.push(duplicate(child(ip, 'name'), c.name));
    else names.add(c.name);
    errs.push(...validateLifecycle(c.lifecycle, gracePeriod, child(ip, 'lifecycle')));
    errs.push(...validateProbe(c.livenessProbe, 'liveness', gracePeriod, child(ip, 'livenessProbe')));
    errs.push(...validateProbe(c.readinessProbe, 'readiness', gracePeriod, child(ip, 'readinessProbe')));
    errs.push(...validateProbe(c.startupProbe, 'startup', gracePeriod, child(ip, 'startupProbe')));
    if (set(c.restartPolicy)) errs.push(forbidden(child(ip, 'restartPolicy'), 'may not be set for non-init containers'));
  });
  errs.push(...checkHostPortConflicts(ctrs, path));
  return errs;
}

/** Init containers: names unique across init and regular containers; probes and lifecycle only
 *  for restartable (sidecar) init containers. */
export function validateInitContainers(inits: unknown, regular: unknown, volumes: VolumeMap, gracePeriod: unknown, path: string): ErrorList {
  const errs: ErrorList = [];
  const names = new Set(list(regular).map((c) => c.name));
  list(inits).forEach((c, i) => {
    const ip = index(path, i);
    errs.push(...validateContainerCommon(c, volumes, ip));
    let restartAlways = false;
    if (set(c.restartPolicy)) {
      if (c.restartPolicy !== 'Always') errs.push(notSupported(child(ip, 'restartPolicy'), c.restartPolicy, ['Always']));
      restartAlways = c.restartPolicy === 'Always';
    }
    if (names.has(c.name)) errs.push(duplicate(child(ip, 'name'), c.name));
    else if (c.name) names.add(c.name);
    errs.push(...checkHostPortConflicts([c], path));
    if (restartAlways) {
      errs.push(...validateLifecycle(c.lifecycle, gracePeriod, child(ip, 'lifecycle')));
      errs.push(...validateProbe(c.livenessProbe, 'liveness', gracePeriod, child(ip, 'livenessProbe')));
      errs.push(...validateProbe(c.readinessProbe, 'readiness', gracePeriod, child(ip, 'readinessProbe')));
      errs.push(...validateProbe(c.startupProbe, 'startup', gracePeriod, child(ip, 'startupProbe')));
    } else {
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (set(c[f])) errs.push(forbidden(child(ip, f), 'may not be set for init containers without restartPolicy=Always'));
      }
    }
  });
  return errs;
}
