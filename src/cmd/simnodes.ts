// `skiff sim-nodes`: register simulated nodes against a running cluster (kwok-like) and keep
// them alive until Ctrl-C. Wiring only; the behaviour is src/agent/simnodes.ts.

import { ApiClient } from '../client/client.ts';
import { HttpsTransport } from '../client/https-transport.ts';
import { SharedInformerFactory } from '../client/factory.ts';
import { parseLabels, parseTaints, startSimNodes } from '../agent/simnodes.ts';
import { consoleLogger } from '../base/log.ts';
import { parseFlags, FlagError } from './flags.ts';

export const SIM_NODES_USAGE = `Usage: skiff sim-nodes --count N [flags]

Registers N simulated nodes that keep their Leases fresh and move pods bound to them to
Running without containers (for capacity planning and benchmarks).

Flags:
  --kubeconfig FILE   cluster to join (default $KUBECONFIG, else /var/lib/skiff/kubeconfig.yaml)
  --count N           number of nodes (required)
  --prefix P          node name prefix (default sim-node-)
  --cpu Q             allocatable cpu per node (default 32)
  --memory Q          allocatable memory per node (default 256Gi)
  --pods N            allocatable pods per node (default 110)
  --labels k=v,...    extra node labels
  --taints k=v:Effect,...  node taints
`;

export async function runSimNodes(args: string[]): Promise<void> {
  const { flags } = parseFlags(args, {
    kubeconfig: 'string', count: 'int', prefix: 'string', cpu: 'string', memory: 'string', pods: 'int', labels: 'string', taints: 'string', help: 'bool',
  });
  if (flags.help) {
    process.stdout.write(SIM_NODES_USAGE);
    return;
  }
  if (!flags.count) throw new FlagError('--count is required (the number of simulated nodes)');
  const log = consoleLogger('skiff-sim-nodes');
  const kubeconfig = (flags.kubeconfig as string | undefined) ?? process.env.KUBECONFIG ?? '/var/lib/skiff/kubeconfig.yaml';
  const client = new ApiClient({ transport: await HttpsTransport.fromKubeconfig(kubeconfig) });
  const informers = new SharedInformerFactory({ client, log });
  const ac = new AbortController();
  process.on('SIGINT', () => ac.abort());
  process.on('SIGTERM', () => ac.abort());
  const { names, done } = await startSimNodes(
    {
      client,
      informers,
      log,
      count: flags.count as number,
      prefix: flags.prefix as string | undefined,
      cpu: flags.cpu as string | undefined,
      memory: flags.memory as string | undefined,
      pods: flags.pods as number | undefined,
      labels: flags.labels ? parseLabels(flags.labels as string) : undefined,
      taints: flags.taints ? parseTaints(flags.taints as string) : undefined,
    },
    ac.signal,
  );
  process.stdout.write(`${names.length} simulated nodes registered (${names[0]} … ${names[names.length - 1]}); Ctrl-C to stop\n`);
  await done;
  await informers.shutdown();
  process.exit(0);
}
