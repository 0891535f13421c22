// Test fixture: a real OCI distribution registry (Debian's /usr/bin/docker-registry) on
// 127.0.0.1 with filesystem storage in a directory the caller owns, deletes enabled, and
// optional htpasswd (bcrypt, made with apache2-utils' `htpasswd`) basic auth. stop() kills
// exactly the process it started.

import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';
const run = promisify(execFile);

export interface TestRegistryOptions {
  /** Storage, config and log go here (created if missing). */
  dir: string;
  /** 0 (default): a free port. */
  port?: number;
  /** Require these credentials (basic auth). */
  htpasswd?: { user: string; password: string };
}

export interface TestRegistry {
  /** "http://127.0.0.1:<port>" */
  url: string;
  /** "127.0.0.1:<port>", the registry part of image references */
  host: string;
  /** Where blobs are stored (for tests that corrupt them). */
  storage: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

async function waitReady(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  let gone = false;
  void exited(child).then(() => (gone = true));
  while (Date.now() < deadline) {
    if (gone) throw new Error(`docker-registry exited: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
    try {
      const res = await fetch(`${url}/v2/`);
      await res.body?.cancel();
      if (res.status === 200 || res.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry at ${url} not ready in 15s: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
}

/** Start the registry and resolve once GET /v2/ answers. */
export async function startTestRegistry(options: TestRegistryOptions): Promise<TestRegistry> {
  await fs.access(REGISTRY_BINARY).catch(() => {
    throw new Error(`${REGISTRY_BINARY} not found (apt-get install docker-registry)`);
  });
  const dir = path.resolve(options.dir);
  const storage = path.join(dir, 'data');
  await fs.mkdir(storage, { recursive: true });
  let auth = '';
  if (options.htpasswd) {
    const { stdout } = await run('htpasswd', ['-Bbn', options.htpasswd.user, options.htpasswd.password]).catch((e: Error) => {
      throw new Error(`htpasswd (apache2-utils) is needed for an authenticated test registry: ${e.message}`);
    });
    await fs.writeFile(path.join(dir, 'htpasswd'), stdout.trim() + '\n');
    auth = `auth:\n  htpasswd:\n    realm: skiff-test\n    path: ${path.join(dir, 'htpasswd')}\n`;
  }
  for (let attempt = 0; ; attempt++) {
    const port = options.port || (await freePort());
    const configFile = path.join(dir, 'config.yml');
    await fs.writeFile(configFile, [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${storage}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '  secret: skiff-test-registry',
      auth,
    ].join('\n'));
    const logFile = path.join(dir, 'registry.log');
    const fd = openSync(logFile, 'a');
    const child = spawn(REGISTRY_BINARY, ['serve', configFile], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const url = `http://127.0.0.1:${port}`;
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited(child);
        clearTimeout(timer);
      }
    };
    try {
      await waitReady(url, child, logFile);
      return { url, host: `127.0.0.1:${port}`, storage, stop };
    } catch (e) {
      await stop();
      // Someone may have taken the free port between our probe and the registry's bind.
      if (attempt >= 2 || options.port) throw e;
    }
  }
}
