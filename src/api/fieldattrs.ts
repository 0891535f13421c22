// Field selector support per kind: which field labels a kind accepts (anything else is a 400
// `field label not supported`) and how to read them off an object. Mirrors upstream's field
// label conversion functions and each registry's ToSelectableFields.

import type { FieldAttrs, KubeObject, ResourceDef } from './types.ts';

interface FieldSpec {
  /** Supported field labels, including metadata.name/metadata.namespace where upstream allows them. */
  fields: string[];
  /** The kind's own attributes (everything except metadata.name/metadata.namespace). */
  attrs?(obj: KubeObject): FieldAttrs;
}

const META = ['metadata.name', 'metadata.namespace'];

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const int = (v: unknown): string => String(typeof v === 'number' ? v : 0);

function podAttrs(pod: KubeObject): FieldAttrs {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const podIPs: Array<{ ip?: string }> = Array.isArray(status.podIPs) ? status.podIPs : [];
  return {
    'spec.nodeName': str(spec.nodeName),
    'spec.host': str(spec.nodeName),
    'spec.restartPolicy': str(spec.restartPolicy),
    'spec.schedulerName': str(spec.schedulerName),
    'spec.serviceAccountName': str(spec.serviceAccountName),
    'spec.hostNetwork': spec.hostNetwork === true ? 'true' : 'false',
    'status.phase': str(status.phase),
    'status.podIP': str(podIPs[0]?.ip ?? status.podIP),
    'status.nominatedNodeName': str(status.nominatedNodeName),
  };
}

function coreEventAttrs(ev: KubeObject): FieldAttrs {
  const io = ev.involvedObject ?? ev.regarding ?? {};
  return {
    'involvedObject.kind': str(io.kind),
    'involvedObject.namespace': str(io.namespace),
    'involvedObject.name': str(io.name),
    'involvedObject.uid': str(io.uid),
    'involvedObject.apiVersion': str(io.apiVersion),
    'involvedObject.resourceVersion': str(io.resourceVersion),
    'involvedObject.fieldPath': str(io.fieldPath),
    reason: str(ev.reason),
    reportingComponent: str(ev.reportingComponent ?? ev.reportingController),
    source: str(ev.source?.component ?? ev.deprecatedSource?.component),
    type: str(ev.type),
  };
}

/** events.k8s.io/v1 names the same facts `regarding.*` and `reportingController`. Reads either shape. */
function eventsV1Attrs(ev: KubeObject): FieldAttrs {
  const core = coreEventAttrs(ev);
  const out: FieldAttrs = {
    reason: core.reason!,
    reportingController: core.reportingComponent!,
    type: core.type!,
    source: core.source || core.reportingComponent!,
  };
  for (const k of ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath']) {
    out[`regarding.${k}`] = core[`involvedObject.${k}`]!;
  }
  return out;
}

/** Keyed by `group/Kind` ('' group for core). */
const SPECS: Record<string, FieldSpec> = {
  '/Pod': {
    fields: [
      ...META,
      'spec.nodeName',
      'spec.host',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.podIPs',
      'status.nominatedNodeName',
    ],
    attrs: podAttrs,
  },
  '/Event': {
    fields: [
      ...META,
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ],
    attrs: coreEventAttrs,
  },
  'events.k8s.io/Event': {
    fields: [
      ...META,
      'regarding.kind',
      'regarding.namespace',
      'regarding.name',
      'regarding.uid',
      'regarding.apiVersion',
      'regarding.resourceVersion',
      'regarding.fieldPath',
      'reason',
      'reportingController',
      'source',
      'type',
    ],
    attrs: eventsV1Attrs,
  },
  '/Namespace': { fields: ['metadata.name', 'status.phase'], attrs: (o) => ({ 'status.phase': str(o.status?.phase) }) },
  '/Node': {
    fields: ['metadata.name', 'spec.unschedulable'],
    attrs: (o) => ({ 'spec.unschedulable': o.spec?.unschedulable === true ? 'true' : 'false' }),
  },
  '/Secret': { fields: [...META, 'type'], attrs: (o) => ({ type: str(o.type) }) },
  '/Service': {
    fields: [...META, 'spec.clusterIP', 'spec.type'],
    attrs: (o) => ({ 'spec.clusterIP': str(o.spec?.clusterIP), 'spec.type': str(o.spec?.type) }),
  },
  '/ReplicationController': { fields: [...META, 'status.replicas'], attrs: (o) => ({ 'status.replicas': int(o.status?.replicas) }) },
  'apps/ReplicaSet': { fields: [...META, 'status.replicas'], attrs: (o) => ({ 'status.replicas': int(o.status?.replicas) }) },
  'batch/Job': { fields: [...META, 'status.successful'], attrs: (o) => ({ 'status.successful': int(o.status?.succeeded) }) },
};

function specOf(def: Pick<ResourceDef, 'group' | 'kind'>): FieldSpec | undefined {
  return SPECS[`${def.group}/${def.kind}`];
}

/** Every field label a kind accepts in a field selector (metadata.name and metadata.namespace
 *  for kinds without their own list, as upstream's default conversion). */
export function supportedFieldSelectors(def: Pick<ResourceDef, 'group' | 'kind'>): string[] {
  return [...(specOf(def)?.fields ?? META)];
}

/** The kind's field attribute extractor (beyond metadata.name/namespace), for ResourceDef.fieldAttrs. */
export function fieldAttrsFor(group: string, kind: string): ((obj: KubeObject) => FieldAttrs) | undefined {
  return specOf({ group, kind })?.attrs;
}

/** All field attributes of an object: metadata.name, metadata.namespace (namespaced kinds) and the kind's own. */
export function objectFieldAttrs(def: Pick<ResourceDef, 'group' | 'kind' | 'namespaced'>, obj: KubeObject): FieldAttrs {
  const out: FieldAttrs = { 'metadata.name': obj.metadata?.name ?? '' };
  if (def.namespaced) out['metadata.namespace'] = obj.metadata?.namespace ?? '';
  const extra = specOf(def)?.attrs;
  return extra ? { ...out, ...extra(obj) } : out;
}
