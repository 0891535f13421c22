// Per-kind behaviour wired into the resource catalogue: the defaulting (upstream SetDefaults_*)
// and validation (upstream Validate*/Validate*Update) of each group/version/kind.

import type { KubeObject, ValidationCause } from './types.ts';
import { defaultPod } from './defaults/pod.ts';
import {
  defaultCronJob,
  defaultDaemonSet,
  defaultDeployment,
  defaultJob,
  defaultPodTemplate,
  defaultReplicaSet,
  defaultReplicationController,
  defaultStatefulSet,
} from './defaults/workloads.ts';
import {
  defaultEndpoints,
  defaultLimitRange,
  defaultNamespace,
  defaultNode,
  defaultPersistentVolume,
  defaultPersistentVolumeClaim,
  defaultResourceQuota,
  defaultSecret,
  defaultService,
} from './defaults/core.ts';
import {
  defaultEndpointSlice,
  defaultHPAv1,
  defaultHPAv2,
  defaultPriorityClass,
  defaultRoleBinding,
  defaultStorageClass,
} from './defaults/others.ts';
import { validatePod, validatePodTemplate } from './validation/pod.ts';
import {
  validateControllerRevision,
  validateDaemonSet,
  validateDeployment,
  validateReplicaSet,
  validateReplicationController,
  validateStatefulSet,
} from './validation/workloads.ts';
import { validateCronJob, validateJob } from './validation/batch.ts';
import { validateService } from './validation/service.ts';
import {
  validateConfigMap,
  validateEndpoints,
  validateEvent,
  validateLimitRange,
  validateNamespace,
  validateNode,
  validatePersistentVolume,
  validatePersistentVolumeClaim,
  validateResourceQuota,
  validateSecret,
  validateServiceAccount,
} from './validation/core.ts';
import {
  validateClusterRole,
  validateClusterRoleBinding,
  validateEndpointSlice,
  validateEventsV1,
  validateHPAv1,
  validateHPAv2,
  validateLease,
  validatePodDisruptionBudget,
  validatePriorityClass,
  validateRole,
  validateRoleBinding,
  validateStorageClass,
} from './validation/others.ts';
import { dedupe } from './validation/field.ts';

export interface KindBehaviour {
  defaults?(obj: KubeObject): void;
  validate?(obj: KubeObject, old?: KubeObject): ValidationCause[];
}

/** Kinds with no defaulting of their own still get a no-op, so every def has both hooks. */
const NONE = (): void => {};

function kind(
  defaults: (obj: KubeObject) => void,
  validate: (obj: KubeObject, old?: KubeObject) => ValidationCause[],
): KindBehaviour {
  return { defaults, validate: (obj, old) => dedupe(validate(obj, old)) };
}

const BEHAVIOUR: Record<string, KindBehaviour> = {
  '/v1/ConfigMap': kind(NONE, validateConfigMap),
  '/v1/Endpoints': kind(defaultEndpoints, validateEndpoints),
  '/v1/Event': kind(NONE, validateEvent),
  '/v1/LimitRange': kind(defaultLimitRange, validateLimitRange),
  '/v1/Namespace': kind(defaultNamespace, validateNamespace),
  '/v1/Node': kind(defaultNode, validateNode),
  '/v1/PersistentVolumeClaim': kind(defaultPersistentVolumeClaim, validatePersistentVolumeClaim),
  '/v1/PersistentVolume': kind(defaultPersistentVolume, validatePersistentVolume),
  '/v1/Pod': kind(defaultPod, validatePod),
  '/v1/PodTemplate': kind(defaultPodTemplate, validatePodTemplate),
  '/v1/ReplicationController': kind(defaultReplicationController, validateReplicationController),
  '/v1/ResourceQuota': kind(defaultResourceQuota, validateResourceQuota),
  '/v1/Secret': kind(defaultSecret, validateSecret),
  '/v1/ServiceAccount': kind(NONE, validateServiceAccount),
  '/v1/Service': kind(defaultService, validateService),
  'apps/v1/ControllerRevision': kind(NONE, validateControllerRevision),
  'apps/v1/DaemonSet': kind(defaultDaemonSet, validateDaemonSet),
  'apps/v1/Deployment': kind(defaultDeployment, validateDeployment),
  'apps/v1/ReplicaSet': kind(defaultReplicaSet, validateReplicaSet),
  'apps/v1/StatefulSet': kind(defaultStatefulSet, validateStatefulSet),
  'events.k8s.io/v1/Event': kind(NONE, validateEventsV1),
  'autoscaling/v1/HorizontalPodAutoscaler': kind(defaultHPAv1, validateHPAv1),
  'autoscaling/v2/HorizontalPodAutoscaler': kind(defaultHPAv2, validateHPAv2),
  'batch/v1/CronJob': kind(defaultCronJob, validateCronJob),
  'batch/v1/Job': kind(defaultJob, validateJob),
  'policy/v1/PodDisruptionBudget': kind(NONE, validatePodDisruptionBudget),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': kind(defaultRoleBinding, validateClusterRoleBinding),
  'rbac.authorization.k8s.io/v1/ClusterRole': kind(NONE, validateClusterRole),
  'rbac.authorization.k8s.io/v1/RoleBinding': kind(defaultRoleBinding, validateRoleBinding),
  'rbac.authorization.k8s.io/v1/Role': kind(NONE, validateRole),
  'storage.k8s.io/v1/StorageClass': kind(defaultStorageClass, validateStorageClass),
  'scheduling.k8s.io/v1/PriorityClass': kind(defaultPriorityClass, validatePriorityClass),
  'coordination.k8s.io/v1/Lease': kind(NONE, validateLease),
  'discovery.k8s.io/v1/EndpointSlice': kind(defaultEndpointSlice, validateEndpointSlice),
};

/** Behaviour of `group/version/Kind` ({} when the kind has none). */
export function behaviourFor(group: string, version: string, kindName: string): KindBehaviour {
  return BEHAVIOUR[`${group}/${version}/${kindName}`] ?? {};
}
