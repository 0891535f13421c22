// Pod inputs: what the agent materialises on the host before a pod's containers start —
// volumes (emptyDir, hostPath, configMap, secret, downwardAPI, projected incl. service
// account tokens) and the environment of each container (value, fieldRef, resourceFieldRef,
// configMapKeyRef, secretKeyRef, envFrom, service links).
//
// Contract:
// - VolumeManager.setUp is idempotent and is called on every pod sync: the first call creates
//   the volumes, later calls refresh configMap/secret/downwardAPI/projected contents atomically
//   (Kubernetes' ..data symlink swap) so running containers see updates.
// - A missing non-optional configMap/secret makes setUp reject with a PodInputError whose
//   message is what the kubelet puts in the FailedMount event; env resolution rejects with the
//   message the kubelet puts in CreateContainerConfigError.
// - tearDown unmounts every tmpfs it mounted and removes the pod's volume directory; it is
//   idempotent and never follows a hostPath.

import type { KubeObject } from '../../api/types.ts';

export class PodInputError extends Error {
  /** 'FailedMount' for volumes, 'CreateContainerConfigError' for env. */
  readonly reason: 'FailedMount' | 'CreateContainerConfigError';
  constructor(reason: 'FailedMount' | 'CreateContainerConfigError', message: string) {
    super(message);
    this.name = 'PodInputError';
    this.reason = reason;
  }
}

/** Where pod inputs come from: the API, behind an interface so tests pass plain objects. */
export interface PodInputSource {
  getConfigMap(namespace: string, name: string): Promise<KubeObject | undefined>;
  getSecret(namespace: string, name: string): Promise<KubeObject | undefined>;
  /** Services of a namespace, for service-link env vars (KUBERNETES_SERVICE_HOST, FOO_SERVICE_PORT...). */
  listServices(namespace: string): Promise<KubeObject[]>;
  /** A bound service-account token (TokenRequest) for projected serviceAccountToken volumes. */
  requestServiceAccountToken(namespace: string, serviceAccount: string, opts: { audiences?: string[]; expirationSeconds: number; pod: { name: string; uid: string } }): Promise<{ token: string; expirationTimestamp: string }>;
}

export interface VolumeHostPaths {
  /** volume name → host path to bind-mount (a directory, or a file for hostPath type File) */
  paths: Map<string, string>;
}

export interface VolumeManager {
  setUp(pod: KubeObject): Promise<VolumeHostPaths>;
  tearDown(podUid: string): Promise<void>;
}

/** Facts about the running pod that env fieldRefs and downwardAPI need. */
export interface PodRuntimeFacts {
  nodeName: string;
  hostIP: string;
  podIP: string;
  podIPs: string[];
}

export interface EnvResolver {
  /** The container's environment as ordered "K=V" entries (pod values only, no image env). */
  resolve(pod: KubeObject, container: Record<string, unknown>, facts: PodRuntimeFacts): Promise<string[]>;
}
