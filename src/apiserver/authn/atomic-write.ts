// Atomic file replacement for credentials: write a temporary file beside the target with the
// final mode, then rename it over the target, so readers never see a half-written key or
// kubeconfig. (A general helper; it would sit well in src/base/ once that folder has one.)

import { randomBytes } from 'node:crypto';
import { chmod, rename, rm, writeFile } from 'node:fs/promises';

/** Writes `data` to `path` atomically with permission bits `mode` (e.g. 0o600). */
export async function writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, data, { mode, flag: 'wx', flush: true });
    await chmod(tmp, mode); // the umask may have narrowed the requested mode
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
