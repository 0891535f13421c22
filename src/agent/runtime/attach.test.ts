// attach with stdin on real containers (crun + conmon as root, busybox rootfs): the client's
// input reaches the container through conmon's attach socket (bridged by socat), stdinOnce
// decides whether the container's stdin closes when the attach ends, and a container without
// stdin still streams its output.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { silentLogger } from '../../base/log.ts';
import type { PodNetwork } from '../network/types.ts';
import { Cgroups } from './cgroups.ts';
import { OciRuntime } from './oci.ts';
import { resizeLine, socatArgs } from './attach.ts';
import { conmonArgs } from './conmon.ts';
import type { ContainerConfig, ContainerInfo } from './types.ts';

const missing = ['/usr/bin/crun', '/usr/bin/conmon', '/usr/bin/busybox', '/usr/bin/socat'].filter((f) => !existsSync(f));
const skip = process.getuid?.() !== 0 ? 'needs root' : missing.length ? `missing ${missing.join(', ')}` : false;

/** Every sandbox here uses the host network: no CNI is needed to test stdio. */
const noNetwork: PodNetwork = {
  async setUp() { throw new Error('not used'); },
  async tearDown() {},
  async destroy() {},
};

interface Env {
  rt: OciRuntime;
  root: string;
  cgroupRoot: string;
  layer: string;
}

async function setup(t: TestContext): Promise<Env> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'skiff-att-'));
  const cgroupRoot = `/skiff-att-test-${randomBytes(4).toString('hex')}`;
  const layer = path.join(root, 'layer');
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root']) await fsp.mkdir(path.join(layer, d), { recursive: true });
  await fsp.copyFile('/usr/bin/busybox', path.join(layer, 'bin', 'busybox'));
  await fsp.chmod(path.join(layer, 'bin', 'busybox'), 0o755);
  for (const a of ['sh', 'echo', 'sleep', 'cat', 'stty']) await fsp.symlink('busybox', path.join(layer, 'bin', a));
  const rt = new OciRuntime({ root: path.join(root, 'runtime'), network: noNetwork, cgroupRoot, log: silentLogger });
  const env = { rt, root, cgroupRoot, layer };
  t.after(() => teardown(env));
  return env;
}

async function teardown(env: Env): Promise<void> {
  try {
    for (const s of await env.rt.listPodSandboxes()) await env.rt.removePodSandbox(s.id);
  } finally {
    await env.rt.close();
  }
  const leaked = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(env.root));
  await new Cgroups().remove(env.cgroupRoot).catch(() => undefined);
  await fsp.rm(env.root, { recursive: true, force: true });
  assert.deepEqual(leaked, [], 'mounts left behind');
}

async function startContainer(env: Env, name: string, args: string[], over: Partial<ContainerConfig> = {}): Promise<string> {
  const sb = await env.rt.runPodSandbox({
    podUid: randomBytes(8).toString('hex'), name: `pod-${name}`, namespace: 'default', attempt: 0, hostname: name,
    hostNetwork: true, dns: { servers: [], searches: [], options: [] }, hostAliases: [], portMappings: [], cgroupParent: '',
    labels: {}, annotations: {},
  });
  const id = await env.rt.createContainer(sb.id, {
    name, attempt: 0, imageId: 'sha256:test', imageLayers: [env.layer], args, env: ['PATH=/bin'], workingDir: '/',
    uid: 0, gid: 0, additionalGids: [], mounts: [], resources: {},
    security: { privileged: false, readOnlyRootfs: false, capabilitiesAdd: [], capabilitiesDrop: [], noNewPrivileges: false },
    tty: false, stdin: true, stdinOnce: true, stopSignal: 'SIGTERM', logPath: path.join(env.root, 'logs', name, '0.log'),
    labels: {}, annotations: {},
    ...over,
  });
  await env.rt.startContainer(id);
  return id;
}

async function waitExited(rt: OciRuntime, id: string, ms = 15_000): Promise<ContainerInfo> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await rt.containerStatus(id);
    if (s?.state === 'exited') return s;
    if (Date.now() > deadline) throw new Error(`container ${id} did not exit in time`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => { text += d.toString(); });
  return { stream, text: () => text };
}

