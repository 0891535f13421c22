// `skiff server`: the apiserver (later also scheduler, controllers and the local agent) in one
// process. Wiring only: data dir, datastore, PKI, token file, service-account tokens, HTTPS
// listener, kubeconfig, readiness, and a clean stop on SIGINT/SIGTERM.

import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { openBackend } from '../store/open.ts';
import { ApiServer } from '../apiserver/server.ts';
import { listen } from '../apiserver/https.ts';
import { ensurePkiIsolated, tlsServerOptions } from '../apiserver/authn/pki-isolated.ts';
import { ServiceAccountTokenAuthenticator, UnionAuthenticator, X509Authenticator } from '../apiserver/authn/authenticator.ts';
import { ensureServiceAccountKey, ServiceAccountTokens, type BoundResource } from '../apiserver/authn/satokens.ts';
import { ensureTokenFile, loadTokenFile } from '../apiserver/authn/tokens.ts';
import { renderKubeconfig, writeKubeconfig } from '../apiserver/authn/kubeconfig.ts';
import { consoleLogger, type LogLevel } from '../base/log.ts';
import { FlagError, parseFlags } from './flags.ts';
import { ApiClient } from '../client/client.ts';
import { InProcessTransport } from '../client/inprocess-transport.ts';
import { SharedInformerFactory } from '../client/factory.ts';
import { AGENT_FLAGS, AGENT_FLAGS_USAGE, agentConfigFromFlags } from './agentflags.ts';

export const SERVER_FLAGS = {
  'data-dir': 'string',
  port: 'int',
  'bind-address': 'string',
  datastore: 'string',
  'disable-agent': 'bool',
  'tls-san': 'list',
  'token-file': 'string',
  'watch-cache-size': 'int',
  'disable-scheduler': 'bool',
  'scheduler-thread': 'string',
  'sim-nodes': 'int',
  'log-level': 'string',
  ...AGENT_FLAGS,
  help: 'bool',
} as const;

export const SERVER_USAGE = `Usage: skiff server [flags]

Runs a one-node cluster: the Kubernetes API server on HTTPS with an embedded datastore.

Flags:
  --data-dir DIR          state, certificates and kubeconfig (default /var/lib/skiff)
  --port N                HTTPS port (default 6443)
  --bind-address ADDR     address to listen on (default 0.0.0.0)
  --datastore URL         sqlite://<path> (default sqlite://<data-dir>/state.db), etcd://host:port[,host:port], memory://
  --disable-agent         do not run the local node agent (no containers run on this machine)
  --tls-san HOST          extra name or IP for the serving certificate (repeatable)
  --token-file FILE       bearer tokens, CSV token,user,uid,"group1,group2" (default <data-dir>/token.csv)
  --watch-cache-size N    watch events kept per resource for replay (default 10000)
  --disable-scheduler     do not run the scheduler in this process
  --scheduler-thread T    worker, main or auto (default): worker runs the scheduler on a thread of its
                          own (about twice the pods/s on two cores; costs ≈ 25 MB for a second heap and
                          its own informer caches); auto is worker with two or more CPUs, else main
  --sim-nodes N           also register N simulated nodes (see 'skiff sim-nodes --help')
  --log-level LEVEL       debug, info, warn, error (default info)

Local node agent (unless --disable-agent):
${AGENT_FLAGS_USAGE}`;

