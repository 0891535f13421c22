// The kubeconfig skiff writes on first start (like k3s.yaml): one cluster, one user, one
// context, current-context set, with the CA and any client certificate embedded as
// base64 *-data fields so the file stands alone.

import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic } from './atomic-write.ts';

export type KubeconfigUser = { clientCertPem: string; clientKeyPem: string } | { token: string };

export interface KubeconfigOptions {
  /** The apiserver URL, e.g. https://127.0.0.1:6443 */
  server: string;
  /** PEM of the CA that signed the serving certificate. */
  caPem: string;
  user: KubeconfigUser;
  clusterName?: string;
  contextName?: string;
  userName?: string;
}

/** Renders a kubeconfig YAML document. Pure. */
export function renderKubeconfig(opts: KubeconfigOptions): string {
  const clusterName = opts.clusterName ?? 'skiff';
  const contextName = opts.contextName ?? 'skiff';
  const userName = opts.userName ?? 'admin';
  const user =
    'token' in opts.user
      ? { token: opts.user.token }
      : {
          'client-certificate-data': base64(opts.user.clientCertPem),
          'client-key-data': base64(opts.user.clientKeyPem),
        };
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: clusterName, cluster: { server: opts.server, 'certificate-authority-data': base64(opts.caPem) } }],
    contexts: [{ name: contextName, context: { cluster: clusterName, user: userName } }],
    'current-context': contextName,
    preferences: {},
    users: [{ name: userName, user }],
  };
  return stringify(doc, { lineWidth: 0 });
}

/** Writes a kubeconfig atomically with mode 0600, creating its directory (0700) if needed. */
export async function writeKubeconfig(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, text, 0o600);
}

function base64(pem: string): string {
  return Buffer.from(pem, 'utf8').toString('base64');
}
