// Test fixture: a small busybox OCI image built in pure Node from Debian's busybox-static
// (/usr/bin/busybox), written as an OCI image-layout tar or a `docker save` tar, or pushed to a
// registry over the distribution API. Deterministic: the same options give the same digests.
// Used by the image service's tests, other agent tests and the e2e suite.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ImageConfig } from './types.ts';
import { MediaType, hostPlatform, sha256Digest } from './manifest.ts';
import { normalizeReference, parseReference } from './reference.ts';
import { TarWriter } from './tarwriter.ts';
import type { TarEntry } from './tarwriter.ts';

export { startTestRegistry } from './testregistry.ts';
export type { TestRegistry, TestRegistryOptions } from './testregistry.ts';
export type { TarEntry } from './tarwriter.ts';

export const BUSYBOX = '/usr/bin/busybox';
const FALLBACK_APPLETS = ['sh', 'echo', 'cat', 'sleep', 'ls', 'wget', 'httpd', 'nc', 'tar', 'test', '[', 'mkdir', 'hostname', 'ps', 'kill',
  'true', 'false', 'env', 'id', 'date', 'dd', 'head', 'tail', 'grep', 'touch', 'rm', 'timeout', 'cp', 'mv', 'ln', 'chmod', 'printf', 'seq', 'wc', 'stat', 'sed', 'awk', 'tr', 'ip', 'nslookup', 'pwd', 'uname'];

export interface TestLayer {
  entries: TarEntry[];
  /** Default gzip. */
  compression?: 'gzip' | 'none';
  /** Leave out the end-of-archive blocks and padding, as umoci `insert` does. */
  truncated?: boolean;
}

export interface TestImageOptions {
  /** Merged over the default config (Cmd ["sh"], Env PATH). */
  config?: ImageConfig;
  /** Layers above the busybox base layer, lowest first. */
  extraLayers?: TestLayer[];
}

export interface BuiltBlob {
  mediaType: string;
  digest: string;
  size: number;
  data: Buffer;
}

export interface BuiltImage {
  /** The config digest: the image id. */
  id: string;
  layers: Array<BuiltBlob & { diffID: string; uncompressed: Buffer }>;
  config: BuiltBlob;
  manifest: BuiltBlob;
}

/** An OCI whiteout entry hiding `p` of the layers below. */
export function whiteout(p: string): TarEntry {
  const dir = path.posix.dirname(p);
  return { path: `${dir === '.' ? '' : dir + '/'}.wh.${path.posix.basename(p)}` };
}

/** An OCI opaque-directory marker: `dir` hides everything the layers below have in it. */
export function opaque(dir: string): TarEntry {
  return { path: `${dir.replace(/\/+$/, '')}/.wh..wh..opq` };
}

function applets(): string[] {
  try {
    const out = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' });
    const list = out.split('\n').map((s) => s.trim()).filter((s) => s && s !== 'busybox' && !s.includes('/'));
    return list.length ? list : FALLBACK_APPLETS;
  } catch {
    return FALLBACK_APPLETS;
  }
}

/** The busybox root file system as tar entries. */
export function busyboxRootfs(): TarEntry[] {
  const e: TarEntry[] = [];
  for (const d of ['bin', 'dev', 'etc', 'home', 'proc', 'root', 'sbin', 'sys', 'usr', 'usr/bin', 'usr/sbin', 'var', 'var/www']) e.push({ path: d, type: 'Directory' });
  e.push({ path: 'tmp', type: 'Directory', mode: 0o1777 });
  e.push({ path: 'root', type: 'Directory', mode: 0o700 });
  e.push({ path: 'bin/busybox', data: readFileSync(BUSYBOX), mode: 0o755 });
  for (const a of applets()) e.push({ path: `bin/${a}`, type: 'SymbolicLink', linkpath: 'busybox' });
  e.push({ path: 'usr/bin/env', type: 'SymbolicLink', linkpath: '/bin/busybox' });
  e.push({ path: 'etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' });
  e.push({ path: 'etc/group', data: 'root:x:0:\nnobody:x:65534:\n' });
  e.push({ path: 'var/www/index.html', data: '<h1>hello from skiff</h1>\n' });
  return e;
}

let baseLayer: BuiltImage['layers'][number] | undefined;

function layerBlob(layer: TestLayer): BuiltImage['layers'][number] {
  const w = new TarWriter();
  for (const e of layer.entries) w.add(e);
  const uncompressed = w.finish({ truncated: layer.truncated });
  const gz = (layer.compression ?? 'gzip') === 'gzip';
  const data = gz ? gzipSync(uncompressed) : uncompressed;
  return {
    mediaType: gz ? MediaType.ociLayerGzip : MediaType.ociLayer,
    digest: sha256Digest(data),
    size: data.length,
    data,
    diffID: sha256Digest(uncompressed),
    uncompressed,
  };
}

function ociConfigSection(c: ImageConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (c.entrypoint) out.Entrypoint = c.entrypoint;
  if (c.cmd) out.Cmd = c.cmd;
  if (c.env) out.Env = c.env;
  if (c.workingDir) out.WorkingDir = c.workingDir;
  if (c.user) out.User = c.user;
  if (c.stopSignal) out.StopSignal = c.stopSignal;
  if (c.exposedPorts) out.ExposedPorts = Object.fromEntries(c.exposedPorts.map((p) => [p, {}]));
  if (c.labels) out.Labels = c.labels;
  return out;
}

