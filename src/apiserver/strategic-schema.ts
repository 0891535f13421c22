// The strategic-merge-patch metadata of the kinds we serve: which lists merge (and by which
// key), which objects are replaced wholesale, which carry retainKeys. Upstream keeps this in Go
// struct tags (`patchStrategy:"merge" patchMergeKey:"name"`); here it is a small tree of plain
// data, so the same table can feed strategic.ts and the OpenAPI `x-kubernetes-patch-*` extensions.
//
// Tags transcribed from k8s.io/api (core/v1, apps/v1, batch/v1, autoscaling/v2, policy/v1,
// storage/v1) and k8s.io/apimachinery meta/v1. A field absent from the tree has no strategy:
// objects merge key by key, lists are replaced whole (upstream's default, "atomic").

/**
 * Patch metadata of one field, and of the fields below it.
 *
 * - `fields`: the known fields of an object value (a Go struct).
 * - `strategy`: 'merge' on a list (elements merge by `key` for lists of objects, as a set for
 *   lists of primitives); 'replace' on an object (the patch value replaces it whole).
 * - `key`: the patchMergeKey of a merging list of objects.
 * - `item`: the schema of each list element.
 * - `retainKeys`: the field also has the retainKeys strategy (a union type: a `$retainKeys`
 *   directive in the patch clears every key it does not name). Informational for applying a
 *   patch, which honours any `$retainKeys` directive it meets; needed by patch producers and
 *   OpenAPI.
 */
export interface PatchSchema {
  readonly fields?: { readonly [name: string]: PatchSchema };
  readonly strategy?: 'merge' | 'replace';
  readonly key?: string;
  readonly item?: PatchSchema;
  readonly retainKeys?: true;
}

/** The OpenAPI v2/v3 extensions upstream publishes for a field with patch metadata. */
export interface PatchExtensions {
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
}

/** The `x-kubernetes-patch-strategy` / `-merge-key` extensions for one field (empty when none). */
export function patchExtensions(field: PatchSchema): PatchExtensions {
  const out: PatchExtensions = {};
  const parts: string[] = [];
  if (field.strategy) parts.push(field.strategy);
  if (field.retainKeys) parts.push('retainKeys');
  if (parts.length > 0) out['x-kubernetes-patch-strategy'] = parts.join(',');
  if (field.key) out['x-kubernetes-patch-merge-key'] = field.key;
  return out;
}

function mergeList(key: string, item?: PatchSchema, retainKeys?: true): PatchSchema {
  return { strategy: 'merge', key, ...(item ? { item } : {}), ...(retainKeys ? { retainKeys } : {}) };
}

/** `conditions` of every status: merged by `type`. */
const CONDITIONS = mergeList('type');

// ---- meta/v1 ----

export const OBJECT_META: PatchSchema = {
  fields: {
    ownerReferences: mergeList('uid'),
    finalizers: { strategy: 'merge' },
  },
};

// ---- core/v1: containers and pods ----

export const CONTAINER: PatchSchema = {
  fields: {
    ports: mergeList('containerPort'),
    env: mergeList('name'),
    volumeMounts: mergeList('mountPath'),
    volumeDevices: mergeList('devicePath'),
  },
};

export const CONTAINER_STATUS: PatchSchema = {
  fields: {
    volumeMounts: mergeList('mountPath'),
    allocatedResourcesStatus: mergeList('name'),
  },
};

export const POD_SPEC: PatchSchema = {
  fields: {
    volumes: mergeList('name', undefined, true),
    initContainers: mergeList('name', CONTAINER),
    containers: mergeList('name', CONTAINER),
    ephemeralContainers: mergeList('name', CONTAINER),
    imagePullSecrets: mergeList('name'),
    hostAliases: mergeList('ip'),
    topologySpreadConstraints: mergeList('topologyKey'),
    schedulingGates: mergeList('name'),
    resourceClaims: mergeList('name', undefined, true),
  },
};

export const POD_STATUS: PatchSchema = {
  fields: {
    conditions: CONDITIONS,
    hostIPs: mergeList('ip'),
    podIPs: mergeList('ip'),
    resourceClaimStatuses: mergeList('name', undefined, true),
    // atomic lists; element schemas kept for the OpenAPI extensions below them
    initContainerStatuses: { item: CONTAINER_STATUS },
    containerStatuses: { item: CONTAINER_STATUS },
    ephemeralContainerStatuses: { item: CONTAINER_STATUS },
  },
};

export const POD_TEMPLATE_SPEC: PatchSchema = {
  fields: { metadata: OBJECT_META, spec: POD_SPEC },
};

// ---- core/v1: services, nodes, the rest ----

export const SERVICE_SPEC: PatchSchema = { fields: { ports: mergeList('port') } };
export const SERVICE_STATUS: PatchSchema = { fields: { conditions: CONDITIONS } };
export const NODE_SPEC: PatchSchema = { fields: { podCIDRs: { strategy: 'merge' } } };
export const NODE_STATUS: PatchSchema = {
  fields: { conditions: CONDITIONS, addresses: mergeList('type') },
};
/** Every status whose only patch metadata is `conditions` merged by type. */
const CONDITIONS_STATUS: PatchSchema = { fields: { conditions: CONDITIONS } };

