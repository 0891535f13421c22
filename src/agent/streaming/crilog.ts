// CRI container log files: the parser for "<RFC3339Nano> stdout|stderr F|P <text>" records and
// the reader behind `kubectl logs` (tailLines, sinceTime, limitBytes, timestamps, stream
// selection, follow). Partial records (tag P) are joined with the records that complete them,
// per stream, so a long line written in pieces comes out as one line.
//
// Follow: after the end of the file the reader polls the file for growth until the container
// has exited (`isRunning()` says false: then what remains is drained) or the signal aborts.
// Rotation and a file that appears later are not followed.

import { open, stat } from 'node:fs/promises';

export type LogStream = 'stdout' | 'stderr';

/** One record of a CRI log file. */
export interface CriRecord {
  /** The timestamp as written (RFC3339Nano). */
  time: string;
  /** ms since epoch (nanoseconds dropped). */
  timeMs: number;
  stream: LogStream;
  /** false for a partial record (tag P): the line continues in the next record of the stream. */
  full: boolean;
  text: Buffer;
}

/** Parse one record (without its trailing newline). undefined for a malformed line. */
export function parseCriRecord(line: Buffer): CriRecord | undefined {
  const s1 = line.indexOf(0x20);
  if (s1 <= 0) return undefined;
  const s2 = line.indexOf(0x20, s1 + 1);
  if (s2 < 0) return undefined;
  const time = line.subarray(0, s1).toString('latin1');
  const stream = line.subarray(s1 + 1, s2).toString('latin1');
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const timeMs = Date.parse(time);
  if (Number.isNaN(timeMs)) return undefined;
  // Tags: "F" or "P", possibly followed by ":"-separated others. A record may end right after them.
  let s3 = line.indexOf(0x20, s2 + 1);
  if (s3 < 0) s3 = line.length;
  const tags = line.subarray(s2 + 1, s3).toString('latin1').split(':');
  const full = tags[0] !== 'P';
  return { time, timeMs, stream, full, text: line.subarray(Math.min(s3 + 1, line.length)) };
}

/** Format one record as a CRI log line (with its newline), as a runtime writes it. */
export function formatCriRecord(time: Date | string, stream: LogStream, text: string | Buffer, full = true): Buffer {
  const t = typeof time === 'string' ? time : time.toISOString();
  return Buffer.concat([Buffer.from(`${t} ${stream} ${full ? 'F' : 'P'} `), Buffer.from(text), Buffer.from('\n')]);
}

/** A logical line: full records joined with the partials before them (same stream). */
export interface LogLine {
  /** timestamp of its first record */
  time: string;
  timeMs: number;
  stream: LogStream;
  text: Buffer;
  /** true for an unfinished line left at the end of the input (printed without a newline). */
  partial?: boolean;
}

/**
 * Incremental parser: bytes in, logical lines out. A record split across chunks waits for its
 * newline; partial records wait for the record that completes the line.
 */
export class CriLineDecoder {
  private rest: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<LogStream, { first: CriRecord; parts: Buffer[] }>();

  push(chunk: Buffer): LogLine[] {
    const out: LogLine[] = [];
    let buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    let at = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, at);
      if (nl < 0) break;
      const rec = parseCriRecord(buf.subarray(at, nl));
      at = nl + 1;
      if (rec) this.add(rec, out);
    }
    this.rest = Buffer.from(buf.subarray(at));
    buf = Buffer.alloc(0);
    return out;
  }

  /** End of input: partial lines still waiting are emitted as they are. */
  flush(): LogLine[] {
    const out: LogLine[] = [];
    for (const [stream, p] of this.pending) {
      out.push({ time: p.first.time, timeMs: p.first.timeMs, stream, text: Buffer.concat(p.parts), partial: true });
    }
    this.pending.clear();
    return out.sort((a, b) => a.timeMs - b.timeMs);
  }

  private add(rec: CriRecord, out: LogLine[]): void {
    const p = this.pending.get(rec.stream);
    if (!rec.full) {
      if (p) p.parts.push(rec.text);
      else this.pending.set(rec.stream, { first: rec, parts: [rec.text] });
      return;
    }
    if (p) {
      this.pending.delete(rec.stream);
      p.parts.push(rec.text);
      out.push({ time: p.first.time, timeMs: p.first.timeMs, stream: rec.stream, text: Buffer.concat(p.parts) });
      return;
    }
    out.push({ time: rec.time, timeMs: rec.timeMs, stream: rec.stream, text: rec.text });
  }
}

