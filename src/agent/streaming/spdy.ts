// SPDY/3.1 as Kubernetes uses it for port-forward (kubectl's SPDY/3.1+portforward.k8s.io,
// tunneled inside WebSocket binary messages): the frame codec (SYN_STREAM, SYN_REPLY,
// RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE, DATA), header blocks compressed
// with zlib and the SPDY/3 dictionary (one compression context per direction, sync-flushed
// per block), and the server side of a session: it answers every SYN_STREAM with a SYN_REPLY,
// echoes the peer's pings and hands streams to the caller.
//
// Flow control: moby/spdystream (client-go's SPDY) neither sends WINDOW_UPDATE nor honours
// it, so neither does this session: WINDOW_UPDATE and SETTINGS are read and ignored.

import * as zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary.ts';

export const SPDY_VERSION = 3;
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

export const TYPE_SYN_STREAM = 1;
export const TYPE_SYN_REPLY = 2;
export const TYPE_RST_STREAM = 3;
export const TYPE_SETTINGS = 4;
export const TYPE_PING = 6;
export const TYPE_GOAWAY = 7;
export const TYPE_HEADERS = 8;
export const TYPE_WINDOW_UPDATE = 9;

/** RST_STREAM status codes. */
export const RST_PROTOCOL_ERROR = 1;
export const RST_REFUSED_STREAM = 3;
export const RST_CANCEL = 5;
export const RST_INTERNAL_ERROR = 6;

/** Header names (lower case) → values (several values are NUL-separated on the wire). */
export type SpdyHeaders = Map<string, string[]>;

/** A frame as read off the wire: control frames keep their payload undecoded here. */
export type RawFrame =
  | { control: true; type: number; flags: number; payload: Buffer }
  | { control: false; streamId: number; flags: number; data: Buffer };

/** Splits a byte stream into frames. Feed it whatever arrives; it keeps incomplete frames. */
export class SpdyFrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): RawFrame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: RawFrame[] = [];
    while (this.buf.length >= 8) {
      const length = this.buf.readUIntBE(5, 3);
      if (this.buf.length < 8 + length) break;
      const flags = this.buf[4]!;
      const body = Buffer.from(this.buf.subarray(8, 8 + length));
      if (this.buf[0]! & 0x80) {
        const version = this.buf.readUInt16BE(0) & 0x7fff;
        if (version !== SPDY_VERSION) throw new Error(`unsupported SPDY version ${version}`);
        out.push({ control: true, type: this.buf.readUInt16BE(2), flags, payload: body });
      } else {
        out.push({ control: false, streamId: this.buf.readUInt32BE(0) & 0x7fffffff, flags, data: body });
      }
      this.buf = this.buf.subarray(8 + length);
    }
    return out;
  }
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([h, payload]);
}

export function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(streamId & 0x7fffffff, 0);
  h.writeUInt32BE(((flags & 0xff) << 24) | data.length, 4);
  return Buffer.concat([h, data]);
}

export function rstStreamFrame(streamId: number, status: number): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(streamId & 0x7fffffff, 0);
  p.writeUInt32BE(status, 4);
  return controlFrame(TYPE_RST_STREAM, 0, p);
}

export function pingFrame(id: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(id >>> 0, 0);
  return controlFrame(TYPE_PING, 0, p);
}

export function goAwayFrame(lastGoodStreamId: number, status = 0): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(lastGoodStreamId & 0x7fffffff, 0);
  p.writeUInt32BE(status, 4);
  return controlFrame(TYPE_GOAWAY, 0, p);
}

/** The uncompressed name/value block: count, then length-prefixed names and values (32-bit). */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const parts: Buffer[] = [];
  const n = Buffer.alloc(4);
  n.writeUInt32BE(headers.size, 0);
  parts.push(n);
  for (const [name, values] of headers) {
    for (const s of [name.toLowerCase(), values.join('\0')]) {
      const b = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(b.length, 0);
      parts.push(len, b);
    }
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const out: SpdyHeaders = new Map();
  if (block.length < 4) throw new Error('SPDY header block too short');
  const count = block.readUInt32BE(0);
  let at = 4;
  const next = (): string => {
    if (at + 4 > block.length) throw new Error('SPDY header block truncated');
    const len = block.readUInt32BE(at);
    at += 4;
    if (at + len > block.length) throw new Error('SPDY header block truncated');
    const s = block.subarray(at, at + len).toString('utf8');
    at += len;
    return s;
  };
  for (let i = 0; i < count; i++) {
    const name = next().toLowerCase();
    const values = next().split('\0');
    out.set(name, [...(out.get(name) ?? []), ...values]);
  }
  return out;
}

