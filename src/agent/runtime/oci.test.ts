// Real containers: crun + conmon as root, busybox rootfs, sandboxes with their own namespaces.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { silentLogger } from '../../base/log.ts';
import type { PodNetwork, PodNetworkRef } from '../network/types.ts';
import { CniNetwork } from '../network/cni.ts';
import { Cgroups } from './cgroups.ts';
import { OciRuntime } from './oci.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ContainerConfig, ContainerInfo, PodSandboxConfig } from './types.ts';

const run = promisify(execFile);

const missing = ['/usr/bin/crun', '/usr/bin/conmon', '/usr/bin/busybox'].filter((f) => !existsSync(f));
const skip = process.getuid?.() !== 0 ? 'needs root' : missing.length ? `missing ${missing.join(', ')}` : false;

/** A PodNetwork that only brings lo up in the netns and hands out a fixed address. */
class FakeNetwork implements PodNetwork {
  setUps: string[] = [];
  tearDowns: string[] = [];
  async setUp(ref: PodNetworkRef, netnsPath: string) {
    await run('nsenter', [`--net=${netnsPath}`, 'ip', 'link', 'set', 'lo', 'up']);
    this.setUps.push(ref.sandboxId);
    return { ip: '10.255.254.2', gateway: '10.255.254.1' };
  }
  async tearDown(ref: PodNetworkRef) {
    this.tearDowns.push(ref.sandboxId);
  }
  async destroy() {}
}

interface Env {
  rt: OciRuntime;
  root: string;
  cgroupRoot: string;
  layers: string[];
  logDir: string;
  net: FakeNetwork;
}

async function makeImage(dir: string): Promise<string[]> {
  const l1 = path.join(dir, 'layer1');
  const l2 = path.join(dir, 'layer2');
  await fsp.mkdir(path.join(l1, 'bin'), { recursive: true });
  for (const d of ['etc', 'proc', 'sys', 'dev', 'tmp', 'root']) await fsp.mkdir(path.join(l1, d), { recursive: true });
  await fsp.copyFile('/usr/bin/busybox', path.join(l1, 'bin', 'busybox'));
  await fsp.chmod(path.join(l1, 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'echo', 'sleep', 'cat', 'ls', 'wget', 'httpd', 'hostname', 'readlink', 'head', 'tr', 'tty', 'id', 'true']) {
    await fsp.symlink('busybox', path.join(l1, 'bin', a));
  }
  await fsp.writeFile(path.join(l1, 'etc', 'marker'), 'lower\n');
  await fsp.mkdir(path.join(l2, 'etc'), { recursive: true });
  await fsp.writeFile(path.join(l2, 'etc', 'marker'), 'upper\n');
  return [l1, l2];
}

async function setup(t: TestContext): Promise<Env> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'skiff-rt-'));
  const cgroupRoot = `/skiff-rt-test-${randomBytes(4).toString('hex')}`;
  const layers = await makeImage(path.join(root, 'image'));
  const net = new FakeNetwork();
  const rt = new OciRuntime({ root: path.join(root, 'runtime'), network: net, cgroupRoot, log: silentLogger });
  const env = { rt, root, cgroupRoot, layers, logDir: path.join(root, 'logs'), net };
  t.after(() => teardown(env));
  return env;
}

async function teardown(env: Env): Promise<void> {
  const fresh = new OciRuntime({ root: path.join(env.root, 'runtime'), network: env.net, cgroupRoot: env.cgroupRoot, log: silentLogger });
  for (const s of await fresh.listPodSandboxes()) await fresh.removePodSandbox(s.id);
  await fresh.discardWarmSandboxes();
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  const leaked = mountinfo.split('\n').filter((l) => l.includes(env.root));
  const cg = new Cgroups();
  const cgLeft: string[] = [];
  for (const dir of await cg.existing(env.cgroupRoot)) {
    for (const e of await fsp.readdir(dir, { withFileTypes: true })) if (e.isDirectory()) cgLeft.push(path.join(dir, e.name));
  }
  await cg.remove(env.cgroupRoot).catch(() => undefined);
  await fsp.rm(env.root, { recursive: true, force: true });
  assert.deepEqual(leaked, [], 'mounts left behind');
  assert.deepEqual(cgLeft, [], 'cgroups left behind');
}

