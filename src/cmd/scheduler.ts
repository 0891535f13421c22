// `skiff scheduler`: the scheduler alone, against a cluster reached through a kubeconfig, with
// leader election on the kube-system/kube-scheduler Lease so several copies can run.

import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { ApiClient } from '../client/client.ts';
import { HttpsTransport } from '../client/https-transport.ts';
import { schedulerInformerFactory, startScheduler } from '../scheduler/run.ts';
import { consoleLogger, type LogLevel } from '../base/log.ts';
import { parseFlags } from './flags.ts';

export const SCHEDULER_USAGE = `Usage: skiff scheduler [flags]

Runs the Kubernetes scheduler (default profile, upstream plugins) against a cluster.

Flags:
  --kubeconfig FILE     cluster to schedule for (default $KUBECONFIG, else /var/lib/skiff/kubeconfig.yaml)
  --leader-elect BOOL   hold the kube-system/kube-scheduler Lease while scheduling (default true)
  --log-level LEVEL     debug, info, warn, error (default info)
`;

export async function runScheduler(args: string[]): Promise<void> {
  const { flags } = parseFlags(args, { kubeconfig: 'string', 'leader-elect': 'bool', 'log-level': 'string', help: 'bool' });
  if (flags.help) {
    process.stdout.write(SCHEDULER_USAGE);
    return;
  }
  const log = consoleLogger('skiff-scheduler', ((flags['log-level'] as string | undefined) ?? 'info') as LogLevel);
  const kubeconfig = (flags.kubeconfig as string | undefined) ?? process.env.KUBECONFIG ?? '/var/lib/skiff/kubeconfig.yaml';
  const transport = await HttpsTransport.fromKubeconfig(kubeconfig);
  const client = new ApiClient({ transport });
  const informers = schedulerInformerFactory(client, log);
  const ac = new AbortController();
  process.on('SIGINT', () => ac.abort());
  process.on('SIGTERM', () => ac.abort());
  const leaderElect = flags['leader-elect'] !== false;
  const sched = startScheduler({
    client,
    informers,
    log,
    signal: ac.signal,
    leaderElection: leaderElect ? { identity: `${hostname()}_${randomUUID()}` } : undefined,
  });
  log.info('scheduler started', { kubeconfig, leaderElect });
  await sched.done;
  ac.abort();
  await informers.shutdown();
  transport.close();
  process.exit(0);
}
