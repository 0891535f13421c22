// The stdin half of `attach` for containers run under conmon. conmon listens on an AF_UNIX
// SOCK_SEQPACKET socket, `attach` in the container's bundle directory (reached through the
// `<socket-dir>/<id>` symlink conmon makes); what a client writes there goes to the container's
// stdin, and every chunk of container output is sent back as one packet prefixed by a 1-byte
// pipe id. Node cannot open SEQPACKET sockets, so Debian's `socat` bridges a pipe to it. The
// output side is not used here (the agent follows the CRI log instead, which keeps streams and
// timestamps exact), but it is always read and discarded: conmon writes to attach clients with
// blocking writes, so an unread socket would stall the container's output.
// When the client disconnects, conmon closes the container's stdin unless it runs with
// `--leave-stdin-open` (stdinOnce=false). Terminal resizes go to conmon's `ctl` fifo in the
// bundle directory as "1 <height> <width>\n".
//
// ```mermaid
// sequenceDiagram
//   client->>agent: stdin bytes (channel 0)
//   agent->>socat: pipe
//   socat->>conmon: SEQPACKET attach socket
//   conmon->>container: stdin pipe / pty
//   conmon-->>socat: [pipe id][output] (discarded)
//   client->>agent: stdin end
//   agent->>socat: end → shutdown(SHUT_WR) → conmon closes stdin unless --leave-stdin-open
// ```

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { constants as fsConstants, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { RuntimeError } from './types.ts';

/** The attach socket's name inside the bundle directory (conmon's choice). */
export const ATTACH_SOCKET = 'attach';
/** conmon's control fifo inside the bundle directory. */
export const CTL_FIFO = 'ctl';
/** SOCK_SEQPACKET on Linux. */
const SOCK_SEQPACKET = 5;

/** The socat argv that connects stdio to the attach socket, relative to its cwd (sun_path is 108 bytes). Pure. */
export function socatArgs(): string[] {
  return ['-', `UNIX-CONNECT:${ATTACH_SOCKET},type=${SOCK_SEQPACKET}`];
}

/** conmon's window-resize control line. Pure. */
export function resizeLine(size: { width: number; height: number }): string {
  return `1 ${Math.max(0, Math.floor(size.height))} ${Math.max(0, Math.floor(size.width))}\n`;
}

export interface StdinBridgeOptions {
  /** The container's bundle directory: holds conmon's `attach` socket. */
  dir: string;
  stdin: Readable;
  /** socat binary (default: `socat` from PATH). */
  socatBinary?: string;
  /** Told what went wrong with the bridge after it started (socat's stderr, exit code). */
  onProblem?: (message: string) => void;
}

/**
 * A running bridge from a client's stdin to a container's stdin. close() ends it (kills socat
 * by its pid); idempotent. Ending the client's stdin ends socat's stdin, which half-closes the
 * attach connection: for conmon that is the client going away.
 */
export class StdinBridge {
  private readonly child: ChildProcess;
  private readonly stdin: Readable;
  private readonly exited: Promise<void>;
  private closed = false;

  private constructor(child: ChildProcess, stdin: Readable, exited: Promise<void>) {
    this.child = child;
    this.stdin = stdin;
    this.exited = exited;
  }

  /**
   * Start socat in `dir` and pipe `stdin` into it. Rejects with RuntimeError('Unsupported') when
   * socat cannot be started (not installed); a socat that starts but cannot connect is reported
   * through onProblem (the container's output is still followed by the caller).
   */
  static async open(o: StdinBridgeOptions): Promise<StdinBridge> {
    const child = spawn(o.socatBinary ?? 'socat', socatArgs(), { cwd: o.dir, stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e: NodeJS.ErrnoException) => {
        reject(new RuntimeError('Unsupported', e.code === 'ENOENT'
          ? 'attach with stdin needs socat on the node (Debian package socat) to reach conmon\'s attach socket'
          : `starting socat for attach failed: ${e.message}`));
      });
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => { if (stderr.length < 4096) stderr += s; });
    // conmon's copy of the container output: read and dropped so conmon never blocks on us
    child.stdout!.resume();
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        if (code !== 0 && signal === null) o.onProblem?.(`socat exited with ${code}: ${stderr.trim()}`);
        resolve();
      });
    });
    child.stdin!.on('error', () => { /* socat gone (connection closed by conmon): input is dropped */ });
    const bridge = new StdinBridge(child, o.stdin, exited);
    o.stdin.pipe(child.stdin!);
    return bridge;
  }

  /** Kill socat (its own pid) and wait for it to exit. Idempotent. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.stdin.unpipe(this.child.stdin!);
      if (this.child.exitCode === null && this.child.signalCode === null) {
        try { this.child.kill('SIGKILL'); } catch { /* already gone */ }
      }
    }
    await this.exited;
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
    this.child.stdin?.destroy();
  }
}

/** Least time between two writes to conmon's ctl fifo (see forwardResizes). */
export const RESIZE_GAP_MS = 30;

/**
 * Forward terminal sizes to conmon's ctl fifo until `sizes` ends or `signal` aborts. conmon
 * 2.1.6 applies only the first line of what one read of the fifo returns (repeated once per
 * line), so two sizes must never sit in the fifo together: writes are at least RESIZE_GAP_MS
 * apart and sizes that arrive meanwhile collapse to the latest (kubectl sends size+1, then the
 * size, back to back). The fifo is opened non-blocking per write: if conmon is gone (no
 * reader) the size is dropped.
 */
export async function forwardResizes(dir: string, sizes: AsyncIterable<{ width: number; height: number }>, signal?: AbortSignal): Promise<void> {
  const fifo = path.join(dir, CTL_FIFO);
  let latest: { width: number; height: number } | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  const pump = (async () => {
    try {
      for await (const size of sizes) {
        latest = size;
        wake?.();
      }
    } finally {
      ended = true;
      wake?.();
    }
  })();
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort, { once: true });
  let lastWrite = -Infinity;
  try {
    while (!signal?.aborted) {
      const due = lastWrite + RESIZE_GAP_MS - Date.now();
      if (latest === undefined || due > 0) {
        if (latest === undefined && ended) break;
        await new Promise<void>((resolve) => {
          const t = latest === undefined ? undefined : setTimeout(done, due);
          function done() {
            if (t) clearTimeout(t);
            wake = undefined;
            resolve();
          }
          wake = latest === undefined ? done : undefined; // while waiting out the gap, newer sizes just replace `latest`
        });
        continue;
      }
      const size = latest;
      latest = undefined;
      lastWrite = Date.now();
      let fh;
      try {
        fh = await fsp.open(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
        await fh.write(resizeLine(size));
      } catch {
        // conmon exited or the fifo is full: a lost resize is harmless
      } finally {
        await fh?.close();
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    wake = undefined;
  }
  if (ended) await pump;
}
