// Pure builders for the pod network: the CNI configurations handed to each plugin (loopback,
// then the conflist-style chain bridge + portmap), the parsing of a CNI 1.0 result into the pod
// IP and gateway, and the nftables ruleset that keeps pod traffic on this machine.

import type { PortMapping } from '../runtime/types.ts';
import { cidrContainsIp, formatCidr4, outermostCidrs, parseCidr4 } from './cidr.ts';

export const CNI_VERSION = '1.0.0';

export interface NetworkSettings {
  /** The CNI network name (host-local keeps its allocations under <dataDir>/<name>). */
  name: string;
  bridge: string;
  podCIDR: string;
  ipamDataDir: string;
}

export function loopbackConfig(): Record<string, unknown> {
  return { cniVersion: CNI_VERSION, name: 'lo', type: 'loopback' };
}

/** The plugin list, as a .conflist would hold it (without the runtime-only fields). */
export function chainConfigs(s: NetworkSettings): Record<string, unknown>[] {
  return [
    {
      type: 'bridge',
      bridge: s.bridge,
      isGateway: true,
      ipMasq: false,
      hairpinMode: true,
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: s.podCIDR }]],
        routes: [{ dst: '0.0.0.0/0' }],
        dataDir: s.ipamDataDir,
      },
    },
    { type: 'portmap', capabilities: { portMappings: true }, snat: true },
  ];
}

/**
 * The plugins a pod's ADD (and DEL) runs: the chain without `portmap` when the pod has no host
 * ports, since portmap has nothing to do then and each plugin is a process start. `ports`
 * undefined means not known (a DEL without the cached ADD): the whole chain runs. Pure.
 */
export function podChain(s: NetworkSettings, ports: PortMapping[] | undefined): Record<string, unknown>[] {
  const chain = chainConfigs(s);
  if (ports === undefined || cniPortMappings(ports).length > 0) return chain;
  return chain.filter((p) => p.type !== 'portmap');
}

/** The CNI runtimeConfig.portMappings entries for the pod's host ports. */
export function cniPortMappings(ports: PortMapping[]): Record<string, unknown>[] {
  return ports
    .filter((p) => p.hostPort > 0)
    .map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol.toLowerCase(), ...(p.hostIP ? { hostIP: p.hostIP } : {}) }));
}

/**
 * The stdin of one plugin of the chain, as libcni builds it: the plugin's own config plus the
 * network name and version, the previous plugin's result, and the runtime config for the
 * capabilities the plugin declares.
 */
export function pluginInput(s: NetworkSettings, plugin: Record<string, unknown>, prevResult: unknown, ports: PortMapping[]): Record<string, unknown> {
  const conf: Record<string, unknown> = { cniVersion: CNI_VERSION, name: s.name, ...plugin };
  const caps = (plugin.capabilities ?? {}) as Record<string, boolean>;
  if (caps.portMappings) {
    conf.runtimeConfig = { portMappings: cniPortMappings(ports) };
  }
  if (prevResult !== undefined) conf.prevResult = prevResult;
  return conf;
}

export interface ParsedResult {
  ip: string;
  gateway: string;
  hostInterface?: string;
}

/**
 * Pick the pod's IPv4 address from a CNI 1.0 result: an `ips` entry on an interface inside the
 * sandbox, inside podCIDR. Throws with a precise message when the result does not have one.
 */
export function parseResult(result: unknown, podCIDR: string, bridge: string): ParsedResult {
  const r = result as { cniVersion?: string; interfaces?: { name?: string; sandbox?: string }[]; ips?: { address?: string; gateway?: string; interface?: number }[] };
  if (!r || typeof r !== 'object') throw new Error('CNI result is not an object');
  const interfaces = Array.isArray(r.interfaces) ? r.interfaces : [];
  const ips = Array.isArray(r.ips) ? r.ips : [];
  const cidr = parseCidr4(podCIDR);
  for (const entry of ips) {
    const addr = (entry.address ?? '').split('/')[0];
    if (!cidrContainsIp(cidr, addr)) continue;
    const iface = entry.interface !== undefined ? interfaces[entry.interface] : undefined;
    if (entry.interface !== undefined && !iface?.sandbox) continue;
    if (!entry.gateway) throw new Error(`CNI result gives ${addr} without a gateway`);
    const host = interfaces.find((i) => !i.sandbox && i.name && i.name !== bridge);
    return { ip: addr, gateway: entry.gateway, ...(host?.name ? { hostInterface: host.name } : {}) };
  }
  throw new Error(`CNI result has no IPv4 address in ${podCIDR}: ${JSON.stringify(ips)}`);
}

export function nftTableName(bridge: string): string {
  return `skiff-${bridge}`;
}

/**
 * The egress guard: in the forward hook, drop what pods send (by source address, and by the
 * bridge it comes in on, so a spoofed source changes nothing) to any destination that is not a
 * pod, a cluster address or loopback. IPv6 from the bridge is dropped outright (pods are IPv4).
 * The script replaces the table atomically when applied with `nft -f -`.
 */
export function egressRuleset(bridge: string, podCIDR: string, clusterCIDR?: string): string {
  const table = nftTableName(bridge);
  const allowed = outermostCidrs([podCIDR, ...(clusterCIDR ? [clusterCIDR] : []), '127.0.0.0/8']).join(', ');
  const podRange = formatCidr4(parseCidr4(podCIDR));
  return [
    `add table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    `  chain forward {`,
    `    type filter hook forward priority -10; policy accept;`,
    `    ip saddr ${podRange} ip daddr != { ${allowed} } drop`,
    `    iifname "${bridge}" ip daddr != { ${allowed} } drop`,
    `    iifname "${bridge}" meta nfproto ipv6 drop`,
    `  }`,
    `}`,
    '',
  ].join('\n');
}