function blob(mediaType: string, doc: unknown): BuiltBlob {
  const data = Buffer.from(JSON.stringify(doc));
  return { mediaType, digest: sha256Digest(data), size: data.length, data };
}

/** Build the image in memory: the busybox base layer, any extra layers, config and OCI manifest. */
export function buildTestImage(options: TestImageOptions = {}): BuiltImage {
  baseLayer ??= layerBlob({ entries: busyboxRootfs() });
  const layers = [baseLayer, ...(options.extraLayers ?? []).map(layerBlob)];
  const config = blob(MediaType.ociConfig, {
    created: '2024-01-01T00:00:00Z',
    architecture: hostPlatform().architecture,
    os: 'linux',
    config: ociConfigSection({ env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], cmd: ['sh'], ...options.config }),
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffID) },
    history: layers.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'skiff testimage' })),
  });
  const manifest = blob(MediaType.ociManifest, {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  });
  return { id: config.digest, layers, config, manifest };
}

function hex(digest: string): string {
  return digest.slice('sha256:'.length);
}

/**
 * Write an OCI image-layout tar holding the image under `name` (annotated with both
 * io.containerd.image.name and org.opencontainers.image.ref.name, as containerd exports).
 */
export async function writeOciArchive(file: string, options: TestImageOptions & { name: string }): Promise<BuiltImage> {
  const img = buildTestImage(options);
  const ref = parseReference(options.name);
  const w = new TarWriter();
  w.add({ path: 'oci-layout', data: JSON.stringify({ imageLayoutVersion: '1.0.0' }) });
  w.add({ path: 'blobs', type: 'Directory' });
  w.add({ path: 'blobs/sha256', type: 'Directory' });
  for (const b of [img.config, img.manifest, ...img.layers]) w.add({ path: `blobs/sha256/${hex(b.digest)}`, data: b.data });
  w.add({
    path: 'index.json',
    data: JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [{
        mediaType: img.manifest.mediaType, digest: img.manifest.digest, size: img.manifest.size,
        annotations: { 'io.containerd.image.name': normalizeReference(options.name), 'org.opencontainers.image.ref.name': ref.tag ?? 'latest' },
      }],
    }),
  });
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, w.finish());
  return img;
}

/** Write a `docker save` tar (manifest.json with RepoTags, <id>/layer.tar uncompressed layers). */
export async function writeDockerArchive(file: string, options: TestImageOptions & { name: string }): Promise<BuiltImage> {
  const img = buildTestImage(options);
  const w = new TarWriter();
  const layerPaths: string[] = [];
  for (const l of img.layers) {
    const id = hex(l.diffID);
    w.add({ path: id, type: 'Directory' });
    w.add({ path: `${id}/VERSION`, data: '1.0' });
    w.add({ path: `${id}/json`, data: JSON.stringify({ id }) });
    w.add({ path: `${id}/layer.tar`, data: l.uncompressed });
    layerPaths.push(`${id}/layer.tar`);
  }
  const configName = `${hex(img.config.digest)}.json`;
  w.add({ path: configName, data: img.config.data });
  const ref = parseReference(options.name);
  w.add({ path: 'manifest.json', data: JSON.stringify([{ Config: configName, RepoTags: [options.name], Layers: layerPaths }]) });
  w.add({ path: 'repositories', data: JSON.stringify({ [options.name.replace(/:[^:/]+$/, '')]: { [ref.tag ?? 'latest']: hex(img.layers[img.layers.length - 1]!.diffID) } }) });
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, w.finish());
  return img;
}

export interface PushOptions extends TestImageOptions {
  auth?: { username: string; password: string };
}

/**
 * Push the image to `registryUrl` ("http://127.0.0.1:5000") as repo:tag over the distribution
 * API (HEAD blob, POST upload, PUT with digest, PUT manifest). Resolves with the image and
 * the reference to pull ("127.0.0.1:5000/repo:tag").
 */
export async function pushToRegistry(registryUrl: string, repo: string, tag: string, options: PushOptions = {}): Promise<BuiltImage & { ref: string }> {
  const img = buildTestImage(options);
  const base = registryUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = {};
  if (options.auth) headers.authorization = 'Basic ' + Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64');
  const check = async (res: Response, what: string, ok: number[]): Promise<void> => {
    if (!ok.includes(res.status)) throw new Error(`push ${what}: HTTP ${res.status} ${await res.text()}`);
    await res.body?.cancel();
  };
  for (const b of [...img.layers, img.config]) {
    const head = await fetch(`${base}/v2/${repo}/blobs/${b.digest}`, { method: 'HEAD', headers });
    if (head.status === 200) continue;
    const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers });
    await check(start, `start upload of ${b.digest}`, [202]);
    const location = new URL(start.headers.get('location') ?? '', base + '/');
    location.searchParams.set('digest', b.digest);
    const put = await fetch(location, { method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: b.data });
    await check(put, `blob ${b.digest}`, [201]);
  }
  const put = await fetch(`${base}/v2/${repo}/manifests/${tag}`, { method: 'PUT', headers: { ...headers, 'content-type': img.manifest.mediaType }, body: img.manifest.data });
  await check(put, `manifest ${repo}:${tag}`, [201]);
  return { ...img, ref: `${new URL(base).host}/${repo}:${tag}` };
}