/** One zlib context (deflate or inflate with the SPDY dictionary), sync-flushed per block, in order. */
class ZlibContext {
  private readonly z: zlib.Deflate | zlib.Inflate;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(kind: 'deflate' | 'inflate') {
    this.z = kind === 'deflate' ? zlib.createDeflate({ dictionary: SPDY3_DICTIONARY }) : zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
    this.z.on('error', () => {}); // reported through the pending call
  }

  run(input: Buffer): Promise<Buffer> {
    const p = this.chain.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          const onError = (e: Error) => reject(e);
          this.z.once('error', onError);
          this.z.write(input);
          this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
            this.z.off('error', onError);
            const chunks: Buffer[] = [];
            for (let c = this.z.read() as Buffer | null; c; c = this.z.read() as Buffer | null) chunks.push(c);
            resolve(Buffer.concat(chunks));
          });
        }),
    );
    this.chain = p.catch(() => {});
    return p;
  }

  close(): void {
    this.z.destroy();
  }
}

/** Compresses header blocks for one direction of a connection. */
export class HeaderCompressor {
  private readonly ctx = new ZlibContext('deflate');
  compress(headers: SpdyHeaders): Promise<Buffer> {
    return this.ctx.run(encodeHeaderBlock(headers));
  }
  close(): void {
    this.ctx.close();
  }
}

/** Decompresses header blocks for one direction of a connection. */
export class HeaderDecompressor {
  private readonly ctx = new ZlibContext('inflate');
  async decompress(data: Buffer): Promise<SpdyHeaders> {
    return decodeHeaderBlock(await this.ctx.run(data));
  }
  close(): void {
    this.ctx.close();
  }
}

export async function synStreamFrame(c: HeaderCompressor, streamId: number, headers: SpdyHeaders, flags = 0, priority = 0): Promise<Buffer> {
  const block = await c.compress(headers);
  const p = Buffer.alloc(10);
  p.writeUInt32BE(streamId & 0x7fffffff, 0);
  p.writeUInt32BE(0, 4); // associated-to stream
  p[8] = (priority & 0x7) << 5;
  p[9] = 0; // slot
  return controlFrame(TYPE_SYN_STREAM, flags, Buffer.concat([p, block]));
}

export async function synReplyFrame(c: HeaderCompressor, streamId: number, headers: SpdyHeaders, flags = 0): Promise<Buffer> {
  const block = await c.compress(headers);
  const p = Buffer.alloc(4);
  p.writeUInt32BE(streamId & 0x7fffffff, 0);
  return controlFrame(TYPE_SYN_REPLY, flags, Buffer.concat([p, block]));
}

/** One stream of a session, seen from the server. */
export class SpdyStream {
  readonly id: number;
  readonly headers: SpdyHeaders;
  private readonly session: SpdySession;
  /** Called with each DATA payload from the peer. */
  onData: (data: Buffer) => void = () => {};
  /** Called once when the peer half-closes (FIN) or the stream is reset / the session ends. */
  onEnd: () => void = () => {};
  remoteClosed = false;
  localClosed = false;

  constructor(session: SpdySession, id: number, headers: SpdyHeaders) {
    this.session = session;
    this.id = id;
    this.headers = headers;
  }

  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  /** Send data (split into frames of at most 32 KiB). */
  write(data: Buffer): void {
    if (this.localClosed) return;
    for (let at = 0; at < data.length; at += 32 * 1024) {
      this.session.send(dataFrame(this.id, 0, data.subarray(at, at + 32 * 1024)));
    }
  }

  /** Half-close our side (an empty DATA frame with FIN), as spdystream's Close does. */
  end(): void {
    if (this.localClosed) return;
    this.localClosed = true;
    this.session.send(dataFrame(this.id, FLAG_FIN, Buffer.alloc(0)));
    this.session.maybeForget(this);
  }

