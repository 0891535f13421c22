// Unpacks one layer blob (tar, gzip or zstd) into its own directory, usable as an overlayfs
// lowerdir: OCI whiteouts become overlayfs whiteouts (`.wh.<name>` → a 0/0 character device made
// with `mknod`; `.wh..wh..opq` → the `trusted.overlay.opaque=y` xattr set with `setfattr`).
//
// node-tar parses the archive (pax, GNU long names); the file system work is ours, because a
// layer legitimately holds absolute and upward symlinks that node-tar's extractor rewrites or
// refuses. Safety: entry paths may not leave the layer directory, and nothing is ever written
// through a symlink inside it (such entries are skipped with a warning). Owners, modes and
// mtimes are preserved (we run as root); device nodes and FIFOs are skipped. Hardlinks to a file
// of a lower layer are copied in. Truncated tars (umoci `insert` writes no end blocks) are
// padded before parsing. The sha256 of the uncompressed stream — the layer's diffID — is returned
// for the caller to check against the image config.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { Parser } from 'tar';
import type { ReadEntry } from 'tar';
import type { Logger } from '../../base/log.ts';
import { ImageError } from './types.ts';

const run = promisify(execFile);
const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

export interface UnpackOptions {
  log: Logger;
  /** Already unpacked directories of the layers below, lowest first (for cross-layer hardlinks). */
  lowers?: string[];
}

export interface UnpackResult {
  diffID: string;
  /** Bytes of the uncompressed tar. */
  size: number;
}

/** How the blob is compressed, from its first bytes. */
export async function compression(file: string): Promise<'gzip' | 'zstd' | 'none'> {
  const fh = await fs.open(file, 'r');
  try {
    const { bytesRead, buffer } = await fh.read(Buffer.alloc(4), 0, 4, 0);
    if (bytesRead >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) return 'gzip';
    if (bytesRead === 4 && buffer.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    await fh.close();
  }
}

function decompressor(kind: 'gzip' | 'zstd' | 'none'): Transform[] {
  if (kind === 'gzip') return [zlib.createGunzip()];
  if (kind === 'zstd') return [zlib.createZstdDecompress()];
  return [];
}

/** Hashes what passes and, at the end, pads to a 512-byte block and adds two zero blocks. */
function hashAndPad(onDone: (digest: string, size: number) => void): Transform {
  const hash = createHash('sha256');
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      onDone('sha256:' + hash.digest('hex'), size);
      cb(null, Buffer.alloc(((512 - (size % 512)) % 512) + 1024));
    },
  });
}

/**
 * Unpack `blobFile` into `dest` (an existing, empty directory). Rejects with ImageError('Invalid')
 * when the archive is unreadable or an entry tries to leave `dest`.
 */
export async function unpackLayer(blobFile: string, dest: string, options: UnpackOptions): Promise<UnpackResult> {
  const writer = new LayerWriter(dest, options);
  let result: UnpackResult | undefined;
  const tar = tarEntries((entry) => writer.entry(entry), options.log, 'layer');
  const sink = tar.sink;
  try {
    await pipeline([
      createReadStream(blobFile),
      ...decompressor(await compression(blobFile)),
      hashAndPad((diffID, size) => (result = { diffID, size })),
      sink,
    ]);
  } catch (e) {
    throw new ImageError('Invalid', `failed to read layer: ${(e as Error).message}`);
  }
  await tar.done();
  await writer.finish();
  return result!;
}

/**
 * A tar stream's entries handed to `handle` one at a time, in order, as the returned `sink` is
 * written. After the first failure the remaining entries are skipped; `done()` (call it once the
 * sink finished) waits for the last entry and rethrows that failure.
 */
export function tarEntries(handle: (entry: ReadEntry) => Promise<void>, log: Logger, what: string): { sink: Writable; done: () => Promise<void> } {
  const parser = new Parser({ strict: false });
  parser.on('warn', (code: string, message: string | Error) => log.debug(`${what} tar warning`, { code, message: String(message) }));
  let chain = Promise.resolve();
  let failure: unknown;
  parser.on('entry', (entry: ReadEntry) => {
    chain = chain.then(async () => {
      if (failure === undefined) {
        try {
          await handle(entry);
        } catch (e) {
          failure = e;
        }
      }
      entry.resume();
    });
  });
  const ended = new Promise<void>((resolve) => parser.once('end', () => resolve()));
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (parser.write(chunk)) cb();
      else parser.once('drain', () => cb());
    },
    final(cb) {
      parser.end();
      cb();
    },
  });
  return {
    sink,
    async done() {
      await ended;
      await chain;
      if (failure !== undefined) throw failure;
    },
  };
}

/** Applies tar entries to one layer directory, one at a time. */
class LayerWriter {
  private readonly dest: string;
  private readonly lowers: string[];
  private readonly log: Logger;
  private readonly asRoot = process.getuid?.() === 0;
  private readonly knownDirs = new Set<string>(['']);
  private readonly whiteouts: string[] = [];
  private readonly opaques: string[] = [];
  private readonly dirTimes: Array<[string, Date]> = [];

  constructor(dest: string, options: UnpackOptions) {
    this.dest = dest;
    this.lowers = options.lowers ?? [];
    this.log = options.log;
  }

  /** "a/b/c" inside the layer, or undefined for the layer root; throws on escape. */
  private relative(name: string): string | undefined {
    const norm = path.posix.normalize(name.replace(/^\/+/, ''));
    if (norm === '..' || norm.startsWith('../')) throw new ImageError('Invalid', `layer entry ${JSON.stringify(name)} escapes the root`);
    const rel = norm.replace(/\/+$/, '');
    return rel === '' || rel === '.' ? undefined : rel;
  }

