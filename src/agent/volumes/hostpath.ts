// hostPath volumes: the type check the kubelet runs before bind-mounting a host path
// (DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice, BlockDevice, or ""
// for no check), with its messages. The path is used as is; nothing here ever deletes it.

import type { Stats } from 'node:fs';
import * as fs from 'node:fs/promises';

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fs.stat(p);
  } catch {
    return undefined;
  }
}

/** Check (and for the *OrCreate types, create) `hostPath`; rejects with the kubelet's message. */
export async function checkHostPath(hostPath: string, type: string | undefined): Promise<void> {
  const t = type ?? '';
  const st = await statOrUndefined(hostPath);
  const fail = (what: string) => new Error(`hostPath type check failed: ${hostPath} is not ${what}`);
  if (t === 'DirectoryOrCreate' && !st) {
    await fs.mkdir(hostPath, { recursive: true, mode: 0o755 });
    return;
  }
  if (t === 'FileOrCreate' && !st) {
    // Like the kubelet, the parent directory is not created: a missing one fails the mount.
    const fh = await fs.open(hostPath, 'a', 0o644).catch((e: NodeJS.ErrnoException) => {
      throw new Error(`open ${hostPath}: ${e.code === 'ENOENT' ? 'no such file or directory' : e.message}`);
    });
    await fh.close();
    return;
  }
  switch (t) {
    case '':
      return;
    case 'DirectoryOrCreate':
    case 'Directory':
      if (!st?.isDirectory()) throw fail('a directory');
      return;
    case 'FileOrCreate':
    case 'File':
      if (!st?.isFile()) throw fail('a file');
      return;
    case 'Socket':
      if (!st?.isSocket()) throw fail('a socket file');
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) throw fail('a character device');
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) throw fail('a block device');
      return;
    default:
      throw new Error(`${t} is an invalid volume type`);
  }
}
