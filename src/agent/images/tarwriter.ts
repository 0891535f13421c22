// A minimal in-memory tar writer (ustar headers from node-tar, pax for long names) for building
// test images and archives deterministically in pure Node. Not used on the pull path.

import { Header, Pax } from 'tar';
import type { HeaderData } from 'tar';

export interface TarEntry {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'FIFO';
  data?: Uint8Array | string;
  mode?: number;
  uid?: number;
  gid?: number;
  linkpath?: string;
  devmaj?: number;
  devmin?: number;
}

/** Fixed so that the same content always gives the same digest. */
const MTIME = new Date('2024-01-01T00:00:00Z');

export class TarWriter {
  private readonly chunks: Buffer[] = [];

  add(e: TarEntry): this {
    const type = e.type ?? 'File';
    const data = type === 'File' ? Buffer.from(e.data ?? '') : Buffer.alloc(0);
    const fields: HeaderData = {
      path: type === 'Directory' && !e.path.endsWith('/') ? e.path + '/' : e.path,
      mode: e.mode ?? (type === 'Directory' ? 0o755 : type === 'SymbolicLink' ? 0o777 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      size: data.length,
      mtime: MTIME,
      type,
      linkpath: e.linkpath ?? '',
      uname: '',
      gname: '',
      devmaj: e.devmaj ?? 0,
      devmin: e.devmin ?? 0,
    };
    const header = new Header(fields);
    if (header.encode()) this.chunks.push(new Pax(fields).encode());
    this.chunks.push(header.block!);
    if (data.length) {
      this.chunks.push(data);
      const pad = (512 - (data.length % 512)) % 512;
      if (pad) this.chunks.push(Buffer.alloc(pad));
    }
    return this;
  }

  /** The archive with its two end blocks, or cut right after the last file's data as umoci `insert` writes it. */
  finish(options: { truncated?: boolean } = {}): Buffer {
    if (!options.truncated) return Buffer.concat([...this.chunks, Buffer.alloc(1024)]);
    const all = Buffer.concat(this.chunks);
    let end = all.length;
    while (end > 0 && all[end - 1] === 0) end--;
    return all.subarray(0, end);
  }
}
