// The kubeconfig skiff writes on first start (like k3s.yaml): one cluster, one user, one
// context, current-context set, with the CA and any client certificate embedded as
// base64 *-data fields so the file stands alone.

import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
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
  const user: Doc =
    'token' in opts.user
      ? { token: opts.user.token }
      : {
          'client-certificate-data': base64(opts.user.clientCertPem),
          'client-key-data': base64(opts.user.clientKeyPem),
        };
  const doc: Doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: clusterName, cluster: { server: opts.server, 'certificate-authority-data': base64(opts.caPem) } }],
    contexts: [{ name: contextName, context: { cluster: clusterName, user: userName } }],
    'current-context': contextName,
    preferences: {},
    users: [{ name: userName, user }],
  };
  return toYaml(doc);
}

type Doc = string | Doc[] | { [key: string]: Doc };

/**
 * YAML of a document of maps, lists and strings (all a kubeconfig holds), written by hand so
 * the server does not load a YAML library for it (idle memory). Keys and plain words are
 * written bare; other strings as JSON strings, which are valid YAML double-quoted scalars.
 */
function toYaml(doc: Doc, indent = ''): string {
  if (typeof doc === 'string') return `${scalar(doc)}\n`;
  if (Array.isArray(doc)) {
    if (doc.length === 0) return '[]\n';
    return doc.map((item) => `${indent}- ${toYaml(item, `${indent}  `).slice(indent.length + 2)}`).join('');
  }
  const keys = Object.keys(doc);
  if (keys.length === 0) return '{}\n';
  return keys
    .map((k) => {
      const v = doc[k]!;
      const key = `${indent}${scalar(k)}:`;
      if (typeof v === 'string' || (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0)) return `${key} ${toYaml(v)}`;
      return `${key}\n${toYaml(v, Array.isArray(v) ? indent : `${indent}  `)}`;
    })
    .join('');
}

/** Writes a kubeconfig atomically with mode 0600, creating its directory (0700) if needed. */
export async function writeKubeconfig(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, text, 0o600);
}

/** A string as a YAML scalar: bare when it is plainly a word (not one YAML reads as a boolean or null). */
function scalar(s: string): string {
  const plain = /^[A-Za-z][A-Za-z0-9._\/=+-]*$/.test(s) && !/^(true|false|yes|no|on|off|y|n|null)$/i.test(s);
  return plain ? s : JSON.stringify(s);
}

function base64(pem: string): string {
  return Buffer.from(pem, 'utf8').toString('base64');
}
