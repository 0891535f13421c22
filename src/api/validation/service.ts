// Validation of core/v1 Services (ValidateService / ValidateServiceUpdate): ports, types,
// session affinity, cluster IPs and IP families, traffic policies. Cluster IP allocation itself
// is the apiserver's; an update that omits allocated values should first go through
// preserveServiceAllocations (defaults/core.ts), as upstream's registry does.

import type { KubeObject, ValidationCause } from '../types.ts';
import { type ErrorList, GoValue, child, duplicate, forbidden, index, invalid, notSupported, required } from './field.ts';
import { isDNS1123Label, isDNS1123Subdomain, isIPv4, isIPv6, isQualifiedName, isValidIP, isValidPortName, isValidPortNum, nameIsDNS1035Label } from './names.ts';
import { validateLabels, validateMeta } from './meta.ts';
import { SUPPORTED_PORT_PROTOCOLS } from './container.ts';

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map((x) => (isObj(x) ? x : {})) : []);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const KUBELET_PORT = 10250;
const MAX_AFFINITY_SECONDS = 86400;
const IP_MSG = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

function clusterIPsOf(s: Obj): string[] {
  const ips = strs(s.clusterIPs);
  if (ips.length === 0 && s.clusterIP) return [String(s.clusterIP)];
  return ips;
}

function isHeadless(s: Obj): boolean {
  return clusterIPsOf(s)[0] === 'None';
}

function externallyAccessible(s: Obj): boolean {
  return s.type === 'LoadBalancer' || s.type === 'NodePort' || (s.type === 'ClusterIP' && strs(s.externalIPs).length > 0);
}

function validPortNumOrName(port: unknown, path: string): ErrorList {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => invalid(path, port, m));
  if (typeof port === 'string') return isValidPortName(port).map((m) => invalid(path, port, m));
  return isValidPortNum(0).map((m) => invalid(path, 0, m));
}

function goServicePort(protocol: string, port: number): GoValue {
  return new GoValue(
    `core.ServicePort{Name:"", Protocol:${JSON.stringify(protocol)}, AppProtocol:(*string)(nil), Port:${port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`,
  );
}

function validateServicePort(sp: Obj, requireName: boolean, names: Set<string>, path: string): ErrorList {
  const errs: ErrorList = [];
  if (requireName && !sp.name) errs.push(required(child(path, 'name')));
  else if (sp.name) {
    for (const m of isDNS1123Label(String(sp.name))) errs.push(invalid(child(path, 'name'), sp.name, m));
    if (names.has(sp.name)) errs.push(duplicate(child(path, 'name'), sp.name));
    else names.add(sp.name);
  }
  for (const m of isValidPortNum(sp.port)) errs.push(invalid(child(path, 'port'), sp.port ?? 0, m));
  if (!sp.protocol) errs.push(required(child(path, 'protocol')));
  else if (!SUPPORTED_PORT_PROTOCOLS.includes(sp.protocol)) errs.push(notSupported(child(path, 'protocol'), sp.protocol, SUPPORTED_PORT_PROTOCOLS));
  errs.push(...validPortNumOrName(sp.targetPort, child(path, 'targetPort')));
  if (sp.appProtocol !== undefined && sp.appProtocol !== null) {
    for (const m of isQualifiedName(String(sp.appProtocol))) errs.push(invalid(child(path, 'appProtocol'), sp.appProtocol, m));
  }
  return errs;
}

