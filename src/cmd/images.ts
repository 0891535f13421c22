// `skiff images ls|import FILE...|rm REF...|pull REF`: the node's local image store from the
// command line (the crictl images / ctr images import role), on <data-dir>/agent/images.

import { consoleLogger, type LogLevel } from '../base/log.ts';
import { agentPaths } from '../agent/paths.ts';
import { LocalImageStore } from '../agent/images/store.ts';
import { ImageError } from '../agent/images/types.ts';
import { parseReference } from '../agent/images/reference.ts';
import type { ImageInfo, RegistryAuth } from '../agent/images/types.ts';
import { FlagError, parseFlags } from './flags.ts';

export const IMAGES_USAGE = `Usage: skiff images <command> [flags]

Commands:
  ls                 list the images on this node (IMAGE TAG IMAGE ID SIZE)
  import FILE...     import OCI image-layout or docker save archives (.tar, .tar.gz)
  rm REF...          remove images by name, name@digest or id (prefix); unused content is freed
  pull REF           pull an image from its registry

Flags:
  --data-dir DIR     skiff's data directory (default /var/lib/skiff)
  --creds USER:PASS  credentials for pull
  --quiet, -q        ls: print image ids only
  --log-level LEVEL  debug, info, warn, error (default warn)
`;

export interface ImagesIO {
  out(text: string): void;
  err(text: string): void;
}

const stdio: ImagesIO = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** Human size as crictl prints it: decimal units, 3 significant digits ("2.16MB"). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(3))}${units[i]}`;
}

/** Rows of `crictl images`: one per tag, or one "<none>" row for an untagged image. */
export function imageRows(images: ImageInfo[]): string[][] {
  const rows: string[][] = [];
  for (const img of images) {
    const id = img.id.replace(/^sha256:/, '').slice(0, 13);
    const size = humanSize(img.size);
    if (img.repoTags.length === 0) {
      const repo = img.repoDigests[0]?.split('@')[0] ?? '<none>';
      rows.push([repo, '<none>', id, size]);
      continue;
    }
    for (const t of img.repoTags) {
      const i = t.lastIndexOf(':');
      rows.push([t.slice(0, i), t.slice(i + 1), id, size]);
    }
  }
  return rows;
}

export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]! + 3))).join('') + '\n';
  return line(header) + rows.map(line).join('');
}

export async function runImages(args: string[], io: ImagesIO = stdio): Promise<void> {
  const normalized = args.map((a) => (a === '-q' ? '--quiet' : a));
  const { flags, rest } = parseFlags(normalized, { 'data-dir': 'string', creds: 'string', quiet: 'bool', 'log-level': 'string', help: 'bool' });
  const [cmd, ...refs] = rest;
  if (flags.help || cmd === undefined || cmd === 'help') {
    io.out(IMAGES_USAGE);
    return;
  }
  const dataDir = (flags['data-dir'] as string | undefined) ?? '/var/lib/skiff';
  const log = consoleLogger('skiff-images', ((flags['log-level'] as string | undefined) ?? 'warn') as LogLevel, (l) => io.err(l + '\n'));
  const store = new LocalImageStore({ root: agentPaths(dataDir).images, log });
  let failed = false;
  const fail = (e: unknown): void => {
    if (!(e instanceof ImageError)) throw e;
    io.err(`skiff images: ${e.message}\n`);
    failed = true;
  };
  switch (cmd) {
    case 'ls':
    case 'list': {
      const images = await store.list();
      if (flags.quiet) io.out(images.map((i) => i.id + '\n').join(''));
      else io.out(formatTable(['IMAGE', 'TAG', 'IMAGE ID', 'SIZE'], imageRows(images)));
      break;
    }
    case 'import': {
      if (refs.length === 0) throw new FlagError('images import needs at least one FILE');
      for (const file of refs) {
        try {
          for (const img of await store.importArchive(file)) io.out(`imported ${img.repoTags.join(', ') || img.id}\n`);
        } catch (e) {
          fail(e);
        }
      }
      break;
    }
    case 'rm':
    case 'rmi': {
      if (refs.length === 0) throw new FlagError('images rm needs at least one REF');
      for (const ref of refs) {
        try {
          await store.remove(ref);
          io.out(`Deleted: ${ref}\n`);
        } catch (e) {
          fail(e);
        }
      }
      break;
    }
    case 'pull': {
      if (refs.length !== 1) throw new FlagError('images pull needs exactly one REF');
      const creds = flags.creds as string | undefined;
      try {
        let auth: RegistryAuth[] | undefined;
        if (creds !== undefined) {
          const i = creds.indexOf(':');
          if (i <= 0) throw new FlagError('--creds must be USER:PASSWORD');
          auth = [{ server: parseReference(refs[0]!).registry, username: creds.slice(0, i), password: creds.slice(i + 1) }];
        }
        const img = await store.pull(refs[0]!, { auth });
        io.out(`Image is up to date for ${img.id}\n`);
      } catch (e) {
        fail(e);
      }
      break;
    }
    default:
      throw new FlagError(`unknown images command "${cmd}" (ls, import, rm, pull)`);
  }
  if (failed) process.exitCode = 1;
}