function sandboxConfig(over: Partial<PodSandboxConfig> = {}): PodSandboxConfig {
  return {
    podUid: randomBytes(8).toString('hex'), name: 'pod', namespace: 'default', attempt: 0, hostname: 'mypod',
    hostNetwork: false, dns: { servers: ['10.96.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] },
    hostAliases: [{ ip: '1.2.3.4', hostnames: ['alias.example'] }], portMappings: [], cgroupParent: '', labels: { a: 'b' }, annotations: {},
    ...over,
  };
}

function containerConfig(env: Env, name: string, args: string[], over: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    name, attempt: 0, imageId: 'sha256:test', imageLayers: env.layers, args, env: ['PATH=/bin'], workingDir: '/',
    uid: 0, gid: 0, additionalGids: [], mounts: [], resources: {},
    security: { privileged: false, readOnlyRootfs: false, capabilitiesAdd: [], capabilitiesDrop: [], noNewPrivileges: false },
    tty: false, stdin: false, stdinOnce: false, stopSignal: 'SIGTERM', logPath: path.join(env.logDir, name, '0.log'),
    labels: { container: name }, annotations: {},
    ...over,
  };
}

async function waitFor<T>(fn: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function waitExited(rt: OciRuntime, id: string): Promise<ContainerInfo> {
  return waitFor(async () => {
    const s = await rt.containerStatus(id);
    return s?.state === 'exited' ? s : undefined;
  });
}

async function execOut(rt: OciRuntime, id: string, cmd: string[]): Promise<{ exitCode: number; out: string }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (b: Buffer) => chunks.push(b));
  const r = await rt.exec(id, { cmd, tty: false, stdout: out, stderr: out });
  return { exitCode: r.exitCode, out: Buffer.concat(chunks).toString() };
}

test('a container runs to exit code 3: reason Error, CRI log lines, timestamps, overlay layer order', { skip }, async (t) => {
  const env = await setup(t);
  const sb = await env.rt.runPodSandbox(sandboxConfig());
  assert.equal(sb.ip, '10.255.254.2');
  assert.equal(sb.state, 'ready');
  assert.match(readFileSync(sb.hostsPath, 'utf8'), /10\.255\.254\.2\tmypod\n/);
  assert.match(readFileSync(sb.hostsPath, 'utf8'), /1\.2\.3\.4\talias\.example/);
  assert.equal(readFileSync(sb.resolvConfPath, 'utf8'), 'search default.svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n');

  const t0 = performance.now();
  const id = await env.rt.createContainer(sb.id, containerConfig(env, 'c3', ['/bin/sh', '-c', 'cat /etc/marker; echo oops >&2; exit 3']));
  const t1 = performance.now();
  assert.equal((await env.rt.containerStatus(id))?.state, 'created');
  await env.rt.startContainer(id);
  const t2 = performance.now();
  t.diagnostic(`create ${(t1 - t0).toFixed(1)} ms, start ${(t2 - t1).toFixed(1)} ms, create+start ${(t2 - t0).toFixed(1)} ms`);

  const st = await waitExited(env.rt, id);
  assert.equal(st.exitCode, 3);
  assert.equal(st.reason, 'Error');
  assert.ok(st.startedAt! <= st.finishedAt!);
  assert.equal(st.labels.container, 'c3');
  const log = readFileSync(st.logPath, 'utf8');
  assert.match(log, /^\S+ stdout F upper$/m);
  assert.match(log, /^\S+ stderr F oops$/m);
  const listed = await env.rt.listContainers();
  assert.deepEqual(listed.map((c) => [c.id, c.state]), [[id, 'exited']]);
  assert.deepEqual((await env.rt.listContainers({ podUid: sb.podUid })).map((c) => c.id), [id]);
  assert.deepEqual(await env.rt.listContainers({ podUid: 'another-pod' }), []);
  assert.deepEqual((await env.rt.listPodSandboxes({ podUid: sb.podUid })).map((s) => s.id), [sb.id]);
  assert.deepEqual(await env.rt.listPodSandboxes({ podUid: 'another-pod' }), []);

  await env.rt.removeContainer(id);
  await env.rt.removeContainer(id); // idempotent
  assert.equal(await env.rt.containerStatus(id), undefined);
  assert.ok(existsSync(st.logPath), 'the log file is kept');
  assert.deepEqual(await fsp.readdir(path.join(env.root, 'runtime', 'sock')), [], 'conmon socket links removed');
  assert.deepEqual(await fsp.readdir(path.join(env.root, 'runtime', 'exits')), []);
  await env.rt.stopPodSandbox(sb.id);
  assert.deepEqual(env.net.tearDowns, [sb.id]);
  assert.equal((await env.rt.listPodSandboxes())[0].state, 'notready');
  await env.rt.removePodSandbox(sb.id);
  await env.rt.removePodSandbox(sb.id);
  assert.deepEqual(await env.rt.listPodSandboxes(), []);
});

