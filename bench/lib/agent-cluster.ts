// Starts the node-agent deployment the pod startup benchmark measures, in one of two shapes:
// - 'combined': one `skiff server` running the API server, the scheduler and the local node
//   agent in one process (the default deployment);
// - 'split': `skiff server --disable-agent` plus a separate `skiff agent` process joining it with
//   a node token over HTTPS, so the agent's own memory can be read from /proc/<pid>/status.
// The agent runs real containers with names unique to `index` (bridge, pod CIDR, cgroup root,
// node name), egress blocked, node IP 127.0.0.1, and the bench image imported from an archive
// in <agent data dir>/agent/images at start (so no pull is measured). stop() stops exactly the
// PIDs it started, runs `skiff reset-node` (containers, mounts, netns, cgroups, bridge, nft
// table) and removes the data dirs; it is registered with the Cleanup, so it runs on failure too.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeOciArchive } from '../../src/agent/images/testimage.ts';
import type { Cleanup } from './cleanup.ts';
import { credentialsFromKubeconfig, KubeClient, type Credentials } from './client.ts';
import { ROOT, stopChild } from './server.ts';

const SKIFF = path.join(ROOT, 'bin/skiff');
const START_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 15_000;

export type AgentMode = 'combined' | 'split';

/** The image every bench pod runs; imported from an archive at agent start. */
export const BENCH_IMAGE = 'skiff.bench/library/busybox:v1';

export interface AgentCluster {
  mode: AgentMode;
  nodeName: string;
  /** PID of `skiff server`. */
  serverPid: number;
  /** PID of the process that runs the node agent (the server itself in 'combined' mode). */
  agentPid: number;
  /** Agent state dir (<dir>/agent holds images, runtime state, CNI state, pod dirs, logs). */
  agentDataDir: string;
  creds: Credentials;
  /** Server flags the agent ran with (also given to reset-node). */
  agentFlags: string[];
  /** The last lines the server (and agent) wrote to stderr. */
  logs(): string;
  /** Stop the processes, reset the node and remove the data dirs. Idempotent. */
  stop(): Promise<void>;
}

export interface StartAgentClusterOptions {
  mode: AgentMode;
  /** 0..199: suffix of the bridge, cgroup root and node name, third octet of the pod CIDR 10.79.<index>.0/24. */
  index: number;
  /** Extra environment for the server (e.g. NODE_OPTIONS with --cpu-prof). */
  serverEnv?: Record<string, string>;
  /** Extra environment for the separate agent in 'split' mode. */
  agentEnv?: Record<string, string>;
  /** --datastore URL; default the server's sqlite file. */
  datastore?: string;
  /** Run this main.js/main.ts with the pinned node instead of bin/skiff (e.g. a freshly built dist). */
  entry?: string;
  cleanup: Cleanup;
}

/** What bin/skiff runs now: the built dist/ when it is current, else the TypeScript sources. */
export function skiffRunsFrom(): string {
  const stamp = path.join(ROOT, 'dist/.stamp');
  if (!existsSync(stamp)) return 'src/ (TypeScript through Node\'s type stripper; no dist/)';
  const newer = execFileSync('find', [path.join(ROOT, 'src'), '-newer', stamp, '-print', '-quit'], { encoding: 'utf8' }).trim();
  return newer ? 'src/ (TypeScript through Node\'s type stripper; dist/ is stale)' : 'dist/ (built JavaScript)';
}

/** Always through bin/skiff (so its per-command Node flags apply); `entry` picks the main.js it runs. */
function command(entry: string | undefined, args: string[]): [string, string[], Record<string, string>] {
  return [SKIFF, args, entry ? { SKIFF_MAIN: path.resolve(entry) } : {}];
}

/** Agent flags unique to `index`, as the e2e harness's agentArgs() builds them. */
export function benchAgentFlags(index: number): string[] {
  return [
    '--node-name', `bench-node-${index}`,
    '--node-ip', '127.0.0.1',
    '--agent-port', '0',
    '--pod-cidr', `10.79.${index}.0/24`,
    '--bridge', `skbench${index}`,
    '--cgroup-root', `/skiff-bench-${index}`,
    '--block-pod-egress',
  ];
}

interface Child {
  proc: ChildProcess;
  exited: Promise<void>;
  tail(): string;
  /** Resolves with the first match of `re` in stdout; rejects if the process exits first. */
  ready(re: RegExp, what: string): Promise<RegExpExecArray>;
  stop(): Promise<void>;
}

