// Starts the agent's short-lived host programs (mount, unshare, CNI plugins, conmon, crun) from a
// small long-lived helper shell instead of from the agent's own thread.
//
// Why: libuv starts a child with fork(), which copies the page tables of the whole agent and
// blocks its event loop until the exec; at 100–200 MB of RSS that is 6–10 ms per program, and a
// pod start runs several. The helper is /bin/sh (dash, about 1 MB): the agent writes one command
// line per program to its stdin and reads "s <id> <pid>" (started) and "e <id> <status>" (ended)
// lines back; the program's stdin, stdout and stderr are files in a private temp directory. Many
// programs run at once (each line starts a background job); dash reaps them.
//
// The helper runs in its own session, so a Ctrl-C at the agent's terminal does not reach it or
// the programs (conmon in particular) it started. It exits when the agent closes its stdin (also
// when the agent dies), removing its temp directory. If it dies, the next call starts a new one.
//
// ```mermaid
// sequenceDiagram
//   agent->>sh: ( cd …; export …; exec prog args <in >out 2>err ) & echo "s id $!"; wait; echo "e id $?"
//   sh-->>agent: s id pid
//   sh-->>agent: e id status
//   agent->>agent: read out/err files, remove them
// ```

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';

export interface LaunchRequest {
  /** Program path or name (looked up on PATH). */
  cmd: string;
  args: string[];
  /** Extra environment variables (added to the agent's environment). */
  env?: Record<string, string>;
  /** Written to the program's stdin (default: /dev/null). */
  input?: string;
  /** Working directory (must exist). */
  cwd?: string;
  /** SIGKILL the program after this long (default 60 s). */
  timeoutMs?: number;
  /**
   * Give the program a pipe at fd 3 and capture only the first line written to it as `stdout`
   * (conmon's sync pipe: it reports the container pid there, then lives on as a daemon). The
   * program's own stdout is discarded.
   */
  firstLineOfFd3?: boolean;
}

export interface LaunchResult {
  /** Exit status as the shell reports it: 128 + n when the program died of signal n. */
  status: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** A program that ran and failed (non-zero status), with what it printed. */
export class LaunchError extends Error {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  constructor(what: string, r: LaunchResult) {
    const detail = r.timedOut ? 'timed out' : `exit ${r.status}`;
    super(`${what} failed (${detail}): ${(r.stderr || r.stdout).trim()}`);
    this.name = 'LaunchError';
    this.status = r.status;
    this.stdout = r.stdout;
    this.stderr = r.stderr;
  }
}

/** POSIX shell quoting of one word. Pure. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_\-./=:,@%+]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The helper-shell line that runs one request as job `id` with files under `base`. Pure. */
export function commandLine(id: number, req: LaunchRequest, base: string): string {
  const q = shellQuote;
  const setup: string[] = [];
  if (req.cwd) setup.push(`cd ${q(req.cwd)} || exit 127`);
  for (const [k, v] of Object.entries(req.env ?? {})) {
    if (!ENV_NAME.test(k)) throw new Error(`invalid environment variable name ${JSON.stringify(k)}`);
    setup.push(`export ${k}=${q(v)}`);
  }
  const argv = [req.cmd, ...req.args].map(q).join(' ');
  const input = req.input !== undefined ? q(`${base}.in`) : '/dev/null';
  const job = req.firstLineOfFd3
    ? `( ${[...setup, `exec ${argv} 3>&1 >/dev/null 2>${q(`${base}.err`)} <${input}`].join('; ')} ) | head -n 1 >${q(`${base}.out`)}`
    : `( ${[...setup, `exec ${argv} <${input} >${q(`${base}.out`)} 2>${q(`${base}.err`)}`].join('; ')} )`;
  return `{ ${job} & echo "s ${id} $!"; wait $!; echo "e ${id} $?"; } &\n`;
}

interface Pending {
  base: string;
  hasInput: boolean;
  pid?: number;
  timer?: NodeJS.Timeout;
  timedOut: boolean;
  resolve: (r: LaunchResult) => void;
  reject: (e: Error) => void;
}

type Helper = ChildProcessByStdio<Writable, Readable & { ref(): void; unref(): void }, null>;

export class Launcher {
  private readonly dir: string;
  private helper: Helper | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buf = '';
  private closed = false;

