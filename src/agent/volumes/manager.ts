// The pod volumes on this host, laid out as the kubelet lays them out:
//   <podsDir>/<uid>/volumes/kubernetes.io~empty-dir/<name>    (tmpfs when medium is Memory)
//   <podsDir>/<uid>/volumes/kubernetes.io~configmap/<name>     (AtomicWriter ..data layout)
//   <podsDir>/<uid>/volumes/kubernetes.io~secret/<name>        (on tmpfs)
//   <podsDir>/<uid>/volumes/kubernetes.io~downward-api/<name>
//   <podsDir>/<uid>/volumes/kubernetes.io~projected/<name>     (configMap, secret, downwardAPI,
//                                                               serviceAccountToken sources)
// hostPath volumes are checked (and created for *OrCreate) and used in place.
// setUp runs on every pod sync: it creates what is missing and republishes file contents
// atomically when their sources changed; tearDown unmounts and removes everything it made.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { KubeObject } from '../../api/types.ts';
import { Quantity } from '../../api/quantity.ts';
import type { Logger } from '../../base/log.ts';
import { realClock } from '../../client/clock.ts';
import type { Clock } from '../../client/clock.ts';
import { writeAtomically } from './atomicwriter.ts';
import { setVolumeOwnership, type FsGroupChangePolicy } from './ownership.ts';
import type { Payload } from './atomicwriter.ts';
import type { Allocatable } from './fieldpath.ts';
import { checkHostPath } from './hostpath.ts';
import { ensureTmpfs, mountPoints, unmountAllUnder } from './mounts.ts';
import { aggregate, configMapFiles, DEFAULT_MODE, downwardAPIPayload, keysPayload, mergePayloads, secretFiles } from './payload.ts';
import { PodInputError } from './types.ts';
import type { PodInputSource, VolumeHostPaths, VolumeManager } from './types.ts';

export interface HostVolumeManagerOptions {
  /** paths.pods: one directory per pod UID */
  podsDir: string;
  source: PodInputSource;
  log: Logger;
  clock?: Clock;
  nodeName: string;
  /** Node allocatable, the default for unset limits in downwardAPI resourceFieldRefs. */
  allocatable?: Allocatable;
}

export const PLUGIN_DIRS = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
} as const;

const SUPPORTED = ['hostPath', ...Object.keys(PLUGIN_DIRS)];

interface CachedToken {
  token: string;
  issuedAt: number;
  expiresAt: number;
}

export class HostVolumeManager implements VolumeManager {
  private readonly podsDir: string;
  private readonly source: PodInputSource;
  private readonly log: Logger;
  private readonly clock: Clock;
  readonly nodeName: string;
  private readonly allocatable: Allocatable;
  /** podUid → token cache key → token; refreshed at 80 % of its lifetime or after 24 h, as the kubelet's token manager. */
  private readonly tokens = new Map<string, Map<string, CachedToken>>();

  constructor(opts: HostVolumeManagerOptions) {
    this.podsDir = opts.podsDir;
    this.source = opts.source;
    this.log = opts.log;
    this.clock = opts.clock ?? realClock;
    this.nodeName = opts.nodeName;
    this.allocatable = opts.allocatable ?? {};
  }

  /** The directory of one volume of a pod (for plugins with a directory of their own). */
  volumeDir(podUid: string, plugin: keyof typeof PLUGIN_DIRS, name: string): string {
    return path.join(this.podsDir, podUid, 'volumes', PLUGIN_DIRS[plugin], name);
  }

  async setUp(pod: KubeObject): Promise<VolumeHostPaths> {
    const paths = new Map<string, string>();
    let firstError: PodInputError | undefined;
    for (const volume of (pod.spec?.volumes ?? []) as Record<string, any>[]) {
      try {
        paths.set(volume.name, await this.setUpVolume(pod, volume));
      } catch (e) {
        const err = new PodInputError('FailedMount', `MountVolume.SetUp failed for volume "${volume.name}" : ${(e as Error).message}`);
        this.log.warn(err.message, { pod: `${pod.metadata.namespace}/${pod.metadata.name}` });
        firstError ??= err;
      }
    }
    if (firstError) throw firstError;
    return { paths };
  }

  async tearDown(podUid: string): Promise<void> {
    const root = path.join(this.podsDir, podUid, 'volumes');
    await unmountAllUnder(root);
    const prefix = root + '/';
    if ((await mountPoints()).some((m) => m === root || m.startsWith(prefix))) throw new Error(`${root} still has mounts`);
    await fs.rm(root, { recursive: true, force: true });
    this.tokens.delete(podUid);
  }

