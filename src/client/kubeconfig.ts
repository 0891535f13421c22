// Reading a kubeconfig file into what a transport needs to reach the cluster: the server URL,
// the CA, and the user's credentials (client certificate and key, or a bearer token), for the
// current context or a named one. Embedded `*-data` fields and file paths (relative paths are
// resolved against the kubeconfig's directory, as kubectl does) are both understood.

import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';

/** Where and how to connect: the explicit form HttpsTransport accepts. */
export interface ConnectionConfig {
  /** `https://host:port` (optionally with a path prefix); `http://` only for tests. */
  server: string;
  /** PEM of the CA that signed the server's certificate; omit to use the system roots. */
  caPem?: string;
  /** Client certificate and key (PEM), for X.509 authentication. */
  certPem?: string;
  keyPem?: string;
  /** Bearer token. */
  token?: string;
  /** Skip server certificate verification (kubeconfig insecure-skip-tls-verify). */
  insecureSkipTlsVerify?: boolean;
  /** Name to verify the server certificate against, when it differs from the URL's host. */
  tlsServerName?: string;
}

interface NamedEntry<T> {
  name: string;
  [k: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

/** Parse kubeconfig text (paths relative to `baseDir`). Throws with a plain message when the
 *  context, cluster or user it needs is missing. */
export async function parseKubeconfig(text: string, baseDir: string, opts: { context?: string } = {}): Promise<ConnectionConfig> {
  const { parse } = await import('yaml'); // only clients that read a kubeconfig pay for the YAML parser
  const doc = (parse(text) ?? {}) as Record<string, unknown>;
  const contextName = opts.context ?? (doc['current-context'] as string | undefined);
  if (!contextName) throw new Error('kubeconfig: no current-context set and no context given');
  const context = find(doc.contexts, contextName, 'context');
  const clusterName = context.cluster as string | undefined;
  if (!clusterName) throw new Error(`kubeconfig: context "${contextName}" names no cluster`);
  const cluster = find(doc.clusters, clusterName, 'cluster');
  const userName = context.user as string | undefined;
  const user = userName ? find(doc.users, userName, 'user') : {};

  const server = cluster.server as string | undefined;
  if (!server) throw new Error(`kubeconfig: cluster "${clusterName}" has no server`);
  const read = async (dataKey: string, fileKey: string, from: Record<string, unknown>): Promise<string | undefined> => {
    const data = from[dataKey];
    if (typeof data === 'string' && data !== '') return Buffer.from(data, 'base64').toString('utf8');
    const file = from[fileKey];
    if (typeof file === 'string' && file !== '') return readFile(isAbsolute(file) ? file : resolve(baseDir, file), 'utf8');
    return undefined;
  };
  const cfg: ConnectionConfig = { server };
  cfg.caPem = await read('certificate-authority-data', 'certificate-authority', cluster);
  cfg.certPem = await read('client-certificate-data', 'client-certificate', user);
  cfg.keyPem = await read('client-key-data', 'client-key', user);
  if (typeof user.token === 'string' && user.token !== '') cfg.token = user.token;
  else if (typeof user.tokenFile === 'string' && user.tokenFile !== '') {
    cfg.token = (await readFile(isAbsolute(user.tokenFile) ? user.tokenFile : resolve(baseDir, user.tokenFile), 'utf8')).trim();
  }
  if (cluster['insecure-skip-tls-verify'] === true) cfg.insecureSkipTlsVerify = true;
  if (typeof cluster['tls-server-name'] === 'string') cfg.tlsServerName = cluster['tls-server-name'];
  for (const k of Object.keys(cfg) as (keyof ConnectionConfig)[]) if (cfg[k] === undefined) delete cfg[k];
  return cfg;
}

/** Read and parse a kubeconfig file. */
export async function loadKubeconfig(path: string, opts: { context?: string } = {}): Promise<ConnectionConfig> {
  return parseKubeconfig(await readFile(path, 'utf8'), dirname(resolve(path)), opts);
}

function find(list: unknown, name: string, what: 'context' | 'cluster' | 'user'): Record<string, unknown> {
  const entries = Array.isArray(list) ? (list as NamedEntry<Record<string, unknown>>[]) : [];
  const entry = entries.find((e) => e?.name === name);
  if (!entry) throw new Error(`kubeconfig: ${what} "${name}" not found`);
  return (entry[what] as Record<string, unknown> | undefined) ?? {};
}
