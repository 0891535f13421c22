// An in-memory Runtime for pod worker tests: sandboxes and containers are records, a started
// container runs until the test ends it (exit()) or a script makes it exit at once, exec
// answers from a handler, and every call is logged. Time comes from the injected clock.

import type { Duplex } from 'node:stream';
import type { Clock } from '../../client/clock.ts';
import {
  type AttachOptions, type ContainerConfig, type ContainerInfo, type ContainerStats, type ExecOptions, type ExecResult,
  type ListFilter, type PodSandboxConfig, type Runtime, RuntimeError, type SandboxInfo,
} from '../runtime/types.ts';

export interface FakeStartScript {
  /** Exit right after start with this code. */
  exitCode?: number;
  reason?: string;
  /** startContainer rejects with StartFailed and this message. */
  startError?: string;
  /** createContainer rejects with CreateFailed and this message. */
  createError?: string;
  /** stopContainer: exit code when the container honours the stop signal (default 143; 137 when ignoring it). */
  ignoreStopSignal?: boolean;
}

export class FakeRuntime implements Runtime {
  readonly name = 'fake';
  readonly calls: string[] = [];
  readonly sandboxes = new Map<string, SandboxInfo>();
  readonly containers = new Map<string, ContainerInfo & { config: ContainerConfig }>();
  /** What happens when a container starts (by container name); default: keeps running. */
  script: (config: ContainerConfig, sandbox: SandboxInfo) => FakeStartScript = () => ({});
  /** exec handler; default exit 0. */
  execHandler: (id: string, options: ExecOptions) => Promise<ExecResult> | ExecResult = () => ({ exitCode: 0 });
  /** Grace periods passed to stopContainer, by container name. */
  readonly stopGrace: { name: string; grace: number }[] = [];
  private seq = 0;
  private readonly clock: Clock;
  private ipSeq = 2;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<SandboxInfo> {
    const id = `sb${++this.seq}`;
    this.calls.push(`runPodSandbox ${config.name} ${config.attempt}`);
    const info: SandboxInfo = {
      id, podUid: config.podUid, name: config.name, namespace: config.namespace, attempt: config.attempt, state: 'ready', createdAt: this.clock.now() + this.seq / 1000,
      ip: config.hostNetwork ? undefined : `10.88.0.${this.ipSeq++}`, netnsPath: config.hostNetwork ? undefined : `/run/netns/${id}`,
      hostsPath: `/fake/${id}/hosts`, resolvConfPath: `/fake/${id}/resolv.conf`, hostnamePath: `/fake/${id}/hostname`, labels: config.labels, annotations: config.annotations,
    };
    this.sandboxes.set(id, info);
    return { ...info };
  }

  async stopPodSandbox(id: string): Promise<void> {
    this.calls.push(`stopPodSandbox ${id}`);
    const sb = this.sandboxes.get(id);
    if (!sb) return;
    for (const c of this.containers.values()) if (c.sandboxId === id && c.state === 'running') this.finish(c, 137, 'Error');
    sb.state = 'notready';
  }

  async removePodSandbox(id: string): Promise<void> {
    this.calls.push(`removePodSandbox ${id}`);
    for (const [cid, c] of this.containers) if (c.sandboxId === id) this.containers.delete(cid);
    this.sandboxes.delete(id);
  }

  async listPodSandboxes(filter?: ListFilter): Promise<SandboxInfo[]> {
    return [...this.sandboxes.values()].filter((s) => !filter?.podUid || s.podUid === filter.podUid).map((s) => ({ ...s }));
  }

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    const sb = this.sandboxes.get(sandboxId);
    if (!sb) throw new RuntimeError('NotFound', `sandbox ${sandboxId} not found`);
    const s = this.script(config, sb);
    if (s.createError) throw new RuntimeError('CreateFailed', s.createError);
    const id = `c${++this.seq}`;
    this.calls.push(`createContainer ${config.name} ${config.attempt}`);
    this.containers.set(id, {
      id, sandboxId, podUid: sb.podUid, name: config.name, attempt: config.attempt, imageId: config.imageId, state: 'created',
      createdAt: this.clock.now() + this.seq / 1000, logPath: config.logPath, labels: config.labels, annotations: config.annotations, config,
    });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `container ${id} not found`);
    const s = this.script(c.config, this.sandboxes.get(c.sandboxId)!);
    this.calls.push(`startContainer ${c.name}`);
    if (s.startError) {
      this.finish(c, 128, 'StartError', s.startError);
      throw new RuntimeError('StartFailed', s.startError);
    }
    c.state = 'running';
    c.startedAt = this.clock.now();
    if (s.exitCode !== undefined) this.finish(c, s.exitCode, s.reason);
  }

  /** Test helper: make a running container exit. */
  exit(id: string, exitCode: number, reason?: string): void {
    const c = this.containers.get(id);
    if (c && c.state === 'running') this.finish(c, exitCode, reason);
  }

  /** Test helper: the newest instance of a container of a pod. */
  latest(podUid: string, name: string): (ContainerInfo & { config: ContainerConfig }) | undefined {
    return [...this.containers.values()].filter((c) => c.podUid === podUid && c.name === name).sort((a, b) => b.createdAt - a.createdAt)[0];
  }

  private finish(c: ContainerInfo, exitCode: number, reason?: string, message?: string): void {
    c.state = 'exited';
    c.exitCode = exitCode;
    c.finishedAt = this.clock.now();
    c.startedAt ??= c.finishedAt;
    c.reason = reason ?? (exitCode === 0 ? 'Completed' : 'Error');
    if (message) c.message = message;
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    this.calls.push(`stopContainer ${c.name} ${graceSeconds}`);
    this.stopGrace.push({ name: c.name, grace: graceSeconds });
    if (c.state !== 'running') return;
    const s = this.script(c.config, this.sandboxes.get(c.sandboxId)!);
    this.finish(c, s.ignoreStopSignal ? 137 : 143, 'Error');
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (c) this.calls.push(`removeContainer ${c.name}`);
    this.containers.delete(id);
  }

  async listContainers(filter?: ListFilter): Promise<ContainerInfo[]> {
    return [...this.containers.values()].filter((c) => !filter?.podUid || c.podUid === filter.podUid).map(({ config: _c, ...info }) => ({ ...info }));
  }

  async containerStatus(id: string): Promise<ContainerInfo | undefined> {
    const c = this.containers.get(id);
    if (!c) return undefined;
    const { config: _c, ...info } = c;
    return { ...info };
  }

  async exec(id: string, options: ExecOptions): Promise<ExecResult> {
    const c = this.containers.get(id);
    if (!c || c.state !== 'running') throw new RuntimeError('ExecFailed', `container ${id} is not running`);
    this.calls.push(`exec ${c.name} ${options.cmd.join(' ')}`);
    return this.execHandler(id, options);
  }

  async attach(_id: string, _options: AttachOptions): Promise<void> {
    throw new RuntimeError('Unsupported', 'fake runtime: attach');
  }

  async portForward(_sandboxId: string, _port: number): Promise<Duplex> {
    throw new RuntimeError('Unsupported', 'fake runtime: portForward');
  }

  async containerStats(_id: string): Promise<ContainerStats | undefined> {
    return undefined;
  }

  async close(): Promise<void> {}
}
