// The node agent's flags, shared by `skiff server` (local agent), `skiff agent` and
// `skiff reset-node` so the three always agree on names, defaults and host resources.

import { hostname } from 'node:os';
import type { AgentConfig } from '../agent/agent.ts';
import { DEFAULT_AGENT_CONFIG } from '../agent/defaults.ts';
import { FlagError, type FlagValues } from './flags.ts';

export const AGENT_FLAGS = {
  'node-name': 'string',
  'node-ip': 'string',
  'agent-port': 'int',
  'container-runtime': 'string',
  'pod-cidr': 'string',
  'cluster-cidr': 'string',
  bridge: 'string',
  'cgroup-root': 'string',
  'block-pod-egress': 'bool',
  'cluster-dns': 'list',
  'cluster-domain': 'string',
  'max-pods': 'int',
  'warm-sandboxes': 'int',
} as const;

export const AGENT_FLAGS_USAGE = `  --node-name NAME        node name (default: the host name)
  --node-ip ADDR          InternalIP of the node, where the apiserver reaches the agent (default: first non-loopback IPv4)
  --agent-port N          agent port for logs/exec/attach/port-forward (default 10250; 0 = any free port)
  --container-runtime R   crun (default) or runc
  --pod-cidr CIDR         this node's pod addresses (default ${DEFAULT_AGENT_CONFIG.podCIDR})
  --cluster-cidr CIDR     all pod addresses of the cluster (default ${DEFAULT_AGENT_CONFIG.clusterCIDR})
  --bridge NAME           pod network bridge (default ${DEFAULT_AGENT_CONFIG.bridge})
  --cgroup-root PATH      cgroup under which pods run (default ${DEFAULT_AGENT_CONFIG.cgroupRoot})
  --block-pod-egress      drop pod traffic to addresses outside the cluster (test clusters)
  --cluster-dns IP        DNS server for pods with dnsPolicy ClusterFirst (repeatable)
  --cluster-domain NAME   cluster DNS domain (default cluster.local)
  --max-pods N            pods this node accepts (default 110)
  --warm-sandboxes N      pod sandboxes (namespaces + CNI network) kept ready ahead of pods (default 1; 0: off)
`;

const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;

export function agentConfigFromFlags(flags: FlagValues): AgentConfig {
  const d = DEFAULT_AGENT_CONFIG;
  const podCIDR = (flags['pod-cidr'] as string | undefined) ?? d.podCIDR;
  const clusterCIDR = (flags['cluster-cidr'] as string | undefined) ?? (flags['pod-cidr'] ? podCIDR : d.clusterCIDR);
  for (const [name, v] of [['pod-cidr', podCIDR], ['cluster-cidr', clusterCIDR]] as const) {
    if (v && !CIDR.test(v)) throw new FlagError(`flag --${name}: "${v}" is not an IPv4 CIDR like 10.42.0.0/24`);
  }
  const bridge = (flags.bridge as string | undefined) ?? d.bridge;
  if (bridge.length > 15) throw new FlagError(`flag --bridge: "${bridge}" is longer than 15 characters (a Linux interface name limit)`);
  const runtime = (flags['container-runtime'] as string | undefined) ?? d.runtime;
  const warm = (flags['warm-sandboxes'] as number | undefined) ?? d.warmSandboxes;
  if (!(warm >= 0 && warm <= 32)) throw new FlagError(`flag --warm-sandboxes: ${warm} is not between 0 and 32`);
  if (!['crun', 'runc'].includes(runtime) && !runtime.startsWith('/')) throw new FlagError(`flag --container-runtime: "${runtime}" is not crun, runc or an absolute path`);
  return {
    nodeName: ((flags['node-name'] as string | undefined) ?? hostname()).toLowerCase(),
    nodeIP: flags['node-ip'] as string | undefined,
    port: (flags['agent-port'] as number | undefined) ?? d.port,
    runtime,
    podCIDR,
    clusterCIDR,
    bridge,
    cgroupRoot: (flags['cgroup-root'] as string | undefined) ?? d.cgroupRoot,
    blockPodEgress: Boolean(flags['block-pod-egress']),
    clusterDNS: (flags['cluster-dns'] as string[] | undefined) ?? d.clusterDNS,
    clusterDomain: (flags['cluster-domain'] as string | undefined) ?? d.clusterDomain,
    maxPods: (flags['max-pods'] as number | undefined) ?? d.maxPods,
    warmSandboxes: warm,
  };
}
