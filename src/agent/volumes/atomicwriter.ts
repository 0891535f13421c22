// Atomic publication of a set of files into a volume directory, the way the kubelet's
// AtomicWriter does it, so a container never sees a half-written update:
//
//   <dir>/..2024_05_01_10_00_00.123456789/   the payload, written in full first
//   <dir>/..data -> ..2024_05_01_10_00_00.123456789   swapped with rename(2) (atomic)
//   <dir>/<key>  -> ..data/<key>              user-visible entries (top-level names only)
//
// Then user-visible links that the new payload no longer has are removed, and the old
// timestamped directory goes (open files keep their inode, so readers finish undisturbed).

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Clock } from '../../client/clock.ts';

export interface FileProjection {
  data: Buffer;
  /** permission bits, e.g. 0o644 */
  mode: number;
}

/** relative path → file */
export type Payload = Map<string, FileProjection>;

const DATA_DIR = '..data';
const DATA_TMP = '..data_tmp';

/** Reject absolute paths, `..` components and names starting with `..` (reserved for us). */
export function validatePayloadPath(p: string): void {
  if (!p) throw new Error('invalid path: must not be empty');
  if (path.isAbsolute(p)) throw new Error(`invalid path ${JSON.stringify(p)}: must be relative`);
  if (p.split('/').includes('..')) throw new Error(`invalid path ${JSON.stringify(p)}: must not contain '..'`);
  if (p.startsWith('..')) throw new Error(`invalid path ${JSON.stringify(p)}: must not start with '..'`);
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** `..2006_01_02_15_04_05.` in UTC, upstream's timestamp prefix. */
export function timestampPrefix(ms: number): string {
  const d = new Date(ms);
  return `..${d.getUTCFullYear()}_${pad(d.getUTCMonth() + 1)}_${pad(d.getUTCDate())}_${pad(d.getUTCHours())}_${pad(d.getUTCMinutes())}_${pad(d.getUTCSeconds())}.`;
}

async function readlinkOrUndefined(p: string): Promise<string | undefined> {
  try {
    return await fs.readlink(p);
  } catch {
    return undefined;
  }
}

async function listFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, r)));
    else out.push(r);
  }
  return out;
}

/** True when the current ..data holds exactly this payload (same files, bytes and modes). */
async function unchanged(dir: string, payload: Payload): Promise<boolean> {
  const current = await readlinkOrUndefined(path.join(dir, DATA_DIR));
  if (!current) return false;
  const tsDir = path.join(dir, current);
  let files: string[];
  try {
    files = await listFiles(tsDir);
  } catch {
    return false;
  }
  if (files.length !== payload.size) return false;
  for (const [p, f] of payload) {
    try {
      const st = await fs.stat(path.join(tsDir, p));
      if ((st.mode & 0o7777) !== f.mode) return false;
      if (!(await fs.readFile(path.join(tsDir, p))).equals(f.data)) return false;
    } catch {
      return false;
    }
  }
  for (const top of topLevel(payload.keys())) {
    if ((await readlinkOrUndefined(path.join(dir, top))) !== `${DATA_DIR}/${top}`) return false;
  }
  return true;
}

function topLevel(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const p of paths) out.add(p.split('/')[0]);
  return out;
}

/**
 * Publish `payload` in `dir` (which must exist). Returns false when nothing changed. Not safe
 * to call concurrently for the same dir (the pod worker serialises calls per pod).
 */
export async function writeAtomically(dir: string, payload: Payload, clock: Clock): Promise<boolean> {
  for (const p of payload.keys()) validatePayloadPath(p);
  if (await unchanged(dir, payload)) return false;

  const oldTs = await readlinkOrUndefined(path.join(dir, DATA_DIR));
  const oldTop = oldTs ? topLevel(await listFiles(path.join(dir, oldTs)).catch(() => [])) : new Set<string>();

  // 1. The whole payload in a fresh timestamped directory.
  const tsDir = await fs.mkdtemp(path.join(dir, timestampPrefix(clock.now())));
  await fs.chmod(tsDir, 0o755);
  for (const [p, f] of payload) {
    const file = path.join(tsDir, p);
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
    await fs.writeFile(file, f.data, { mode: f.mode });
    await fs.chmod(file, f.mode);
  }

  // 2. User-visible links for new top-level names (they resolve through ..data).
  const newTop = topLevel(payload.keys());
  for (const top of newTop) {
    const link = path.join(dir, top);
    const target = `${DATA_DIR}/${top}`;
    const existing = await readlinkOrUndefined(link);
    if (existing === target) continue;
    await fs.rm(link, { force: true, recursive: false }).catch(() => {});
    await fs.symlink(target, link);
  }

  // 3. Swap ..data atomically.
  const tmp = path.join(dir, DATA_TMP);
  await fs.rm(tmp, { force: true });
  await fs.symlink(path.basename(tsDir), tmp);
  await fs.rename(tmp, path.join(dir, DATA_DIR));

  // 4. Drop links to names that went away, then the old payload.
  for (const top of oldTop) if (!newTop.has(top)) await fs.rm(path.join(dir, top), { force: true });
  if (oldTs && oldTs !== path.basename(tsDir)) await fs.rm(path.join(dir, oldTs), { recursive: true, force: true });
  return true;
}
