// Defaulting of core/v1 kinds other than pods and workloads: Service, Namespace, Secret,
// PersistentVolume(Claim), Endpoints, LimitRange, ResourceQuota, Node (upstream SetDefaults_*).

import type { KubeObject } from '../types.ts';
import { defaultPVCSpec, defaultResourceList } from './pod.ts';

type Obj = Record<string, any>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);


/** SetDefaults_Service, plus the ipFamilyPolicy the service registry fills in on create. */
export function defaultService(obj: KubeObject): void {
  if (!isObj(obj.spec)) obj.spec = {};
  const s = obj.spec;
  if (!s.sessionAffinity) s.sessionAffinity = 'None';
  if (s.sessionAffinity === 'None') delete s.sessionAffinityConfig;
  if (s.sessionAffinity === 'ClientIP') {
    const t = s.sessionAffinityConfig?.clientIP?.timeoutSeconds;
    if (t === undefined || t === null) s.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  if (!s.type) s.type = 'ClusterIP';
  for (const p of arr(s.ports)) {
    if (!p.protocol) p.protocol = 'TCP';
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  const externallyAccessible =
    s.type === 'LoadBalancer' || s.type === 'NodePort' || (s.type === 'ClusterIP' && Array.isArray(s.externalIPs) && s.externalIPs.length > 0);
  if (externallyAccessible && !s.externalTrafficPolicy) s.externalTrafficPolicy = 'Cluster';
  if (!s.internalTrafficPolicy && (s.type === 'NodePort' || s.type === 'LoadBalancer' || s.type === 'ClusterIP')) {
    s.internalTrafficPolicy = 'Cluster';
  }
  if (s.type === 'LoadBalancer' && (s.allocateLoadBalancerNodePorts === undefined || s.allocateLoadBalancerNodePorts === null)) {
    s.allocateLoadBalancerNodePorts = true;
  }
  if (s.type !== 'ExternalName' && !s.ipFamilyPolicy) {
    const headless = s.clusterIP === 'None' || (Array.isArray(s.clusterIPs) && s.clusterIPs[0] === 'None');
    const selectorless = !isObj(s.selector) || Object.keys(s.selector).length === 0;
    s.ipFamilyPolicy = headless && selectorless ? 'RequireDualStack' : 'SingleStack';
  }
}

/** SetDefaults_Namespace and _NamespaceStatus, plus the `kubernetes` finalizer the namespace
 *  registry sets on create (only when spec.finalizers is absent, so a finalized namespace keeps []). */
export function defaultNamespace(obj: KubeObject): void {
  const name = obj.metadata.name;
  if (name) obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name };
  if (!isObj(obj.spec)) obj.spec = {};
  if (obj.spec.finalizers === undefined || obj.spec.finalizers === null) obj.spec.finalizers = ['kubernetes'];
  if (!isObj(obj.status)) obj.status = {};
  if (!obj.status.phase) obj.status.phase = 'Active';
}

/** SetDefaults_Secret, plus the write-only stringData merged into data (base64) as upstream's
 *  conversion does: stringData wins over data for the same key and is never stored. */
export function defaultSecret(obj: KubeObject): void {
  if (!obj.type) obj.type = 'Opaque';
  if (isObj(obj.stringData)) {
    const data: Obj = isObj(obj.data) ? obj.data : {};
    for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(String(v ?? ''), 'utf8').toString('base64');
    obj.data = data;
  }
  delete obj.stringData;
}

export function defaultPersistentVolume(obj: KubeObject): void {
  if (!isObj(obj.spec)) obj.spec = {};
  if (!obj.spec.persistentVolumeReclaimPolicy) obj.spec.persistentVolumeReclaimPolicy = 'Retain';
  if (!obj.spec.volumeMode) obj.spec.volumeMode = 'Filesystem';
  defaultResourceList(obj.spec.capacity);
  if (!isObj(obj.status)) obj.status = {};
  if (!obj.status.phase) obj.status.phase = 'Pending';
}

export function defaultPersistentVolumeClaim(obj: KubeObject): void {
  if (!isObj(obj.spec)) obj.spec = {};
  defaultPVCSpec(obj.spec);
  if (!isObj(obj.status)) obj.status = {};
  if (!obj.status.phase) obj.status.phase = 'Pending';
  defaultResourceList(obj.status.capacity);
}

export function defaultEndpoints(obj: KubeObject): void {
  for (const ss of arr(obj.subsets)) for (const p of arr(ss.ports)) if (!p.protocol) p.protocol = 'TCP';
}

/** SetDefaults_LimitRangeItem: for Container items, default ← max, defaultRequest ← default, then ← min. */
export function defaultLimitRange(obj: KubeObject): void {
  for (const item of arr(obj.spec?.limits)) {
    for (const f of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) defaultResourceList(item[f]);
    if (item.type !== 'Container') continue;
    if (!isObj(item.default)) item.default = {};
    if (!isObj(item.defaultRequest)) item.defaultRequest = {};
    for (const [k, v] of Object.entries(isObj(item.max) ? item.max : {})) if (!(k in item.default)) item.default[k] = v;
    for (const [k, v] of Object.entries(item.default)) if (!(k in item.defaultRequest)) item.defaultRequest[k] = v;
    for (const [k, v] of Object.entries(isObj(item.min) ? item.min : {})) if (!(k in item.defaultRequest)) item.defaultRequest[k] = v;
  }
}

export function defaultResourceQuota(obj: KubeObject): void {
  defaultResourceList(obj.spec?.hard);
  defaultResourceList(obj.status?.hard);
  defaultResourceList(obj.status?.used);
}

/** SetDefaults_NodeStatus: allocatable defaults to capacity. */
export function defaultNode(obj: KubeObject): void {
  const st = obj.status;
  if (!isObj(st)) return;
  defaultResourceList(st.capacity);
  defaultResourceList(st.allocatable);
  if (st.allocatable === undefined && isObj(st.capacity)) st.allocatable = { ...st.capacity };
}

/** Carry a Service's allocated values (cluster IPs, IP families, node ports, health check node
 *  port) from the stored object into an update that omits them, as upstream's service registry
 *  does before validating an update (so `kubectl apply` of a manifest without clusterIP works). */
export function preserveServiceAllocations(next: KubeObject, old: KubeObject): void {
  if (!isObj(next.spec) || !isObj(old.spec)) return;
  const s = next.spec;
  const o = old.spec;
  const needsClusterIP = (x: Obj): boolean => x.type !== 'ExternalName';
  if (needsClusterIP(s) && needsClusterIP(o)) {
    if (!s.clusterIP && o.clusterIP) s.clusterIP = o.clusterIP;
    const oldIPs: unknown[] = Array.isArray(o.clusterIPs) ? o.clusterIPs : [];
    if ((!Array.isArray(s.clusterIPs) || s.clusterIPs.length === 0) && oldIPs.length > 0 && s.clusterIP === oldIPs[0]) {
      s.clusterIPs = [...oldIPs];
    }
    if ((!Array.isArray(s.ipFamilies) || s.ipFamilies.length === 0) && Array.isArray(o.ipFamilies)) s.ipFamilies = [...o.ipFamilies];
    if (!s.ipFamilyPolicy && o.ipFamilyPolicy) s.ipFamilyPolicy = o.ipFamilyPolicy;
  }
  const needsNodePort = (x: Obj): boolean => x.type === 'NodePort' || (x.type === 'LoadBalancer' && x.allocateLoadBalancerNodePorts !== false);
  if (needsNodePort(s) && needsNodePort(o)) {
    const used = new Set(arr(s.ports).map((p) => p.nodePort).filter(Boolean));
    const byName = new Map(arr(o.ports).map((p) => [String(p.name ?? ''), p.nodePort]));
    for (const p of arr(s.ports)) {
      if (p.nodePort) continue;
      const prev = byName.get(String(p.name ?? ''));
      if (prev && !used.has(prev)) p.nodePort = prev;
    }
  }
  const needsHC = (x: Obj): boolean => x.type === 'LoadBalancer' && x.externalTrafficPolicy === 'Local';
  if (needsHC(s) && needsHC(o) && !s.healthCheckNodePort && o.healthCheckNodePort) s.healthCheckNodePort = o.healthCheckNodePort;
}
