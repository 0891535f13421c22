// The ProbeManager: runs the startup, liveness and readiness probes of running containers
// (exec, httpGet, tcpSocket, grpc) on an injected Clock, applies initialDelaySeconds,
// periodSeconds, timeoutSeconds, successThreshold and failureThreshold as upstream's prober
// workers do, and publishes per-container-instance results. A changed result calls onChange
// so the pod worker re-syncs; every failed attempt calls onFailure (the Unhealthy event).
//
// Semantics (upstream prober/worker.go): readiness starts false, liveness true, startup unset;
// liveness and readiness do not probe until the startup probe (if any) has succeeded; a
// succeeded startup probe stops probing; after a liveness or startup failure the worker holds
// until the container is replaced (results are keyed by container id, so a restart starts
// fresh). Jitter is left out so tests are deterministic. Sidecars (init containers with
// restartPolicy Always) are probed like regular containers; other init containers never are.

import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { Writable } from 'node:stream';
import type { KubeObject } from '../../api/types.ts';
import type { Logger } from '../../base/log.ts';
import { type Clock, type TimerHandle, deadlineSignal } from '../../client/clock.ts';
import type { Runtime } from '../runtime/types.ts';
import { isSidecar } from './plan.ts';

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

export interface ProbeOutcome {
  ok: boolean;
  /** Failure detail as the kubelet words it (event message after "<Kind> probe failed: "). */
  message?: string;
}

export interface ProbeManagerOptions {
  runtime: Pick<Runtime, 'exec'>;
  clock: Clock;
  log: Logger;
  /** A published result changed (the pod should be re-synced / its status regenerated). */
  onChange(podUid: string, containerId: string, kind: ProbeKind, ok: boolean): void;
  /** One probe attempt failed: the kubelet's Unhealthy event ("Liveness probe failed: ..."). */
  onFailure?(pod: KubeObject, containerName: string, kind: ProbeKind, message: string): void;
}

export interface RunningContainer {
  name: string;
  id: string;
  /** ms since epoch */
  startedAt: number;
}

const KIND_NAME: Record<ProbeKind, string> = { startup: 'Startup', liveness: 'Liveness', readiness: 'Readiness' };
const SPEC_FIELD: Record<ProbeKind, string> = { startup: 'startupProbe', liveness: 'livenessProbe', readiness: 'readinessProbe' };
const MAX_REDIRECTS = 10;

interface Results {
  startup?: boolean;
  liveness?: boolean;
  readiness?: boolean;
}

interface ProbeWorker {
  kind: ProbeKind;
  podUid: string;
  containerId: string;
  timer?: TimerHandle;
  lastOk?: boolean;
  run: number;
  onHold: boolean;
  stopped: boolean;
  abort: AbortController;
}

/** Execute one probe (pure I/O, no state): exported for direct tests. */
export async function runProbe(probe: any, target: { pod: KubeObject; container: any; containerId: string; podIP?: string }, runtime: Pick<Runtime, 'exec'>, clock: Clock, parent?: AbortSignal): Promise<ProbeOutcome> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  const d = deadlineSignal(clock, timeoutMs, parent);
  try {
    if (probe.exec) return await execProbe(probe.exec.command ?? [], target.containerId, runtime, d.signal);
    const host = (probe.httpGet?.host || probe.tcpSocket?.host || target.podIP || '127.0.0.1') as string;
    if (probe.httpGet) return await httpProbe(probe.httpGet, host, portOf(probe.httpGet.port, target.container), d.signal);
    if (probe.tcpSocket) return await tcpProbe(host, portOf(probe.tcpSocket.port, target.container), d.signal);
    if (probe.grpc) return await grpcProbe(target.podIP || '127.0.0.1', probe.grpc.port, probe.grpc.service ?? '', d.signal);
    return { ok: false, message: 'missing probe handler' };
  } finally {
    d.dispose();
  }
}

