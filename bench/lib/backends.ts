// One datastore a benchmark runs against (sqlite or etcd), in two forms:
// - startServer(): a skiff server on that datastore (for etcd: a fresh real etcd on loopback,
//   started with startEtcd and stopped with the server);
// - openRaw(): the bare store, opened in the bench process through openBackend(), on a fresh
//   sqlite file / a fresh etcd, to show what the store alone does with the same bytes.
// Everything started is registered with the Cleanup.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Backend } from '../../src/store/backend.ts';
import type { Cleanup } from './cleanup.ts';
import { startSkiff, type SkiffServer } from './server.ts';

export type BackendName = 'sqlite' | 'etcd';
export const BACKEND_NAMES: readonly BackendName[] = ['sqlite', 'etcd'];

export interface ServerUnderTest extends SkiffServer {
  backend: BackendName;
  etcdPid?: number;
  /** Process groups for CpuMeter: { skiff: [pid] } plus { etcd: [pid] } when used. */
  cpuGroups: Record<string, number[]>;
  /** Stop the server and, for etcd, its etcd. */
  stopAll(): Promise<void>;
}

export interface RawStore {
  backend: Backend;
  url: string;
  close(): Promise<void>;
}

type OpenBackend = (url: string, opts?: { dataDir?: string; retainRevisions?: number }) => Promise<Backend>;

/** openBackend from src/store/open.ts; until that file exists, the backends' constructors directly. */
async function loadOpenBackend(): Promise<OpenBackend> {
  try {
    const mod = (await import('../../src/store/open.ts')) as { openBackend: OpenBackend };
    return mod.openBackend;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    process.stderr.write('bench: src/store/open.ts is missing; opening raw stores through their constructors\n');
    return async (url) => {
      if (url.startsWith('sqlite://')) {
        const { SqliteBackend } = await import('../../src/store/sqlite.ts');
        return new SqliteBackend({ path: url.slice('sqlite://'.length) });
      }
      if (url.startsWith('etcd://')) {
        const { EtcdBackend } = await import('../../src/store/etcd.ts');
        return new EtcdBackend({ endpoints: url.slice('etcd://'.length).split(',').map((h) => `http://${h}`) });
      }
      throw new Error(`bench: cannot open ${url} without src/store/open.ts`);
    };
  }
}

export class BenchBackend {
  readonly name: BackendName;
  private readonly cleanup: Cleanup;
  private readonly serverEnv: Record<string, string>;

  constructor(name: BackendName, cleanup: Cleanup, opts: { serverEnv?: Record<string, string> } = {}) {
    this.name = name;
    this.cleanup = cleanup;
    this.serverEnv = opts.serverEnv ?? {};
  }

  async startServer(): Promise<ServerUnderTest> {
    if (this.name === 'sqlite') {
      const srv = await startSkiff({ cleanup: this.cleanup, env: this.serverEnv });
      return { ...srv, backend: 'sqlite', cpuGroups: { skiff: [srv.pid] }, stopAll: srv.stop };
    }
    const etcd = await this.startEtcd();
    try {
      const srv = await startSkiff({ cleanup: this.cleanup, env: this.serverEnv, datastore: etcd.url });
      return {
        ...srv,
        backend: 'etcd',
        cpuGroups: { skiff: [srv.pid], etcd: [etcd.pid] },
        etcdPid: etcd.pid,
        stopAll: async () => {
          await srv.stop();
          await etcd.stop();
        },
      };
    } catch (err) {
      await etcd.stop();
      throw err;
    }
  }

  async openRaw(): Promise<RawStore> {
    const openBackend = await loadOpenBackend();
    if (this.name === 'sqlite') {
      const dir = await mkdtemp(path.join(tmpdir(), 'skiff-bench-raw-'));
      const stopDir = this.cleanup.add(`raw sqlite dir ${dir}`, () => rm(dir, { recursive: true, force: true }));
      const url = `sqlite://${path.join(dir, 'state.db')}`;
      let backend: Backend;
      try {
        backend = await openBackend(url, { dataDir: dir });
      } catch (err) {
        await stopDir();
        throw err;
      }
      const close = this.cleanup.add(`raw sqlite ${url}`, async () => {
        await backend.close();
        await stopDir();
      });
      return { backend, url, close };
    }
    const etcd = await this.startEtcd();
    let backend: Backend;
    try {
      backend = await openBackend(etcd.url);
    } catch (err) {
      await etcd.stop();
      throw err;
    }
    const close = this.cleanup.add(`raw etcd ${etcd.url}`, async () => {
      await backend.close();
      await etcd.stop();
    });
    return { backend, url: etcd.url, close };
  }

  private async startEtcd(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
    const { startEtcd } = await import('../../src/store/etcd-testserver.ts');
    const etcd = await startEtcd();
    this.cleanup.trackPid(etcd.pid);
    const pid = etcd.pid;
    const stop = this.cleanup.add(`etcd ${pid}`, async () => {
      await etcd.stop();
      this.cleanup.untrackPid(pid);
    });
    return { url: etcd.url, pid, stop };
  }
}
