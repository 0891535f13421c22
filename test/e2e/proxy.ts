// A loopback TCP proxy for end-to-end tests that need to break a client's connections to the
// server on demand. Bytes pass through untouched (TLS included, so the server certificate still
// matches 127.0.0.1); cut() destroys every open connection and resets new ones until resume().

import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** Port the proxy listens on (127.0.0.1). */
  readonly port: number;
  /** Connections accepted and forwarded so far. */
  readonly forwarded: number;
  /** Connections reset because they arrived while the proxy was cut. */
  readonly refused: number;
  /** Destroy every open connection (both sides) and reset new ones until resume(). */
  cut(): void;
  /** Forward new connections again. */
  resume(): void;
  /** Destroy every connection and stop listening. Idempotent. */
  close(): Promise<void>;
}

/** Listen on a free loopback port and forward each connection to 127.0.0.1:targetPort. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let blocked = false;
  let forwarded = 0;
  let refused = 0;
  const track = (s: Socket) => {
    open.add(s);
    s.once('close', () => open.delete(s));
    s.on('error', () => s.destroy()); // a reset peer is expected here; never crash the test
  };
  const server: Server = createServer((client) => {
    if (blocked) {
      refused++;
      client.on('error', () => {});
      client.resetAndDestroy();
      return;
    }
    forwarded++;
    const upstream = connect(targetPort, '127.0.0.1');
    track(client);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const destroyAll = () => {
    for (const s of open) s.destroy();
    open.clear();
  };
  let closed: Promise<void> | undefined;
  return {
    port,
    get forwarded() {
      return forwarded;
    },
    get refused() {
      return refused;
    },
    cut() {
      blocked = true;
      destroyAll();
    },
    resume() {
      blocked = false;
    },
    close() {
      return (closed ??= new Promise<void>((resolve) => {
        blocked = true;
        destroyAll();
        server.close(() => resolve());
      }));
    },
  };
}