/** socat processes this test process started that are still alive (there must be none). */
async function ownSocats(): Promise<number[]> {
  const out: number[] = [];
  for (const e of await fsp.readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = await fsp.readFile(`/proc/${e}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (stat.includes('(socat)') && Number(fields[1]) === process.pid) out.push(Number(e));
    } catch { /* gone */ }
  }
  return out;
}

test('pure: socat argv, conmon flags for stdinOnce, resize line', () => {
  assert.deepEqual(socatArgs(), ['-', 'UNIX-CONNECT:attach,type=5']);
  const base = {
    conmonBinary: 'c', runtimeBinary: 'r', runtimeRoot: '/r', id: 'i', name: 'n', bundle: '/b', persistDir: '/p', exitDir: '/e',
    socketDir: '/s', logPath: '/l', terminal: false,
  };
  assert.ok(conmonArgs({ ...base, stdin: true, leaveStdinOpen: true }).includes('--leave-stdin-open'));
  assert.ok(!conmonArgs({ ...base, stdin: true, leaveStdinOpen: false }).includes('--leave-stdin-open'));
  assert.ok(!conmonArgs({ ...base, stdin: false, leaveStdinOpen: true }).includes('--leave-stdin-open'));
  assert.equal(resizeLine({ width: 80, height: 24 }), '1 24 80\n');
});

test('attach -i with stdinOnce: the input reaches the container, its stdin closes with the attach', { skip, timeout: 60_000 }, async (t) => {
  const env = await setup(t);
  // `cat` only ends when its stdin is closed: that proves the close that stdinOnce asks for
  const id = await startContainer(env, 'once', ['/bin/sh', '-c', 'read line; echo got:$line; cat; echo eof']);
  const input = new PassThrough();
  const out = collect();
  input.end('hello\n');
  await env.rt.attach(id, { tty: false, stdin: input, stdout: out.stream, stderr: out.stream });
  assert.match(out.text(), /got:hello\n/);
  assert.match(out.text(), /eof\n$/);
  const st = await waitExited(env.rt, id);
  assert.equal(st.exitCode, 0);
  assert.deepEqual(await ownSocats(), [], 'socat left running');
});

test('attach -i without stdinOnce: stdin stays open for the next attach', { skip, timeout: 60_000 }, async (t) => {
  const env = await setup(t);
  const id = await startContainer(env, 'keep', ['/bin/sh', '-c', 'read a; echo first:$a; read b; echo second:$b'], { stdinOnce: false });

  // the first session ends (client gone) after the container answered; stdin must stay open
  const abort = new AbortController();
  const first = new PassThrough();
  const out1 = collect();
  out1.stream.on('data', () => { if (/first:one/.test(out1.text())) abort.abort(); });
  first.end('one\n');
  await env.rt.attach(id, { tty: false, stdin: first, stdout: out1.stream, signal: abort.signal });
  assert.match(out1.text(), /first:one\n/);
  assert.equal((await env.rt.containerStatus(id))?.state, 'running', 'stdin stayed open: the second read still waits');

  const second = new PassThrough();
  const out2 = collect();
  second.end('two\n');
  await env.rt.attach(id, { tty: false, stdin: second, stdout: out2.stream });
  assert.match(out2.text(), /second:two\n/);
  assert.equal((await waitExited(env.rt, id)).exitCode, 0);
  assert.deepEqual(await ownSocats(), [], 'socat left running');
});

test('attach -i to a container without stdin streams its output and ignores the input', { skip, timeout: 60_000 }, async (t) => {
  const env = await setup(t);
  const id = await startContainer(env, 'nostdin', ['/bin/sh', '-c', 'for i in 1 2 3; do echo tick$i; sleep 0.1; done'], { stdin: false, stdinOnce: false });
  const input = new PassThrough();
  input.end('ignored\n');
  const out = collect();
  await env.rt.attach(id, { tty: false, stdin: input, stdout: out.stream });
  assert.match(out.text(), /tick3\n$/);
  assert.doesNotMatch(out.text(), /ignored/);
  assert.equal((await waitExited(env.rt, id)).exitCode, 0);
});

test('attach -it: keystrokes reach a tty container; back-to-back resizes end at the last size', { skip, timeout: 60_000 }, async (t) => {
  const env = await setup(t);
  // waits (10 s at most) for the size to settle, then prints it
  const script = 'read line; i=0; while [ "$(stty size)" != "33 101" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; echo size=$(stty size); echo got:$line';
  const id = await startContainer(env, 'tty', ['/bin/sh', '-c', script], { tty: true, stdin: true, stdinOnce: true });
  const input = new PassThrough();
  const out = collect();
  async function* sizes() {
    // what kubectl sends on attach: size+1, then the size (conmon 2.1.6 would keep the first)
    yield { width: 102, height: 34 };
    yield { width: 101, height: 33 };
  }
  const attached = env.rt.attach(id, { tty: true, stdin: input, stdout: out.stream, resize: sizes() });
  input.end('hello\r'); // a terminal's Enter: the tty turns it into a newline
  await attached;
  assert.match(out.text(), /size=33 101\r?\n/);
  assert.match(out.text(), /got:hello/);
  assert.equal((await waitExited(env.rt, id)).exitCode, 0);
  assert.deepEqual(await ownSocats(), [], 'socat left running');
});
