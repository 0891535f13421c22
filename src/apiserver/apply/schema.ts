// The structure server-side apply needs from a kind's schema: which lists are list-maps (and by
// which keys), which are sets, which are atomic; which objects are structs (their keys are
// fields), which are maps (their keys are data), which are owned whole (atomic).
//
// Derived from the strategic-merge table (strategic-schema.ts: a merge key ≈ list-map key, a
// merging primitive list ≈ set, `replace` ≈ atomic, everything else atomic) and overlaid with the
// places where upstream's list-type/map-type markers (k8s.io/api, `+listType`, `+listMapKey`,
// `+mapType`, `+structType`) differ or say more: container ports keyed by containerPort+protocol,
// selectors and object references atomic, resource lists and labels as maps, and so on.
// Unknown kinds are treated like custom resources without a schema: objects are maps, lists
// atomic.

import { KIND_SCHEMAS, type PatchSchema } from '../strategic-schema.ts';
import type { Json, JsonMap } from './fieldpath.ts';

/**
 * SSA metadata of one field (and of the values below it). A node is resolved against the value
 * it describes: an object value is a struct unless `mapOf`/`deduced` say it is a map; an array
 * is a list of type `list` (atomic when unset).
 *
 * - `fields`: known fields of a struct; `others`: the schema of its other fields (by default a
 *   struct, atomic list or scalar by the value).
 * - `mapOf`: the object is a map (keys are data, not fields); values follow this node.
 * - `deduced`: untyped (custom-resource-like): objects are maps of deduced, lists atomic.
 * - `atomic`: the object value is owned and replaced whole.
 * - `list`, `keys`, `keyDefaults`, `item`: list type, list-map keys, defaults of key fields
 *   (an element without `protocol` is keyed as `"TCP"`), element schema.
 * - `zero`: Go always serializes this field, so an empty object of the kind has it as `{}`
 *   (a non-pointer struct) or `null`; used to start a create from upstream's empty object.
 */
export interface SsaSchema {
  readonly fields?: { readonly [name: string]: SsaSchema };
  readonly others?: SsaSchema;
  readonly mapOf?: SsaSchema;
  readonly deduced?: true;
  readonly atomic?: true;
  readonly list?: 'atomic' | 'set' | 'map';
  readonly keys?: readonly string[];
  readonly keyDefaults?: { readonly [name: string]: Json };
  readonly item?: SsaSchema;
  readonly zero?: 'object' | 'null';
}

/** A field nothing is known about: resolved by its value. */
export const AUTO: SsaSchema = {};
/** Untyped values: maps of untyped, lists atomic. */
export const DEDUCED: SsaSchema = { deduced: true };

/** The schema of the value under field `name` of an object described by `s`. */
export function fieldSchema(s: SsaSchema, name: string): SsaSchema {
  if (s.deduced) return DEDUCED;
  if (s.mapOf) return s.mapOf;
  return s.fields?.[name] ?? s.others ?? AUTO;
}

/** True when the keys of an object described by `s` are fields (a struct), false for a map. */
export function keysAreFields(s: SsaSchema): boolean {
  return !s.deduced && !s.mapOf;
}

/** The schema of the elements of a list described by `s`. */
export function itemSchema(s: SsaSchema): SsaSchema {
  if (s.deduced) return DEDUCED;
  return s.item ?? AUTO;
}

export function listType(s: SsaSchema): 'atomic' | 'set' | 'map' {
  if (s.deduced) return 'atomic';
  return s.list ?? 'atomic';
}

// ---- building blocks ----

const ATOMIC: SsaSchema = { atomic: true };
const STRING_MAP: SsaSchema = { mapOf: AUTO };
const ATOMIC_MAP: SsaSchema = { mapOf: AUTO, atomic: true };
const LABEL_SELECTOR = ATOMIC;
const OBJECT_REFERENCE = ATOMIC;
const RESOURCE_LIST = STRING_MAP;
const NULL: SsaSchema = { zero: 'null' };

function listMap(keys: string[], item?: SsaSchema, keyDefaults?: Record<string, Json>): SsaSchema {
  return { list: 'map', keys, ...(item ? { item } : {}), ...(keyDefaults ? { keyDefaults } : {}) };
}
const SET: SsaSchema = { list: 'set' };
const ATOMIC_LIST: SsaSchema = { list: 'atomic' };

