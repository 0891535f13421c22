// exec and attach for OCI containers. exec runs `<runtime> exec --process <json>` with the
// container's own process spec (user, env, capabilities) and the given argv, piping stdio; a
// tty exec runs under util-linux `script`, which supplies the terminal the runtime needs. attach
// output follows the container's CRI log file (conmon owns the container's stdio); attach stdin
// goes through attach.ts (socat to conmon's SOCK_SEQPACKET attach socket).

import { execFile, spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { constants as osConstants } from 'node:os';
import { shellQuote } from '../launcher.ts';
import type { AttachOptions, ExecOptions, ExecResult } from './types.ts';

export interface ExecTarget {
  runtimeBinary: string;
  runtimeRoot: string;
  id: string;
  /** The container's config.json: its process is the template for the exec'd one. */
  bundleConfig: string;
  /** Where the process spec and pid file of the exec are written (removed afterwards). */
  scratchDir: string;
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? osConstants.signals[signal] ?? 9 : 9);
}

function waitEnd(stream: Readable | null, ms: number): Promise<void> {
  if (!stream || stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      stream!.removeListener('end', done);
      stream!.removeListener('close', done);
      resolve();
    }
    stream.once('end', done);
    stream.once('close', done);
  });
}

/** Run a command in a running container; resolves with its exit code. Caller's writables are not ended. */
export async function execInContainer(t: ExecTarget, o: ExecOptions): Promise<ExecResult> {
  const spec = JSON.parse(await fsp.readFile(t.bundleConfig, 'utf8')) as { process: Record<string, unknown> };
  const tag = randomBytes(6).toString('hex');
  const procFile = path.join(t.scratchDir, `exec-${tag}.json`);
  const pidFile = path.join(t.scratchDir, `exec-${tag}.pid`);
  await fsp.writeFile(procFile, JSON.stringify({ ...spec.process, args: o.cmd, terminal: o.tty }));
  const argv = ['--root', t.runtimeRoot, 'exec', '--process', procFile, '--pid-file', pidFile, t.id];
  const child = o.tty
    ? spawn('script', ['-qec', [t.runtimeBinary, ...argv].map(shellQuote).join(' '), '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(t.runtimeBinary, argv, { stdio: ['pipe', 'pipe', 'pipe'] });

  let timedOut = false;
  const onAbort = () => {
    timedOut = true;
    void fsp.readFile(pidFile, 'utf8').then((p) => {
      try { process.kill(Number(p.trim()), 'SIGKILL'); } catch { /* already gone */ }
    }, () => undefined).finally(() => {
      try { child.kill('SIGKILL'); } catch { /* already gone */ }
    });
  };
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener('abort', onAbort, { once: true });

  if (o.tty && o.resize) void forwardExecResizes(pidFile, o.resize).catch(() => undefined);
  child.stdin.on('error', () => { /* the process may exit without reading its stdin */ });
  if (o.stdin) o.stdin.pipe(child.stdin);
  else if (!o.tty) child.stdin.end();
  child.stdout.on('data', (b: Buffer) => o.stdout?.write(b));
  child.stderr.on('data', (b: Buffer) => (o.stderr ?? (o.tty ? o.stdout : undefined))?.write(b));

  try {
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(exitCodeOf(code, signal)));
    });
    // a background process started by the command may hold the pipes: do not wait for it long
    await Promise.all([waitEnd(child.stdout, 500), waitEnd(child.stderr, 500)]);
    if (o.stdin) o.stdin.unpipe(child.stdin);
    return timedOut ? { exitCode, timedOut } : { exitCode };
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    child.stdout.destroy();
    child.stderr.destroy();
    child.stdin.destroy();
    await fsp.rm(procFile, { force: true });
    await fsp.rm(pidFile, { force: true });
  }
}

/**
 * Terminal sizes for a tty exec, set on the exec'd process's own terminal: its fd 0, reached from
 * the host through /proc/<pid>/fd/0 once the runtime wrote its pid file, and resized with
 * `stty -F` (the process gets SIGWINCH from the kernel). Sizes that arrive before the process
 * exists wait for it.
 */
async function forwardExecResizes(pidFile: string, sizes: AsyncIterable<{ width: number; height: number }>): Promise<void> {
  let tty: string | undefined;
  const findTty = async (): Promise<string | undefined> => {
    for (let i = 0; i < 200 && !tty; i++) {
      const pid = Number((await fsp.readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (pid > 0) tty = `/proc/${pid}/fd/0`;
      else await new Promise((r) => setTimeout(r, 25));
    }
    return tty;
  };
  for await (const { width, height } of sizes) {
    if (!(width > 0 && height > 0)) continue;
    const dev = await findTty();
    if (!dev) return;
    await new Promise<void>((resolve) => execFile('stty', ['-F', dev, 'rows', String(height), 'cols', String(width)], () => resolve()));
  }
}

/** One CRI log line split into stream, partial flag and content; undefined if malformed. Pure. */
export function parseCriLine(line: string): { stream: 'stdout' | 'stderr'; partial: boolean; content: string } | undefined {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  const c = line.indexOf(' ', b + 1);
  if (a < 0 || b < 0) return undefined;
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  return { stream, partial: tag === 'P', content: c < 0 ? '' : line.slice(c + 1) };
}

/** The size of a container's log file now (0 when it does not exist yet): where an attach starts reading. */
export function logOffset(logPath: string): Promise<number> {
  return fsp.stat(logPath).then((s) => s.size, () => 0);
}

/**
 * Copy what the container writes from `from` on (a logOffset() taken when the attach began,
 * before any input was sent, so that the answer to that input is not missed) — read from its
 * CRI log file — to the caller's writables until the container stops running or `signal` aborts.
 */
export async function attachToLog(logPath: string, from: number, o: AttachOptions, isRunning: () => Promise<boolean>, pollMs: number): Promise<void> {
  let offset = from;
  let rest = '';
  const drain = async () => {
    let fh;
    try {
      fh = await fsp.open(logPath, 'r');
    } catch {
      return;
    }
    try {
      for (;;) {
        const buf = Buffer.alloc(64 * 1024);
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        rest += buf.subarray(0, bytesRead).toString('utf8');
        let nl;
        while ((nl = rest.indexOf('\n')) >= 0) {
          const parsed = parseCriLine(rest.slice(0, nl));
          rest = rest.slice(nl + 1);
          if (!parsed) continue;
          const out = parsed.stream === 'stderr' && !o.tty ? o.stderr : o.stdout;
          out?.write(parsed.partial ? parsed.content : parsed.content + '\n');
        }
      }
    } finally {
      await fh.close();
    }
  };
  while (!o.signal?.aborted) {
    const alive = await isRunning();
    await drain();
    if (!alive) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, pollMs);
      function done() {
        clearTimeout(t);
        o.signal?.removeEventListener('abort', done);
        resolve();
      }
      o.signal?.addEventListener('abort', done, { once: true });
    });
  }
}