export interface LogReadOptions {
  follow?: boolean;
  /** Only the last N lines (of what matches sinceTime/stream). */
  tailLines?: number;
  /** ms since epoch: lines older than this are skipped. */
  sinceTimeMs?: number;
  /** Stop after this many bytes of output. */
  limitBytes?: number;
  /** Prefix every line with its RFC3339Nano timestamp and a space. */
  timestamps?: boolean;
  /** 'All' (default), 'Stdout' or 'Stderr'. */
  stream?: 'All' | 'Stdout' | 'Stderr';
}

export interface LogSink {
  /** Write a chunk; resolves once the consumer can take more. */
  write(chunk: Buffer): Promise<void>;
}

export interface LogReadControl {
  signal?: AbortSignal;
  /** For follow: is the container still running? Polled when the file has no new data. */
  isRunning?: () => Promise<boolean>;
  /** How long to wait between polls of a file with no new data (default 100 ms). */
  pollMs?: number;
}

const CHUNK = 64 * 1024;

/**
 * A log record's time as the kubelet prints it for `logs --timestamps`: Go's RFC3339Nano, so UTC
 * is "Z" and trailing zeros of the fraction are dropped (conmon writes "+00:00" and 9 digits). Pure.
 */
export function rfc3339Nano(time: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(time);
  if (!m) return time;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  const zone = m[3] === '+00:00' || m[3] === '-00:00' ? 'Z' : m[3];
  return `${m[1]}${frac ? '.' + frac : ''}${zone}`;
}

/** Copy the log at `path` to `sink` as `kubectl logs` shows it. Resolves when done. */
export async function readCriLog(path: string, opts: LogReadOptions, sink: LogSink, ctl: LogReadControl = {}): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const decoder = new CriLineDecoder();
    let remaining = opts.limitBytes !== undefined && opts.limitBytes > 0 ? opts.limitBytes : Infinity;
    const wanted = (l: LogLine) =>
      (opts.sinceTimeMs === undefined || l.timeMs >= opts.sinceTimeMs) &&
      (!opts.stream || opts.stream === 'All' || (opts.stream === 'Stdout') === (l.stream === 'stdout'));
    /** Returns false once limitBytes is reached. */
    const emit = async (lines: LogLine[]): Promise<boolean> => {
      for (const l of lines) {
        if (!wanted(l)) continue;
        const parts: Buffer[] = [];
        if (opts.timestamps) parts.push(Buffer.from(rfc3339Nano(l.time) + ' '));
        parts.push(l.text);
        if (!l.partial) parts.push(Buffer.from('\n'));
        let out = Buffer.concat(parts);
        if (out.length > remaining) out = out.subarray(0, remaining);
        remaining -= out.length;
        if (out.length) await sink.write(out);
        if (remaining <= 0) return false;
      }
      return true;
    };

    let pos = 0;
    const buf = Buffer.alloc(CHUNK);
    // The existing content first; with tailLines only its last N wanted lines.
    const initial: LogLine[] = [];
    const tail = opts.tailLines !== undefined && opts.tailLines >= 0 ? opts.tailLines : undefined;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const lines = decoder.push(Buffer.from(buf.subarray(0, bytesRead)));
      if (tail === undefined) {
        if (!(await emit(lines))) return;
      } else {
        for (const l of lines) if (wanted(l)) initial.push(l);
        if (initial.length > tail * 2 + 1024) initial.splice(0, initial.length - tail);
      }
      if (ctl.signal?.aborted) return;
    }
    if (tail !== undefined && !(await emit(initial.slice(Math.max(0, initial.length - tail))))) return;
    if (!opts.follow) {
      await emit(decoder.flush());
      return;
    }
    // Follow: poll for growth until the container exits or the client goes away.
    const pollMs = ctl.pollMs ?? 100;
    for (;;) {
      if (ctl.signal?.aborted) return;
      const size = (await stat(path).catch(() => undefined))?.size ?? pos;
      if (size > pos) {
        const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
        pos += bytesRead;
        if (!(await emit(decoder.push(Buffer.from(buf.subarray(0, bytesRead)))))) return;
        continue;
      }
      const running = ctl.isRunning ? await ctl.isRunning() : false;
      if (!running) {
        // Drain what the runtime wrote before the exit was seen.
        for (;;) {
          const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
          if (bytesRead === 0) break;
          pos += bytesRead;
          if (!(await emit(decoder.push(Buffer.from(buf.subarray(0, bytesRead)))))) return;
        }
        await emit(decoder.flush());
        return;
      }
      await sleep(pollMs, ctl.signal);
    }
  } finally {
    await fh.close();
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