/** Convert strategic-merge metadata: merge key → list-map, merging primitive list → set, replace → atomic. */
export function fromPatchSchema(p: PatchSchema): SsaSchema {
  const out: { -readonly [K in keyof SsaSchema]: SsaSchema[K] } = {};
  if (p.fields) {
    const fields: Record<string, SsaSchema> = {};
    for (const [k, v] of Object.entries(p.fields)) fields[k] = fromPatchSchema(v);
    out.fields = fields;
  }
  if (p.strategy === 'merge') {
    if (p.key) {
      out.list = 'map';
      out.keys = [p.key];
    } else {
      out.list = 'set';
    }
  } else if (p.strategy === 'replace') {
    out.atomic = true;
  }
  if (p.item) out.item = fromPatchSchema(p.item);
  return out;
}

/** Overlay `over` onto `base`: fields merge recursively, other properties of `over` win. */
export function overlay(base: SsaSchema, over: SsaSchema): SsaSchema {
  const out: { -readonly [K in keyof SsaSchema]: SsaSchema[K] } = { ...base, ...over };
  if (base.fields || over.fields) {
    const fields: Record<string, SsaSchema> = { ...(base.fields ?? {}) };
    for (const [k, v] of Object.entries(over.fields ?? {})) fields[k] = base.fields?.[k] ? overlay(base.fields[k]!, v) : v;
    out.fields = fields;
  }
  if (base.item && over.item) out.item = overlay(base.item, over.item);
  if (over.list === 'atomic' || over.atomic) {
    delete out.keys;
  }
  return out;
}

// ---- upstream list/map/struct types, where they differ from or add to the strategic table ----

const OBJECT_META: SsaSchema = {
  zero: 'object',
  fields: {
    labels: STRING_MAP,
    annotations: STRING_MAP,
    ownerReferences: listMap(['uid'], ATOMIC),
    finalizers: SET,
    managedFields: ATOMIC_LIST,
    creationTimestamp: NULL,
  },
};

const ENV_VAR: SsaSchema = {
  fields: {
    valueFrom: {
      fields: {
        fieldRef: ATOMIC,
        resourceFieldRef: ATOMIC,
        configMapKeyRef: ATOMIC,
        secretKeyRef: ATOMIC,
        fileKeyRef: ATOMIC,
      },
    },
  },
};

const RESOURCE_REQUIREMENTS: SsaSchema = {
  zero: 'object',
  fields: { limits: RESOURCE_LIST, requests: RESOURCE_LIST, claims: listMap(['name']) },
};

const CONTAINER: SsaSchema = {
  fields: {
    ports: listMap(['containerPort', 'protocol'], undefined, { protocol: 'TCP' }),
    env: listMap(['name'], ENV_VAR),
    resources: RESOURCE_REQUIREMENTS,
    volumeMounts: listMap(['mountPath'], { fields: { bindMountOptions: SET } }),
  },
};

const NODE_SELECTOR = ATOMIC;

const VOLUME: SsaSchema = {
  fields: {
    csi: { fields: { volumeAttributes: STRING_MAP, nodePublishSecretRef: ATOMIC } },
    flexVolume: { fields: { options: STRING_MAP, secretRef: ATOMIC } },
    ephemeral: { fields: { volumeClaimTemplate: { fields: { spec: { fields: { selector: LABEL_SELECTOR, dataSource: ATOMIC, resources: { fields: { limits: RESOURCE_LIST, requests: RESOURCE_LIST } } } } } } } },
  },
};

const POD_SPEC: SsaSchema = {
  fields: {
    containers: { zero: 'null', item: CONTAINER },
    initContainers: { item: CONTAINER },
    ephemeralContainers: { item: CONTAINER },
    volumes: { item: VOLUME },
    nodeSelector: ATOMIC_MAP,
    imagePullSecrets: { item: ATOMIC },
    overhead: RESOURCE_LIST,
    resources: { fields: { limits: RESOURCE_LIST, requests: RESOURCE_LIST, claims: listMap(['name']) } },
    topologySpreadConstraints: listMap(['topologyKey', 'whenUnsatisfiable'], { fields: { labelSelector: LABEL_SELECTOR } }),
    affinity: {
      fields: {
        nodeAffinity: { fields: { requiredDuringSchedulingIgnoredDuringExecution: NODE_SELECTOR } },
      },
    },
  },
};

