// Build the runtime's ContainerConfig for one container of a pod (pure): argv from
// command/args and the image's ENTRYPOINT/CMD with $(VAR) expansion, environment, working
// directory, user and groups, volume mounts and the termination-message file, cgroup resources
// from requests/limits, security settings, stop signal, log path and the labels the agent reads
// back (pod identity and spec hash). Errors the user must fix are PodInputError with reason
// CreateContainerConfigError, as the kubelet reports them.

import * as path from 'node:path';
import { parseQuantity } from '../../api/quantity.ts';
import type { KubeObject } from '../../api/types.ts';
import type { ImageInfo } from '../images/types.ts';
import { type AgentPaths, containerLogPath, podDir } from '../paths.ts';
import type { ContainerConfig, ContainerResources, Mount } from '../runtime/types.ts';
import { PodInputError, type VolumeHostPaths } from '../volumes/types.ts';
import {
  ANNOTATION_RESTART_COUNT, ANNOTATION_TERMINATION_MESSAGE_PATH, ANNOTATION_TERMINATION_MESSAGE_POLICY,
  LABEL_CONTAINER_HASH, LABEL_CONTAINER_NAME, LABEL_CONTAINER_TYPE, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, containerHash,
} from './labels.ts';
import { type QosClass, podQosClass } from './qos.ts';

export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';
const MIN_SHARES = 2;
const QUOTA_PERIOD = 100_000;
const MIN_QUOTA = 1000;

export interface ContainerConfigInput {
  pod: KubeObject;
  container: any;
  /** 'init' for init containers. */
  type?: 'init' | 'regular';
  image: ImageInfo;
  volumes: VolumeHostPaths;
  /** The container's own environment ("K=V", from EnvResolver), without the image's. */
  env: string[];
  restartCount: number;
  paths: AgentPaths;
  /** Node memory capacity in bytes, for Burstable oom_score_adj (default 8 GiB). */
  nodeMemoryBytes?: number;
}

export interface BuiltContainerConfig {
  config: ContainerConfig;
  /** Host file bind-mounted at terminationMessagePath; the worker creates it (empty) before create. */
  terminationLogPath: string;
}

/** Expand $(VAR) references as Kubernetes does: known names replaced, $$ escapes, unknown kept. */
export function expandVars(s: string, env: Map<string, string>): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '$' && s[i + 1] === '$') {
      out += '$';
      i++;
    } else if (ch === '$' && s[i + 1] === '(') {
      const end = s.indexOf(')', i + 2);
      if (end < 0) {
        out += s.slice(i);
        break;
      }
      const name = s.slice(i + 2, end);
      out += env.has(name) ? env.get(name)! : `$(${name})`;
      i = end;
    } else out += ch;
  }
  return out;
}

/** Merge "K=V" lists: later entries replace earlier ones with the same key, order of first appearance kept. */
export function mergeEnv(...lists: string[][]): string[] {
  const m = new Map<string, string>();
  for (const list of lists) {
    for (const kv of list) {
      const eq = kv.indexOf('=');
      const k = eq < 0 ? kv : kv.slice(0, eq);
      m.set(k, kv);
    }
  }
  return [...m.values()];
}

function envMap(env: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of env) {
    const eq = kv.indexOf('=');
    if (eq > 0) m.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  return m;
}

/** Kubernetes argv rules: command replaces ENTRYPOINT (and drops CMD); args replace CMD. */
export function resolveArgv(container: any, image: ImageInfo, env: string[]): string[] {
  const vars = envMap(env);
  const command: string[] | undefined = container.command?.length ? container.command.map((s: string) => expandVars(s, vars)) : undefined;
  const args: string[] | undefined = container.args?.length ? container.args.map((s: string) => expandVars(s, vars)) : undefined;
  if (command) return [...command, ...(args ?? [])];
  return [...(image.config.entrypoint ?? []), ...(args ?? image.config.cmd ?? [])];
}

function numeric(s: string | undefined): number | undefined {
  return s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined;
}

function milli(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  return Math.ceil(parseQuantity(v as string).milliValue());
}

function bytes(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  return parseQuantity(v as string).value();
}

/** cgroup settings from requests/limits (kubelet's MilliCPUToShares / MilliCPUToQuota). */
export function containerResources(container: any, qos: QosClass, nodeMemoryBytes = 8 * 1024 ** 3): ContainerResources {
  const req = container.resources?.requests ?? {};
  const lim = container.resources?.limits ?? {};
  const cpuReq = milli(req.cpu) ?? milli(lim.cpu) ?? 0;
  const r: ContainerResources = { cpuShares: Math.max(MIN_SHARES, Math.floor((cpuReq * 1024) / 1000)) };
  const cpuLim = milli(lim.cpu);
  if (cpuLim !== undefined && cpuLim > 0) {
    r.cpuQuota = Math.max(MIN_QUOTA, Math.floor((cpuLim * QUOTA_PERIOD) / 1000));
    r.cpuPeriod = QUOTA_PERIOD;
  }
  const memLim = bytes(lim.memory);
  if (memLim !== undefined && memLim > 0) r.memoryLimitBytes = memLim;
  if (qos === 'Guaranteed') r.oomScoreAdj = -997;
  else if (qos === 'BestEffort') r.oomScoreAdj = 1000;
  else {
    const memReq = bytes(req.memory) ?? memLim ?? 0;
    const adj = 1000 - Math.floor((1000 * memReq) / nodeMemoryBytes);
    r.oomScoreAdj = Math.min(999, Math.max(2, adj));
  }
  return r;
}

