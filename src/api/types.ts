// Core object shapes and the description of a served resource. The resource catalogue
// (src/api/resources.ts) lists one ResourceDef per served group/version/resource; the
// apiserver derives discovery, routing, storage keys and behaviour from it.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
  [k: string]: unknown;
}

/** Any Kubernetes object, as JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: any;
  status?: any;
  [k: string]: any;
}

export interface ValidationCause {
  /** Kubernetes cause reason: FieldValueRequired, FieldValueInvalid, FieldValueNotSupported,
   *  FieldValueDuplicate, FieldValueForbidden, FieldValueTooLong, ... */
  reason: string;
  /** Human message as upstream prints it, e.g. `Required value` or `Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"`. */
  message: string;
  /** Field path, e.g. `spec.containers[0].image`. */
  field: string;
}

export interface SubresourceDef {
  /** `status`, `scale`, `binding`, `log`, `exec`, `attach`, `portforward`, `proxy`, `eviction` */
  name: string;
  /** The kind answered/accepted, e.g. Scale in autoscaling/v1 for `scale`. */
  kind: { group: string; version: string; kind: string };
  verbs: string[];
}

/** Field selector attributes of an object: e.g. {"metadata.name": "x", "status.phase": "Running"}. */
export type FieldAttrs = Record<string, string>;

export interface ResourceDef {
  group: string; // '' for core
  version: string; // 'v1', 'v2'
  kind: string; // 'Pod'
  listKind: string; // 'PodList'
  plural: string; // 'pods'
  singular: string; // 'pod'
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[]; // create delete deletecollection get list patch update watch
  subresources: SubresourceDef[];
  /** Storage resource key: objects of several versions of one resource share it
   *  (autoscaling v1 and v2 HPAs). `/registry/<storageGroup>/<plural>/...` */
  storageGroup: string;
  /** Set when objects of this group/version are stored in another version's shape under the
   *  shared storage key: events.k8s.io/v1 Events are stored as core v1 Events and autoscaling/v1
   *  HPAs as autoscaling/v2 ones. The apiserver converts on the way in and out. */
  storageVersion?: { group: string; version: string };
  /** True when spec/status split applies (generation bumps on non-status changes; the
   *  status subresource writes only status). */
  hasStatus: boolean;
  /** Not stored: a create-only review resource answered by the apiserver itself
   *  (SelfSubjectAccessReview, TokenReview, ...). */
  virtual?: boolean;
  /** Field selector attributes supported beyond metadata.name/metadata.namespace. */
  fieldAttrs?(obj: KubeObject): FieldAttrs;
  /** Fill defaults in place (the upstream SetDefaults_* of this kind). */
  defaults?(obj: KubeObject): void;
  /** Validate a (defaulted) object. `old` is set on update. Returns causes; empty = valid. */
  validate?(obj: KubeObject, old?: KubeObject): ValidationCause[];
}

/** Wire apiVersion of a definition: `v1` or `apps/v1`. */
export function apiVersionOf(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}
