// The node agent's configuration defaults, in a module of their own so that flag parsing
// (src/cmd/agentflags.ts) can name them without loading the agent.

import type { AgentConfig } from './agent.ts';

export const DEFAULT_AGENT_CONFIG: Omit<AgentConfig, 'nodeName'> = {
  port: 10250,
  runtime: 'crun',
  podCIDR: '10.42.0.0/24',
  clusterCIDR: '10.42.0.0/16',
  bridge: 'skiff0',
  cgroupRoot: '/skiff',
  blockPodEgress: false,
  clusterDNS: [],
  clusterDomain: 'cluster.local',
  maxPods: 110,
  warmSandboxes: 1,
};
