// Registry credentials and challenges, pure: which RegistryAuth entries (from dockerconfigjson
// secrets) apply to a registry, the user/password they carry, and WWW-Authenticate parsing.

import type { RegistryAuth } from './types.ts';
import { DEFAULT_REGISTRY } from './reference.ts';

const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** "https://index.docker.io/v1/" → "docker.io"; "https://host:5000/x" → "host:5000". */
export function credentialHost(server: string): string {
  let s = server.trim().toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  s = s.split('/')[0] ?? '';
  return DOCKER_HUB_ALIASES.has(s) ? DEFAULT_REGISTRY : s;
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  // "*.example.com" (as the kubelet's keyring allows) matches one label per '*'.
  if (!pattern.includes('*')) return false;
  const [pHost, pPort] = pattern.split(':');
  const [hHost, hPort] = host.split(':');
  if (pPort !== hPort) return false;
  const p = (pHost ?? '').split('.');
  const h = (hHost ?? '').split('.');
  return p.length === h.length && p.every((label, i) => label === '*' || label === h[i]);
}

/** The entries whose server names `registry`, in the order given (they are tried in turn). */
export function matchingCredentials(auths: readonly RegistryAuth[] | undefined, registry: string): RegistryAuth[] {
  const host = credentialHost(registry);
  return (auths ?? []).filter((a) => hostMatches(credentialHost(a.server), host));
}

/** username/password of an entry: explicit fields, else the base64 "user:password" `auth`. */
export function userPassword(a: RegistryAuth): { username: string; password: string } | undefined {
  if (a.username !== undefined && a.password !== undefined) return { username: a.username, password: a.password };
  if (a.auth) {
    const decoded = Buffer.from(a.auth, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i > 0) return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
  }
  return undefined;
}

export function basicHeader(up: { username: string; password: string }): string {
  return 'Basic ' + Buffer.from(`${up.username}:${up.password}`).toString('base64');
}

export interface Challenge {
  scheme: string; // lower case: "bearer", "basic"
  params: Record<string, string>;
}

/** Parse `Bearer realm="https://auth",service="registry",scope="repository:x:pull"` (first challenge). */
export function parseChallenge(header: string | null | undefined): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/gy;
  const rest = m[2] ?? '';
  let p: RegExpExecArray | null;
  while ((p = re.exec(rest))) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
    if (re.lastIndex >= rest.length) break;
  }
  return { scheme: m[1]!.toLowerCase(), params };
}