  /** Make sure every parent of `rel` is a real directory in `root` (never a symlink). */
  private async ensureParents(rel: string, root = this.dest, create = true): Promise<boolean> {
    const parts = rel.split('/').slice(0, -1);
    let cur = '';
    for (const p of parts) {
      cur = cur ? `${cur}/${p}` : p;
      if (root === this.dest && this.knownDirs.has(cur)) continue;
      const st = await fs.lstat(path.join(root, cur)).catch(() => undefined);
      if (!st) {
        if (!create) return false;
        await fs.mkdir(path.join(root, cur), { mode: 0o755 });
      } else if (!st.isDirectory()) {
        if (!create) return false;
        if (st.isSymbolicLink()) {
          this.log.warn('layer entry below a symlink skipped', { path: rel, symlink: cur });
          return false;
        }
        throw new ImageError('Invalid', `layer entry ${rel}: parent ${cur} is not a directory`);
      }
      if (root === this.dest) this.knownDirs.add(cur);
    }
    return true;
  }

  /** Remove what is at `abs` unless it is a directory and `keepDir`. */
  private async clear(abs: string, rel: string, keepDir: boolean): Promise<boolean> {
    const st = await fs.lstat(abs).catch(() => undefined);
    if (!st) return false;
    if (st.isDirectory()) {
      if (keepDir) return true;
      await fs.rm(abs, { recursive: true, force: true });
      for (const d of this.knownDirs) if (d === rel || d.startsWith(rel + '/')) this.knownDirs.delete(d);
      return false;
    }
    await fs.unlink(abs);
    return false;
  }

  private async attributes(abs: string, entry: ReadEntry, symlink: boolean): Promise<void> {
    if (this.asRoot) await fs.lchown(abs, entry.uid ?? 0, entry.gid ?? 0);
    if (!symlink) await fs.chmod(abs, (entry.mode ?? 0o644) & 0o7777);
    const mtime = entry.mtime ?? new Date(0);
    if (symlink) await fs.lutimes(abs, mtime, mtime);
    else await fs.utimes(abs, mtime, mtime);
  }

  async entry(entry: ReadEntry): Promise<void> {
    const rel = this.relative(entry.path);
    if (rel === undefined) {
      if (entry.type === 'Directory') await this.attributes(this.dest, entry, false);
      return;
    }
    const base = path.posix.basename(rel);
    const dir = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
    if (base.startsWith(WHITEOUT)) {
      if (!(await this.ensureParents(rel))) return;
      if (base === OPAQUE) this.opaques.push(dir);
      else if (!base.startsWith(WHITEOUT + WHITEOUT)) this.whiteouts.push(dir ? `${dir}/${base.slice(WHITEOUT.length)}` : base.slice(WHITEOUT.length));
      return;
    }
    if (!(await this.ensureParents(rel))) return;
    const abs = path.join(this.dest, rel);
    switch (entry.type) {
      case 'Directory':
      case 'GNUDumpDir': {
        if (!(await this.clear(abs, rel, true))) await fs.mkdir(abs, { mode: 0o700 });
        await this.attributes(abs, entry, false);
        this.knownDirs.add(rel);
        this.dirTimes.push([abs, entry.mtime ?? new Date(0)]);
        return;
      }
      case 'File':
      case 'OldFile':
      case 'ContiguousFile': {
        await this.clear(abs, rel, false);
        const fh = await fs.open(abs, 'wx', 0o600);
        try {
          for await (const chunk of entry) await fh.write(chunk as Buffer);
        } finally {
          await fh.close();
        }
        await this.attributes(abs, entry, false);
        return;
      }
      case 'SymbolicLink': {
        await this.clear(abs, rel, false);
        await fs.symlink(entry.linkpath ?? '', abs);
        await this.attributes(abs, entry, true);
        return;
      }
      case 'Link':
        return this.hardlink(entry, rel, abs);
      default:
        this.log.debug('layer entry of unsupported type skipped', { path: rel, type: entry.type });
    }
  }

  private async hardlink(entry: ReadEntry, rel: string, abs: string): Promise<void> {
    const target = this.relative(entry.linkpath ?? '');
    if (target === undefined) throw new ImageError('Invalid', `hardlink ${rel} has no target`);
    await this.clear(abs, rel, false);
    const here = path.join(this.dest, target);
    if ((await this.ensureParents(target, this.dest, false)) && (await fs.lstat(here).catch(() => undefined))) {
      await fs.link(here, abs);
      return;
    }
    for (const lower of [...this.lowers].reverse()) {
      if (!(await this.ensureParents(target, lower, false))) continue;
      const st = await fs.lstat(path.join(lower, target)).catch(() => undefined);
      if (!st?.isFile()) continue;
      await fs.copyFile(path.join(lower, target), abs);
      if (this.asRoot) await fs.lchown(abs, st.uid, st.gid);
      await fs.chmod(abs, st.mode & 0o7777);
      await fs.utimes(abs, st.atime, st.mtime);
      return;
    }
    this.log.warn('hardlink target not found, entry skipped', { path: rel, target });
  }

  /** Whiteouts and opaque markers (after all entries: same-layer files are never hidden), dir mtimes. */
  async finish(): Promise<void> {
    for (const w of this.whiteouts) {
      const abs = path.join(this.dest, w);
      if (await fs.lstat(abs).catch(() => undefined)) continue;
      await run('mknod', [abs, 'c', '0', '0']);
    }
    for (const d of this.opaques) {
      await run('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', path.join(this.dest, d)]);
    }
    for (const [abs, mtime] of this.dirTimes.reverse()) await fs.utimes(abs, mtime, mtime);
  }
}