const POD_TEMPLATE_SPEC: SsaSchema = { zero: 'object', fields: { metadata: OBJECT_META, spec: { zero: 'object', ...POD_SPEC } } };

const POD_STATUS: SsaSchema = {
  fields: {
    hostIPs: ATOMIC_LIST,
  },
};

const WORKLOAD_SPEC: SsaSchema = { fields: { selector: { ...LABEL_SELECTOR, zero: 'null' }, template: POD_TEMPLATE_SPEC } };

const PVC_SPEC: SsaSchema = {
  fields: {
    selector: LABEL_SELECTOR,
    dataSource: ATOMIC,
    resources: { zero: 'object', fields: { limits: RESOURCE_LIST, requests: RESOURCE_LIST } },
  },
};
const PVC_STATUS: SsaSchema = {
  fields: { capacity: RESOURCE_LIST, allocatedResources: RESOURCE_LIST, allocatedResourceStatuses: STRING_MAP },
};

const JOB_SPEC: SsaSchema = {
  fields: {
    selector: LABEL_SELECTOR,
    template: POD_TEMPLATE_SPEC,
  },
};

/** Overlays per `group/Kind`, applied onto the converted strategic table. */
const OVERLAYS: { readonly [groupKind: string]: SsaSchema } = {
  '/Pod': { fields: { spec: { zero: 'object', ...POD_SPEC }, status: POD_STATUS } },
  '/PodTemplate': { fields: { template: POD_TEMPLATE_SPEC } },
  '/ReplicationController': { fields: { spec: { zero: 'object', fields: { selector: ATOMIC_MAP, template: { fields: POD_TEMPLATE_SPEC.fields! } } } } },
  '/Service': { fields: { spec: { zero: 'object', fields: { ports: listMap(['port', 'protocol'], undefined, { protocol: 'TCP' }), selector: ATOMIC_MAP } } } },
  '/Node': {
    fields: {
      spec: { zero: 'object' },
      status: { fields: { capacity: RESOURCE_LIST, allocatable: RESOURCE_LIST } },
    },
  },
  '/ServiceAccount': { fields: { secrets: listMap(['name'], OBJECT_REFERENCE) } },
  '/Namespace': { fields: { spec: { zero: 'object' } } },
  '/PersistentVolumeClaim': { fields: { spec: { zero: 'object', ...PVC_SPEC }, status: PVC_STATUS } },
  '/PersistentVolume': {
    fields: {
      spec: {
        zero: 'object',
        fields: {
          capacity: RESOURCE_LIST,
          nodeAffinity: { fields: { required: NODE_SELECTOR } },
          csi: { fields: { volumeAttributes: STRING_MAP } },
        },
      },
    },
  },
  '/ConfigMap': { fields: { data: STRING_MAP, binaryData: STRING_MAP } },
  '/Secret': { fields: { data: STRING_MAP, stringData: STRING_MAP } },
  '/Event': { fields: { involvedObject: { ...OBJECT_REFERENCE, zero: 'object' }, related: OBJECT_REFERENCE } },
  '/ResourceQuota': {
    fields: {
      spec: { zero: 'object', fields: { hard: RESOURCE_LIST, scopeSelector: ATOMIC } },
      status: { fields: { hard: RESOURCE_LIST, used: RESOURCE_LIST } },
    },
  },
  '/LimitRange': { fields: { spec: { zero: 'object' } } },
  'apps/Deployment': { fields: { spec: { zero: 'object', fields: { ...WORKLOAD_SPEC.fields!, strategy: { zero: 'object' } } } } },
  'apps/ReplicaSet': { fields: { spec: { zero: 'object', ...WORKLOAD_SPEC } } },
  'apps/StatefulSet': { fields: { spec: { zero: 'object', fields: { ...WORKLOAD_SPEC.fields!, updateStrategy: { zero: 'object' } } } } },
  'apps/DaemonSet': { fields: { spec: { zero: 'object', fields: { ...WORKLOAD_SPEC.fields!, updateStrategy: { zero: 'object' } } } } },
  'apps/ControllerRevision': { fields: { data: ATOMIC } },
  'batch/Job': { fields: { spec: { zero: 'object', ...JOB_SPEC }, status: { fields: { conditions: ATOMIC_LIST, uncountedTerminatedPods: { fields: { succeeded: SET, failed: SET } } } } } },
  'batch/CronJob': { fields: { spec: { zero: 'object', fields: { jobTemplate: { zero: 'object', fields: { metadata: OBJECT_META, spec: { zero: 'object', ...JOB_SPEC } } } } } } },
  'autoscaling/HorizontalPodAutoscaler': { fields: { spec: { zero: 'object', fields: { scaleTargetRef: { zero: 'object' } } } } },
  'policy/PodDisruptionBudget': { fields: { spec: { zero: 'object' }, status: { fields: { disruptedPods: STRING_MAP } } } },
  'storage.k8s.io/StorageClass': { fields: { parameters: STRING_MAP } },
  'storage.k8s.io/CSINode': { fields: { spec: { zero: 'object' } } },
  'networking.k8s.io/Ingress': {
    fields: { spec: { zero: 'object', fields: { defaultBackend: { fields: { service: { fields: { port: ATOMIC } } } } } } },
  },
  'networking.k8s.io/NetworkPolicy': { fields: { spec: { zero: 'object', fields: { podSelector: LABEL_SELECTOR } } } },
  'discovery.k8s.io/EndpointSlice': { fields: { endpoints: { zero: 'null' } } },
  'coordination.k8s.io/Lease': { fields: { spec: { zero: 'object' } } },
  'rbac.authorization.k8s.io/Role': { fields: { rules: NULL } },
  'rbac.authorization.k8s.io/ClusterRole': { fields: { rules: NULL } },
  'rbac.authorization.k8s.io/RoleBinding': { fields: { roleRef: { ...ATOMIC, zero: 'object' } } },
  'rbac.authorization.k8s.io/ClusterRoleBinding': { fields: { roleRef: { ...ATOMIC, zero: 'object' } } },
};