test('a container over its 32Mi memory limit is OOMKilled with exit code 137', { skip }, async (t) => {
  const env = await setup(t);
  const sb = await env.rt.runPodSandbox(sandboxConfig({ hostNetwork: true }));
  const id = await env.rt.createContainer(sb.id, containerConfig(env, 'hog', ['/bin/sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'], {
    resources: { memoryLimitBytes: 32 * 1024 * 1024 },
  }));
  await env.rt.startContainer(id);
  const st = await waitExited(env.rt, id);
  assert.equal(st.exitCode, 137);
  assert.equal(st.reason, 'OOMKilled');
});

test('stopContainer: a TERM-trapping shell exits 0 quickly, a TERM-ignoring one is killed at the grace', { skip }, async (t) => {
  const env = await setup(t);
  const sb = await env.rt.runPodSandbox(sandboxConfig({ hostNetwork: true }));
  const trap = await env.rt.createContainer(sb.id, containerConfig(env, 'trap', ['/bin/sh', '-c', 'trap "echo got term; exit 0" TERM; echo ready; while true; do sleep 0.1; done']));
  const ignore = await env.rt.createContainer(sb.id, containerConfig(env, 'ignore', ['/bin/sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 0.1; done']));
  await env.rt.startContainer(trap);
  await env.rt.startContainer(ignore);
  for (const c of [['trap', trap], ['ignore', ignore]]) {
    await waitFor(async () => existsSync(path.join(env.logDir, c[0], '0.log')) && readFileSync(path.join(env.logDir, c[0], '0.log'), 'utf8').includes('ready'));
    assert.equal((await env.rt.containerStatus(c[1]))?.state, 'running');
  }
  let t0 = Date.now();
  await env.rt.stopContainer(trap, 10);
  const trapMs = Date.now() - t0;
  const ts = (await env.rt.containerStatus(trap))!;
  assert.equal(ts.exitCode, 0);
  assert.equal(ts.reason, 'Completed');
  assert.ok(trapMs < 3000, `trap stop took ${trapMs} ms`);

  t0 = Date.now();
  await env.rt.stopContainer(ignore, 1);
  const ignMs = Date.now() - t0;
  const is = (await env.rt.containerStatus(ignore))!;
  assert.equal(is.exitCode, 137);
  assert.ok(ignMs >= 1000 && ignMs < 4000, `ignore stop took ${ignMs} ms`);
  t.diagnostic(`TERM trap stop ${trapMs} ms, TERM-ignoring stop at grace 1 s: ${ignMs} ms`);
  await env.rt.stopContainer(ignore, 1); // idempotent
});

