// The node's pod network: wires each pod's network namespace to a Linux bridge with Debian's
// standard CNI plugins, executed directly (no libcni): `loopback` for lo, then the chain
// `bridge` (host-local IPAM from the pod CIDR, the bridge is the gateway) + `portmap` for host
// ports. ADD results are cached under the state dir, as libcni does, so DEL and CHECK get their
// prevResult. Optionally an nftables table keeps pod traffic on this machine (tests).

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../../base/log.ts';
import type { PortMapping } from '../runtime/types.ts';
import { parseCidr4 } from './cidr.ts';
import { execPlugin } from './cniexec.ts';
import { Launcher } from '../launcher.ts';
import type { CniInvocation } from './cniexec.ts';
import { chainConfigs, egressRuleset, loopbackConfig, nftTableName, parseResult, pluginInput, podChain } from './config.ts';
import type { NetworkSettings } from './config.ts';
import type { PodNetwork, PodNetworkRef, PodNetworkStatus } from './types.ts';

const run = promisify(execFile);

export interface CniNetworkOptions {
  /** CNI state: IPAM allocations and cached ADD results (paths.cni). */
  stateDir: string;
  /** Bridge device name, at most 15 characters (default 'skiff0'). */
  bridge?: string;
  /** This node's pod range (default '10.42.0.0/24'); its first address is the gateway. */
  podCIDR?: string;
  /** All pod/service ranges of the cluster: pods may reach them (egress guard, blackhole route). */
  clusterCIDR?: string;
  /** Where the plugin binaries are (default '/usr/lib/cni'). */
  pluginDir?: string;
  /** Drop pod traffic to anything outside pod/cluster ranges and loopback (tests). */
  blockEgress?: boolean;
  /** Starts the plugins off the agent's thread (default: one of its own). */
  launcher?: Launcher;
  log: Logger;
}

/** What ADD leaves in <stateDir>/results for DEL and CHECK. */
interface CachedResult {
  result: unknown;
  portMappings: PortMapping[];
}

export const POD_IFNAME = 'eth0';
const BLACKHOLE_METRIC = '4242';
/** /sys/class/net/<dev>/addr_assign_type of an address set explicitly (the kernel's NET_ADDR_SET). */
const NET_ADDR_SET = '3';

export class CniNetwork implements PodNetwork {
  readonly bridge: string;
  readonly podCIDR: string;
  readonly clusterCIDR: string | undefined;
  readonly pluginDir: string;
  readonly stateDir: string;
  private readonly blockEgress: boolean;
  private readonly log: Logger;
  private readonly settings: NetworkSettings;
  private hostPrepared: Promise<void> | undefined;
  private readonly launcher: Launcher;

