// Test harness (not a test): an in-process apiserver on HTTPS (memory store, cluster PKI in a
// temp dir, node client credentials) plus a node agent's streaming server on loopback with a
// fake runtime, a Node object pointing at that agent, and a pod "web" (container "main")
// bound to it and reported running. Everything it starts is stopped by close().

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { silentLogger } from '../../base/log.ts';
import { openBackend } from '../../store/open.ts';
import type { Backend } from '../../store/backend.ts';
import { ApiServer } from '../server.ts';
import { listen, type RunningServer } from '../https.ts';
import { UnionAuthenticator, X509Authenticator } from '../authn/authenticator.ts';
import { ensurePki, issueClientCert, issueServingCert, tlsServerOptions, type Pki } from '../authn/pki.ts';
import { renderKubeconfig } from '../authn/kubeconfig.ts';
import { StreamingServer } from '../../agent/streaming/server.ts';
import { StreamingFakeRuntime } from '../../agent/streaming/testing.ts';
import { formatCriRecord } from '../../agent/streaming/crilog.ts';

export interface ProxyCluster {
  dir: string;
  pki: Pki;
  api: ApiServer;
  apiPort: number;
  agentPort: number;
  runtime: StreamingFakeRuntime;
  kubeconfig: string;
  /** The pod's current log file (CRI format). */
  logPath: string;
  close(): Promise<void>;
}

export async function startProxyCluster(): Promise<ProxyCluster> {
  const dir = await mkdtemp(path.join(tmpdir(), 'skiff-nodeproxy-'));
  let backend: Backend | undefined;
  let api: ApiServer | undefined;
  let https: RunningServer | undefined;
  let agent: StreamingServer | undefined;
  try {
    const pki = await ensurePki(path.join(dir, 'pki'), { hosts: [] });
    const kubeletClient = await issueClientCert(pki, { cn: 'kube-apiserver-kubelet-client', groups: ['system:masters'], days: 1 });
    const serving = await issueServingCert(pki, { cn: 'node-1', hosts: ['127.0.0.1'], days: 1 });
    const runtime = new StreamingFakeRuntime();
    agent = new StreamingServer({ runtime, tls: { cert: serving.certPem, key: serving.keyPem, ca: pki.caCertPem }, nodeName: 'node-1', log: silentLogger, followPollMs: 20 });
    const agentPort = (await agent.listen(0, '127.0.0.1')).port;

    backend = await openBackend('memory://');
    api = await ApiServer.start({ backend, log: silentLogger, admission: [], nodeClient: { caPem: pki.caCertPem, certPem: kubeletClient.certPem, keyPem: kubeletClient.keyPem } });
    api.setReady();
    https = await listen(api, { host: '127.0.0.1', port: 0, tls: tlsServerOptions(pki), authenticator: new UnionAuthenticator([new X509Authenticator()]), log: silentLogger });

    await api.store('', 'v1', 'nodes')!.create(undefined, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-1' },
      status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: agentPort } } },
    });
    const pods = api.store('', 'v1', 'pods')!;
    await pods.create('default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default' },
      spec: { nodeName: 'node-1', containers: [{ name: 'main', image: 'busybox' }] },
    });
    await pods.guaranteedUpdate(
      'default',
      'web',
      (p) => {
        p.status = {
          phase: 'Running',
          containerStatuses: [{ name: 'main', ready: true, restartCount: 0, image: 'busybox', imageID: '', containerID: 'fake://c1', state: { running: { startedAt: '2024-01-01T00:00:00Z' } } }],
        };
        return p;
      },
      { subresource: 'status' },
    );
    const uid = (await pods.get('default', 'web')).metadata.uid as string;
    const logPath = path.join(dir, 'main-0.log');
    await writeFile(logPath, Buffer.concat([formatCriRecord('2024-01-01T00:00:01Z', 'stdout', 'hello from main'), formatCriRecord('2024-01-01T00:00:02Z', 'stderr', 'second line')]));
    runtime.addSandbox({ id: 'sb1', name: 'web', namespace: 'default', podUid: uid });
    runtime.addContainer({ id: 'c1', sandboxId: 'sb1', name: 'main', attempt: 0, state: 'running', logPath });

    const kubeconfig = path.join(dir, 'kubeconfig.yaml');
    await writeFile(kubeconfig, renderKubeconfig({ server: `https://127.0.0.1:${https.port}`, caPem: pki.caCertPem, user: { clientCertPem: pki.adminCertPem, clientKeyPem: pki.adminKeyPem } }), { mode: 0o600 });
    const h = https;
    const a = agent;
    const s = api;
    const b = backend;
    return {
      dir,
      pki,
      api,
      apiPort: https.port,
      agentPort,
      runtime,
      kubeconfig,
      logPath,
      async close() {
        await h.close();
        await a.close();
        await s.close();
        await b.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await https?.close();
    await agent?.close();
    await api?.close();
    await backend?.close();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
