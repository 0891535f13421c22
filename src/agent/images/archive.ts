// Reads image archives into the blob store: OCI image-layout tars (index.json; names from the
// io.containerd.image.name or a full org.opencontainers.image.ref.name annotation) and
// `docker save` tars (manifest.json with RepoTags, Config and Layers paths; an OCI manifest is
// made for each). The archive may be gzip-compressed. Every content file is streamed into the
// blob store and verified where its name is its digest; the caller installs the images.

import * as fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createReadStream } from 'node:fs';
import type { ReadEntry } from 'tar';
import type { Logger } from '../../base/log.ts';
import { ImageError } from './types.ts';
import type { BlobStore } from './blobs.ts';
import { MediaType, parseConfigBlob, parseManifestDocument } from './manifest.ts';
import { normalizeReference } from './reference.ts';
import { compression, tarEntries } from './unpack.ts';

export interface ArchiveImage {
  /** Normalised names ("docker.io/library/busybox:latest"); empty when the archive names none. */
  names: string[];
  /** Digest of the image's top document (index or manifest), stored in the blob store. */
  digest: string;
}

const METADATA = new Set(['index.json', 'oci-layout', 'manifest.json', 'repositories']);
const MAX_METADATA = 16 << 20;
const CONTAINERD_NAME = 'io.containerd.image.name';
const OCI_REF_NAME = 'org.opencontainers.image.ref.name';

function normalizeNames(names: string[], log: Logger): string[] {
  const out: string[] = [];
  for (const n of names) {
    try {
      out.push(normalizeReference(n));
    } catch {
      log.warn('archive names an invalid reference; name ignored', { name: n });
    }
  }
  return [...new Set(out)];
}

/** Stream every file of the archive: metadata into memory, content into the blob store. */
async function scan(file: string, blobs: BlobStore, log: Logger): Promise<{ meta: Map<string, Buffer>; content: Map<string, string> }> {
  const meta = new Map<string, Buffer>();
  const content = new Map<string, string>(); // archive path → digest
  const handle = async (entry: ReadEntry): Promise<void> => {
    if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') return;
    const name = entry.path.replace(/^(\.\/|\/)+/, '');
    if (METADATA.has(name)) {
      if ((entry.size ?? 0) > MAX_METADATA) throw new ImageError('Invalid', `archive: ${name} is too large`);
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      meta.set(name, Buffer.concat(chunks));
      return;
    }
    if (/^[^/]+\/(json|VERSION)$/.test(name)) return; // legacy docker per-layer metadata
    const named = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name);
    const { digest } = await blobs.write(() => Readable.from(entry), named ? { digest: `sha256:${named[1]}`, size: entry.size } : { size: entry.size });
    content.set(name, digest);
  };
  const { sink, done } = tarEntries(handle, log, 'archive');
  try {
    await pipeline(createReadStream(file), sink);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ImageError('NotFound', `archive ${file} not found`);
    throw new ImageError('Invalid', `failed to read archive ${file}: ${(e as Error).message}`);
  }
  await done();
  return { meta, content };
}

function json(buf: Buffer, what: string): unknown {
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch {
    throw new ImageError('Invalid', `archive: ${what} is not valid JSON`);
  }
}

/** Images of an OCI layout's index.json; undefined names when an entry carries no full name. */
function ociImages(index: Buffer): Array<{ names: string[] | undefined; digest: string }> {
  const doc = parseManifestDocument(index, MediaType.ociIndex);
  if (doc.kind !== 'index') throw new ImageError('Invalid', 'archive: index.json is not an image index');
  return doc.manifests.map((m) => {
    const full = m.annotations?.[CONTAINERD_NAME] ?? m.annotations?.[OCI_REF_NAME];
    const isFull = full !== undefined && (m.annotations?.[CONTAINERD_NAME] !== undefined || /[/:]/.test(full));
    return { names: isFull ? [full] : undefined, digest: m.digest };
  });
}

/** Images of a `docker save` manifest.json, each given a new OCI manifest in the blob store. */
async function dockerImages(manifestJson: Buffer, content: Map<string, string>, blobs: BlobStore): Promise<Array<{ names: string[]; digest: string }>> {
  const items = json(manifestJson, 'manifest.json');
  if (!Array.isArray(items)) throw new ImageError('Invalid', 'archive: manifest.json is not a list');
  const out: Array<{ names: string[]; digest: string }> = [];
  for (const item of items as Array<{ Config?: string; RepoTags?: string[] | null; Layers?: string[] }>) {
    const find = (p: string | undefined): string => {
      const d = p !== undefined ? content.get(p.replace(/^(\.\/|\/)+/, '')) : undefined;
      if (!d) throw new ImageError('Invalid', `archive: ${p ?? '(no path)'} named in manifest.json is missing`);
      return d;
    };
    const configDigest = find(item.Config);
    const config = parseConfigBlob(await blobs.read(configDigest));
    const layers = [];
    for (const p of item.Layers ?? []) {
      const digest = find(p);
      const kind = await compression(blobs.path(digest));
      const mediaType = kind === 'gzip' ? MediaType.ociLayerGzip : kind === 'zstd' ? MediaType.ociLayerZstd : MediaType.ociLayer;
      layers.push({ mediaType, digest, size: await blobs.size(digest) });
    }
    if (layers.length !== config.diffIDs.length) throw new ImageError('Invalid', `archive: ${item.Config} has ${config.diffIDs.length} diff ids for ${layers.length} layers`);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: configDigest, size: await blobs.size(configDigest) },
      layers,
    }));
    const { digest } = await blobs.writeBytes(manifest);
    out.push({ names: item.RepoTags ?? [], digest });
  }
  return out;
}

/**
 * Read `file` into `blobs`; resolves with the images it holds (their content is in the blob
 * store, not yet installed) and every digest written (to protect from GC until installed).
 */
export async function readArchive(file: string, blobs: BlobStore, log: Logger): Promise<{ images: ArchiveImage[]; written: string[] }> {
  await fs.access(file).catch(() => {
    throw new ImageError('NotFound', `archive ${file} not found`);
  });
  const { meta, content } = await scan(file, blobs, log);
  const written = [...content.values()];
  const index = meta.get('index.json');
  const dockerManifest = meta.get('manifest.json');
  let images: Array<{ names: string[] | undefined; digest: string }>;
  if (index) {
    images = ociImages(index);
    if (dockerManifest && images.some((i) => i.names === undefined)) images = await dockerImages(dockerManifest, content, blobs);
  } else if (dockerManifest) {
    images = await dockerImages(dockerManifest, content, blobs);
  } else {
    throw new ImageError('Invalid', `archive ${file} is neither an OCI image layout (index.json) nor a docker save archive (manifest.json)`);
  }
  for (const i of images) written.push(i.digest);
  return { images: images.map((i) => ({ names: normalizeNames(i.names ?? [], log), digest: i.digest })), written };
}
