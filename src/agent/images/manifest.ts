// OCI / Docker v2 image documents: media types, parsing and validation of indexes, manifests and
// configs, platform choice, layer chain IDs, and the ImageConfig the runtime reads. Pure functions.

import { createHash } from 'node:crypto';
import { ImageError } from './types.ts';
import type { ImageConfig } from './types.ts';
import { isSha256Digest } from './reference.ts';

export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** What we send in Accept when fetching a manifest (registries 404 OCI manifests without it). */
export const MANIFEST_ACCEPT = [MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerList, MediaType.dockerManifest].join(', ');

const LAYER_TYPES = new Set<string>([
  MediaType.ociLayer, MediaType.ociLayerGzip, MediaType.ociLayerZstd, MediaType.dockerLayer, MediaType.dockerLayerGzip,
  // Non-distributable variants are ordinary layers for us.
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
]);

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

/** The parts of the image config blob we use. */
export interface ImageConfigBlob {
  architecture?: string;
  os?: string;
  config: ImageConfig;
  diffIDs: string[];
}

function bad(why: string): ImageError {
  return new ImageError('Invalid', why);
}

export function sha256Digest(data: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

function parseJson(data: Uint8Array, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    throw bad(`${what} is not valid JSON`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad(`${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

function descriptor(v: unknown, what: string): Descriptor {
  const d = v as Record<string, unknown> | null;
  if (!d || typeof d !== 'object') throw bad(`${what}: descriptor is not an object`);
  if (typeof d.digest !== 'string' || !isSha256Digest(d.digest)) throw bad(`${what}: unsupported digest ${String(d.digest)}`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw bad(`${what}: invalid size for ${d.digest}`);
  const out: Descriptor = { mediaType: typeof d.mediaType === 'string' ? d.mediaType : '', digest: d.digest, size: d.size };
  const p = d.platform as Record<string, unknown> | undefined;
  if (p && typeof p.architecture === 'string' && typeof p.os === 'string') {
    out.platform = { architecture: p.architecture, os: p.os };
    if (typeof p.variant === 'string') out.platform.variant = p.variant;
  }
  if (d.annotations && typeof d.annotations === 'object') out.annotations = d.annotations as Record<string, string>;
  return out;
}

/**
 * Parse a manifest or index. `contentType` is the registry's Content-Type, if any; the
 * document's own mediaType wins, and without either the shape decides (OCI allows that).
 */
export function parseManifestDocument(data: Uint8Array, contentType?: string): ImageIndex | ImageManifest {
  const doc = parseJson(data, 'manifest');
  const ct = contentType?.split(';')[0]?.trim();
  const mediaType = typeof doc.mediaType === 'string' ? doc.mediaType : ct && ct !== 'application/json' ? ct : Array.isArray(doc.manifests) ? MediaType.ociIndex : MediaType.ociManifest;
  if (mediaType === MediaType.ociIndex || mediaType === MediaType.dockerList) {
    if (!Array.isArray(doc.manifests)) throw bad('image index has no manifests');
    const out: ImageIndex = { kind: 'index', mediaType, manifests: doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`)) };
    if (doc.annotations && typeof doc.annotations === 'object') out.annotations = doc.annotations as Record<string, string>;
    return out;
  }
  if (mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest) {
    if (!Array.isArray(doc.layers)) throw bad('manifest has no layers');
    const config = descriptor(doc.config, 'config');
    const layers = doc.layers.map((l, i) => descriptor(l, `layers[${i}]`));
    for (const l of layers) {
      if (!LAYER_TYPES.has(l.mediaType)) throw bad(`unsupported layer media type ${l.mediaType || '(none)'}`);
    }
    return { kind: 'manifest', mediaType, config, layers };
  }
  throw bad(`unsupported manifest media type ${mediaType}`);
}

/** The platform this node runs: linux and Node's arch in OCI spelling. */
export function hostPlatform(): Platform {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  const p: Platform = { os: 'linux', architecture: arch[process.arch] ?? process.arch };
  if (p.architecture === 'arm64') p.variant = 'v8';
  if (p.architecture === 'arm') p.variant = 'v7';
  return p;
}

/**
 * The manifest of an index for `want`: os and architecture must match; a variant is matched
 * when both sides name one (an entry without a variant fits any). Undefined when none fits.
 */
export function choosePlatform(index: ImageIndex, want: Platform): Descriptor | undefined {
  const candidates = index.manifests.filter((m) => m.mediaType === MediaType.ociManifest || m.mediaType === MediaType.dockerManifest || m.mediaType === '');
  const fits = candidates.filter((m) => m.platform && m.platform.os === want.os && m.platform.architecture === want.architecture);
  return fits.find((m) => m.platform!.variant === want.variant)
    ?? fits.find((m) => !m.platform!.variant || !want.variant)
    ?? (candidates.length === 1 && !candidates[0]!.platform ? candidates[0] : undefined);
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}

/** Parse an image config blob (OCI or Docker; the same JSON). */
export function parseConfigBlob(data: Uint8Array): ImageConfigBlob {
  const doc = parseJson(data, 'image config');
  const rootfs = doc.rootfs as Record<string, unknown> | undefined;
  const diffIDs = stringList(rootfs?.diff_ids);
  if (!diffIDs) throw bad('image config has no rootfs.diff_ids');
  for (const d of diffIDs) if (!isSha256Digest(d)) throw bad(`image config: unsupported diff id ${d}`);
  const c = (doc.config ?? {}) as Record<string, unknown>;
  const config: ImageConfig = {};
  const entrypoint = stringList(c.Entrypoint);
  if (entrypoint) config.entrypoint = entrypoint;
  const cmd = stringList(c.Cmd);
  if (cmd) config.cmd = cmd;
  const env = stringList(c.Env);
  if (env) config.env = env;
  if (typeof c.WorkingDir === 'string' && c.WorkingDir) config.workingDir = c.WorkingDir;
  if (typeof c.User === 'string' && c.User) config.user = c.User;
  if (typeof c.StopSignal === 'string' && c.StopSignal) config.stopSignal = c.StopSignal;
  if (c.ExposedPorts && typeof c.ExposedPorts === 'object') config.exposedPorts = Object.keys(c.ExposedPorts);
  if (c.Labels && typeof c.Labels === 'object') config.labels = c.Labels as Record<string, string>;
  const out: ImageConfigBlob = { config, diffIDs };
  if (typeof doc.architecture === 'string') out.architecture = doc.architecture;
  if (typeof doc.os === 'string') out.os = doc.os;
  return out;
}

/** OCI chain IDs: chain[0] = diff[0]; chain[n] = sha256(chain[n-1] + " " + diff[n]). */
export function chainIDs(diffIDs: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIDs) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : 'sha256:' + createHash('sha256').update(`${prev} ${d}`).digest('hex'));
  }
  return out;
}

/** The hex part of a "sha256:<hex>" digest. */
export function digestHex(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}
