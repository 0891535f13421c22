// exec and attach on an upgraded WebSocket (channel protocols v1–v5): client stdin (channel 0)
// and resize (4) go to the runtime, its stdout/stderr come back on 1 and 2, and the outcome
// goes out on channel 3 (v4+: a Status, Failure/NonZeroExitCode with the exit code as a cause)
// before a normal close. v5's close signal [255, 0] ends stdin; a client going away kills
// the exec'd process (through the AbortSignal handed to the runtime).

import { PassThrough, Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Logger } from '../../base/log.ts';
import type { Runtime } from '../runtime/types.ts';
import { CLOSE, ERROR, RESIZE, STDERR, STDIN, STDOUT, decodeFrame, encodeFrame, errorStatus, exitStatus, isBase64Protocol, parseResize, statusPayload } from './channel.ts';

export interface RemoteCommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  /** exec only */
  command: string[];
}

/** Read the stream options from a query: the apiserver's form (stdin=true) or the kubelet's (input=1). */
export function remoteCommandOptions(q: URLSearchParams): RemoteCommandOptions {
  const flag = (a: string, b: string) => {
    const v = q.get(a) ?? q.get(b);
    return v === 'true' || v === '1';
  };
  const tty = flag('tty', 'tty');
  return {
    stdin: flag('stdin', 'input'),
    stdout: flag('stdout', 'output'),
    // With a TTY stderr is merged into stdout, as the kubelet does.
    stderr: flag('stderr', 'error') && !tty,
    tty,
    command: q.getAll('command'),
  };
}

/** An async iterable fed by push(); ends on end(). */
class Queue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | undefined;
  private done = false;
  push(v: T): void {
    if (this.done) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w({ value: v, done: false });
    } else this.items.push(v);
  }
  end(): void {
    this.done = true;
    this.waiting?.({ value: undefined as never, done: true });
    this.waiting = undefined;
  }
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.items.length) return Promise.resolve({ value: this.items.shift()!, done: false });
        if (this.done) return Promise.resolve({ value: undefined as never, done: true });
        return new Promise((resolve) => (this.waiting = resolve));
      },
    };
  }
}

/** Run exec or attach for an upgraded client; resolves once the WebSocket is closed by us or it. */
export async function serveRemoteCommand(
  ws: WebSocket,
  protocol: string,
  kind: 'exec' | 'attach',
  opts: RemoteCommandOptions,
  runtime: Runtime,
  containerId: string,
  log: Logger,
): Promise<void> {
  const base64 = isBase64Protocol(protocol);
  const abort = new AbortController();
  const send = (channel: number, data: Buffer, cb?: () => void) => {
    if (ws.readyState !== ws.OPEN) {
      cb?.();
      return;
    }
    ws.send(encodeFrame(channel, data, base64), { binary: !base64 }, () => cb?.());
  };
  const output = (channel: number) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        send(channel, Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk), () => cb());
      },
    });
  const stdin = opts.stdin ? new PassThrough() : undefined;
  const stdout = opts.stdout ? output(STDOUT) : undefined;
  const stderr = opts.stderr ? output(STDERR) : undefined;
  const resize = opts.tty ? new Queue<{ width: number; height: number }>() : undefined;

  ws.on('message', (msg, isBinary) => {
    const buf = Buffer.isBuffer(msg) ? msg : Array.isArray(msg) ? Buffer.concat(msg) : Buffer.from(msg as ArrayBuffer);
    const f = decodeFrame(isBinary ? buf : buf.toString('latin1'), base64);
    if (!f) return;
    switch (f.channel) {
      case STDIN:
        if (stdin && !stdin.writableEnded && f.data.length) stdin.write(Buffer.from(f.data));
        break;
      case RESIZE: {
        const size = parseResize(f.data);
        if (size) resize?.push(size);
        break;
      }
      case CLOSE:
        if (f.data[0] === STDIN) stdin?.end();
        break;
    }
  });
  const closed = new Promise<void>((resolve) =>
    ws.once('close', () => {
      stdin?.end();
      resize?.end();
      abort.abort();
      resolve();
    }),
  );

  // An empty message on the lowest writable channel tells the client the streams are ready.
  send(opts.stdout ? STDOUT : opts.stderr ? STDERR : ERROR, Buffer.alloc(0));

  let status: Record<string, unknown>;
  try {
    if (kind === 'exec') {
      const r = await runtime.exec(containerId, { cmd: opts.command, tty: opts.tty, stdin, stdout, stderr, resize, signal: abort.signal });
      status = exitStatus(r.exitCode, opts.command);
    } else {
      await runtime.attach(containerId, { stdin, stdout, stderr, tty: opts.tty, resize, signal: abort.signal });
      status = { metadata: {}, status: 'Success' };
    }
  } catch (e) {
    log.debug(`${kind} failed`, { container: containerId, error: String(e) });
    status = errorStatus((e as Error)?.message ?? String(e));
  }
  resize?.end();
  if (ws.readyState === ws.OPEN) {
    const payload = statusPayload(protocol, status);
    if (payload) send(ERROR, payload);
    ws.close(1000);
  }
  await closed;
}
