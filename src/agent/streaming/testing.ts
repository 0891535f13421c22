// Test helpers for the streaming server (not a test): an in-memory Runtime holding the
// sandboxes and containers a test puts in it, whose exec/attach run a test-supplied function
// and whose portForward dials a loopback port chosen by the test; and a throwaway CA with a
// serving and a client certificate for the agent's TLS.

import * as net from 'node:net';
import * as https from 'node:https';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import type { Duplex } from 'node:stream';
import { createCa, issueLeaf, loadCaSigner } from '../../apiserver/authn/certs.ts';
import {
  RuntimeError,
  type AttachOptions,
  type ContainerInfo,
  type ContainerStats,
  type ExecOptions,
  type ExecResult,
  type Runtime,
  type SandboxInfo,
} from '../runtime/types.ts';

export type ExecFn = (containerId: string, options: ExecOptions) => Promise<ExecResult>;

export class StreamingFakeRuntime implements Runtime {
  readonly name = 'fake';
  sandboxes: SandboxInfo[] = [];
  containers: ContainerInfo[] = [];
  exec: ExecFn = async () => ({ exitCode: 0 });
  attachFn: (id: string, o: AttachOptions) => Promise<void> = async () => {};
  /** sandbox id → where its "pod" ports are: port → loopback port that answers. */
  portMap = new Map<number, number>();
  stats = new Map<string, ContainerStats>();

  addSandbox(s: Partial<SandboxInfo> & { id: string; name: string; namespace: string }): SandboxInfo {
    const full: SandboxInfo = {
      podUid: `uid-${s.name}`,
      attempt: 0,
      state: 'ready',
      createdAt: Date.now(),
      hostsPath: '',
      resolvConfPath: '',
      hostnamePath: '',
      labels: {},
      annotations: {},
      ...s,
    };
    this.sandboxes.push(full);
    return full;
  }

  addContainer(c: Partial<ContainerInfo> & { id: string; sandboxId: string; name: string; logPath: string }): ContainerInfo {
    const sb = this.sandboxes.find((s) => s.id === c.sandboxId);
    const full: ContainerInfo = {
      podUid: sb?.podUid ?? '',
      attempt: 0,
      imageId: 'sha256:0',
      state: 'running',
      createdAt: Date.now(),
      labels: {},
      annotations: {},
      ...c,
    };
    this.containers.push(full);
    return full;
  }

  async runPodSandbox(): Promise<SandboxInfo> {
    throw new RuntimeError('Unsupported', 'fake');
  }
  async stopPodSandbox(): Promise<void> {}
  async removePodSandbox(): Promise<void> {}
  async listPodSandboxes(): Promise<SandboxInfo[]> {
    return this.sandboxes.map((s) => ({ ...s }));
  }
  async createContainer(): Promise<string> {
    throw new RuntimeError('Unsupported', 'fake');
  }
  async startContainer(): Promise<void> {}
  async stopContainer(): Promise<void> {}
  async removeContainer(): Promise<void> {}
  async listContainers(): Promise<ContainerInfo[]> {
    return this.containers.map((c) => ({ ...c }));
  }
  async containerStatus(id: string): Promise<ContainerInfo | undefined> {
    const c = this.containers.find((x) => x.id === id);
    return c ? { ...c } : undefined;
  }
  attach(id: string, options: AttachOptions): Promise<void> {
    return this.attachFn(id, options);
  }
  async portForward(sandboxId: string, port: number): Promise<Duplex> {
    if (!this.sandboxes.some((s) => s.id === sandboxId)) throw new RuntimeError('NotFound', `sandbox ${sandboxId} not found`);
    const target = this.portMap.get(port);
    if (target === undefined) throw new RuntimeError('NotFound', `connect: connection refused (port ${port})`);
    const sock = net.connect(target, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    return sock;
  }
  async containerStats(id: string): Promise<ContainerStats | undefined> {
    return this.stats.get(id);
  }
  async close(): Promise<void> {}
}

/** Exec that copies stdin to stdout, then exits with `code` once stdin ends. */
export function echoExec(code: number): ExecFn {
  return (_id, o) =>
    new Promise((resolve) => {
      if (!o.stdin) return resolve({ exitCode: code });
      o.stdin.on('data', (d: Buffer) => o.stdout?.write(d));
      o.stdin.on('end', () => resolve({ exitCode: code }));
      o.signal?.addEventListener('abort', () => resolve({ exitCode: 137, timedOut: true }), { once: true });
    });
}

/** A loopback TCP echo server; returns its port and a closer. */
export async function startEchoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export interface TestPki {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  clientCertPem: string;
  clientKeyPem: string;
}

/** A CA, a serving certificate for 127.0.0.1/localhost and a client certificate. */
export async function testPki(): Promise<TestPki> {
  const now = Date.now();
  const nb = new Date(now - 60_000);
  const na = new Date(now + 86_400_000);
  const ca = await createCa('streaming-test-ca', nb, na);
  const signer = await loadCaSigner(ca);
  const server = await issueLeaf(signer, { cn: 'agent', usage: 'server', hosts: ['127.0.0.1', 'localhost'], notBefore: nb, notAfter: na });
  const client = await issueLeaf(signer, { cn: 'kube-apiserver-kubelet-client', organizations: ['system:masters'], usage: 'client', notBefore: nb, notAfter: na });
  return { caPem: ca.certPem, serverCertPem: server.certPem, serverKeyPem: server.keyPem, clientCertPem: client.certPem, clientKeyPem: client.keyPem };
}

export interface RawUpgradeOptions {
  host: string;
  port: number;
  path: string;
  /** Sent verbatim as Sec-WebSocket-Protocol (ws's own client refuses "SPDY/3.1+…"). */
  protocol: string;
  tls: { ca: string; cert?: string; key?: string };
}

/**
 * A WebSocket client connection made by hand, so any Sec-WebSocket-Protocol can be offered, as
 * Go clients do. Resolves with the open socket and the protocol the server chose, or rejects
 * with "HTTP <status>: <body>".
 */
export function rawWebSocket(o: RawUpgradeOptions): Promise<{ ws: WebSocket; protocol: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: o.host,
      port: o.port,
      path: o.path,
      ca: o.tls.ca,
      cert: o.tls.cert,
      key: o.tls.key,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Protocol': o.protocol,
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => reject(new Error(`HTTP ${res.statusCode}: ${body}`)));
    });
    req.on('upgrade', (res, socket, head) => {
      // A client-role ws.WebSocket on the upgraded socket (masking on).
      const ws = new WebSocket(null as unknown as string, undefined, {});
      (ws as unknown as { _isServer: boolean })._isServer = false;
      (ws as unknown as { setSocket(s: unknown, h: Buffer, o: object): void }).setSocket(socket, head, { maxPayload: 0, skipUTF8Validation: true });
      resolve({ ws, protocol: String(res.headers['sec-websocket-protocol'] ?? '') });
    });
    req.on('error', reject);
    req.end();
  });
}