/** A port given by number, numeric string, or the name of one of the container's ports. */
export function portOf(port: unknown, container: any): number {
  if (typeof port === 'number') return port;
  if (typeof port === 'string' && /^\d+$/.test(port)) return Number(port);
  const named = (container.ports ?? []).find((p: any) => p.name === port);
  return named ? named.containerPort : -1;
}

async function execProbe(cmd: string[], containerId: string, runtime: Pick<Runtime, 'exec'>, signal: AbortSignal): Promise<ProbeOutcome> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      if (chunks.reduce((n, c) => n + c.length, 0) < 10_240) chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  try {
    const r = await runtime.exec(containerId, { cmd, tty: false, stdout: sink, stderr: sink, signal });
    if (r.timedOut || signal.aborted) return { ok: false, message: `command ${JSON.stringify(cmd.join(' '))} timed out` };
    const out = Buffer.concat(chunks).toString('utf8');
    return r.exitCode === 0 ? { ok: true } : { ok: false, message: out || `command ${JSON.stringify(cmd.join(' '))} exited with ${r.exitCode}` };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

function httpProbe(spec: any, host: string, port: number, signal: AbortSignal): Promise<ProbeOutcome> {
  const scheme = String(spec.scheme ?? 'HTTP').toLowerCase();
  let p = String(spec.path ?? '/');
  if (!p.startsWith('/')) p = '/' + p;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const url = new URL(`${scheme}://${hostPart}:${port}${p}`);
  const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32', Accept: '*/*' };
  for (const h of spec.httpHeaders ?? []) {
    if (h.name.toLowerCase() === 'host') headers.Host = h.value;
    else headers[h.name] = h.value;
  }
  return httpGet(url, headers, signal, 0);
}

function httpGet(url: URL, headers: Record<string, string>, signal: AbortSignal, redirects: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, { method: 'GET', headers, signal, rejectUnauthorized: false, agent: false }, (res) => {
      const code = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        if (chunks.length < 10) chunks.push(c);
      });
      res.on('error', () => resolve({ ok: false, message: 'response body read failed' }));
      res.on('end', () => {
        if (code >= 300 && code < 400 && res.headers.location) {
          const next = new URL(res.headers.location, url);
          // the kubelet follows redirects to the same host only; elsewhere it stops and counts success
          if (next.hostname === url.hostname && redirects < MAX_REDIRECTS && (next.protocol === 'http:' || next.protocol === 'https:')) {
            resolve(httpGet(next, headers, signal, redirects + 1));
            return;
          }
          resolve({ ok: true, message: 'Probe terminated redirects' });
          return;
        }
        if (code >= 200 && code < 400) resolve({ ok: true });
        else {
          const body = Buffer.concat(chunks).toString('utf8').slice(0, 1024);
          resolve({ ok: false, message: `HTTP probe failed with statuscode: ${code}${body ? '' : ''}` });
        }
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (signal.aborted) resolve({ ok: false, message: `Get "${url.href}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
      else resolve({ ok: false, message: `Get "${url.href}": dial tcp ${url.host}: connect: ${e.code === 'ECONNREFUSED' ? 'connection refused' : e.message}` });
    });
    req.end();
  });
}

function tcpProbe(host: string, port: number, signal: AbortSignal): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port, signal });
    sock.once('connect', () => {
      sock.destroy();
      resolve({ ok: true });
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      sock.destroy();
      const why = signal.aborted ? 'i/o timeout' : e.code === 'ECONNREFUSED' ? 'connect: connection refused' : e.message;
      resolve({ ok: false, message: `dial tcp ${host}:${port}: ${why}` });
    });
  });
}

const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** HealthCheckRequest { string service = 1; } */
export function encodeHealthCheckRequest(service: string): Buffer {
  if (!service) return Buffer.alloc(0);
  const bytes = Buffer.from(service, 'utf8');
  const len: number[] = [];
  let n = bytes.length;
  while (n > 0x7f) {
    len.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  len.push(n);
  return Buffer.concat([Buffer.from([0x0a, ...len]), bytes]);
}

/** HealthCheckResponse { ServingStatus status = 1; } → the status number (0 when absent). */
export function decodeHealthCheckResponse(buf: Buffer): number {
  let i = 0;
  let status = 0;
  const varint = () => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = buf[i++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return v;
      shift += 7;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) {
      const v = varint();
      if (field === 1) status = v;
    } else if (wire === 2) i += varint();
    else if (wire === 5) i += 4;
    else if (wire === 1) i += 8;
    else break;
  }
  return status;
}

async function grpcProbe(host: string, port: number, service: string, signal: AbortSignal): Promise<ProbeOutcome> {
  const grpc = await import('@grpc/grpc-js'); // loaded by the first gRPC probe only
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise<ProbeOutcome>((resolve) => {
    const call = client.makeUnaryRequest<string, number>(
      '/grpc.health.v1.Health/Check',
      (s: string) => encodeHealthCheckRequest(s),
      (b: Buffer) => decodeHealthCheckResponse(b),
      service,
      new grpc.Metadata({}),
      { deadline: Date.now() + 3_600_000 },
      (err, value) => {
        signal.removeEventListener('abort', onAbort);
        if (err) {
          const timeout = signal.aborted;
          resolve({ ok: false, message: timeout ? `timeout: health rpc did not complete within the timeout` : `error: health rpc probe failed: ${err.details || err.message}` });
        } else if (value === 1) resolve({ ok: true });
        else resolve({ ok: false, message: `service unhealthy (responded with "${SERVING_STATUS[value ?? 0] ?? value}")` });
      },
    );
    const onAbort = () => call.cancel();
    if (signal.aborted) call.cancel();
    else signal.addEventListener('abort', onAbort, { once: true });
  }).finally(() => client.close());
}

export class ProbeManager {
  private readonly o: ProbeManagerOptions;
  private readonly results = new Map<string, Results>();
  /** key `${containerId}/${kind}` */
  private readonly workers = new Map<string, ProbeWorker>();
  /** pod uid → container ids with workers */
  private readonly byPod = new Map<string, Set<string>>();
  private readonly targets = new Map<string, { pod: KubeObject; container: any; podIP?: string; startedAt: number }>();
  private closed = false;

  constructor(opts: ProbeManagerOptions) {
    this.o = opts;
  }

  /**
   * Make the probe workers match the running containers of `pod` (idempotent; call on every
   * sync). Containers no longer listed lose their workers and results.
   */
  sync(pod: KubeObject, podIP: string | undefined, running: RunningContainer[]): void {
    if (this.closed) return;
    const uid = pod.metadata.uid!;
    const want = new Set(running.map((r) => r.id));
    const have = this.byPod.get(uid) ?? new Set<string>();
    for (const id of have) if (!want.has(id)) this.removeContainer(id);
    // regular containers and sidecars (restartable init containers) have probes; init containers not
    const specs: any[] = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter(isSidecar)];
    for (const r of running) {
      const container = specs.find((c) => c.name === r.name);
      if (!container) continue;
      this.targets.set(r.id, { pod, container, podIP, startedAt: r.startedAt });
      have.add(r.id);
      for (const kind of ['startup', 'liveness', 'readiness'] as ProbeKind[]) {
        const probe = container[SPEC_FIELD[kind]];
        const key = `${r.id}/${kind}`;
        if (!probe || this.workers.has(key)) continue;
        const res = this.results.get(r.id) ?? {};
        if (kind === 'readiness') res.readiness = false;
        if (kind === 'liveness') res.liveness = true;
        this.results.set(r.id, res);
        const w: ProbeWorker = { kind, podUid: uid, containerId: r.id, run: 0, onHold: false, stopped: false, abort: new AbortController() };
        this.workers.set(key, w);
        const t = this.targets.get(r.id)!;
        const firstAt = t.startedAt + (probe.initialDelaySeconds ?? 0) * 1000;
        this.schedule(w, Math.max(0, firstAt - this.o.clock.now()));
      }
    }
    if (have.size) this.byPod.set(uid, have);
    else this.byPod.delete(uid);
  }

  /** Stop every probe of a pod and forget its results. */
  removePod(uid: string): void {
    for (const id of this.byPod.get(uid) ?? []) this.removeContainer(id);
    this.byPod.delete(uid);
  }

  livenessFailed(containerId: string): boolean {
    return this.results.get(containerId)?.liveness === false;
  }

  startupFailed(containerId: string): boolean {
    return this.results.get(containerId)?.startup === false;
  }

  started(containerId: string): boolean {
    return this.results.get(containerId)?.startup === true;
  }

  ready(containerId: string): boolean {
    return this.results.get(containerId)?.readiness === true;
  }

  /** Stop all workers (in-flight probes are aborted). */
  close(): void {
    this.closed = true;
    for (const uid of [...this.byPod.keys()]) this.removePod(uid);
  }

  private removeContainer(id: string): void {
    for (const kind of ['startup', 'liveness', 'readiness'] as ProbeKind[]) {
      const w = this.workers.get(`${id}/${kind}`);
      if (!w) continue;
      w.stopped = true;
      if (w.timer) this.o.clock.clearTimeout(w.timer);
      w.abort.abort();
      this.workers.delete(`${id}/${kind}`);
    }
    this.results.delete(id);
    this.targets.delete(id);
  }

  private schedule(w: ProbeWorker, ms: number): void {
    if (w.stopped) return;
    w.timer = this.o.clock.setTimeout(() => {
      w.timer = undefined;
      void this.tick(w);
    }, ms);
  }

  private async tick(w: ProbeWorker): Promise<void> {
    const t = this.targets.get(w.containerId);
    if (!t || w.stopped) return;
    const probe = t.container[SPEC_FIELD[w.kind]];
    const period = (probe.periodSeconds ?? 10) * 1000;
    const res = this.results.get(w.containerId) ?? {};
    const gated = w.kind !== 'startup' && t.container.startupProbe && res.startup !== true;
    const done = w.kind === 'startup' && res.startup === true;
    if (!gated && !done && !w.onHold) {
      let outcome: ProbeOutcome;
      try {
        outcome = await runProbe(probe, { pod: t.pod, container: t.container, containerId: w.containerId, podIP: t.podIP }, this.o.runtime, this.o.clock, w.abort.signal);
      } catch (e) {
        outcome = { ok: false, message: (e as Error).message };
      }
      if (w.stopped) return;
      this.record(w, probe, t.pod, t.container.name, outcome);
      if (w.kind === 'startup' && this.results.get(w.containerId)?.startup === true) return; // startup done: stop probing
    }
    this.schedule(w, period);
  }

  private record(w: ProbeWorker, probe: any, pod: KubeObject, containerName: string, outcome: ProbeOutcome): void {
    if (!outcome.ok) this.o.onFailure?.(pod, containerName, w.kind, `${KIND_NAME[w.kind]} probe failed: ${outcome.message ?? ''}`.trimEnd());
    if (w.lastOk === outcome.ok) w.run++;
    else {
      w.lastOk = outcome.ok;
      w.run = 1;
    }
    const threshold = outcome.ok ? (probe.successThreshold ?? 1) : (probe.failureThreshold ?? 3);
    if (w.run < threshold) return;
    const res = this.results.get(w.containerId) ?? {};
    const prev = res[w.kind];
    res[w.kind] = outcome.ok;
    this.results.set(w.containerId, res);
    if (!outcome.ok && (w.kind === 'liveness' || w.kind === 'startup')) {
      w.onHold = true; // until the container is replaced
      w.run = 0;
    }
    if (prev !== outcome.ok) {
      this.o.log.debug('probe result changed', { kind: w.kind, container: containerName, ok: outcome.ok });
      this.o.onChange(w.podUid, w.containerId, w.kind, outcome.ok);
    }
  }
}