test('two containers of a pod share hostname, UTS, IPC and /dev/shm; exec returns exit codes and output', { skip }, async (t) => {
  const env = await setup(t);
  const sb = await env.rt.runPodSandbox(sandboxConfig());
  const loop = ['/bin/sh', '-c', 'while true; do sleep 0.2; done'];
  const a = await env.rt.createContainer(sb.id, containerConfig(env, 'a', loop));
  const b = await env.rt.createContainer(sb.id, containerConfig(env, 'b', loop));
  await env.rt.startContainer(a);
  await env.rt.startContainer(b);

  const ha = await execOut(env.rt, a, ['hostname']);
  assert.deepEqual(ha, { exitCode: 0, out: 'mypod\n' });
  assert.equal((await execOut(env.rt, b, ['hostname'])).out, 'mypod\n');
  for (const ns of ['ipc', 'uts', 'net']) {
    const na = await execOut(env.rt, a, ['readlink', `/proc/self/ns/${ns}`]);
    const nb = await execOut(env.rt, b, ['readlink', `/proc/self/ns/${ns}`]);
    assert.equal(na.out, nb.out, ns);
  }
  const pa = await execOut(env.rt, a, ['readlink', '/proc/self/ns/pid']);
  const pb = await execOut(env.rt, b, ['readlink', '/proc/self/ns/pid']);
  assert.notEqual(pa.out, pb.out, 'each container has its own pid namespace');
  assert.equal((await execOut(env.rt, a, ['sh', '-c', 'echo shared > /dev/shm/x'])).exitCode, 0);
  assert.deepEqual(await execOut(env.rt, b, ['cat', '/dev/shm/x']), { exitCode: 0, out: 'shared\n' });
  assert.match((await execOut(env.rt, b, ['cat', '/etc/hosts'])).out, /10\.255\.254\.2\tmypod/);
  assert.deepEqual(await execOut(env.rt, a, ['sh', '-c', 'echo to-stdout; exit 7']), { exitCode: 7, out: 'to-stdout\n' });

  // stdin is piped through
  const input = new PassThrough();
  const out = new PassThrough();
  let got = '';
  out.on('data', (d: Buffer) => { got += d.toString(); });
  const p = env.rt.exec(a, { cmd: ['cat'], tty: false, stdin: input, stdout: out });
  input.end('piped\n');
  assert.equal((await p).exitCode, 0);
  assert.equal(got, 'piped\n');

  // a tty exec has a terminal
  const tout = new PassThrough();
  let tgot = '';
  tout.on('data', (d: Buffer) => { tgot += d.toString(); });
  const tr = await env.rt.exec(a, { cmd: ['tty'], tty: true, stdout: tout });
  assert.equal(tr.exitCode, 0);
  assert.match(tgot, /\/dev\/pts\/\d+/);

  // a tty exec follows the client's terminal size
  const sout = new PassThrough();
  let sgot = '';
  sout.on('data', (d: Buffer) => { sgot += d.toString(); });
  async function* sizes() {
    yield { width: 91, height: 27 };
  }
  const script = 'i=0; while [ "$(stty size 2>/dev/null)" != "27 91" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; stty size';
  const sized = await env.rt.exec(a, { cmd: ['sh', '-c', script], tty: true, stdout: sout, resize: sizes() });
  assert.equal(sized.exitCode, 0);
  assert.match(sgot, /^27 91\r?$/m);

  // abort kills the exec'd process
  const ac = new AbortController();
  const slow = env.rt.exec(a, { cmd: ['sleep', '30'], tty: false, signal: ac.signal });
  setTimeout(() => ac.abort(), 200);
  const sr = await slow;
  assert.equal(sr.timedOut, true);
  assert.notEqual(sr.exitCode, 0);

  const stats = await env.rt.containerStats(a);
  assert.ok(stats && stats.cpuUsageNanoSeconds > 0 && stats.memoryUsageBytes > 0);
  assert.ok(stats.rootfsUsedBytes === 0);

  await env.rt.stopPodSandbox(sb.id);
  const states = (await env.rt.listContainers()).map((c) => [c.name, c.state, c.exitCode]).sort();
  assert.deepEqual(states, [['a', 'exited', 137], ['b', 'exited', 137]]);
});

