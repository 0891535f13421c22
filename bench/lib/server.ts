// Starts a real `skiff server` for a benchmark: a temp data dir, a free loopback port, the
// ready line awaited on stdout, the admin credentials read from the kubeconfig it wrote. stop()
// sends SIGTERM to exactly the PID it started (bin/skiff execs node, so that PID is the server
// itself), SIGKILLs after a grace period, and removes the data dir.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cleanup } from './cleanup.ts';
import { type Credentials, credentialsFromKubeconfig } from './client.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SKIFF = path.join(ROOT, 'bin/skiff');
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

/** SIGTERM a child we started, SIGKILL it when it has not exited within `graceMs`; resolves once it is gone. */
export async function stopChild(proc: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
  clearTimeout(timer);
  if (late) {
    proc.kill('SIGKILL');
    await exited;
  }
}

export interface SkiffServer {
  pid: number;
  port: number;
  dataDir: string;
  creds: Credentials;
  /** The last lines the server wrote to stderr (for failure messages). */
  logs(): string;
  /** Stop the server and remove its data dir. Idempotent. */
  stop(): Promise<void>;
}

export interface StartSkiffOptions {
  /** --datastore URL; default: the server's own sqlite file in its data dir. */
  datastore?: string;
  /** Extra server flags, e.g. ['--log-level', 'debug']. */
  args?: string[];
  /** Extra environment, e.g. NODE_OPTIONS for --cpu-prof. */
  env?: Record<string, string>;
  cleanup: Cleanup;
}

export async function startSkiff(opts: StartSkiffOptions): Promise<SkiffServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'skiff-bench-'));
  // The API benchmarks measure the apiserver alone (no scheduler or agent in the process), as
  // kube-apiserver's own benchmarks do; the scheduler has its own benchmark (scheduler.ts).
  const args = ['server', '--data-dir', dataDir, '--port', '0', '--bind-address', '127.0.0.1', '--disable-agent', '--disable-scheduler'];
  if (opts.datastore) args.push('--datastore', opts.datastore);
  args.push(...(opts.args ?? []));
  const proc = spawn(SKIFF, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  if (proc.pid !== undefined) opts.cleanup.trackPid(proc.pid);
  let tail: string[] = [];
  let partial = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d: string) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop() ?? '';
    tail = tail.concat(lines).slice(-40);
  });
  const logs = () => tail.concat(partial ? [partial] : []).join('\n');
  // A crash at start-up: its message without the stack frames.
  const briefLogs = () =>
    tail
      .concat(partial ? [partial] : [])
      .filter((l) => !/^\s+at /.test(l) && l.trim())
      .slice(-8)
      .join('\n');
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));

  const stop = opts.cleanup.add(`skiff server ${proc.pid}`, async () => {
    await stopChild(proc, exited, STOP_GRACE_MS);
    if (proc.pid !== undefined) opts.cleanup.untrackPid(proc.pid);
    await rm(dataDir, { recursive: true, force: true });
  });

  try {
    const port = await new Promise<number>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => reject(new Error(`skiff server was not ready within ${START_TIMEOUT_MS} ms:\n${logs()}`)), START_TIMEOUT_MS);
      proc.stdout.setEncoding('utf8');
      proc.stdout.on('data', (d: string) => {
        stdout += d;
        const m = /ready on https:\/\/[^\s]+:(\d+)/.exec(stdout);
        if (m && /export KUBECONFIG=/.test(stdout)) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      proc.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`skiff server exited (code ${proc.exitCode}, signal ${proc.signalCode}) before it was ready:\n${briefLogs()}`));
      });
    });
    const creds = credentialsFromKubeconfig(path.join(dataDir, 'kubeconfig.yaml'));
    return { pid: proc.pid!, port, dataDir, creds, logs, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