  /** `tmpDir`: where the per-program files go (default: /dev/shm when writable, else the OS temp dir). */
  constructor(opts: { tmpDir?: string } = {}) {
    const parent = opts.tmpDir ?? (existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir());
    // made when the helper starts (a launcher that never runs anything leaves nothing behind)
    this.dir = path.join(parent, `skiff-launch-${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  /** Run a program to completion. Resolves with its status and output (non-zero is not an error). */
  async launch(req: LaunchRequest): Promise<LaunchResult> {
    if (this.closed) throw new Error('launcher is closed');
    const id = this.nextId++;
    const base = path.join(this.dir, String(id));
    const line = commandLine(id, req, base);
    const helper = this.ensureHelper();
    if (req.input !== undefined) await fsp.writeFile(`${base}.in`, req.input);
    return new Promise<LaunchResult>((resolve, reject) => {
      const p: Pending = { base, hasInput: req.input !== undefined, timedOut: false, resolve, reject };
      p.timer = setTimeout(() => {
        p.timedOut = true;
        if (p.pid !== undefined) killQuietly(p.pid);
      }, req.timeoutMs ?? 60_000);
      this.pending.set(id, p);
      helper.stdout.ref();
      helper.stdin.write(line);
    });
  }

  /** Run a program; resolves with its stdout, rejects with LaunchError on a non-zero status. */
  async run(cmd: string, args: string[], opts: Omit<LaunchRequest, 'cmd' | 'args'> = {}): Promise<LaunchResult> {
    const r = await this.launch({ cmd, args, ...opts });
    if (r.status !== 0 || r.timedOut) throw new LaunchError(`${cmd} ${args.join(' ')}`, r);
    return r;
  }

  /** Stop the helper (running programs finish on their own) and remove the temp directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const h = this.helper;
    this.helper = undefined;
    if (h) {
      h.stdin.end();
      if (this.pending.size > 0) await new Promise<void>((r) => h.once('exit', () => r()));
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private ensureHelper(): Helper {
    if (this.helper) return this.helper;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const h = spawn('/bin/sh', ['-s'], { stdio: ['pipe', 'pipe', 'ignore'], detached: true, env: process.env }) as Helper;
    this.helper = h;
    // the shell removes the temp directory when it ends with its input (the agent closed it or died)
    h.stdin.write(`trap ${shellQuote(`rm -rf ${shellQuote(this.dir)}`)} EXIT\n`);
    h.stdout.setEncoding('utf8');
    h.stdout.on('data', (chunk: string) => this.onData(chunk));
    h.stdin.on('error', () => { /* reported through exit */ });
    h.on('error', (e) => this.helperGone(h, e));
    h.on('exit', () => this.helperGone(h, new Error('the launcher shell exited')));
    h.unref();
    h.stdout.unref();
    (h.stdin as unknown as { unref?: () => void }).unref?.();
    return h;
  }

  private helperGone(h: Helper, err: Error): void {
    if (this.helper === h) this.helper = undefined;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(err);
    }
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      const [kind, idText, value] = line.split(' ');
      const id = Number(idText);
      const p = this.pending.get(id);
      if (!p) continue;
      if (kind === 's') {
        p.pid = Number(value);
        if (p.timedOut) killQuietly(p.pid);
      } else if (kind === 'e') {
        this.pending.delete(id);
        clearTimeout(p.timer);
        if (this.pending.size === 0) this.helper?.stdout.unref();
        void this.finish(p, Number(value));
      }
    }
  }

  private async finish(p: Pending, status: number): Promise<void> {
    const read = (f: string) => fsp.readFile(f, 'utf8').catch(() => '');
    const [stdout, stderr] = await Promise.all([read(`${p.base}.out`), read(`${p.base}.err`)]);
    const files = [`${p.base}.out`, `${p.base}.err`];
    if (p.hasInput) files.push(`${p.base}.in`);
    await Promise.all(files.map((f) => fsp.rm(f, { force: true })));
    p.resolve({ status, stdout, stderr, timedOut: p.timedOut });
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch { /* already gone */ }
}