test('a new runtime instance on the same root adopts a running container and sees it exit', { skip }, async (t) => {
  const env = await setup(t);
  const sb = await env.rt.runPodSandbox(sandboxConfig({ hostNetwork: true }));
  const flag = path.join(env.root, 'go');
  await fsp.mkdir(flag);
  const id = await env.rt.createContainer(sb.id, containerConfig(env, 'long', ['/bin/sh', '-c', 'echo up; while [ ! -e /flag/go ]; do sleep 0.05; done; exit 4'], {
    mounts: [{ containerPath: '/flag', hostPath: flag, readOnly: true }],
  }));
  await env.rt.startContainer(id);
  const before = (await env.rt.containerStatus(id))!;
  await env.rt.close();

  const again = new OciRuntime({ root: path.join(env.root, 'runtime'), network: env.net, cgroupRoot: env.cgroupRoot, log: silentLogger });
  const [sb2] = await again.listPodSandboxes();
  assert.equal(sb2.id, sb.id);
  const listed = await again.listContainers();
  assert.equal(listed.length, 1);
  assert.equal(listed[0].id, id);
  assert.equal(listed[0].state, 'running');
  assert.equal(listed[0].pid, before.pid);
  assert.equal(listed[0].startedAt, before.startedAt);

  await fsp.writeFile(path.join(flag, 'go'), '');
  const st = await waitExited(again, id);
  assert.equal(st.exitCode, 4);
  assert.equal(st.reason, 'Error');
  await again.removePodSandbox(sb.id);
});

test('a missing executable fails startContainer and leaves an exited container', { skip }, async (t) => {
  const env = await setup(t);
  const sb = await env.rt.runPodSandbox(sandboxConfig({ hostNetwork: true }));
  const id = await env.rt.createContainer(sb.id, containerConfig(env, 'nope', ['/bin/does-not-exist']));
  await assert.rejects(env.rt.startContainer(id), (e: Error & { code?: string }) => e.code === 'StartFailed');
  const st = (await env.rt.containerStatus(id))!;
  assert.equal(st.state, 'exited');
  assert.equal(st.reason, 'StartError');
  await assert.rejects(env.rt.createContainer('nope', containerConfig(env, 'x', ['true'])), (e: Error & { code?: string }) => e.code === 'NotFound');
});

test('attach follows the container output until it exits; portForward reaches a hostNetwork pod on loopback', { skip }, async (t) => {
  const env = await setup(t);
  const sb = await env.rt.runPodSandbox(sandboxConfig({ hostNetwork: true }));
  assert.equal(sb.netnsPath, undefined);
  assert.equal(sb.ip, undefined);
  assert.deepEqual(env.net.setUps, [], 'no CNI for hostNetwork');
  assert.match(readFileSync(sb.hostsPath, 'utf8'), /alias\.example/);

  const id = await env.rt.createContainer(sb.id, containerConfig(env, 'ticker', ['/bin/sh', '-c', 'i=0; while [ $i -lt 20 ]; do echo tick $i; i=$((i+1)); sleep 0.05; done; echo bye >&2']));
  await env.rt.startContainer(id);
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d: Buffer) => { o += d.toString(); });
  err.on('data', (d: Buffer) => { e += d.toString(); });
  await env.rt.attach(id, { tty: false, stdout: out, stderr: err });
  assert.match(o, /tick 19\n$/);
  assert.equal(e, 'bye\n');

  const www = path.join(env.root, 'www');
  await fsp.mkdir(www);
  await fsp.writeFile(path.join(www, 'index.html'), 'hello from httpd\n');
  const port = 20000 + Math.floor(Math.random() * 30000);
  const web = await env.rt.createContainer(sb.id, containerConfig(env, 'web', ['/bin/httpd', '-f', '-p', `127.0.0.1:${port}`, '-h', '/www'], {
    mounts: [{ containerPath: '/www', hostPath: www, readOnly: true }],
  }));
  await env.rt.startContainer(web);
  const body = await waitFor(async () => {
    try {
      const sock = await env.rt.portForward(sb.id, port);
      let resp = '';
      sock.on('data', (d: Buffer) => { resp += d.toString(); });
      sock.end('GET / HTTP/1.0\r\n\r\n');
      await new Promise((r) => sock.once('close', r));
      return resp;
    } catch {
      return undefined;
    }
  });
  assert.match(body, /^HTTP\/1\.[01] 200/);
  assert.match(body, /hello from httpd/);
  await env.rt.removePodSandbox(sb.id);
});

