// The raw cost of starting the pod startup benchmark's container without the agent: for the
// same image (imported from the same kind of archive into a private image store), N times:
//   netns   `ip netns add`
//   cni     CNI ADD with Debian's plugins, as the agent runs them: loopback beside the chain, the
//           chain being bridge (host-local IPAM), plus portmap only for host ports (none here);
//           the configs src/agent/network/config.ts builds (own bridge and CIDR, egress guard on)
//   rootfs  overlayfs mount over the image layers (upper/work dirs as the agent makes them)
//   bundle  /etc/hosts, resolv.conf, hostname, termination log and config.json from the agent's
//           own pure builders (buildContainerConfig + buildSpec)
//   start   either `crun run -d` ('crun' variant), or conmon running `crun create` followed by
//           `crun start` ('conmon' variant, the agent's runtime path without the agent)
// Programs are started through the agent's own launcher (src/agent/launcher.ts), so the figure is
// what the programs themselves cost. Each step is timed on its own. Everything stays running until teardown() (as the benchmark's
// 50 pods do); teardown is registered with the Cleanup, so it also runs on failure: containers
// deleted, overlay unmounted, CNI DEL, netns deleted, cgroups, bridge and nft table removed.

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { silentLogger } from '../../src/base/log.ts';
import { LocalImageStore } from '../../src/agent/images/store.ts';
import type { ImageInfo } from '../../src/agent/images/types.ts';
import { writeOciArchive } from '../../src/agent/images/testimage.ts';
import { execPlugin } from '../../src/agent/network/cniexec.ts';
import { egressRuleset, loopbackConfig, nftTableName, pluginInput, podChain, type NetworkSettings } from '../../src/agent/network/config.ts';
import { Launcher } from '../../src/agent/launcher.ts';
import { agentPaths } from '../../src/agent/paths.ts';
import { buildContainerConfig } from '../../src/agent/pods/containerconfig.ts';
import { buildSpec } from '../../src/agent/runtime/bundle.ts';
import { Cgroups, ensureHostCgroups } from '../../src/agent/runtime/cgroups.ts';
import { launchConmon } from '../../src/agent/runtime/conmon.ts';
import { podHostsFile, resolvConf } from '../../src/agent/runtime/etcfiles.ts';
import type { SandboxInfo } from '../../src/agent/runtime/types.ts';
import type { Cleanup } from './cleanup.ts';

const CRUN = '/usr/bin/crun';
const CONMON = '/usr/bin/conmon';
const PLUGIN_DIR = '/usr/lib/cni';

export type RawVariant = 'crun' | 'conmon';
export const RAW_STEPS = ['netns', 'cni', 'rootfs', 'bundle', 'start', 'total'] as const;
export type RawStep = (typeof RAW_STEPS)[number];
export type RawTiming = Record<RawStep, number>;

interface Started {
  id: string;
  netns: string;
  dir: string;
  rootfs: string;
  variant: RawVariant;
  cni: boolean;
}

export interface RawBaseline {
  /** Start one container of `variant` (all steps above), keep it running; returns the step times in ms. */
  startOne(variant: RawVariant): Promise<RawTiming>;
  /** Remove everything started so far. Idempotent. */
  teardown(): Promise<void>;
}

