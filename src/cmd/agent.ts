// `skiff agent`: the node agent alone, joining a cluster over HTTPS (the kubelet role), and
// `skiff reset-node`: remove everything an agent put on this host (containers, mounts,
// network namespaces, cgroups, bridge, nft tables), as k3s-killall.sh does.

import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { ApiClient } from '../client/client.ts';
import { HttpsTransport } from '../client/https-transport.ts';
import { loadKubeconfig, type ConnectionConfig } from '../client/kubeconfig.ts';
import { consoleLogger, type LogLevel } from '../base/log.ts';
import { startAgent, podNetworkFor } from '../agent/agent.ts';
import { agentPaths } from '../agent/paths.ts';
import { resetNode } from '../agent/reset.ts';
import { FlagError, parseFlags } from './flags.ts';
import { AGENT_FLAGS, AGENT_FLAGS_USAGE, agentConfigFromFlags } from './agentflags.ts';

export const AGENT_USAGE = `Usage: skiff agent [flags]

Runs the node agent: registers this machine as a Node and runs the pods bound to it as containers.

Connection (a kubeconfig, or --server with --token):
  --kubeconfig FILE            cluster and credentials
  --server URL                 API server URL, e.g. https://10.0.0.1:6443
  --token TOKEN                bearer token (a user in the server's token file, group system:nodes)
  --certificate-authority FILE CA of the API server (default: verify against system roots)
Serving (the apiserver connects here for logs/exec/attach/port-forward):
  --tls-cert-file FILE         serving certificate (PEM)
  --tls-private-key-file FILE  its key
  --client-ca-file FILE        CA of the apiserver's client certificate (the cluster CA)
Other:
  --data-dir DIR               agent state (default /var/lib/skiff)
  --log-level LEVEL            debug, info, warn, error (default info)
${AGENT_FLAGS_USAGE}`;

const CONNECTION_FLAGS = {
  kubeconfig: 'string',
  server: 'string',
  token: 'string',
  'certificate-authority': 'string',
  'tls-cert-file': 'string',
  'tls-private-key-file': 'string',
  'client-ca-file': 'string',
  'data-dir': 'string',
  'log-level': 'string',
  help: 'bool',
} as const;

export async function runAgent(args: string[]): Promise<void> {
  const { flags } = parseFlags(args, { ...CONNECTION_FLAGS, ...AGENT_FLAGS });
  if (flags.help) {
    process.stdout.write(AGENT_USAGE);
    return;
  }
  const log = consoleLogger('skiff-agent', ((flags['log-level'] as string | undefined) ?? 'info') as LogLevel);
  const dataDir = path.resolve((flags['data-dir'] as string | undefined) ?? '/var/lib/skiff');
  let conn: ConnectionConfig;
  if (flags.kubeconfig) conn = await loadKubeconfig(flags.kubeconfig as string);
  else if (flags.server && flags.token) {
    const caFile = flags['certificate-authority'] as string | undefined;
    conn = { server: flags.server as string, token: flags.token as string, caPem: caFile ? await readFile(caFile, 'utf8') : undefined };
  } else throw new FlagError('give --kubeconfig, or --server with --token');
  const need = ['tls-cert-file', 'tls-private-key-file', 'client-ca-file'].filter((f) => !flags[f]);
  if (need.length) throw new FlagError(`the agent's serving TLS needs ${need.map((f) => `--${f}`).join(', ')}`);
  const tls = {
    cert: await readFile(flags['tls-cert-file'] as string, 'utf8'),
    key: await readFile(flags['tls-private-key-file'] as string, 'utf8'),
    ca: await readFile(flags['client-ca-file'] as string, 'utf8'),
  };
  const transport = new HttpsTransport(conn);
  const client = new ApiClient({ transport });
  const ac = new AbortController();
  process.on('SIGINT', () => ac.abort());
  process.on('SIGTERM', () => ac.abort());
  const agent = await startAgent({ client, dataDir, config: agentConfigFromFlags(flags), tls, log, signal: ac.signal });
  process.stdout.write(`skiff agent ready: node ${agent.nodeName}, port ${agent.port}\n`);
  await agent.done;
  transport.close();
  process.exit(0);
}

export const RESET_USAGE = `Usage: skiff reset-node [flags]

Stops every container the node agent started on this machine and removes its mounts, network
namespaces, cgroups, pod network bridge, nft table and blackhole route. Give the same agent flags the
agent ran with (they name the bridge, the cgroup root and the cluster range).

  --data-dir DIR   agent state (default /var/lib/skiff)
${AGENT_FLAGS_USAGE}`;

export async function runResetNode(args: string[]): Promise<void> {
  const { flags } = parseFlags(args, { 'data-dir': 'string', 'log-level': 'string', help: 'bool', ...AGENT_FLAGS });
  if (flags.help) {
    process.stdout.write(RESET_USAGE);
    return;
  }
  const log = consoleLogger('skiff-reset', ((flags['log-level'] as string | undefined) ?? 'info') as LogLevel);
  const dataDir = path.resolve((flags['data-dir'] as string | undefined) ?? '/var/lib/skiff');
  const config = agentConfigFromFlags(flags);
  await resetNode({ agentRoot: agentPaths(dataDir).root, cgroupRoot: config.cgroupRoot, network: podNetworkFor(dataDir, config, log), log });
  process.stdout.write('node reset\n');
}
