// Small API helpers shared by the benchmarks: make a namespace, and the raw-store key of a pod
// (taken from the resource catalogue, so the raw baseline writes the keys the server writes).

import type { KubeClient } from './client.ts';

export async function ensureNamespace(client: KubeClient, name: string): Promise<void> {
  const res = await client.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
  if (res.status !== 201 && res.status !== 409) throw new Error(`create namespace ${name} → ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
}

/** Storage key of a namespaced core/v1 object, e.g. pods → /registry/<group>/pods/<ns>/<name>. */
export async function coreKeyFn(plural: string): Promise<{ key: (ns: string, name: string) => string; prefix: string }> {
  const { findResource, storageKey, storagePrefix } = await import('../../src/api/resources.ts');
  const def = findResource('', 'v1', plural);
  if (!def) throw new Error(`resource catalogue has no core/v1 ${plural}`);
  return { key: (ns, name) => storageKey(def, ns, name), prefix: storagePrefix(def) };
}

/** A JSON text split around a name, so per-object bodies are one concatenation. */
export function nameTemplate(obj: Record<string, unknown> & { metadata?: Record<string, unknown> }): (name: string) => string {
  const marker = '__BENCH_NAME__';
  const copy = structuredClone(obj) as { metadata: Record<string, unknown> };
  copy.metadata.name = marker;
  delete copy.metadata.resourceVersion; // not part of the stored bytes upstream
  const [before, after] = JSON.stringify(copy).split(`"${marker}"`) as [string, string];
  return (name) => `${before}${JSON.stringify(name)}${after}`;
}