export async function runServer(args: string[]): Promise<void> {
  const { flags } = parseFlags(args, SERVER_FLAGS);
  if (flags.help) {
    process.stdout.write(SERVER_USAGE);
    return;
  }
  const dataDir = path.resolve((flags['data-dir'] as string | undefined) ?? '/var/lib/skiff');
  const port = (flags.port as number | undefined) ?? 6443;
  const bind = (flags['bind-address'] as string | undefined) ?? '0.0.0.0';
  const datastore = (flags.datastore as string | undefined) ?? `sqlite://${path.join(dataDir, 'state.db')}`;
  const level = ((flags['log-level'] as string | undefined) ?? 'info') as LogLevel;
  const log = consoleLogger('skiff', level);
  const threadFlag = (flags['scheduler-thread'] as string | undefined) ?? 'auto';
  if (threadFlag !== 'main' && threadFlag !== 'worker' && threadFlag !== 'auto') throw new FlagError(`flag --scheduler-thread: "${threadFlag}" is not worker, main or auto`);
  const schedulerThread = threadFlag === 'auto' ? (availableParallelism() > 1 ? 'worker' : 'main') : threadFlag;

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // Keep 10k revisions of history on every backend (etcd too: skiff compacts it, as kube-apiserver does).
  const backend = await openBackend(datastore, {
    dataDir,
    retainRevisions: 10_000,
    onError: (err) => log.error('datastore background error', { error: String(err) }),
  });
  const agentConfig = flags['disable-agent'] ? undefined : agentConfigFromFlags(flags);
  if (agentConfig && !agentConfig.nodeIP) {
    // The local agent serves kubectl logs/exec/port-forward with the server's certificate, dialled
    // at the node's InternalIP: fix that address now so the certificate names it.
    const { defaultNodeIP } = await import('../agent/node.ts');
    agentConfig.nodeIP = defaultNodeIP(agentConfig.bridge);
  }
  // The serving certificate also serves the local agent's streaming port, so it names the node IP too.
  const sans = [...((flags['tls-san'] as string[] | undefined) ?? []), ...(agentConfig?.nodeIP ? [agentConfig.nodeIP] : [])];
  const pki = await ensurePkiIsolated(path.join(dataDir, 'tls'), { hosts: sans });
  const tokenFile = (flags['token-file'] as string | undefined) ?? path.join(dataDir, 'token.csv');
  await ensureTokenFile(tokenFile);
  const tokens = await loadTokenFile(tokenFile);
  const saKey = await ensureServiceAccountKey(path.join(dataDir, 'tls'));
  // Set once the ApiServer exists: the SA-token lookups read its watch caches.
  let apiRef: ApiServer | undefined;
  const saTokens = new ServiceAccountTokens({
    key: saKey,
    clock: { now: () => new Date() },
    lookup: (resource: BoundResource, ns, name) => {
      const store = apiRef?.store('', 'v1', resource);
      return store?.cache.get(store.key(ns, name));
    },
  });
  const authenticator = new UnionAuthenticator([new X509Authenticator(), tokens, new ServiceAccountTokenAuthenticator(saTokens)]);

  const api = await ApiServer.start({
    backend,
    log: log.child('apiserver'),
    watchCacheSize: flags['watch-cache-size'] as number | undefined,
    // pods/log, exec, attach and portforward are proxied to agents with this client certificate.
    nodeClient: { caPem: pki.caCertPem, certPem: pki.adminCertPem, keyPem: pki.adminKeyPem },
    authenticateToken: (token) => {
      const u = tokens.authenticate({ headers: { authorization: `Bearer ${token}` } }) ?? saTokens.authenticateToken(token);
      return u ? { name: u.name, uid: u.uid, groups: [...u.groups.filter((g) => g !== 'system:authenticated'), 'system:authenticated'] } : null;
    },
  });
  apiRef = api;
  api.setTokenIssuer(saTokens);
  const running = await listen(api, { host: bind, port, tls: tlsServerOptions(pki), authenticator, log: log.child('https') });

  const host = bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;
  const kubeconfigPath = path.join(dataDir, 'kubeconfig.yaml');
  await writeKubeconfig(
    kubeconfigPath,
    renderKubeconfig({
      server: `https://${host.includes(':') ? `[${host}]` : host}:${running.port}`,
      caPem: pki.caCertPem,
      user: { clientCertPem: pki.adminCertPem, clientKeyPem: pki.adminKeyPem },
    }),
  );
  // Components run in this process talk to the API in-process: same semantics, no socket.
  const components = new AbortController();
  const clientAs = (name: string, groups: string[]) =>
    new ApiClient({ transport: new InProcessTransport({ handler: api, user: { name, groups: [...groups, 'system:authenticated'] } }) });
  const background: Promise<unknown>[] = [];
  if (!flags['disable-scheduler'] && schedulerThread === 'worker') {
    const { SchedulerWorker } = await import('../scheduler/worker.ts');
    const worker = SchedulerWorker.start({ handler: api, user: { name: 'system:kube-scheduler', groups: ['system:authenticated'] }, logLevel: level });
    background.push(new Promise<void>((resolve) => components.signal.addEventListener('abort', () => resolve(worker.stop()), { once: true })));
  } else if (!flags['disable-scheduler']) {
    const client = clientAs('system:kube-scheduler', []);
    const { schedulerInformerFactory, startScheduler } = await import('../scheduler/run.ts'); // loaded only when enabled (idle memory)
    const informers = schedulerInformerFactory(client, log.child('scheduler'));
    const sched = startScheduler({ client, informers, log: log.child('scheduler'), signal: components.signal });
    background.push(sched.done.then(() => informers.shutdown()));
  }
  if (flags['sim-nodes']) {
    const client = clientAs('system:node:simulated', ['system:nodes']);
    const informers = new SharedInformerFactory({ client, log: log.child('sim-nodes') });
    const { startSimNodes } = await import('../agent/simnodes.ts');
    const sim = await startSimNodes({ client, informers, log: log.child('sim-nodes'), count: flags['sim-nodes'] as number }, components.signal);
    background.push(sim.done.then(() => informers.shutdown()));
  }
  if (agentConfig) {
    const client = clientAs(`system:node:${agentConfig.nodeName}`, ['system:nodes']);
    const { startAgent } = await import('../agent/agent.ts');
    const agent = await startAgent({
      client,
      dataDir,
      config: agentConfig,
      tls: { cert: pki.serverCertPem, key: pki.serverKeyPem, ca: pki.caCertPem },
      log: log.child('agent'),
      signal: components.signal,
    });
    background.push(agent.done);
  }
  api.setReady();
  log.info('skiff server is ready', { port: running.port, datastore: datastore.replace(/\/\/.*@/, '//***@'), kubeconfig: kubeconfigPath });
  process.stdout.write(`skiff server ready on https://${host}:${running.port}\nexport KUBECONFIG=${kubeconfigPath}\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    components.abort();
    await Promise.allSettled(background);
    await api.close();
    await running.close();
    await backend.close();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