  private async setUpVolume(pod: KubeObject, v: Record<string, any>): Promise<string> {
    const uid = String(pod.metadata.uid);
    const sc = pod.spec?.securityContext ?? {};
    const fsGroup: number | undefined = typeof sc.fsGroup === 'number' ? sc.fsGroup : undefined;
    const policy: FsGroupChangePolicy = sc.fsGroupChangePolicy === 'OnRootMismatch' ? 'OnRootMismatch' : 'Always';
    // fsGroup ownership (as the kubelet): emptyDir when it is made, the API-backed volumes after
    // every write (their files are replaced when their sources change); never hostPath.
    const owned = async (dir: string): Promise<string> => {
      if (fsGroup !== undefined) await setVolumeOwnership(dir, fsGroup, { readOnly: true, policy });
      return dir;
    };
    if (v.hostPath) {
      await checkHostPath(v.hostPath.path, v.hostPath.type);
      return v.hostPath.path;
    }
    if (v.emptyDir) {
      const dir = this.volumeDir(uid, 'emptyDir', v.name);
      const made = (await fs.mkdir(dir, { recursive: true })) !== undefined;
      if (v.emptyDir.medium === 'Memory') {
        const size = v.emptyDir.sizeLimit !== undefined ? Quantity.parse(v.emptyDir.sizeLimit).value() : undefined;
        await ensureTmpfs(dir, size);
      }
      if (made) {
        await fs.chmod(dir, 0o777);
        if (fsGroup !== undefined) await setVolumeOwnership(dir, fsGroup, { policy });
      }
      return dir;
    }
    if (v.configMap) {
      const dir = await this.ensureDir(uid, 'configMap', v.name);
      await writeAtomically(dir, await this.configMapPayload(pod, v.configMap, v.configMap.defaultMode ?? DEFAULT_MODE), this.clock);
      return owned(dir);
    }
    if (v.secret) {
      const dir = await this.ensureDir(uid, 'secret', v.name);
      await ensureTmpfs(dir);
      await writeAtomically(dir, await this.secretPayload(pod, v.secret, v.secret.secretName, v.secret.defaultMode ?? DEFAULT_MODE), this.clock);
      return owned(dir);
    }
    if (v.downwardAPI) {
      const dir = await this.ensureDir(uid, 'downwardAPI', v.name);
      await writeAtomically(dir, downwardAPIPayload(pod, v.downwardAPI.items, v.downwardAPI.defaultMode ?? DEFAULT_MODE, this.allocatable), this.clock);
      return owned(dir);
    }
    if (v.projected) {
      const dir = await this.ensureDir(uid, 'projected', v.name);
      await writeAtomically(dir, await this.projectedPayload(pod, v.projected), this.clock);
      return owned(dir);
    }
    const kind = Object.keys(v).find((k) => k !== 'name') ?? 'none';
    throw new Error(`unsupported volume source ${kind} (supported: ${SUPPORTED.join(', ')})`);
  }

  private async ensureDir(uid: string, plugin: keyof typeof PLUGIN_DIRS, name: string): Promise<string> {
    const dir = this.volumeDir(uid, plugin, name);
    await fs.mkdir(dir, { recursive: true, mode: 0o755 });
    return dir;
  }

  private async configMapPayload(pod: KubeObject, src: Record<string, any>, defaultMode: number): Promise<Payload> {
    const optional = src.optional === true;
    const cm = await this.source.getConfigMap(String(pod.metadata.namespace), src.name);
    if (!cm && !optional) throw new Error(`configmap "${src.name}" not found`);
    return keysPayload('configMap', configMapFiles(cm), src.items, defaultMode, optional);
  }

  private async secretPayload(pod: KubeObject, src: Record<string, any>, name: string, defaultMode: number): Promise<Payload> {
    const optional = src.optional === true;
    const secret = await this.source.getSecret(String(pod.metadata.namespace), name);
    if (!secret && !optional) throw new Error(`secret "${name}" not found`);
    return keysPayload('secret', secretFiles(secret), src.items, defaultMode, optional);
  }

  private async projectedPayload(pod: KubeObject, projected: Record<string, any>): Promise<Payload> {
    const defaultMode: number = projected.defaultMode ?? DEFAULT_MODE;
    const parts: Payload[] = [];
    const errors: string[] = [];
    for (const s of (projected.sources ?? []) as Record<string, any>[]) {
      try {
        if (s.configMap) parts.push(await this.configMapPayload(pod, s.configMap, defaultMode));
        else if (s.secret) parts.push(await this.secretPayload(pod, s.secret, s.secret.name, defaultMode));
        else if (s.downwardAPI) parts.push(downwardAPIPayload(pod, s.downwardAPI.items, defaultMode, this.allocatable));
        else if (s.serviceAccountToken) {
          const token = await this.token(pod, s.serviceAccountToken);
          parts.push(new Map([[s.serviceAccountToken.path, { data: Buffer.from(token, 'utf8'), mode: defaultMode }]]));
        }
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    if (errors.length) throw new Error(aggregate(errors));
    return mergePayloads(parts);
  }

  private async token(pod: KubeObject, src: { audience?: string; expirationSeconds?: number; path: string }): Promise<string> {
    const uid = String(pod.metadata.uid);
    const sa: string = pod.spec?.serviceAccountName || pod.spec?.serviceAccount || 'default';
    const expirationSeconds = src.expirationSeconds ?? 3600;
    const key = `${sa}|${src.audience ?? ''}|${expirationSeconds}`;
    const now = this.clock.now();
    const cached = this.tokens.get(uid)?.get(key);
    if (cached && now < cached.issuedAt + 0.8 * (cached.expiresAt - cached.issuedAt) && now < cached.issuedAt + 24 * 3600_000) return cached.token;
    let res: { token: string; expirationTimestamp: string };
    try {
      res = await this.source.requestServiceAccountToken(String(pod.metadata.namespace), sa, {
        ...(src.audience ? { audiences: [src.audience] } : {}),
        expirationSeconds,
        pod: { name: String(pod.metadata.name), uid },
      });
    } catch (e) {
      throw new Error(`failed to fetch token: ${(e as Error).message}`);
    }
    const expiresAt = Date.parse(res.expirationTimestamp);
    let perPod = this.tokens.get(uid);
    if (!perPod) this.tokens.set(uid, (perPod = new Map()));
    perPod.set(key, { token: res.token, issuedAt: now, expiresAt: Number.isFinite(expiresAt) ? expiresAt : now + expirationSeconds * 1000 });
    return res.token;
  }
}