function validateClusterIPs(s: Obj): ErrorList {
  const errs: ErrorList = [];
  const p = 'spec.clusterIPs';
  const ips = strs(s.clusterIPs);
  if (s.clusterIP && ips.length > 0 && ips[0] !== s.clusterIP) errs.push(invalid(p, ips, 'first value must match `clusterIP`'));
  if (!s.clusterIP && ips.length > 0) errs.push(invalid(p, ips, 'must be empty when `clusterIP` is not specified'));
  const families = strs(s.ipFamilies);
  const seen = new Set<string>();
  families.forEach((f, i) => {
    if (f !== 'IPv4' && f !== 'IPv6') errs.push(notSupported(index('spec.ipFamilies', i), f, ['IPv4', 'IPv6']));
    if (seen.has(f)) errs.push(duplicate(index('spec.ipFamilies', i), f));
    seen.add(f);
  });
  if (s.ipFamilyPolicy !== undefined && s.ipFamilyPolicy !== null) {
    const policies = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
    if (!policies.includes(s.ipFamilyPolicy)) errs.push(notSupported('spec.ipFamilyPolicy', s.ipFamilyPolicy, policies));
  }
  const all = clusterIPsOf(s);
  let bad = false;
  all.forEach((ip, i) => {
    if (ip === 'None') {
      if (i > 0 || all.length > 1) {
        bad = true;
        errs.push(invalid(p, all, "'None' must be the first and only value"));
      }
      return;
    }
    if (!isValidIP(ip)) {
      bad = true;
      errs.push(invalid(index(p, i), ip, IP_MSG));
    }
  });
  if (all.length > 2) errs.push(invalid(p, all, 'may only hold up to 2 values'));
  if (!bad && all.length === 2 && isIPv4(all[0]!) === isIPv4(all[1]!)) {
    errs.push(invalid(p, all, 'may specify no more than one IP for each IP family'));
  }
  if (!bad) {
    all.forEach((ip, i) => {
      if (ip === 'None' || i >= families.length) return;
      if (families[i] === 'IPv4' && !isIPv4(ip)) errs.push(invalid(index(p, i), ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (families[i] === 'IPv6' && !isIPv6(ip)) errs.push(invalid(index(p, i), ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return errs;
}

function validateServiceSpec(obj: KubeObject): ErrorList {
  const s: Obj = isObj(obj.spec) ? obj.spec : {};
  const errs: ErrorList = [];
  const ports = list(s.ports);
  const headless = isHeadless(s);
  if (ports.length === 0 && !headless && s.type !== 'ExternalName') errs.push(required('spec.ports'));
  if (s.type === 'LoadBalancer') {
    ports.forEach((p, i) => {
      if (p.port === KUBELET_PORT) errs.push(invalid(index('spec.ports', i), p.port, `may not expose port ${KUBELET_PORT} externally since it is used by kubelet`));
    });
    if (headless) errs.push(invalid(index('spec.clusterIPs', 0), 'None', "may not be set to 'None' for LoadBalancer services"));
  } else if (s.type === 'NodePort') {
    if (headless) errs.push(invalid(index('spec.clusterIPs', 0), 'None', "may not be set to 'None' for NodePort services"));
  } else if (s.type === 'ExternalName') {
    if (clusterIPsOf(s).length > 0) errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if (strs(s.ipFamilies).length > 0) errs.push(forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (s.ipFamilyPolicy !== undefined && s.ipFamilyPolicy !== null) errs.push(forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    const cname = String(s.externalName ?? '').replace(/\.$/, '');
    if (cname) for (const m of isDNS1123Subdomain(cname)) errs.push(invalid('spec.externalName', cname, m));
    else errs.push(required('spec.externalName'));
  }
  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validateServicePort(p, ports.length > 1, names, index('spec.ports', i))));
  if (isObj(s.selector)) errs.push(...validateLabels(s.selector, 'spec.selector'));
  if (!s.sessionAffinity) errs.push(required('spec.sessionAffinity'));
  else if (!['ClientIP', 'None'].includes(s.sessionAffinity)) errs.push(notSupported('spec.sessionAffinity', s.sessionAffinity, ['ClientIP', 'None']));
  if (s.sessionAffinity === 'ClientIP') {
    const cfgPath = 'spec.sessionAffinityConfig';
    const t = s.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (!isObj(s.sessionAffinityConfig)) errs.push(required(cfgPath, 'when session affinity type is ClientIP'));
    else if (!isObj(s.sessionAffinityConfig.clientIP)) errs.push(required(child(cfgPath, 'clientIP'), 'when session affinity type is ClientIP'));
    else if (t === undefined || t === null) errs.push(required(child(cfgPath, 'clientIP', 'timeoutSeconds'), 'when session affinity type is ClientIP'));
    else if (t <= 0 || t > MAX_AFFINITY_SECONDS) {
      errs.push(invalid(child(cfgPath, 'clientIP', 'timeoutSeconds'), t, `must be greater than 0 and less than ${MAX_AFFINITY_SECONDS}`));
    }
  } else if (s.sessionAffinity === 'None' && isObj(s.sessionAffinityConfig)) {
    errs.push(forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }
  if (s.type !== 'ExternalName') errs.push(...validateClusterIPs(s));
  strs(s.externalIPs).forEach((ip, i) => {
    if (!isValidIP(ip)) errs.push(invalid(index('spec.externalIPs', i), ip, IP_MSG));
  });
  if (!s.type) errs.push(required('spec.type'));
  else if (!SERVICE_TYPES.includes(s.type)) errs.push(notSupported('spec.type', s.type, SERVICE_TYPES));
  if (s.type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (p.nodePort) errs.push(forbidden(child(index('spec.ports', i), 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  const portKeys = new Set<string>();
  ports.forEach((p, i) => {
    if (p.nodePort) {
      const k = `${p.protocol}/${p.nodePort}`;
      if (nodePorts.has(k)) errs.push(duplicate(child(index('spec.ports', i), 'nodePort'), p.nodePort));
      nodePorts.add(k);
    }
    const k = `${p.protocol}/${p.port}`;
    if (portKeys.has(k)) errs.push(duplicate(index('spec.ports', i), goServicePort(String(p.protocol ?? ''), Number(p.port ?? 0))));
    portKeys.add(k);
  });
  if (strs(s.loadBalancerSourceRanges).length > 0 && s.type !== 'LoadBalancer') {
    errs.push(forbidden('spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (s.allocateLoadBalancerNodePorts !== undefined && s.allocateLoadBalancerNodePorts !== null && s.type !== 'LoadBalancer') {
    errs.push(forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (s.type === 'LoadBalancer' && (s.allocateLoadBalancerNodePorts === undefined || s.allocateLoadBalancerNodePorts === null)) {
    errs.push(required('allocateLoadBalancerNodePorts'));
  }
  if (!externallyAccessible(s)) {
    if (s.externalTrafficPolicy) errs.push(invalid('spec.externalTrafficPolicy', s.externalTrafficPolicy, 'may only be set for externally-accessible services'));
  } else if (!s.externalTrafficPolicy) errs.push(required('spec.externalTrafficPolicy'));
  else if (!['Cluster', 'Local'].includes(s.externalTrafficPolicy)) {
    errs.push(notSupported('spec.externalTrafficPolicy', s.externalTrafficPolicy, ['Cluster', 'Local']));
  }
  const needsHC = s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local';
  if (!needsHC && s.healthCheckNodePort) {
    errs.push(invalid('spec.healthCheckNodePort', s.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  }
  if (s.internalTrafficPolicy === undefined || s.internalTrafficPolicy === null) {
    if (['NodePort', 'LoadBalancer', 'ClusterIP'].includes(s.type)) errs.push(required('spec.internalTrafficPolicy'));
  } else if (!['Cluster', 'Local'].includes(s.internalTrafficPolicy)) {
    errs.push(notSupported('spec.internalTrafficPolicy', s.internalTrafficPolicy, ['Cluster', 'Local']));
  }
  if (s.trafficDistribution !== undefined && s.trafficDistribution !== null && s.trafficDistribution !== 'PreferClose') {
    errs.push(notSupported('spec.trafficDistribution', s.trafficDistribution, ['PreferClose']));
  }
  return errs;
}

/** Primary/secondary cluster IPs can be added or released but never changed (ExternalName aside).
 *  Omitted values are not treated as released: the apiserver carries allocations forward. */
function validateClusterIPUpdate(s: Obj, o: Obj): ErrorList {
  if (s.type === 'ExternalName' || o.type === 'ExternalName') return [];
  if (isHeadless(s) && isHeadless(o)) return [];
  const next = clusterIPsOf(s);
  const prev = clusterIPsOf(o);
  if (next.length === 0 || prev.length === 0) return [];
  const errs: ErrorList = [];
  if (next.length === prev.length) {
    prev.forEach((ip, i) => {
      if (ip !== next[i]) errs.push(invalid(index('spec.clusterIPs', i), next, 'may not change once set'));
    });
  } else if (next[0] !== prev[0]) {
    errs.push(invalid(index('spec.clusterIPs', 0), next, 'may not change once set'));
  } else if (prev.length > next.length && s.ipFamilyPolicy !== 'SingleStack') {
    errs.push(invalid(index('spec.clusterIPs', 0), next, "`ipFamilyPolicy` must be set to 'SingleStack' when releasing the secondary clusterIP"));
  }
  return errs;
}

export function validateService(obj: KubeObject, old?: KubeObject): ValidationCause[] {
  const errs = validateMeta(obj.metadata, old?.metadata, { nameFn: nameIsDNS1035Label, namespaced: true });
  if (old) {
    const s: Obj = isObj(obj.spec) ? obj.spec : {};
    const o: Obj = isObj(old.spec) ? old.spec : {};
    errs.push(...validateClusterIPUpdate(s, o));
    const hc = (x: Obj): boolean => x.type === 'LoadBalancer' && x.externalTrafficPolicy === 'Local';
    if (hc(s) && hc(o) && s.healthCheckNodePort && o.healthCheckNodePort && s.healthCheckNodePort !== o.healthCheckNodePort) {
      errs.push(forbidden('spec.healthCheckNodePort', 'field is immutable'));
    }
  }
  errs.push(...validateServiceSpec(obj));
  return errs;
}