test('runc works as the OCI runtime too', { skip: skip || (!existsSync('/usr/sbin/runc') && 'runc missing') }, async (t) => {
  const env = await setup(t);
  const rt = new OciRuntime({ root: path.join(env.root, 'runtime-runc'), runtimeBinary: 'runc', network: env.net, cgroupRoot: env.cgroupRoot, log: silentLogger });
  assert.equal(rt.name, 'runc');
  const sb = await rt.runPodSandbox(sandboxConfig());
  try {
    const id = await rt.createContainer(sb.id, containerConfig(env, 'r', ['/bin/sh', '-c', 'hostname; exit 5']));
    await rt.startContainer(id);
    const st = await waitExited(rt, id);
    assert.equal(st.exitCode, 5);
    assert.match(readFileSync(st.logPath, 'utf8'), /stdout F mypod$/m);
  } finally {
    await rt.removePodSandbox(sb.id);
  }
});

test('with the real CNI network: pods get IPs, reach each other over the bridge, share localhost; portForward dials the pod IP', { skip }, async (t) => {
  const env = await setup(t);
  const tag = randomBytes(3).toString('hex');
  const podCIDR = `10.${150 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 256)}.0/24`;
  const net = new CniNetwork({ stateDir: path.join(env.root, 'cni'), bridge: `skr${tag}`, podCIDR, log: silentLogger });
  const rt = new OciRuntime({ root: path.join(env.root, 'runtime-cni'), network: net, cgroupRoot: env.cgroupRoot, log: silentLogger });
  const www = path.join(env.root, 'www');
  await fsp.mkdir(www);
  await fsp.writeFile(path.join(www, 'index.html'), 'hello from pod A\n');
  const sandboxes: string[] = [];
  try {
    const a = await rt.runPodSandbox(sandboxConfig({ hostname: 'poda' }));
    sandboxes.push(a.id);
    const b = await rt.runPodSandbox(sandboxConfig({ hostname: 'podb' }));
    sandboxes.push(b.id);
    assert.ok(a.ip && b.ip && a.ip !== b.ip);
    const web = await rt.createContainer(a.id, containerConfig(env, 'web', ['/bin/httpd', '-f', '-p', '8080', '-h', '/www'], {
      mounts: [{ containerPath: '/www', hostPath: www, readOnly: true }],
    }));
    await rt.startContainer(web);
    const loop = ['/bin/sh', '-c', 'while true; do sleep 0.2; done'];
    const sideA = await rt.createContainer(a.id, containerConfig(env, 'side', loop));
    const client = await rt.createContainer(b.id, containerConfig(env, 'client', loop));
    await rt.startContainer(sideA);
    await rt.startContainer(client);

    const viaLocalhost = await waitFor(async () => {
      const r = await execOut(rt, sideA, ['wget', '-qO-', 'http://127.0.0.1:8080/']);
      return r.exitCode === 0 ? r.out : undefined;
    });
    assert.equal(viaLocalhost, 'hello from pod A\n');
    assert.deepEqual(await execOut(rt, client, ['wget', '-qO-', `http://${a.ip}:8080/`]), { exitCode: 0, out: 'hello from pod A\n' });

    const sock = await rt.portForward(a.id, 8080);
    let resp = '';
    sock.on('data', (d: Buffer) => { resp += d.toString(); });
    sock.end('GET / HTTP/1.0\r\n\r\n');
    await new Promise((r) => sock.once('close', r));
    assert.match(resp, /200 OK[\s\S]*hello from pod A/);
  } finally {
    for (const id of sandboxes) await rt.removePodSandbox(id);
    await net.destroy();
  }
  const { stdout } = await run('ip', ['-o', 'link', 'show']);
  assert.doesNotMatch(stdout, new RegExp(`skr${tag}`));
});

