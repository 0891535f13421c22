// imagePullSecrets → registry credentials: reads kubernetes.io/dockerconfigjson (".dockerconfigjson",
// {"auths": {...}}) and legacy kubernetes.io/dockercfg (".dockercfg", {...}) secrets. Pure.

import type { KubeObject } from '../../api/types.ts';
import type { RegistryAuth } from '../images/types.ts';

function decode(v: unknown): any {
  if (typeof v !== 'string') return undefined;
  try {
    return JSON.parse(Buffer.from(v, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The registry credentials a pull secret holds (empty for other secret types or bad data). */
export function registryAuthsFromSecret(secret: KubeObject): RegistryAuth[] {
  let auths: Record<string, any> | undefined;
  if (secret.type === 'kubernetes.io/dockerconfigjson') auths = decode(secret.data?.['.dockerconfigjson'])?.auths;
  else if (secret.type === 'kubernetes.io/dockercfg') auths = decode(secret.data?.['.dockercfg']);
  if (!auths || typeof auths !== 'object') return [];
  return Object.entries(auths).map(([server, a]) => {
    const r: RegistryAuth = { server };
    if (a?.username) r.username = a.username;
    if (a?.password) r.password = a.password;
    if (a?.auth) r.auth = a.auth;
    if (a?.identitytoken) r.identityToken = a.identitytoken;
    if (a?.registrytoken) r.registryToken = a.registrytoken;
    return r;
  });
}

/** Kubelet default pull policy: Always for ":latest" or no tag (and no digest), else IfNotPresent. */
export function effectivePullPolicy(container: any): 'Always' | 'IfNotPresent' | 'Never' {
  if (container.imagePullPolicy) return container.imagePullPolicy;
  const image = String(container.image ?? '');
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const tag = colon > lastSlash ? image.slice(colon + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}