function mountsFor(pod: KubeObject, container: any, volumes: VolumeHostPaths): Mount[] {
  const mounts: Mount[] = [];
  for (const vm of container.volumeMounts ?? []) {
    const host = volumes.paths.get(vm.name);
    if (!host) throw new PodInputError('CreateContainerConfigError', `cannot find volume "${vm.name}" to mount into container "${container.name}"`);
    let hostPath = host;
    if (vm.subPath) {
      const sub = path.normalize(vm.subPath);
      if (path.isAbsolute(vm.subPath) || sub === '..' || sub.startsWith('../')) {
        throw new PodInputError('CreateContainerConfigError', `failed to prepare subPath for volumeMount "${vm.name}" of container "${container.name}"`);
      }
      hostPath = path.join(host, sub);
    }
    const propagation = vm.mountPropagation === 'Bidirectional' ? 'rshared' : vm.mountPropagation === 'HostToContainer' ? 'rslave' : 'private';
    mounts.push({ containerPath: vm.mountPath, hostPath, readOnly: vm.readOnly === true, propagation });
  }
  return mounts;
}

/** The host file behind a container's termination message (one per restart). */
export function terminationLogPath(paths: AgentPaths, podUid: string, container: string, restartCount: number): string {
  return path.join(podDir(paths, podUid), 'containers', container, `termination-log-${restartCount}`);
}

/** Build the runtime config of one container. Throws PodInputError (CreateContainerConfigError). */
export function buildContainerConfig(input: ContainerConfigInput): BuiltContainerConfig {
  const { pod, container, image, restartCount, paths } = input;
  const meta = pod.metadata;
  const uid = meta.uid!;
  const env = mergeEnv(image.config.env ?? [], input.env);
  const podSc = pod.spec?.securityContext ?? {};
  const sc = container.securityContext ?? {};
  const [imgUser, imgGroup] = (image.config.user ?? '').split(':');
  const runAsUser: number = sc.runAsUser ?? podSc.runAsUser ?? numeric(imgUser) ?? 0;
  const runAsGroup: number = sc.runAsGroup ?? podSc.runAsGroup ?? numeric(imgGroup) ?? 0;
  const additionalGids: number[] = [...(podSc.supplementalGroups ?? [])];
  if (podSc.fsGroup !== undefined && !additionalGids.includes(podSc.fsGroup)) additionalGids.push(podSc.fsGroup);

  const mounts = mountsFor(pod, container, input.volumes);
  const termPath: string = container.terminationMessagePath || DEFAULT_TERMINATION_MESSAGE_PATH;
  const termHost = terminationLogPath(paths, uid, container.name, restartCount);
  if (!mounts.some((m) => m.containerPath === termPath)) mounts.push({ containerPath: termPath, hostPath: termHost, readOnly: false });

  const qos = podQosClass(pod);
  const config: ContainerConfig = {
    name: container.name,
    attempt: restartCount,
    imageId: image.id,
    imageLayers: image.layers,
    args: resolveArgv(container, image, env),
    env,
    workingDir: container.workingDir || image.config.workingDir || '/',
    uid: runAsUser,
    gid: runAsGroup,
    additionalGids,
    mounts,
    resources: containerResources(container, qos, input.nodeMemoryBytes),
    security: {
      privileged: sc.privileged === true,
      readOnlyRootfs: sc.readOnlyRootFilesystem === true,
      capabilitiesAdd: sc.capabilities?.add ?? [],
      capabilitiesDrop: sc.capabilities?.drop ?? [],
      noNewPrivileges: sc.allowPrivilegeEscalation === false,
    },
    tty: container.tty === true,
    stdin: container.stdin === true,
    stdinOnce: container.stdinOnce === true,
    stopSignal: image.config.stopSignal || 'SIGTERM',
    logPath: containerLogPath(paths, meta.namespace!, meta.name!, uid, container.name, restartCount),
    labels: {
      [LABEL_POD_UID]: uid,
      [LABEL_POD_NAME]: meta.name!,
      [LABEL_POD_NAMESPACE]: meta.namespace!,
      [LABEL_CONTAINER_NAME]: container.name,
      [LABEL_CONTAINER_HASH]: containerHash(container),
      [LABEL_CONTAINER_TYPE]: input.type ?? 'regular',
    },
    annotations: {
      [ANNOTATION_RESTART_COUNT]: String(restartCount),
      [ANNOTATION_TERMINATION_MESSAGE_PATH]: termPath,
      [ANNOTATION_TERMINATION_MESSAGE_POLICY]: container.terminationMessagePolicy ?? 'File',
    },
  };
  return { config, terminationLogPath: termHost };
}
