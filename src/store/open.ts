// The backend registry: turns a store URL into a Backend. One place knows the schemes:
//   sqlite:///abs/path/state.db   sqlite://relative/state.db   sqlite:relative.db   sqlite://
//   etcd://host:port[,host:port...]   etcd+http://host:port[,...]
//   memory://
// Relative sqlite paths are resolved against opts.dataDir (else the working directory); an
// empty sqlite path means <dataDir>/state.db. The sqlite file's directory is created (0700).

import { mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Backend, BackendOptions } from './backend.ts';
import { MemoryBackend } from './memory.ts';
import { SqliteBackend } from './sqlite.ts';

export interface OpenOptions extends BackendOptions {
  /** Base directory for relative sqlite paths (default: the working directory). */
  dataDir?: string;
  /** Where background (compaction) failures are reported; default console.error. */
  onError?: (err: unknown) => void;
}

/** What a store URL names, before anything is opened. */
export type StoreLocation = { kind: 'memory' } | { kind: 'sqlite'; path: string } | { kind: 'etcd'; endpoints: string[] };

const SCHEMES = 'sqlite://, etcd:// (etcd+http://) or memory://';

/** Parse a store URL (pure; throws a descriptive Error for anything it does not understand). */
export function parseStoreUrl(url: string, dataDir?: string): StoreLocation {
  const colon = url.indexOf(':');
  const scheme = colon > 0 ? url.slice(0, colon).toLowerCase() : '';
  let rest = colon > 0 ? url.slice(colon + 1) : '';
  if (rest.includes('?') || rest.includes('#')) throw new Error(`store URL ${JSON.stringify(url)}: query parameters and fragments are not supported`);
  switch (scheme) {
    case 'memory':
      if (rest !== '' && rest !== '//') throw new Error(`store URL ${JSON.stringify(url)}: memory:// takes no path`);
      return { kind: 'memory' };
    case 'sqlite': {
      if (rest.startsWith('//')) rest = rest.slice(2);
      const base = dataDir ?? process.cwd();
      const path = rest === '' ? join(base, 'state.db') : isAbsolute(rest) ? rest : resolve(base, rest);
      return { kind: 'sqlite', path };
    }
    case 'etcd':
    case 'etcd+http': {
      if (!rest.startsWith('//')) throw new Error(`store URL ${JSON.stringify(url)}: expected ${scheme}://host:port[,host:port...]`);
      const hosts = rest.slice(2).replace(/\/+$/, '').split(',').map((h) => h.trim());
      for (const h of hosts) {
        if (!/^[^/\s]+:\d+$/.test(h)) throw new Error(`store URL ${JSON.stringify(url)}: ${JSON.stringify(h)} is not host:port`);
      }
      return { kind: 'etcd', endpoints: hosts.map((h) => `http://${h}`) };
    }
    case 'etcd+https':
      throw new Error(`store URL ${JSON.stringify(url)}: etcd over TLS is not supported yet; use etcd:// or etcd+http://`);
    default:
      throw new Error(`unknown store URL ${JSON.stringify(url)}: expected ${SCHEMES}`);
  }
}

/** Open the backend a store URL names. The caller owns it and must close() it. */
export async function openBackend(url: string, opts: OpenOptions = {}): Promise<Backend> {
  const { dataDir, ...backendOpts } = opts;
  const where = parseStoreUrl(url, dataDir);
  switch (where.kind) {
    case 'memory':
      return new MemoryBackend(backendOpts);
    case 'sqlite':
      await mkdir(dirname(where.path), { recursive: true, mode: 0o700 });
      return new SqliteBackend({ ...backendOpts, path: where.path });
    case 'etcd': {
      // Loaded only when used: the etcd client (gRPC) costs ~20 MB of memory at import.
      const { EtcdBackend } = await import('./etcd.ts');
      return new EtcdBackend({ ...backendOpts, endpoints: where.endpoints });
    }
  }
}