function startChild(label: string, entry: string | undefined, args: string[], env: Record<string, string> | undefined, cleanup: Cleanup): Child {
  const [cmd, argv, entryEnv] = command(entry, args);
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...entryEnv, ...env } });
  if (proc.pid !== undefined) cleanup.trackPid(proc.pid);
  let lines: string[] = [];
  let partial = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (d: string) => {
    const l = (partial + d).split('\n');
    partial = l.pop() ?? '';
    lines = lines.concat(l.map((s) => `[${label}] ${s}`)).slice(-60);
  });
  let stdout = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (d: string) => (stdout += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const tail = () => lines.concat(partial ? [`[${label}] ${partial}`] : []).join('\n');
  return {
    proc,
    exited,
    tail,
    ready(re, what) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${what} was not ready within ${START_TIMEOUT_MS} ms:\n${tail()}`)), START_TIMEOUT_MS);
        const check = () => {
          const m = re.exec(stdout);
          if (m) {
            clearTimeout(timer);
            proc.stdout!.off('data', check);
            resolve(m);
          }
        };
        proc.stdout!.on('data', check);
        check();
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`${what} exited (code ${proc.exitCode}, signal ${proc.signalCode}) before it was ready:\n${tail()}`));
        });
      });
    },
    async stop() {
      await stopChild(proc, exited, STOP_GRACE_MS);
      if (proc.pid !== undefined) cleanup.untrackPid(proc.pid);
    },
  };
}

function resetNode(entry: string | undefined, dataDir: string, flags: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const [cmd, argv, entryEnv] = command(entry, ['reset-node', '--data-dir', dataDir, ...flags]);
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...entryEnv } });
    let out = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (out += d));
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`skiff reset-node failed (${code}):\n${out}`))));
  });
}

/** Wait until the Node reports Ready (polled: the node object appears at an unknown time). */
async function waitNodeReady(client: KubeClient, name: string, deadlineMs: number): Promise<void> {
  const until = performance.now() + deadlineMs;
  for (;;) {
    const res = await client.request('GET', `/api/v1/nodes/${name}`);
    if (res.status === 200) {
      const node = JSON.parse(res.body.toString('utf8')) as { status?: { conditions?: { type: string; status: string }[] } };
      if (node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
    }
    if (performance.now() > until) throw new Error(`node ${name} was not Ready within ${deadlineMs} ms (last GET → ${res.status})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startAgentCluster(opts: StartAgentClusterOptions): Promise<AgentCluster> {
  const { mode, index, cleanup } = opts;
  const flags = benchAgentFlags(index);
  const nodeName = `bench-node-${index}`;
  const serverDir = await mkdtemp(path.join(tmpdir(), `skiff-bench-podstartup-${mode}-`));
  const agentDataDir = mode === 'combined' ? serverDir : path.join(serverDir, 'node');
  const children: Child[] = [];
  let reset = false;
  const stop = cleanup.add(`podstartup ${mode} cluster (${serverDir})`, async () => {
    for (const c of [...children].reverse()) await c.stop();
    try {
      if (reset) await resetNode(opts.entry, agentDataDir, flags);
    } finally {
      await rm(serverDir, { recursive: true, force: true });
    }
  });

  try {
    await writeOciArchive(path.join(agentDataDir, 'agent', 'images', 'bench.tar'), { name: BENCH_IMAGE });
    reset = true;
    const nodeToken = randomBytes(24).toString('hex');
    // The admin line keeps the server's own default; the node line is the separate agent's identity.
    await writeFile(
      path.join(serverDir, 'token.csv'),
      `${randomBytes(24).toString('hex')},admin,admin,"system:masters"\n${nodeToken},system:node:${nodeName},node-${nodeName},"system:nodes"\n`,
      { mode: 0o600 },
    );
    const serverArgs = ['server', '--data-dir', serverDir, '--port', '0', '--bind-address', '127.0.0.1'];
    if (opts.datastore) serverArgs.push('--datastore', opts.datastore);
    serverArgs.push(...(mode === 'combined' ? flags : ['--disable-agent', '--tls-san', '127.0.0.1']));
    const server = startChild('server', opts.entry, serverArgs, opts.serverEnv, cleanup);
    children.push(server);
    const m = await server.ready(/ready on https:\/\/[^\s]+:(\d+)\nexport KUBECONFIG=/, 'skiff server');
    const port = Number(m[1]);
    const creds = credentialsFromKubeconfig(path.join(serverDir, 'kubeconfig.yaml'));

    let agentPid = server.proc.pid!;
    let agent: Child | undefined;
    if (mode === 'split') {
      await mkdir(agentDataDir, { recursive: true });
      const tls = path.join(serverDir, 'tls');
      agent = startChild(
        'agent',
        opts.entry,
        [
          'agent',
          '--server', `https://127.0.0.1:${port}`,
          '--token', nodeToken,
          '--certificate-authority', path.join(tls, 'ca.crt'),
          '--tls-cert-file', path.join(tls, 'server.crt'),
          '--tls-private-key-file', path.join(tls, 'server.key'),
          '--client-ca-file', path.join(tls, 'ca.crt'),
          '--data-dir', agentDataDir,
          ...flags,
        ],
        opts.agentEnv,
        cleanup,
      );
      children.push(agent);
      await agent.ready(/skiff agent ready/, 'skiff agent');
      agentPid = agent.proc.pid!;
    }
    const client = new KubeClient(creds, { maxSockets: 1 });
    try {
      await waitNodeReady(client, nodeName, START_TIMEOUT_MS);
    } finally {
      client.close();
    }
    return {
      mode,
      nodeName,
      serverPid: server.proc.pid!,
      agentPid,
      agentDataDir,
      creds,
      agentFlags: flags,
      logs: () => children.map((c) => c.tail()).join('\n'),
      stop,
    };
  } catch (err) {
    const tails = children.map((c) => c.tail()).join('\n');
    await stop().catch((e) => process.stderr.write(`bench: stopping the ${mode} cluster failed: ${String(e)}\n`));
    if (err instanceof Error && tails && !err.message.includes(tails)) err.message += `\n${tails}`;
    throw err;
  }
}
