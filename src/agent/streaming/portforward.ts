// Port-forward sessions on an upgraded WebSocket, in both protocols clients speak:
// - the channel protocol (client-node; `ports` query): per port i, channel 2i carries data and
//   2i+1 errors, and our first message on each is the port (2 bytes, little-endian);
// - SPDY/3.1 tunneled in binary messages (kubectl 1.32, SPDY/3.1+portforward.k8s.io): the
//   client opens an error stream and a data stream per local connection, both carrying the
//   headers port, streamType and requestID; once both of a requestID arrived the pod port is
//   dialled and spliced to the data stream, failures are written to the error stream.
// Dialling is injected (`connect`), so both are tested against a local TCP echo server.

import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Logger } from '../../base/log.ts';
import { decodeFrame, encodeFrame, isBase64Protocol, portPrefix } from './channel.ts';
import { SpdySession, type SpdyStream, RST_PROTOCOL_ERROR } from './spdy.ts';

export type PortConnector = (port: number) => Promise<Duplex>;

export interface PortForwardTarget {
  /** "<name>_<namespace>" (the kubelet's pod full name), for error messages. */
  podFullName: string;
  podUid: string;
  connect: PortConnector;
  log: Logger;
}

function forwardError(t: PortForwardTarget, port: number, err: unknown): string {
  return `error forwarding port ${port} to pod ${t.podFullName}, uid ${t.podUid}: ${(err as Error)?.message ?? String(err)}`;
}

function asBuffer(d: unknown): Buffer {
  if (Buffer.isBuffer(d)) return d;
  if (Array.isArray(d)) return Buffer.concat(d as Buffer[]);
  return Buffer.from(d as ArrayBuffer);
}

/** Parse port lists ("80,8080" or repeated) into numbers; throws with the kubelet's wording. */
export function parsePorts(values: string[]): number[] {
  const ports: number[] = [];
  for (const v of values) {
    for (const s of v.split(',')) {
      if (s.trim() === '') continue;
      const n = Number(s.trim());
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`unable to parse "${s}" as a port`);
      if (n < 1) throw new Error(`port "${s}" must be > 0`);
      ports.push(n);
    }
  }
  return ports;
}

/** Serve the channel protocol for `ports`; closes the WebSocket once every connection ended. */
export function servePortForwardChannels(ws: WebSocket, protocol: string, ports: number[], t: PortForwardTarget): void {
  const base64 = isBase64Protocol(protocol);
  const send = (channel: number, data: Buffer) => {
    if (ws.readyState === ws.OPEN) ws.send(encodeFrame(channel, data, base64), { binary: !base64 });
  };
  const conns: (Duplex | undefined)[] = [];
  const pending: Buffer[][] = ports.map(() => []);
  const ended: boolean[] = ports.map(() => false);
  let open = ports.length;
  const done = (i: number) => {
    if (ended[i]) return;
    ended[i] = true;
    if (--open === 0 && ws.readyState === ws.OPEN) ws.close(1000);
  };
  ports.forEach((port, i) => {
    send(2 * i, portPrefix(port));
    send(2 * i + 1, portPrefix(port));
  });
  ports.forEach((port, i) => {
    t.connect(port).then(
      (conn) => {
        if (ws.readyState !== ws.OPEN) {
          conn.destroy();
          return;
        }
        conns[i] = conn;
        for (const b of pending[i]!) conn.write(b);
        pending[i] = [];
        conn.on('data', (d: Buffer) => send(2 * i, d));
        conn.on('error', (e) => send(2 * i + 1, Buffer.from(forwardError(t, port, e))));
        conn.on('close', () => done(i));
      },
      (e) => {
        send(2 * i + 1, Buffer.from(forwardError(t, port, e)));
        done(i);
      },
    );
  });
  ws.on('message', (msg, isBinary) => {
    const f = decodeFrame(isBinary ? asBuffer(msg) : asBuffer(msg).toString('latin1'), base64);
    if (!f || f.channel % 2 !== 0) return;
    const i = f.channel / 2;
    if (i >= ports.length || f.data.length === 0) return;
    const conn = conns[i];
    if (conn) conn.write(f.data);
    else pending[i]?.push(Buffer.from(f.data));
  });
  ws.on('close', () => {
    for (const c of conns) c?.destroy();
  });
}

interface StreamPair {
  data?: SpdyStream;
  error?: SpdyStream;
  /** data received on the data stream before the pod port was dialled */
  early: Buffer[];
  earlyEnd: boolean;
}

/** Serve kubectl's SPDY-over-WebSocket port-forward on `ws` until either side closes. */
export function servePortForwardSpdy(ws: WebSocket, t: PortForwardTarget): SpdySession {
  const pairs = new Map<string, StreamPair>();
  const conns = new Set<Duplex>();
  const session = new SpdySession({
    write: (b) => {
      if (ws.readyState === ws.OPEN) ws.send(b, { binary: true });
    },
    onError: (e) => {
      t.log.debug('port-forward: SPDY session failed', { error: e.message });
      ws.close(1002);
    },
    onStream: (s) => {
      const portStr = s.header('port');
      const type = s.header('streamtype');
      const port = Number(portStr);
      if (!portStr || !Number.isInteger(port) || port < 1 || port > 65535 || (type !== 'data' && type !== 'error')) {
        s.reset(RST_PROTOCOL_ERROR);
        return;
      }
      const requestId = s.header('requestid') ?? String(type === 'error' ? s.id : s.id - 2);
      let pair = pairs.get(requestId);
      if (!pair) {
        pair = { early: [], earlyEnd: false };
        pairs.set(requestId, pair);
      }
      if (pair[type]) {
        pair.error?.write(Buffer.from(`error processing stream for request ${requestId}: ${type} stream already assigned`));
        s.reset(RST_PROTOCOL_ERROR);
        return;
      }
      pair[type] = s;
      if (type === 'data') {
        const p = pair;
        s.onData = (d) => p.early.push(Buffer.from(d));
        s.onEnd = () => (p.earlyEnd = true);
      }
      if (pair.data && pair.error) {
        pairs.delete(requestId);
        forward(pair as Required<StreamPair>, port);
      }
    },
  });

  const forward = (pair: Required<StreamPair>, port: number) => {
    const { data, error } = pair;
    const finish = () => {
      data.end();
      error.end();
    };
    t.connect(port).then(
      (conn) => {
        if (session.openStreams === 0 && ws.readyState !== ws.OPEN) {
          conn.destroy();
          return;
        }
        conns.add(conn);
        for (const b of pair.early) conn.write(b);
        if (pair.earlyEnd) conn.end();
        data.onData = (d) => conn.write(d);
        data.onEnd = () => conn.end();
        conn.on('data', (d: Buffer) => data.write(d));
        conn.on('end', () => data.end());
        conn.on('error', (e) => error.write(Buffer.from(forwardError(t, port, e))));
        conn.on('close', () => {
          conns.delete(conn);
          finish();
        });
      },
      (e) => {
        error.write(Buffer.from(forwardError(t, port, e)));
        finish();
      },
    );
  };

  ws.on('message', (msg) => session.receive(asBuffer(msg)));
  ws.on('close', () => {
    session.close(false);
    for (const c of conns) c.destroy();
  });
  return session;
}