test('a tty container gets a terminal from conmon and its output is logged', { skip }, async (t) => {
  const env = await setup(t);
  const sb = await env.rt.runPodSandbox(sandboxConfig({ hostNetwork: true }));
  const id = await env.rt.createContainer(sb.id, containerConfig(env, 'tty', ['/bin/sh', '-c', 'tty; exit 2'], { tty: true, stdin: true }));
  await env.rt.startContainer(id);
  const st = await waitExited(env.rt, id);
  assert.equal(st.exitCode, 2);
  assert.match(readFileSync(st.logPath, 'utf8'), /stdout \w \/dev\/pts\/\d+/);
});

test('warm sandboxes: made ahead and unlisted; a pod takes one (its hostname, cgroup, files) and the pool refills', { skip }, async (t) => {
  const env = await setup(t);
  const rt = new OciRuntime({ root: path.join(env.root, 'runtime'), network: env.net, cgroupRoot: env.cgroupRoot, log: silentLogger, warmSandboxes: 1 });
  t.after(() => rt.close());
  assert.deepEqual(await rt.listPodSandboxes(), [], 'a warm sandbox is not listed');
  await waitFor(async () => env.net.setUps.length === 1);
  const warmId = env.net.setUps[0];

  const sb = await rt.runPodSandbox(sandboxConfig({ hostname: 'warm-pod' }));
  assert.equal(sb.id, warmId, 'the pod got the warm sandbox');
  assert.equal(sb.name, 'pod');
  assert.equal(sb.ip, '10.255.254.2');
  assert.equal(readFileSync(sb.hostnamePath, 'utf8'), 'warm-pod\n');
  assert.match(readFileSync(sb.hostsPath, 'utf8'), /10\.255\.254\.2\s+warm-pod/);
  assert.deepEqual((await rt.listPodSandboxes()).map((s) => s.id), [warmId]);

  const id = await rt.createContainer(sb.id, containerConfig(env, 'h', ['/bin/sh', '-c', 'hostname; cat /etc/hostname']));
  await rt.startContainer(id);
  const st = await waitExited(rt, id);
  assert.equal(st.exitCode, 0);
  const lines = readFileSync(st.logPath, 'utf8').trim().split('\n').map((l) => l.split(' ').slice(3).join(' '));
  assert.deepEqual(lines, ['warm-pod', 'warm-pod'], 'the UTS namespace carries the pod hostname');

  // the pool is refilled in the background once sandbox requests have gone quiet
  await waitFor(async () => env.net.setUps.length === 2);
  assert.notEqual(env.net.setUps[1], warmId);
  assert.deepEqual((await rt.listPodSandboxes()).map((s) => s.id), [warmId]);
  // a hostNetwork pod never takes a warm sandbox
  const host = await rt.runPodSandbox(sandboxConfig({ hostNetwork: true }));
  assert.notEqual(host.id, env.net.setUps[1]);
  await rt.removePodSandbox(host.id);
  await rt.removePodSandbox(sb.id);

  // a restarted runtime replaces the earlier run's warm sandbox (its network settings may differ)
  const again = new OciRuntime({ root: path.join(env.root, 'runtime'), network: env.net, cgroupRoot: env.cgroupRoot, log: silentLogger, warmSandboxes: 1 });
  t.after(() => again.close());
  await again.listPodSandboxes();
  assert.ok(env.net.tearDowns.includes(env.net.setUps[1]!), 'the old warm sandbox was torn down');
  await waitFor(async () => env.net.setUps.length === 3);
});
