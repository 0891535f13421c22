// The content-addressed blob store under <root>/blobs/sha256/<hex>. Every write is staged in
// <root>/tmp, its sha256 (and size, when known) checked, then renamed into place, so a blob that
// is visible is always complete and correct. Concurrent writes of one digest share one write.

import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ImageError } from './types.ts';
import { digestHex } from './manifest.ts';
import { isSha256Digest } from './reference.ts';

export interface Expected {
  digest?: string;
  size?: number;
}

export class BlobStore {
  readonly dir: string;
  readonly tmp: string;
  private readonly writing = new Map<string, Promise<{ digest: string; size: number }>>();

  constructor(root: string) {
    this.dir = path.join(root, 'blobs', 'sha256');
    this.tmp = path.join(root, 'tmp');
  }

  async init(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    await fs.mkdir(this.tmp, { recursive: true });
  }

  path(digest: string): string {
    if (!isSha256Digest(digest)) throw new ImageError('Invalid', `unsupported digest ${digest}`);
    return path.join(this.dir, digestHex(digest));
  }

  async has(digest: string): Promise<boolean> {
    try {
      await fs.access(this.path(digest));
      return true;
    } catch {
      return false;
    }
  }

  async size(digest: string): Promise<number> {
    return (await fs.stat(this.path(digest))).size;
  }

  async read(digest: string): Promise<Buffer> {
    return fs.readFile(this.path(digest));
  }

  /** A fresh path under tmp for staging (blobs, layer directories). */
  stagingPath(prefix: string): string {
    return path.join(this.tmp, `${prefix}-${randomBytes(6).toString('hex')}`);
  }

  /**
   * Store the bytes of `source` (created only if the blob is missing), verifying `expected`.
   * Resolves with the digest and size actually stored. A mismatch throws ImageError('Invalid')
   * and leaves nothing behind.
   */
  async write(source: () => Promise<Readable> | Readable, expected: Expected = {}): Promise<{ digest: string; size: number }> {
    const want = expected.digest;
    if (want !== undefined) {
      if (await this.has(want)) return { digest: want, size: await this.size(want) };
      const pending = this.writing.get(want);
      if (pending) return pending;
      const p = this.stage(source, expected).finally(() => this.writing.delete(want));
      this.writing.set(want, p);
      return p;
    }
    return this.stage(source, expected);
  }

  async writeBytes(data: Uint8Array, expected: Expected = {}): Promise<{ digest: string; size: number }> {
    return this.write(() => Readable.from([Buffer.from(data)]), expected);
  }

  private async stage(source: () => Promise<Readable> | Readable, expected: Expected): Promise<{ digest: string; size: number }> {
    const tmp = this.stagingPath('blob');
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        if (expected.size !== undefined && size > expected.size) {
          cb(new ImageError('Invalid', `size mismatch for ${expected.digest ?? 'blob'}: more than the ${expected.size} bytes expected`));
          return;
        }
        cb(null, chunk);
      },
    });
    try {
      await pipeline(await source(), meter, createWriteStream(tmp, { mode: 0o644 }));
      const digest = 'sha256:' + hash.digest('hex');
      if (expected.size !== undefined && size !== expected.size) {
        throw new ImageError('Invalid', `size mismatch for ${expected.digest ?? digest}: got ${size} bytes, expected ${expected.size}`);
      }
      if (expected.digest !== undefined && digest !== expected.digest) {
        throw new ImageError('Invalid', `digest mismatch: expected ${expected.digest}, got ${digest}`);
      }
      await fs.rename(tmp, this.path(digest));
      return { digest, size };
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw e;
    }
  }

  /** Every stored digest. */
  async list(): Promise<string[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => 'sha256:' + n);
  }

  async delete(digest: string): Promise<void> {
    await fs.rm(this.path(digest), { force: true });
  }
}
