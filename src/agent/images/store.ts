// LocalImageStore: the node agent's ImageService (see types.ts for the contract).
//
// On disk, under `root` (paths.images):
//   blobs/sha256/<hex>   content-addressed blobs (indexes, manifests, configs, layer tars), verified
//   layers/<chainID hex> each layer unpacked once, as an overlayfs lowerdir with overlay whiteouts
//   index.json           images: id (config digest) → manifest, blobs, layers, config; tags → id
//   tmp/                 staging for blobs and layer directories (renamed into place when complete)
//
// A pull or import first makes every blob and layer directory complete, then records the image in
// index.json in one atomic rename; a failed pull leaves at most unreferenced content, collected
// by the next garbage collection (which runs after remove() and imports, once no pull is active).

import { statSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from '../../base/log.ts';
import type { Clock } from '../../client/clock.ts';
import { ImageError } from './types.ts';
import type { ImageConfig, ImageInfo, ImageService, PullOptions } from './types.ts';
import { BlobStore } from './blobs.ts';
import { chainIDs, choosePlatform, digestHex, hostPlatform, parseConfigBlob, parseManifestDocument } from './manifest.ts';
import type { Descriptor, Platform } from './manifest.ts';
import { formatReference, parseReference, referenceName } from './reference.ts';
import { RegistryClient } from './registry.ts';
import type { FetchLike } from './registry.ts';

export interface LocalImageStoreOptions {
  /** The store's directory (agentPaths(dataDir).images). */
  root: string;
  log: Logger;
  /** HTTP for registries; default the global fetch. */
  fetch?: FetchLike;
  clock?: Clock;
  /** Platform chosen from multi-platform images; default linux/<this machine>. */
  platform?: Platform;
}

interface StoredLayer {
  digest: string;
  mediaType: string;
  size: number;
  diffID: string;
  chainID: string;
}

interface StoredImage {
  id: string;
  manifestDigest: string;
  repoDigests: string[];
  /** Every blob the image needs kept: index (if any), manifest, config, layers. */
  blobs: string[];
  layers: StoredLayer[];
  config: ImageConfig;
  size: number;
}

interface IndexFile {
  version: 1;
  images: Record<string, StoredImage>;
  /** "registry/repo:tag" → image id */
  tags: Record<string, string>;
}

/** Where an image's content comes from while it is installed: a registry or the local blobs. */
interface ContentSource {
  /** Make sure the blob is in the store (verified). */
  blob(desc: Descriptor): Promise<void>;
  /** The bytes of a manifest by digest, stored as a blob too. */
  manifest(desc: Descriptor): Promise<Buffer>;
}

const STALE_TMP_MS = 60 * 60 * 1000;

export class LocalImageStore implements ImageService {
  private readonly root: string;
  private readonly log: Logger;
  private readonly blobs: BlobStore;
  private readonly registry: RegistryClient;
  private readonly platform: Platform;
  private readonly layersDir: string;
  private readonly indexFile: string;
  private readonly pulls = new Map<string, Promise<ImageInfo>>();
  private readonly unpacking = new Map<string, Promise<void>>();
  private ready: Promise<void> | undefined;
  private indexLock: Promise<unknown> = Promise.resolve();
  private indexCache: { mtimeMs: number; size: number; idx: IndexFile } | undefined;
  private active = 0;
  private gcPending = false;

  constructor(options: LocalImageStoreOptions) {
    this.root = options.root;
    this.log = options.log;
    this.blobs = new BlobStore(options.root);
    this.registry = new RegistryClient({ log: options.log, fetch: options.fetch, clock: options.clock });
    this.platform = options.platform ?? hostPlatform();
    this.layersDir = path.join(options.root, 'layers');
    this.indexFile = path.join(options.root, 'index.json');
  }

  /** Create the directories and drop stale staging leftovers; every method awaits it. */
  private init(): Promise<void> {
    this.ready ??= (async () => {
      await this.blobs.init();
      await fs.mkdir(this.layersDir, { recursive: true });
      const now = Date.now();
      for (const name of await fs.readdir(this.blobs.tmp)) {
        const p = path.join(this.blobs.tmp, name);
        const st = await fs.lstat(p).catch(() => undefined);
        if (st && now - st.mtimeMs > STALE_TMP_MS) await fs.rm(p, { recursive: true, force: true });
      }
    })();
    return this.ready;
  }

  // ---- the index file ----

  private async readIndex(): Promise<IndexFile> {
    try {
      const doc = JSON.parse(await fs.readFile(this.indexFile, 'utf8')) as IndexFile;
      return { version: 1, images: doc.images ?? {}, tags: doc.tags ?? {} };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, images: {}, tags: {} };
      throw e;
    }
  }

  /**
   * The index for lookups (status, list): parsed again only when the file changed (its size or
   * mtime; `skiff images` in another process writes it too). Read-only: mutateIndex reads its own.
   */
  private async lookupIndex(): Promise<IndexFile> {
    let st: { mtimeMs: number; size: number } | undefined;
    try {
      st = statSync(this.indexFile);
    } catch {
      st = undefined;
    }
    const c = this.indexCache;
    if (st && c && c.mtimeMs === st.mtimeMs && c.size === st.size) return c.idx;
    const idx = await this.readIndex();
    this.indexCache = st ? { mtimeMs: st.mtimeMs, size: st.size, idx } : undefined;
    return idx;
  }

  /** Read-modify-write of index.json, serialised in this process and atomic on disk. */
  private mutateIndex<T>(fn: (idx: IndexFile) => T): Promise<T> {
    const run = this.indexLock.then(async () => {
      const idx = await this.readIndex();
      const out = fn(idx);
      const tmp = this.blobs.stagingPath('index');
      await fs.writeFile(tmp, JSON.stringify(idx, null, 1));
      await fs.rename(tmp, this.indexFile);
      return out;
    });
    this.indexLock = run.catch(() => undefined);
    return run;
  }

  private info(idx: IndexFile, img: StoredImage): ImageInfo {
    return {
      id: img.id,
      repoTags: Object.entries(idx.tags).filter(([, id]) => id === img.id).map(([t]) => t).sort(),
      repoDigests: [...img.repoDigests],
      size: img.size,
      config: img.config,
      layers: img.layers.map((l) => this.layerDir(l.chainID)),
    };
  }

  private layerDir(chainID: string): string {
    return path.join(this.layersDir, digestHex(chainID));
  }

  /** The stored image `ref` names (id, id prefix, name:tag or name@digest) and how it was named. */
  private find(idx: IndexFile, ref: string): { img: StoredImage; tag?: string } | undefined {
    const id = /^(?:sha256:)?([0-9a-f]{12,64})$/.exec(ref);
    if (id) {
      const hits = Object.values(idx.images).filter((i) => digestHex(i.id).startsWith(id[1]!));
      if (hits.length === 1) return { img: hits[0]! };
      if (ref.startsWith('sha256:') || hits.length > 1) return undefined;
    }
    const p = parseReference(ref);
    if (p.digest) {
      const want = `${referenceName(p)}@${p.digest}`;
      const img = Object.values(idx.images).find((i) => i.repoDigests.includes(want));
      return img ? { img } : undefined;
    }
    const tag = formatReference(p);
    const img = idx.tags[tag] !== undefined ? idx.images[idx.tags[tag]] : undefined;
    return img ? { img, tag } : undefined;
  }

  // ---- ImageService ----

  async status(ref: string): Promise<ImageInfo | undefined> {
    await this.init();
    const idx = await this.lookupIndex();
    const hit = this.find(idx, ref);
    return hit ? this.info(idx, hit.img) : undefined;
  }

  async list(): Promise<ImageInfo[]> {
    await this.init();
    const idx = await this.lookupIndex();
    return Object.values(idx.images)
      .map((i) => this.info(idx, i))
      .sort((a, b) => compareStrings(a.repoTags[0] ?? a.repoDigests[0] ?? a.id, b.repoTags[0] ?? b.repoDigests[0] ?? b.id));
  }

  pull(ref: string, options: PullOptions = {}): Promise<ImageInfo> {
    let key: string;
    try {
      key = formatReference(parseReference(ref));
    } catch (e) {
      return Promise.reject(new ImageError('Invalid', `failed to pull and unpack image "${ref}": ${(e as Error).message}`));
    }
    key += '|' + JSON.stringify(options.auth ?? []);
    const pending = this.pulls.get(key);
    if (pending) return pending;
    const p = this.track(() => this.doPull(ref, options)).finally(() => this.pulls.delete(key));
    this.pulls.set(key, p);
    return p;
  }

  private async doPull(ref: string, options: PullOptions): Promise<ImageInfo> {
    await this.init();
    const parsed = parseReference(ref);
    const full = formatReference(parsed);
    const started = Date.now();
    this.log.info('pulling image', { image: full });
    try {
      const { session, manifest } = await this.registry.resolve(parsed, options.auth, options.signal);
      const source: ContentSource = {
        blob: async (desc) => {
          await this.blobs.write(() => session.blob(desc), { digest: desc.digest, size: desc.size });
        },
        manifest: async (desc) => {
          if (await this.blobs.has(desc.digest)) return this.blobs.read(desc.digest);
          const m = await session.manifest(desc.digest);
          await this.blobs.writeBytes(m.data, { digest: desc.digest });
          return m.data;
        },
      };
      await this.blobs.writeBytes(manifest.data, { digest: manifest.digest });
      const name = referenceName(parsed);
      const tags = parsed.tag !== undefined && parsed.digest === undefined ? [full] : [];
      const info = await this.install(manifest.digest, manifest.data, manifest.mediaType, source, tags, [`${name}@${manifest.digest}`]);
      this.log.info('pulled image', { image: full, id: info.id, ms: Date.now() - started });
      return info;
    } catch (e) {
      if (e instanceof ImageError) throw new ImageError(e.code, `failed to pull and unpack image "${full}": ${e.message}`);
      throw e;
    }
  }

  async importArchive(file: string): Promise<ImageInfo[]> {
    return this.track(async () => {
      await this.init();
      const { readArchive } = await import('./archive.ts'); // tar is loaded by the first import or pull only
      const { images } = await readArchive(file, this.blobs, this.log);
      const local: ContentSource = {
        blob: async (desc) => {
          if (!(await this.blobs.has(desc.digest))) throw new ImageError('Invalid', `archive ${file}: blob ${desc.digest} is missing`);
        },
        manifest: async (desc) => {
          await local.blob(desc);
          return this.blobs.read(desc.digest);
        },
      };
      const out: ImageInfo[] = [];
      for (const img of images) {
        const top = await this.blobs.read(img.digest);
        const repoDigests = img.names.map((n) => `${referenceName(parseReference(n))}@${img.digest}`);
        out.push(await this.install(img.digest, top, '', local, img.names, repoDigests));
        this.log.info('imported image', { file, names: img.names, id: out[out.length - 1]!.id });
      }
      this.gcPending = true; // the archive may hold blobs no image uses (other platforms)
      return out;
    });
  }

  async remove(ref: string): Promise<void> {
    await this.init();
    const removed = await this.mutateIndex((idx) => {
      const hit = this.find(idx, ref);
      if (!hit) return false;
      if (hit.tag !== undefined) delete idx.tags[hit.tag];
      const tagsLeft = Object.values(idx.tags).some((id) => id === hit.img.id);
      if (hit.tag === undefined || !tagsLeft) {
        for (const [t, id] of Object.entries(idx.tags)) if (id === hit.img.id) delete idx.tags[t];
        delete idx.images[hit.img.id];
      }
      return true;
    });
    if (!removed) throw new ImageError('NotFound', `no such image: "${ref}"`);
    this.log.info('removed image', { image: ref });
    this.gcPending = true;
    if (this.active === 0) await this.gc();
  }

  // ---- installing ----

  /** Run a pull/import; garbage collection waits until none is running. */
  private async track<T>(fn: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      if (this.active === 0 && this.gcPending) await this.gc().catch((e) => this.log.warn('image garbage collection failed', { error: String(e) }));
    }
  }

  /**
   * Make the image whose top document (index or manifest) is `top` complete on disk, then record
   * it with `tags` and `repoDigests`.
   */
  private async install(topDigest: string, top: Buffer, contentType: string, source: ContentSource, tags: string[], repoDigests: string[]): Promise<ImageInfo> {
    const keep = [topDigest];
    let doc = parseManifestDocument(top, contentType);
    let manifestDigest = topDigest;
    if (doc.kind === 'index') {
      const chosen = choosePlatform(doc, this.platform);
      if (!chosen) {
        const p = this.platform;
        throw new ImageError('NotFound', `no match for platform in manifest: ${p.os}/${p.architecture}${p.variant ? '/' + p.variant : ''}: not found`);
      }
      const data = await source.manifest(chosen);
      doc = parseManifestDocument(data, chosen.mediaType);
      if (doc.kind !== 'manifest') throw new ImageError('Invalid', `nested image index ${chosen.digest} is not supported`);
      manifestDigest = chosen.digest;
      keep.push(manifestDigest);
    }
    await source.blob(doc.config);
    const configBlob = parseConfigBlob(await this.blobs.read(doc.config.digest));
    if (configBlob.diffIDs.length !== doc.layers.length) {
      throw new ImageError('Invalid', `image config has ${configBlob.diffIDs.length} diff ids for ${doc.layers.length} layers`);
    }
    keep.push(doc.config.digest);
    const chains = chainIDs(configBlob.diffIDs);
    const layers: StoredLayer[] = [];
    for (const [i, l] of doc.layers.entries()) {
      await source.blob(l);
      keep.push(l.digest);
      const layer = { digest: l.digest, mediaType: l.mediaType, size: l.size, diffID: configBlob.diffIDs[i]!, chainID: chains[i]! };
      await this.ensureLayer(layer, layers.map((x) => this.layerDir(x.chainID)));
      layers.push(layer);
    }
    const img: StoredImage = {
      id: doc.config.digest,
      manifestDigest,
      repoDigests,
      blobs: [...new Set(keep)],
      layers,
      config: configBlob.config,
      size: layers.reduce((n, l) => n + l.size, 0),
    };
    return this.mutateIndex((idx) => {
      const prev = idx.images[img.id];
      if (prev) {
        img.repoDigests = [...new Set([...prev.repoDigests, ...img.repoDigests])];
        img.blobs = [...new Set([...prev.blobs, ...img.blobs])];
      }
      idx.images[img.id] = img;
      for (const t of tags) idx.tags[t] = img.id;
      return this.info(idx, img);
    });
  }

  /** Unpack the layer once into layers/<chainID>; concurrent callers share the work. */
  private ensureLayer(layer: StoredLayer, lowers: string[]): Promise<void> {
    const pending = this.unpacking.get(layer.chainID);
    if (pending) return pending;
    const p = (async () => {
      const dir = this.layerDir(layer.chainID);
      if (await fs.stat(dir).then(() => true, () => false)) return;
      const staging = this.blobs.stagingPath('layer');
      await fs.mkdir(staging, { mode: 0o755 });
      try {
        const started = Date.now();
        const { unpackLayer } = await import('./unpack.ts');
        const { diffID } = await unpackLayer(this.blobs.path(layer.digest), staging, { log: this.log, lowers });
        if (diffID !== layer.diffID) throw new ImageError('Invalid', `layer ${layer.digest}: diff id mismatch: expected ${layer.diffID}, got ${diffID}`);
        await fs.rename(staging, dir).catch(async (e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e; // another process won the race
          await fs.rm(staging, { recursive: true, force: true });
        });
        this.log.debug('unpacked layer', { digest: layer.digest, chainID: layer.chainID, ms: Date.now() - started });
      } catch (e) {
        await fs.rm(staging, { recursive: true, force: true });
        throw e;
      }
    })().finally(() => this.unpacking.delete(layer.chainID));
    this.unpacking.set(layer.chainID, p);
    return p;
  }

  // ---- garbage collection ----

  /** Delete blobs and layer directories no stored image references. */
  private async gc(): Promise<void> {
    this.gcPending = false;
    const idx = await this.readIndex();
    const blobs = new Set<string>();
    const chains = new Set<string>();
    for (const img of Object.values(idx.images)) {
      for (const b of img.blobs) blobs.add(b);
      for (const l of img.layers) chains.add(digestHex(l.chainID));
    }
    let freedBlobs = 0;
    let freedLayers = 0;
    for (const d of await this.blobs.list()) {
      if (blobs.has(d) || this.active > 0) continue;
      await this.blobs.delete(d);
      freedBlobs++;
    }
    for (const name of await fs.readdir(this.layersDir).catch(() => [] as string[])) {
      if (chains.has(name) || this.active > 0) continue;
      const trash = this.blobs.stagingPath('trash');
      await fs.rename(path.join(this.layersDir, name), trash);
      await fs.rm(trash, { recursive: true, force: true });
      freedLayers++;
    }
    if (this.active > 0) this.gcPending = true;
    if (freedBlobs || freedLayers) this.log.info('image garbage collection', { blobs: freedBlobs, layers: freedLayers });
  }
}

/** Code-unit order (not localeCompare: that loads ICU's collation data, several MB resident). */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