/** Kinds whose `status` is a non-pointer struct upstream (an empty object has `status: {}`). */
const STATUS_KINDS = new Set([
  '/Pod', '/ReplicationController', '/Service', '/Node', '/Namespace', '/PersistentVolumeClaim',
  '/PersistentVolume', '/ResourceQuota', 'apps/Deployment', 'apps/ReplicaSet', 'apps/StatefulSet',
  'apps/DaemonSet', 'batch/Job', 'batch/CronJob', 'autoscaling/HorizontalPodAutoscaler',
  'policy/PodDisruptionBudget', 'networking.k8s.io/Ingress',
]);

const cache = new Map<string, SsaSchema>();

/**
 * The SSA schema of a kind (`group` is '' for core). Known kinds: the strategic table converted
 * and overlaid; unknown kinds: typed metadata, everything else deduced.
 */
export function ssaSchemaForKind(group: string, kind: string): SsaSchema {
  const gk = `${group}/${kind}`;
  let s = cache.get(gk);
  if (s) return s;
  const base = KIND_SCHEMAS[gk];
  if (!base) {
    s = { fields: { metadata: OBJECT_META }, others: DEDUCED };
  } else {
    s = overlay(fromPatchSchema(base), { fields: { metadata: OBJECT_META } });
    const over = OVERLAYS[gk];
    if (over) s = overlay(s, over);
    if (STATUS_KINDS.has(gk)) s = overlay(s, { fields: { status: { zero: 'object' } } });
  }
  cache.set(gk, s);
  return s;
}

/**
 * Upstream's empty object of a kind, as the Go zero value serializes: non-pointer structs as
 * `{}` (recursively), non-omitempty nil slices and pointers as `null`.
 */
export function zeroObject(s: SsaSchema): JsonMap {
  const out: JsonMap = {};
  for (const [k, f] of Object.entries(s.fields ?? {})) {
    if (f.zero === 'object') out[k] = zeroObject(f);
    else if (f.zero === 'null') out[k] = null;
  }
  return out;
}
