// The resource catalogue: one ResourceDef per served group/version/resource, with upstream's
// (Kubernetes 1.32) scope, kind, names, short names, categories, verbs and subresources, plus
// the storage key layout. The apiserver derives discovery, routing and storage from it; the
// per-kind defaulting and validation are wired in from behaviour.ts.
//
// Storage sharing: autoscaling/v1 and v2 HorizontalPodAutoscalers share one storage resource
// (storageGroup 'autoscaling'), and events.k8s.io/v1 Events share core Events' storage
// (storageGroup '', i.e. `/registry//events/...`) exactly as upstream keeps both in one etcd
// resource. Such a def carries `storageVersion`: the apiserver converts to and from that shape.

import type { ResourceDef, SubresourceDef } from './types.ts';
import { fieldAttrsFor } from './fieldattrs.ts';
import { behaviourFor } from './behaviour.ts';

const STANDARD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
/** Namespaces and (before 1.33) Services do not support deletecollection. */
const NO_COLLECTION_DELETE = STANDARD_VERBS.filter((v) => v !== 'deletecollection');
const GPU = ['get', 'patch', 'update'];
const PROXY_VERBS = ['create', 'delete', 'get', 'patch', 'update'];

function sub(name: string, group: string, version: string, kind: string, verbs: string[]): SubresourceDef {
  return { name, kind: { group, version, kind }, verbs };
}
const status = (group: string, version: string, kind: string): SubresourceDef => sub('status', group, version, kind, GPU);
const scale = (): SubresourceDef => sub('scale', 'autoscaling', 'v1', 'Scale', GPU);

interface Entry {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: string[];
  subresources?: SubresourceDef[];
  storageGroup?: string;
  storageVersion?: { group: string; version: string };
  virtual?: boolean;
}

function define(e: Entry): ResourceDef {
  const subresources = [...(e.subresources ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)); // not localeCompare: ICU data costs ~3 MB resident
  const behaviour = behaviourFor(e.group, e.version, e.kind);
  const def: ResourceDef = {
    group: e.group,
    version: e.version,
    kind: e.kind,
    listKind: `${e.kind}List`,
    plural: e.plural,
    singular: e.kind.toLowerCase(),
    namespaced: e.namespaced,
    shortNames: e.shortNames ?? [],
    categories: e.categories ?? [],
    verbs: e.verbs ?? STANDARD_VERBS,
    subresources,
    storageGroup: e.storageGroup ?? e.group,
    hasStatus: subresources.some((s) => s.name === 'status'),
  };
  if (e.storageVersion) def.storageVersion = e.storageVersion;
  if (e.virtual) def.virtual = true;
  const attrs = fieldAttrsFor(e.group, e.kind);
  if (attrs) def.fieldAttrs = attrs;
  if (behaviour.defaults) def.defaults = behaviour.defaults;
  if (behaviour.validate) def.validate = behaviour.validate;
  return def;
}

const ALL = ['all'];

