// End-to-end harness: starts a real `skiff server` in a temporary data dir on a free loopback
// port, runs the real kubectl against it, and cleans up (only the PID it started, and its temp
// dir) even when a test fails. Waiting is always on a condition (a line of output, an exit).

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SKIFF = path.join(ROOT, 'bin/skiff');
export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

export interface Cluster {
  dataDir: string;
  /** Agent flags the server ran with, when it ran the local node agent (see StartOptions.agent). */
  agent?: AgentOptions;
  port: number;
  kubeconfig: string;
  proc: ChildProcess;
  /** Everything the server wrote to stderr so far (for failure messages). */
  logs(): string;
  /** Stop the server with SIGTERM and wait for it to exit; returns the exit code. */
  stop(): Promise<number | null>;
}

/** A local node agent with its own bridge, pod CIDR and cgroup root, so test clusters never share host state. */
export interface AgentOptions {
  /** Third octet of the pod CIDR 10.77.<n>.0/24, and the suffix of the bridge and cgroup names. */
  index: number;
  /** --node-ip (default 127.0.0.1); null: none, the agent picks the machine's address as a user's would. */
  nodeIP?: string | null;
}

export interface StartOptions {
  dataDir?: string;
  args?: string[];
  port?: number;
  /** Run the local node agent (real containers); without it the server runs with --disable-agent. */
  agent?: AgentOptions;
}

/** Server flags for a test node agent: loopback node IP, egress blocked, names unique to `index`. */
export function agentArgs(a: AgentOptions): string[] {
  return [
    '--node-name', `e2e-node-${a.index}`,
    ...(a.nodeIP === null ? [] : ['--node-ip', a.nodeIP ?? '127.0.0.1']),
    '--agent-port', '0',
    '--pod-cidr', `10.77.${a.index}.0/24`,
    '--bridge', `skiffe2e${a.index}`,
    '--cgroup-root', `/skiff-e2e-${a.index}`,
    '--block-pod-egress',
  ];
}

/** Start `skiff server` and resolve once it printed its ready line (after /readyz is true). */
export async function startCluster(opts: StartOptions = {}): Promise<Cluster> {
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'skiff-e2e-')));
  const agent = opts.agent ? agentArgs(opts.agent) : ['--disable-agent'];
  const args = ['server', '--data-dir', dataDir, '--port', String(opts.port ?? 0), '--bind-address', '127.0.0.1', ...agent, ...(opts.args ?? [])];
  const proc = spawn(SKIFF, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (d: Buffer) => {
      stdout += d;
      const m = /ready on https:\/\/[^:]+:(\d+)/.exec(stdout);
      if (m) {
        proc.stdout!.off('data', onData);
        resolve(Number(m[1]));
      }
    };
    proc.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`skiff server exited with ${code} before it was ready:\n${stderr}`)));
  });
  proc.stdout!.resume();
  return {
    dataDir,
    agent: opts.agent,
    port,
    kubeconfig: path.join(dataDir, 'kubeconfig.yaml'),
    proc,
    logs: () => stderr,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * Stop the cluster (if running) and remove its data dir. A cluster that ran the node agent is
 * reset first (`skiff reset-node`: its containers, mounts, network namespaces, cgroups, bridge
 * and nft tables), since stopping the server alone leaves containers running by design.
 */
export async function destroyCluster(c: Cluster | undefined): Promise<void> {
  if (!c) return;
  await c.stop();
  if (c.agent) {
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn(SKIFF, ['reset-node', '--data-dir', c.dataDir, ...agentArgs(c.agent!)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout!.on('data', (d) => (out += d));
      p.stderr!.on('data', (d) => (out += d));
      p.once('exit', (code) => resolve({ code, out }));
    });
    if (r.code !== 0) throw new Error(`skiff reset-node failed (${r.code}):\n${r.out}`);
  }
  await rm(c.dataDir, { recursive: true, force: true });
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run kubectl against the cluster with its own discovery cache dir. */
export function kubectl(c: Pick<Cluster, 'kubeconfig' | 'dataDir'>, args: string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      KUBECTL,
      ['--kubeconfig', c.kubeconfig, '--cache-dir', path.join(c.dataDir, 'kubectl-cache'), ...args],
      { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, KUBECONFIG: c.kubeconfig } },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** kubectl that must succeed; returns stdout. */
export async function kubectlOk(c: Pick<Cluster, 'kubeconfig' | 'dataDir'>, args: string[], input?: string): Promise<string> {
  const r = await kubectl(c, args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/**
 * `kubectl wait --for=<cond> <what>`; on failure the error carries the object's YAML, the events
 * of every namespace and the tail of the server's log.
 */
export async function kubectlWait(c: Cluster, what: string, cond: string, timeout = '90s'): Promise<void> {
  const r = await kubectl(c, ['wait', `--for=${cond}`, what, `--timeout=${timeout}`]);
  if (r.code !== 0) {
    const obj = await kubectl(c, ['get', what, '-o', 'yaml']);
    const ev = await kubectl(c, ['get', 'events', '-A']);
    throw new Error(`waiting for ${what} ${cond} failed: ${r.stderr}\n${obj.stdout}\n${ev.stdout}\n--- server log tail ---\n${c.logs().slice(-4000)}`);
  }
}

/** A long-running kubectl (e.g. get -w) whose output lines can be awaited. */
export function kubectlStream(c: Pick<Cluster, 'kubeconfig' | 'dataDir'>, args: string[]) {
  const child = spawn(KUBECTL, ['--kubeconfig', c.kubeconfig, '--cache-dir', path.join(c.dataDir, 'kubectl-cache'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  const check = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const m = waiters[i]!.re.exec(out);
      if (m) {
        waiters[i]!.resolve(m);
        waiters.splice(i, 1);
      }
    }
  };
  child.stdout!.on('data', (d) => {
    out += d;
    check();
  });
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    output: () => out,
    /** Resolve when stdout matches; reject if kubectl exits first or after `timeoutMs` (a failure, not a wait). */
    waitFor(re: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${re} in kubectl output:\n${out}\n${err}`)), timeoutMs);
        const done = (m: RegExpExecArray) => {
          clearTimeout(t);
          resolve(m);
        };
        waiters.push({ re, resolve: done });
        check();
        void exited.then((code) => {
          clearTimeout(t);
          reject(new Error(`kubectl exited (${code}) before ${re} appeared:\n${out}\n${err}`));
        });
      });
    },
    async stop(): Promise<void> {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