/** Prepare the image, bridge settings and egress guard; `index` makes names unique (0..199). */
export async function prepareRawBaseline(index: number, cleanup: Cleanup): Promise<RawBaseline> {
  const work = await mkdtemp(path.join(tmpdir(), 'skiff-bench-raw-'));
  const bridge = `skbraw${index}`;
  const podCIDR = `10.80.${index}.0/24`;
  const cgroupRoot = `/skiff-bench-raw-${index}`;
  const paths = agentPaths(work);
  const runtimeRoot = path.join(work, 'crun');
  const exitDir = path.join(work, 'exits');
  const socketDir = path.join(work, 's');
  const settings: NetworkSettings = { name: `skiff-${bridge}`, bridge, podCIDR, ipamDataDir: path.join(work, 'ipam') };
  const started: Started[] = [];
  let nftApplied = false;
  let seq = 0;
  const launcher = new Launcher();
  const run = (cmd: string, args: string[]) => launcher.run(cmd, args);
  const exec = { pluginDir: PLUGIN_DIR, launcher };

  const teardown = cleanup.add(`raw baseline ${work}`, async () => {
    const errors: string[] = [];
    const attempt = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (e) {
        errors.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    for (const s of started.splice(0).reverse()) {
      await attempt(`crun delete ${s.id}`, () => run(CRUN, ['--root', runtimeRoot, 'delete', '-f', s.id]).catch((e) => {
        if (!/does not exist|not found|No such file/i.test(String(e))) throw e;
      }));
      if (s.variant === 'conmon') {
        // conmon exits once its container is gone; make sure (it is our own child's pid file)
        const pid = Number((await readFile(path.join(s.dir, 'persist', 'conmon.pid'), 'utf8').catch(() => '')).trim());
        if (pid > 0) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      await attempt(`umount ${s.rootfs}`, () => run('umount', [s.rootfs]).catch((e) => {
        if (!/not mounted|no mount point/i.test(String(e))) throw e;
      }));
      if (s.cni) {
        await attempt(`CNI DEL ${s.id}`, async () => {
          const cached = JSON.parse(await readFile(path.join(s.dir, 'cni-result.json'), 'utf8').catch(() => 'null')) as unknown;
          const inv = { command: 'DEL' as const, containerId: s.id, netns: s.netns, ifName: 'eth0' };
          for (const p of podChain(settings, []).reverse()) await execPlugin(exec, inv, pluginInput(settings, p, cached ?? undefined, []));
          await execPlugin(exec, { ...inv, ifName: 'lo' }, loopbackConfig());
        });
      }
      await attempt(`ip netns del ${s.id}`, () => run('ip', ['netns', 'del', s.id]));
    }
    await attempt('cgroups', () => new Cgroups().remove(cgroupRoot));
    await attempt('bridge', () => run('ip', ['link', 'del', bridge]).catch((e) => {
      if (!/Cannot find device/.test(String(e))) throw e;
    }));
    if (nftApplied) await attempt('nft table', () => run('nft', ['delete', 'table', 'inet', nftTableName(bridge)]));
    await rm(work, { recursive: true, force: true });
    await launcher.close();
    if (errors.length) throw new Error(`raw baseline teardown: ${errors.join('; ')}`);
  });

  let image: ImageInfo;
  let nofile = 1048576;
  try {
    // the agent gives containers its own hard RLIMIT_NOFILE (capped at 1048576): more is refused
    const m = /^Max open files\s+\S+\s+(\S+)/m.exec(await readFile('/proc/self/limits', 'utf8'));
    if (m && m[1] !== 'unlimited') nofile = Math.min(Number(m[1]), nofile);
    await ensureHostCgroups();
    for (const d of [runtimeRoot, exitDir, socketDir, paths.pods, paths.logs]) await mkdir(d, { recursive: true });
    const archive = path.join(work, 'image.tar');
    await writeOciArchive(archive, { name: 'skiff.bench/library/busybox:v1' });
    const store = new LocalImageStore({ root: paths.images, log: silentLogger });
    [image] = await store.importArchive(archive);
    if (!image) throw new Error('the bench image archive imported nothing');
    // The same egress guard the agent's --block-pod-egress applies (the containers only sleep).
    const nft = spawn('nft', ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    nftApplied = true;
    await new Promise<void>((resolve, reject) => {
      let err = '';
      nft.stderr!.on('data', (d) => (err += d));
      nft.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`nft -f -: ${err.trim()}`))));
      nft.stdin!.end(egressRuleset(bridge, podCIDR, podCIDR));
    });
  } catch (err) {
    await teardown().catch(() => undefined);
    throw err;
  }

  const startOne = async (variant: RawVariant): Promise<RawTiming> => {
    const i = seq++;
    const id = `skbraw${index}-${i}`;
    const dir = path.join(work, 'c', String(i));
    const rootfs = path.join(dir, 'rootfs');
    const netns = `/var/run/netns/${id}`;
    const s: Started = { id, netns, dir, rootfs, variant, cni: false };
    const t: Partial<RawTiming> = {};
    const t0 = performance.now();
    let mark = t0;
    const lap = (step: RawStep) => {
      const now = performance.now();
      t[step] = now - mark;
      mark = now;
    };

    started.push(s);
    await run('ip', ['netns', 'add', id]);
    lap('netns');

    s.cni = true;
    const lo = execPlugin(exec, { command: 'ADD', containerId: id, netns, ifName: 'lo' }, loopbackConfig());
    let prev: unknown = undefined;
    for (const p of podChain(settings, [])) prev = await execPlugin(exec, { command: 'ADD', containerId: id, netns, ifName: 'eth0' }, pluginInput(settings, p, prev, []));
    await lo;
    lap('cni');

    for (const d of ['upper', 'work', 'rootfs', 'persist']) await mkdir(path.join(dir, d), { recursive: true });
    const lowers = [...image.layers].reverse();
    await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowers.join(':')},upperdir=${path.join(dir, 'upper')},workdir=${path.join(dir, 'work')}`, rootfs]);
    lap('rootfs');

    const ip = ((prev as { ips?: { address?: string }[] }).ips?.[0]?.address ?? '').split('/')[0];
    const pod = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: id, namespace: 'default', uid: `raw-${index}-${i}` },
      spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: image.repoTags[0], command: ['sleep', '3600'] }] },
    };
    const built = buildContainerConfig({ pod, container: pod.spec.containers[0], image, volumes: { paths: new Map() }, env: [], restartCount: 0, paths });
    const sandbox: SandboxInfo = {
      id, podUid: pod.metadata.uid, name: id, namespace: 'default', attempt: 0, state: 'ready', createdAt: Date.now(), ip, netnsPath: netns,
      hostsPath: path.join(dir, 'hosts'), resolvConfPath: path.join(dir, 'resolv.conf'), hostnamePath: path.join(dir, 'hostname'), labels: {}, annotations: {},
    };
    await writeFile(path.join(dir, 'cni-result.json'), JSON.stringify(prev));
    await writeFile(sandbox.hostsPath, podHostsFile(id, ip, []));
    await writeFile(sandbox.resolvConfPath, resolvConf({ servers: [], searches: [], options: [] }, await readFile('/etc/resolv.conf', 'utf8').catch(() => '')));
    await writeFile(sandbox.hostnamePath, id + '\n');
    await mkdir(path.dirname(built.terminationLogPath), { recursive: true });
    await writeFile(built.terminationLogPath, '');
    await mkdir(path.dirname(built.config.logPath), { recursive: true });
    const spec = buildSpec(built.config, sandbox, { rootfsPath: rootfs, cgroupsPath: `${cgroupRoot}/pod${i}/${id}`, netnsPath: netns, hostname: id, nofile });
    // the agent shares a UTS namespace file per pod; here each container gets its own
    spec.linux.namespaces.push({ type: 'uts' });
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ ...spec, hostname: id }));
    lap('bundle');

    if (variant === 'crun') {
      await run(CRUN, ['--root', runtimeRoot, 'run', '-d', '--bundle', dir, id]);
    } else {
      await launchConmon(launcher, {
        conmonBinary: CONMON, runtimeBinary: CRUN, runtimeRoot, id, name: 'c', bundle: dir, persistDir: path.join(dir, 'persist'),
        exitDir, socketDir, logPath: built.config.logPath, terminal: false, stdin: false,
      });
      await run(CRUN, ['--root', runtimeRoot, 'start', id]);
    }
    lap('start');
    t.total = performance.now() - t0;
    return t as RawTiming;
  };

  return { startOne, teardown };
}
