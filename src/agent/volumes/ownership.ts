// fsGroup volume ownership, as the kubelet's SetVolumeOwnership: every file and directory of a
// volume gets group fsGroup (its owner is kept), group read (and write, unless the volume is
// read-only) added to its mode, and directories the setgid bit (so files made later belong to
// fsGroup too) and group/owner execute. Symlinks are skipped (their mode means nothing, and a
// chmod through one would change the target's mode the volume plugin chose). With
// fsGroupChangePolicy OnRootMismatch nothing is walked when the volume root already has the
// group and the bits.

import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

const RW_MASK = 0o660;
const RO_MASK = 0o440;
const EXEC_MASK = 0o110;
const SETGID = 0o2000;

export type FsGroupChangePolicy = 'Always' | 'OnRootMismatch';

/** The mode a path gets. Pure. */
export function ownershipMode(mode: number, isDir: boolean, readOnly: boolean): number {
  let mask = readOnly ? RO_MASK : RW_MASK;
  if (isDir) mask |= SETGID | EXEC_MASK;
  return (mode & 0o7777) | mask;
}

async function rootMatches(dir: string, fsGroup: number, readOnly: boolean): Promise<boolean> {
  const st = await fsp.stat(dir);
  return st.gid === fsGroup && ownershipMode(st.mode, true, readOnly) === (st.mode & 0o7777);
}

/** Give the tree under `dir` to `fsGroup` (see the header). */
export async function setVolumeOwnership(dir: string, fsGroup: number, opts: { readOnly?: boolean; policy?: FsGroupChangePolicy } = {}): Promise<void> {
  const readOnly = opts.readOnly ?? false;
  if (opts.policy === 'OnRootMismatch' && (await rootMatches(dir, fsGroup, readOnly))) return;
  const walk = async (p: string): Promise<void> => {
    const st = await fsp.lstat(p);
    if (st.isSymbolicLink()) return;
    const isDir = st.isDirectory();
    if (st.gid !== fsGroup) await fsp.chown(p, st.uid, fsGroup);
    const mode = ownershipMode(st.mode, isDir, readOnly);
    // chown clears setgid on some file systems: set the mode after it, always when it differs
    if (mode !== (st.mode & 0o7777) || st.gid !== fsGroup) await fsp.chmod(p, mode);
    if (isDir) for (const name of await fsp.readdir(p)) await walk(path.join(p, name));
  };
  await walk(dir);
}