const CORE: Entry[] = [
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'] },
  { group: '', version: 'v1', kind: 'Endpoints', plural: 'endpoints', namespaced: true, shortNames: ['ep'] },
  { group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'] },
  { group: '', version: 'v1', kind: 'LimitRange', plural: 'limitranges', namespaced: true, shortNames: ['limits'] },
  {
    group: '',
    version: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    namespaced: false,
    shortNames: ['ns'],
    verbs: NO_COLLECTION_DELETE,
    subresources: [sub('finalize', '', 'v1', 'Namespace', ['update']), status('', 'v1', 'Namespace')],
  },
  {
    group: '',
    version: 'v1',
    kind: 'Node',
    plural: 'nodes',
    namespaced: false,
    shortNames: ['no'],
    subresources: [sub('proxy', '', 'v1', 'NodeProxyOptions', PROXY_VERBS), status('', 'v1', 'Node')],
  },
  {
    group: '',
    version: 'v1',
    kind: 'PersistentVolumeClaim',
    plural: 'persistentvolumeclaims',
    namespaced: true,
    shortNames: ['pvc'],
    subresources: [status('', 'v1', 'PersistentVolumeClaim')],
  },
  {
    group: '',
    version: 'v1',
    kind: 'PersistentVolume',
    plural: 'persistentvolumes',
    namespaced: false,
    shortNames: ['pv'],
    subresources: [status('', 'v1', 'PersistentVolume')],
  },
  {
    group: '',
    version: 'v1',
    kind: 'Pod',
    plural: 'pods',
    namespaced: true,
    shortNames: ['po'],
    categories: ALL,
    subresources: [
      sub('attach', '', 'v1', 'PodAttachOptions', ['create', 'get']),
      sub('binding', '', 'v1', 'Binding', ['create']),
      sub('ephemeralcontainers', '', 'v1', 'Pod', GPU),
      sub('eviction', 'policy', 'v1', 'Eviction', ['create']),
      sub('exec', '', 'v1', 'PodExecOptions', ['create', 'get']),
      sub('log', '', 'v1', 'Pod', ['get']),
      sub('portforward', '', 'v1', 'PodPortForwardOptions', ['create', 'get']),
      sub('proxy', '', 'v1', 'PodProxyOptions', PROXY_VERBS),
      status('', 'v1', 'Pod'),
    ],
  },
  { group: '', version: 'v1', kind: 'PodTemplate', plural: 'podtemplates', namespaced: true },
  {
    group: '',
    version: 'v1',
    kind: 'ReplicationController',
    plural: 'replicationcontrollers',
    namespaced: true,
    shortNames: ['rc'],
    categories: ALL,
    subresources: [scale(), status('', 'v1', 'ReplicationController')],
  },
  {
    group: '',
    version: 'v1',
    kind: 'ResourceQuota',
    plural: 'resourcequotas',
    namespaced: true,
    shortNames: ['quota'],
    subresources: [status('', 'v1', 'ResourceQuota')],
  },
  { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  {
    group: '',
    version: 'v1',
    kind: 'ServiceAccount',
    plural: 'serviceaccounts',
    namespaced: true,
    shortNames: ['sa'],
    subresources: [sub('token', 'authentication.k8s.io', 'v1', 'TokenRequest', ['create'])],
  },
  {
    group: '',
    version: 'v1',
    kind: 'Service',
    plural: 'services',
    namespaced: true,
    shortNames: ['svc'],
    categories: ALL,
    verbs: NO_COLLECTION_DELETE,
    subresources: [sub('proxy', '', 'v1', 'ServiceProxyOptions', PROXY_VERBS), status('', 'v1', 'Service')],
  },
];

const apps = (kind: string, plural: string, shortNames: string[], subs: SubresourceDef[], categories = ALL): Entry => ({
  group: 'apps',
  version: 'v1',
  kind,
  plural,
  namespaced: true,
  shortNames,
  categories,
  subresources: subs,
});

const APPS: Entry[] = [
  apps('ControllerRevision', 'controllerrevisions', [], [], []),
  apps('DaemonSet', 'daemonsets', ['ds'], [status('apps', 'v1', 'DaemonSet')]),
  apps('Deployment', 'deployments', ['deploy'], [scale(), status('apps', 'v1', 'Deployment')]),
  apps('ReplicaSet', 'replicasets', ['rs'], [scale(), status('apps', 'v1', 'ReplicaSet')]),
  apps('StatefulSet', 'statefulsets', ['sts'], [scale(), status('apps', 'v1', 'StatefulSet')]),
];

const hpa = (version: string, storageVersion?: { group: string; version: string }): Entry => {
  const e: Entry = {
    group: 'autoscaling',
    version,
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    namespaced: true,
    shortNames: ['hpa'],
    categories: ALL,
    subresources: [status('autoscaling', version, 'HorizontalPodAutoscaler')],
    storageGroup: 'autoscaling',
  };
  if (storageVersion) e.storageVersion = storageVersion;
  return e;
};

const OTHER: Entry[] = [
  {
    group: 'events.k8s.io',
    version: 'v1',
    kind: 'Event',
    plural: 'events',
    namespaced: true,
    shortNames: ['ev'],
    storageGroup: '',
    storageVersion: { group: '', version: 'v1' },
  },
  hpa('v2'),
  hpa('v1', { group: 'autoscaling', version: 'v2' }),
  {
    group: 'batch',
    version: 'v1',
    kind: 'CronJob',
    plural: 'cronjobs',
    namespaced: true,
    shortNames: ['cj'],
    categories: ALL,
    subresources: [status('batch', 'v1', 'CronJob')],
  },
  {
    group: 'batch',
    version: 'v1',
    kind: 'Job',
    plural: 'jobs',
    namespaced: true,
    categories: ALL,
    subresources: [status('batch', 'v1', 'Job')],
  },
  {
    group: 'policy',
    version: 'v1',
    kind: 'PodDisruptionBudget',
    plural: 'poddisruptionbudgets',
    namespaced: true,
    shortNames: ['pdb'],
    subresources: [status('policy', 'v1', 'PodDisruptionBudget')],
  },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles', namespaced: true },
  { group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass', plural: 'storageclasses', namespaced: false, shortNames: ['sc'] },
  { group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass', plural: 'priorityclasses', namespaced: false, shortNames: ['pc'] },
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true },
  { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true },
  // Create-only reviews answered by the apiserver from its authenticator and authorizer (never stored).
  { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenReview', plural: 'tokenreviews', namespaced: false, verbs: ['create'], virtual: true },
  { group: 'authentication.k8s.io', version: 'v1', kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', namespaced: false, verbs: ['create'], virtual: true },
  { group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', namespaced: false, verbs: ['create'], virtual: true },
  { group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectRulesReview', plural: 'selfsubjectrulesreviews', namespaced: false, verbs: ['create'], virtual: true },
  { group: 'authorization.k8s.io', version: 'v1', kind: 'SubjectAccessReview', plural: 'subjectaccessreviews', namespaced: false, verbs: ['create'], virtual: true },
  { group: 'authorization.k8s.io', version: 'v1', kind: 'LocalSubjectAccessReview', plural: 'localsubjectaccessreviews', namespaced: true, verbs: ['create'], virtual: true },
];

/** Groups in upstream's discovery order, each with its versions, preferred version first. */
const GROUP_ORDER: Array<{ group: string; versions: string[] }> = [
  { group: '', versions: ['v1'] },
  { group: 'apps', versions: ['v1'] },
  { group: 'events.k8s.io', versions: ['v1'] },
  { group: 'authentication.k8s.io', versions: ['v1'] },
  { group: 'authorization.k8s.io', versions: ['v1'] },
  { group: 'autoscaling', versions: ['v2', 'v1'] },
  { group: 'batch', versions: ['v1'] },
  { group: 'policy', versions: ['v1'] },
  { group: 'rbac.authorization.k8s.io', versions: ['v1'] },
  { group: 'storage.k8s.io', versions: ['v1'] },
  { group: 'scheduling.k8s.io', versions: ['v1'] },
  { group: 'coordination.k8s.io', versions: ['v1'] },
  { group: 'discovery.k8s.io', versions: ['v1'] },
];

function sortKey(d: ResourceDef): [number, number, string] {
  const gi = GROUP_ORDER.findIndex((g) => g.group === d.group);
  const vi = GROUP_ORDER[gi]!.versions.indexOf(d.version);
  return [gi, vi, d.plural];
}

/** Every served resource: groups in discovery order, preferred versions first, plurals sorted. */
export const RESOURCES: readonly ResourceDef[] = [...CORE, ...APPS, ...OTHER].map(define).sort((a, b) => {
  const [ag, av, ap] = sortKey(a);
  const [bg, bv, bp] = sortKey(b);
  return ag - bg || av - bv || (ap < bp ? -1 : ap > bp ? 1 : 0);
});

const BY_GVR = new Map(RESOURCES.map((d) => [`${d.group}/${d.version}/${d.plural}`, d]));
const BY_GVK = new Map(RESOURCES.map((d) => [`${d.group}/${d.version}/${d.kind}`, d]));

export function findResource(group: string, version: string, plural: string): ResourceDef | undefined {
  return BY_GVR.get(`${group}/${version}/${plural}`);
}

export function findResourceByKind(group: string, version: string, kind: string): ResourceDef | undefined {
  return BY_GVK.get(`${group}/${version}/${kind}`);
}

/** The resources of one group/version in discovery order (sorted by plural); [] if not served. */
export function resourcesFor(group: string, version: string): ResourceDef[] {
  return RESOURCES.filter((d) => d.group === group && d.version === version);
}

export interface GroupVersion {
  group: string;
  version: string;
}

/** Served group/versions: core v1 first, then groups in upstream discovery order, each group's
 *  preferred version first (autoscaling: v2, then v1). */
export function groupVersions(): GroupVersion[] {
  return GROUP_ORDER.flatMap((g) => g.versions.map((version) => ({ group: g.group, version })));
}

/** The preferred version of a served group, or undefined. */
export function preferredVersion(group: string): string | undefined {
  return GROUP_ORDER.find((g) => g.group === group)?.versions[0];
}

/** `/registry/<storageGroup>/<plural>/<namespace>/<name>` (cluster-scoped: no namespace segment). */
export function storageKey(def: Pick<ResourceDef, 'storageGroup' | 'plural' | 'namespaced'>, namespace: string | undefined, name: string): string {
  if (!name) throw new Error(`storageKey: empty name for ${def.plural}`);
  if (!def.namespaced) return `/registry/${def.storageGroup}/${def.plural}/${name}`;
  if (!namespace) throw new Error(`storageKey: namespaced resource ${def.plural} needs a namespace`);
  return `/registry/${def.storageGroup}/${def.plural}/${namespace}/${name}`;
}

/** Key prefix (ending in '/') of all objects of a resource, or of one namespace's objects. */
export function storagePrefix(def: Pick<ResourceDef, 'storageGroup' | 'plural' | 'namespaced'>, namespace?: string): string {
  const base = `/registry/${def.storageGroup}/${def.plural}/`;
  return def.namespaced && namespace ? `${base}${namespace}/` : base;
}