  constructor(opts: CniNetworkOptions) {
    this.bridge = opts.bridge ?? 'skiff0';
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(this.bridge)) throw new Error(`invalid bridge name ${JSON.stringify(this.bridge)} (1-15 characters of [A-Za-z0-9_.-])`);
    this.podCIDR = opts.podCIDR ?? '10.42.0.0/24';
    parseCidr4(this.podCIDR);
    this.clusterCIDR = opts.clusterCIDR;
    if (this.clusterCIDR) parseCidr4(this.clusterCIDR);
    this.pluginDir = opts.pluginDir ?? '/usr/lib/cni';
    this.stateDir = opts.stateDir;
    this.blockEgress = opts.blockEgress ?? false;
    this.log = opts.log;
    this.launcher = opts.launcher ?? new Launcher();
    this.settings = {
      name: `skiff-${this.bridge}`,
      bridge: this.bridge,
      podCIDR: this.podCIDR,
      ipamDataDir: path.join(this.stateDir, 'ipam'),
    };
  }

  async setUp(ref: PodNetworkRef, netnsPath: string, portMappings: PortMapping[]): Promise<PodNetworkStatus> {
    await this.prepareHost();
    const containerId = ref.sandboxId;
    try {
      const exec = { pluginDir: this.pluginDir, launcher: this.launcher };
      // lo is its own network (as containerd and CRI-O run it): it goes up while the chain runs
      const lo = execPlugin(exec, { command: 'ADD', containerId, netns: netnsPath, ifName: 'lo' }, loopbackConfig());
      lo.catch(() => undefined);
      let prev: unknown = undefined;
      for (const plugin of podChain(this.settings, portMappings)) {
        prev = await execPlugin(exec, { command: 'ADD', containerId, netns: netnsPath, ifName: POD_IFNAME }, pluginInput(this.settings, plugin, prev, portMappings));
      }
      await lo;
      const status = parseResult(prev, this.podCIDR, this.bridge);
      await this.saveResult(containerId, { result: prev, portMappings });
      this.log.debug('pod network set up', { pod: `${ref.namespace}/${ref.name}`, ip: status.ip });
      return status;
    } catch (err) {
      this.log.warn('pod network ADD failed; releasing', { pod: `${ref.namespace}/${ref.name}`, error: String(err) });
      await this.tearDown(ref, netnsPath, portMappings).catch((e) => this.log.warn('DEL after failed ADD failed', { error: String(e) }));
      throw err;
    }
  }

  async tearDown(ref: PodNetworkRef, netnsPath: string | undefined, portMappings: PortMapping[]): Promise<void> {
    const containerId = ref.sandboxId;
    const netns = netnsPath && existsSync(netnsPath) ? netnsPath : '';
    const cached = await this.loadResult(containerId);
    const prev = cached?.result;
    // After an agent restart the caller may not know the host ports any more: use the cached ones.
    const ports = portMappings.length ? portMappings : (cached?.portMappings ?? []);
    const exec = { pluginDir: this.pluginDir, launcher: this.launcher };
    const inv: CniInvocation = { command: 'DEL', containerId, netns, ifName: POD_IFNAME };
    // DEL runs the chain in reverse; every plugin gets the cached ADD result as prevResult.
    for (const plugin of podChain(this.settings, cached || portMappings.length ? ports : undefined).reverse()) {
      await execPlugin(exec, inv, pluginInput(this.settings, plugin, prev, ports));
    }
    await execPlugin(exec, { ...inv, ifName: 'lo' }, loopbackConfig());
    await fs.rm(this.resultPath(containerId), { force: true });
  }

  /** CNI CHECK of the chain against the cached ADD result; rejects when the pod's network is broken. */
  async check(ref: PodNetworkRef, netnsPath: string, portMappings: PortMapping[]): Promise<void> {
    const prev = (await this.loadResult(ref.sandboxId))?.result;
    if (prev === undefined) throw new Error(`no cached CNI result for sandbox ${ref.sandboxId}`);
    const exec = { pluginDir: this.pluginDir, launcher: this.launcher };
    // portmap 1.1.1's CHECK fails on IPv4-only pods (it looks for an IPv6 DNAT chain), so only
    // the bridge (veth, address, routes and IPAM) is checked.
    for (const plugin of chainConfigs(this.settings).filter((p) => p.type !== 'portmap')) {
      await execPlugin(exec, { command: 'CHECK', containerId: ref.sandboxId, netns: netnsPath, ifName: POD_IFNAME }, pluginInput(this.settings, plugin, prev, portMappings));
    }
  }

  async destroy(): Promise<void> {
    await run('ip', ['link', 'del', this.bridge]).catch((e) => ignoreMissing(e, 'bridge'));
    // destroy() is `skiff reset-node`'s, on a fresh instance that may not have been given the
    // agent's --block-pod-egress: remove the egress guard and the blackhole route whenever they
    // are there (both are named after this bridge / cluster range and our route metric).
    await run('nft', ['delete', 'table', 'inet', nftTableName(this.bridge)]).catch((e) => ignoreMissing(e, 'nft table'));
    if (this.clusterCIDR) {
      await run('ip', ['route', 'del', 'blackhole', this.clusterCIDR, 'metric', BLACKHOLE_METRIC]).catch(() => {});
    }
    this.hostPrepared = undefined;
  }

  /**
   * Once per instance: the bridge with a fixed MAC address, then (with blockEgress) the egress
   * guard and the blackhole route for cluster ranges.
   *
   * The bridge plugin makes the bridge and sets its address itself, but two first ADDs at once
   * (warm sandboxes, a burst of pods) raced at it: the address could change after one pod's ADD
   * had reported it, leaving that pod's ARP entry for its gateway stale and the plugin's CHECK
   * failing ("Bridge interface … Mac doesn't match"). The bridge is made here, before any ADD,
   * and its address set explicitly (a Linux bridge whose address was never set follows its
   * ports'); the plugin uses a bridge that exists.
   */
  private prepareHost(): Promise<void> {
    this.hostPrepared ??= (async () => {
      try {
        await run('ip', ['link', 'add', this.bridge, 'type', 'bridge']);
      } catch (e) {
        if (!/File exists/.test(String((e as { stderr?: string }).stderr ?? e))) throw e;
      }
      const sys = `/sys/class/net/${this.bridge}`;
      if ((await fs.readFile(`${sys}/addr_assign_type`, 'utf8')).trim() !== NET_ADDR_SET) {
        const mac = (await fs.readFile(`${sys}/address`, 'utf8')).trim();
        await run('ip', ['link', 'set', 'dev', this.bridge, 'address', mac]);
      }
      if (!this.blockEgress) return;
      await runWithInput('nft', ['-f', '-'], egressRuleset(this.bridge, this.podCIDR, this.clusterCIDR));
      if (this.clusterCIDR) {
        // Cluster addresses no route claims (an unused service IP, another node's range) die
        // here instead of following the default route off the machine.
        try {
          await run('ip', ['route', 'add', 'blackhole', this.clusterCIDR, 'metric', BLACKHOLE_METRIC]);
        } catch (e) {
          if (!/File exists/.test(String((e as { stderr?: string }).stderr ?? e))) throw e;
        }
      }
    })();
    const p = this.hostPrepared;
    p.catch(() => {
      if (this.hostPrepared === p) this.hostPrepared = undefined;
    });
    return p;
  }

  private resultPath(containerId: string): string {
    return path.join(this.stateDir, 'results', `${this.settings.name}-${containerId}-${POD_IFNAME}.json`);
  }

  private async saveResult(containerId: string, result: CachedResult): Promise<void> {
    const file = this.resultPath(containerId);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file + '.tmp', JSON.stringify(result));
    await fs.rename(file + '.tmp', file);
  }

  private async loadResult(containerId: string): Promise<CachedResult | undefined> {
    try {
      return JSON.parse(await fs.readFile(this.resultPath(containerId), 'utf8'));
    } catch {
      return undefined;
    }
  }
}

function ignoreMissing(e: unknown, what: string): void {
  const msg = String((e as { stderr?: string }).stderr ?? e);
  if (/Cannot find device|No such file or directory|does not exist/.test(msg)) return;
  throw new Error(`removing ${what}: ${msg.trim()}`);
}

function runWithInput(cmd: string, args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${String(stderr).trim() || err.message}`));
      else resolve();
    });
    child.stdin?.end(input);
  });
}
