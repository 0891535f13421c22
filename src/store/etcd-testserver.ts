// Starts a throwaway single-member etcd on loopback for tests and benchmarks: free ports, a
// temp data directory, readiness taken from etcd's own log line, and a stop() that kills
// exactly the process it started and removes the directory. The binary is $ETCD_BIN or `etcd`
// on PATH (Debian: etcd-server); if it is missing, startEtcd fails with a message saying so.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EtcdTestServer {
  /** Backend URL for openBackend(): etcd://127.0.0.1:<port>. */
  url: string;
  /** The client URL etcd serves on: http://127.0.0.1:<port>. */
  clientUrl: string;
  /** PID of the running etcd process. */
  readonly pid: number;
  /** Kill the process (SIGTERM, SIGKILL after 5 s) and remove its data directory. Idempotent. */
  stop(): Promise<void>;
  /** Stop etcd and start it again on the same ports and data (for reconnect tests). */
  restart(): Promise<void>;
}

/** Seconds to wait for etcd to report that it serves clients. */
const START_TIMEOUT_MS = 30000;

export async function startEtcd(opts: { binary?: string } = {}): Promise<EtcdTestServer> {
  const binary = opts.binary ?? process.env.ETCD_BIN ?? 'etcd';
  let lastError: Error | undefined;
  // A port found free can be taken before etcd binds it; a fresh pair of ports is tried then.
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      return await startOnce(binary);
    } catch (err) {
      lastError = err as Error;
      if (!/address already in use/.test(lastError.message)) throw lastError;
    }
  }
  throw lastError;
}

async function startOnce(binary: string): Promise<EtcdTestServer> {
  const [clientPort, peerPort] = await freePorts(2);
  const dataDir = await mkdtemp(join(tmpdir(), 'skiff-etcd-'));
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 'default',
    '--data-dir', dataDir,
    '--listen-client-urls', clientUrl,
    '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl,
    '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `default=${peerUrl}`,
    '--initial-cluster-state', 'new',
    '--logger', 'zap',
    '--log-outputs', 'stderr',
  ];
  const launch = () => {
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    return { child, exited: new Promise<void>((resolve) => child.once('exit', () => resolve())) };
  };
  let proc = launch();
  // If the test process dies without calling stop(), do not leave etcd behind.
  const killOnExit = () => {
    if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      process.removeListener('exit', killOnExit);
      await terminate(proc.child, proc.exited);
      await rm(dataDir, { recursive: true, force: true });
    })());
  const restart = async () => {
    if (stopped) throw new Error('etcd test server was stopped');
    await terminate(proc.child, proc.exited);
    proc = launch();
    await waitReady(proc.child, binary);
  };
  try {
    await waitReady(proc.child, binary);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `etcd://127.0.0.1:${clientPort}`,
    clientUrl,
    get pid() {
      return proc.child.pid!;
    },
    stop,
    restart,
  };
}

/** Resolves when etcd logs that it serves client traffic; rejects if it exits or errors first. */
function waitReady(child: ChildProcess, binary: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const tail: string[] = [];
    let buffered = '';
    const timer = setTimeout(() => finish(new Error(`etcd did not become ready within ${START_TIMEOUT_MS} ms:\n${tail.join('\n')}`)), START_TIMEOUT_MS);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      child.removeListener('exit', onExit);
      child.removeListener('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        if (line.includes('"msg":"serving client traffic')) finish();
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      finish(new Error(`etcd exited during startup (code ${code}, signal ${signal}):\n${tail.join('\n')}`));
    const onError = (err: NodeJS.ErrnoException) =>
      finish(
        err.code === 'ENOENT'
          ? new Error(`etcd is not installed: '${binary}' was not found on PATH (install the etcd-server package or set ETCD_BIN)`)
          : err,
      );
    // Keep draining stderr for the life of the process so etcd never blocks on a full pipe.
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 5000)));
  const late = await Promise.race([exited.then(() => false), timedOut]);
  clearTimeout(timer);
  if (late) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Ports that were free a moment ago (bound to 127.0.0.1:0 and released). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        const srv = createServer();
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', () => resolve(srv));
      }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