// ---- workloads ----

const TEMPLATE_SPEC: PatchSchema = { fields: { template: POD_TEMPLATE_SPEC } };
export const DEPLOYMENT_SPEC: PatchSchema = {
  fields: { template: POD_TEMPLATE_SPEC, strategy: { retainKeys: true } },
};
export const JOB_SPEC: PatchSchema = TEMPLATE_SPEC;
export const JOB_TEMPLATE_SPEC: PatchSchema = { fields: { metadata: OBJECT_META, spec: JOB_SPEC } };
export const CRON_JOB_SPEC: PatchSchema = { fields: { jobTemplate: JOB_TEMPLATE_SPEC } };

// ---- kinds ----

/** A top-level kind: `metadata` plus the given fields. */
function kind(fields: { readonly [name: string]: PatchSchema } = {}): PatchSchema {
  return { fields: { metadata: OBJECT_META, ...fields } };
}

const workload = (spec: PatchSchema): PatchSchema => kind({ spec, status: CONDITIONS_STATUS });

/**
 * Patch schemas by `group/Kind` (the core group is the empty string: `/Pod`). Kinds whose only
 * patch metadata is in `metadata` are listed too, so that a known kind never falls back to the
 * guess.
 */
export const KIND_SCHEMAS: { readonly [groupKind: string]: PatchSchema } = {
  '/Pod': kind({ spec: POD_SPEC, status: POD_STATUS }),
  '/PodTemplate': kind({ template: POD_TEMPLATE_SPEC }),
  '/ReplicationController': workload(TEMPLATE_SPEC),
  '/Service': kind({ spec: SERVICE_SPEC, status: SERVICE_STATUS }),
  '/Node': kind({ spec: NODE_SPEC, status: NODE_STATUS }),
  '/ServiceAccount': kind({ secrets: mergeList('name') }),
  '/Namespace': kind({ status: CONDITIONS_STATUS }),
  '/PersistentVolumeClaim': kind({ status: CONDITIONS_STATUS }),
  '/ComponentStatus': kind({ conditions: CONDITIONS }),
  '/ConfigMap': kind(),
  '/Secret': kind(),
  '/Endpoints': kind(),
  '/Event': kind(),
  '/LimitRange': kind(),
  '/ResourceQuota': kind(),
  '/PersistentVolume': kind(),
  'apps/Deployment': workload(DEPLOYMENT_SPEC),
  'apps/ReplicaSet': workload(TEMPLATE_SPEC),
  'apps/StatefulSet': workload(TEMPLATE_SPEC),
  'apps/DaemonSet': workload(TEMPLATE_SPEC),
  'apps/ControllerRevision': kind(),
  'batch/Job': workload(JOB_SPEC),
  'batch/CronJob': kind({ spec: CRON_JOB_SPEC }),
  'autoscaling/HorizontalPodAutoscaler': kind({ status: CONDITIONS_STATUS }),
  'policy/PodDisruptionBudget': kind({
    spec: { fields: { selector: { strategy: 'replace' } } },
    status: CONDITIONS_STATUS,
  }),
  'storage.k8s.io/CSINode': kind({ spec: { fields: { drivers: mergeList('name') } } }),
  'storage.k8s.io/StorageClass': kind(),
  'networking.k8s.io/Ingress': kind(),
  'networking.k8s.io/IngressClass': kind(),
  'networking.k8s.io/NetworkPolicy': kind(),
  'discovery.k8s.io/EndpointSlice': kind(),
  'coordination.k8s.io/Lease': kind(),
  'rbac.authorization.k8s.io/Role': kind(),
  'rbac.authorization.k8s.io/ClusterRole': kind(),
  'rbac.authorization.k8s.io/RoleBinding': kind(),
  'rbac.authorization.k8s.io/ClusterRoleBinding': kind(),
  'scheduling.k8s.io/PriorityClass': kind(),
};

/** The patch schema of a kind, or undefined when the kind is not in the table. */
export function schemaForKind(group: string, kindName: string): PatchSchema | undefined {
  return KIND_SCHEMAS[`${group}/${kindName}`];
}

// ---- the guess, for a patch whose kind is unknown ----

function union(...schemas: PatchSchema[]): PatchSchema {
  const fields: Record<string, PatchSchema> = {};
  for (const s of schemas) Object.assign(fields, s.fields);
  return { fields };
}

/**
 * A schema that works for every kind above without knowing which it is: the union of their
 * `spec`s and `status`es (their field names do not collide with different strategies), so that
 * any `containers` merges by name, Service `spec.ports` by port, a template's containers by name
 * at any depth the workloads put them. PodDisruptionBudget's replace-strategy `spec.selector` is
 * left out: for every other kind a selector patch merges.
 */
export const GUESS_SCHEMA: PatchSchema = kind({
  spec: union(POD_SPEC, SERVICE_SPEC, NODE_SPEC, DEPLOYMENT_SPEC, CRON_JOB_SPEC),
  status: union(POD_STATUS, SERVICE_STATUS, NODE_STATUS),
  template: POD_TEMPLATE_SPEC,
  secrets: mergeList('name'),
  conditions: CONDITIONS,
});