  reset(status = RST_CANCEL): void {
    this.localClosed = true;
    this.session.send(rstStreamFrame(this.id, status));
    this.remoteEnded();
  }

  /** @internal */
  remoteEnded(): void {
    if (this.remoteClosed) return;
    this.remoteClosed = true;
    this.onEnd();
    this.session.maybeForget(this);
  }
}

export interface SpdySessionOptions {
  /** Writes bytes to the peer (e.g. one WebSocket binary message per call). */
  write(bytes: Buffer): void;
  /** A new stream from the peer, after its SYN_REPLY went out (data may follow at once). */
  onStream(stream: SpdyStream): void;
  /** The session failed (protocol error); the caller should drop the connection. */
  onError?(err: Error): void;
  /** The peer sent GOAWAY. */
  onGoAway?(): void;
}

/** The server side of a SPDY/3.1 session over any byte transport. */
export class SpdySession {
  private readonly reader = new SpdyFrameReader();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly opts: SpdySessionOptions;
  /** Frames are handled strictly in order (header blocks decompress asynchronously). */
  private chain: Promise<void> = Promise.resolve();
  private lastStreamId = 0;
  private closed = false;

  constructor(opts: SpdySessionOptions) {
    this.opts = opts;
  }

  /** Feed bytes received from the peer. */
  receive(chunk: Buffer): void {
    if (this.closed) return;
    let frames: RawFrame[];
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    for (const f of frames) {
      this.chain = this.chain.then(() => this.handle(f)).catch((e) => this.fail(e as Error));
    }
  }

  /** @internal */
  send(bytes: Buffer): void {
    if (!this.closed) this.opts.write(bytes);
  }

  /** @internal */
  maybeForget(s: SpdyStream): void {
    if (s.localClosed && s.remoteClosed) this.streams.delete(s.id);
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** Tell the peer we are done, end every stream, release zlib. Idempotent. */
  close(sendGoAway = true): void {
    if (this.closed) return;
    if (sendGoAway) this.opts.write(goAwayFrame(this.lastStreamId));
    this.closed = true;
    for (const s of this.streams.values()) s.remoteEnded();
    this.streams.clear();
    this.compressor.close();
    this.decompressor.close();
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.opts.onError?.(err);
    this.close();
  }

  private async handle(f: RawFrame): Promise<void> {
    if (this.closed) return;
    if (!f.control) {
      const s = this.streams.get(f.streamId);
      if (!s) return;
      if (f.data.length) s.onData(f.data);
      if (f.flags & FLAG_FIN) s.remoteEnded();
      return;
    }
    const p = f.payload;
    switch (f.type) {
      case TYPE_SYN_STREAM: {
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const headers = await this.decompressor.decompress(p.subarray(10));
        if (id <= this.lastStreamId || id % 2 === 0) {
          this.send(rstStreamFrame(id, RST_PROTOCOL_ERROR));
          return;
        }
        this.lastStreamId = id;
        const s = new SpdyStream(this, id, headers);
        this.streams.set(id, s);
        this.send(await synReplyFrame(this.compressor, id, new Map()));
        if (f.flags & FLAG_UNIDIRECTIONAL) s.localClosed = true;
        this.opts.onStream(s);
        if (f.flags & FLAG_FIN) s.remoteEnded();
        return;
      }
      case TYPE_RST_STREAM: {
        const s = this.streams.get(p.readUInt32BE(0) & 0x7fffffff);
        if (s) {
          s.localClosed = true;
          s.remoteEnded();
        }
        return;
      }
      case TYPE_PING: {
        const id = p.readUInt32BE(0);
        if (id % 2 === 1) this.send(pingFrame(id)); // the client's ping: echo it
        return;
      }
      case TYPE_GOAWAY:
        this.opts.onGoAway?.();
        this.close(false);
        return;
      case TYPE_HEADERS: {
        await this.decompressor.decompress(p.subarray(4)); // keep the zlib context in step
        const s = this.streams.get(p.readUInt32BE(0) & 0x7fffffff);
        if (s && f.flags & FLAG_FIN) s.remoteEnded();
        return;
      }
      case TYPE_SYN_REPLY:
        await this.decompressor.decompress(p.subarray(4));
        return;
      default:
        return; // SETTINGS, WINDOW_UPDATE, NOOP, CREDENTIAL: nothing to do
    }
  }
}
